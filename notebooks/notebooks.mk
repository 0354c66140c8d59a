# Notebook targets, included from the top-level Makefile; also usable alone
# from the repository root:  make -f notebooks/notebooks.mk test-notebooks
#
#   notebook-deps   install Debian's Jupyter, pandas, matplotlib, grpcio,
#                   protobuf and protoc when missing (apt-get update first)
#   notebooks       build bin/leadscore and execute the four notebooks on a
#                   small history into out/notebooks/ (git-ignored)
#   test-notebooks  notebook-deps + committed notebooks clean + gRPC client
#                   test + notebooks
#
# Only Debian's interpreter is used (/usr/bin/python3, /usr/bin/jupyter):
# the python3 first on PATH may be another one without these packages.

NB_DIR   := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
NB_REPO  := $(patsubst %/,%,$(dir $(NB_DIR)))
GO       ?= go
NB_BIN   ?= $(NB_REPO)/bin/leadscore
NB_OUT   ?= $(NB_REPO)/out/notebooks
# The history the notebooks run on. By default a small one of their own:
# 12000 leads give about 30 won deals in the newest quarter (enough for
# notebook 02 to judge a retrain) and run in a minute or two. Point it at
# the demo's with NB_HISTORY=$(NB_REPO)/demo/history after `make run`.
NB_LEADS         ?= 12000
NB_QUARTERS      ?= 8
NB_SEED          ?= 7
NB_HISTORY       ?= $(NB_OUT)/history-$(NB_LEADS)-$(NB_QUARTERS)-$(NB_SEED)
NB_TIMEOUT       ?= 600
NB_PYTHON        := /usr/bin/python3
NB_JUPYTER       := /usr/bin/jupyter
NB_NOTEBOOKS     := $(sort $(wildcard $(NB_DIR)/[0-9][0-9]_*.ipynb))
NB_DEB_PACKAGES  := jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib \
                    python3-grpcio python3-protobuf protobuf-compiler libprotobuf-dev

# What the notebooks and the client test read from the environment.
NB_ENV := LEADSCORE_BIN=$(NB_BIN) LEADSCORE_HISTORY=$(NB_HISTORY) LEADSCORE_NB_OUT=$(NB_OUT)/work \
          PYDEVD_DISABLE_FILE_VALIDATION=1 PYTHONDONTWRITEBYTECODE=1

.PHONY: notebooks notebook-deps test-notebooks notebooks-clean-check notebooks-client-test notebooks-binary

## notebook-deps: Debian's Jupyter and Python packages, installed when missing.
notebook-deps:
	@if [ -x $(NB_JUPYTER) ] && command -v protoc >/dev/null 2>&1 && \
	    test -f /usr/include/google/protobuf/timestamp.proto && \
	    $(NB_PYTHON) -c 'import nbconvert, ipykernel, pandas, matplotlib, grpc, google.protobuf' 2>/dev/null; then \
		echo "notebook-deps: Debian packages present"; \
	else \
		echo "notebook-deps: installing $(NB_DEB_PACKAGES)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(NB_DEB_PACKAGES) >/dev/null; \
	fi
	@PYDEVD_DISABLE_FILE_VALIDATION=1 $(NB_JUPYTER) kernelspec list | grep -q '^ *python3 ' || { echo "no python3 Jupyter kernel" >&2; exit 1; }

# NB_BUILD=no uses an existing NB_BIN (e.g. one CI built already).
NB_BUILD ?= yes
notebooks-binary:
ifeq ($(NB_BUILD),no)
	@test -x $(NB_BIN) || { echo "NB_BUILD=no but $(NB_BIN) is not an executable" >&2; exit 1; }
else
	cd $(NB_REPO) && $(GO) build -o $(NB_BIN) ./cmd/leadscore
endif

## notebooks: execute the four notebooks into $(NB_OUT).
notebooks: notebooks-binary
	@rm -rf $(NB_OUT)/work && mkdir -p $(NB_OUT)/work
	@if [ ! -f $(NB_HISTORY)/leads.parquet ]; then \
		echo "generating $(NB_LEADS) leads over $(NB_QUARTERS) quarters into $(NB_HISTORY)"; \
		$(NB_BIN) gen --leads $(NB_LEADS) --quarters $(NB_QUARTERS) --seed $(NB_SEED) --out $(NB_HISTORY); \
	fi
	@set -e; for nb in $(NB_NOTEBOOKS); do \
		echo "executing $$(basename $$nb)"; start=$$(date +%s); \
		$(NB_ENV) $(NB_JUPYTER) nbconvert --to notebook --execute \
			--ExecutePreprocessor.timeout=$(NB_TIMEOUT) --ExecutePreprocessor.kernel_name=python3 \
			--output-dir $(NB_OUT) $$nb; \
		echo "  $$(basename $$nb): $$(( $$(date +%s) - start ))s"; \
	done
	@echo "executed notebooks are in $(NB_OUT)"

notebooks-clean-check:
	$(NB_PYTHON) $(NB_DIR)/check_clean.py

notebooks-client-test: notebooks-binary
	cd $(NB_DIR) && $(NB_ENV) timeout 600 $(NB_PYTHON) -m unittest -v test_client

## test-notebooks: what CI runs.
test-notebooks: notebook-deps
	$(MAKE) -f $(NB_DIR)/notebooks.mk notebooks-clean-check notebooks-client-test notebooks
