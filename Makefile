# leadscore — the two commands a newcomer needs are `make run` and `make test`.
# Everything else the project needs (Debian's protoc, Go tools) is installed
# by the targets below on first use.

GO       ?= go
BIN      := $(CURDIR)/bin
DEMO     ?= $(CURDIR)/demo
export PATH := $(BIN):$(PATH)

# protoc is pinned to Debian 12's package: the generated headers record its
# version, so another protoc would make proto-check flap.
PROTOC_VERSION := 3.21.12
GRPCURL_VERSION := v1.9.4
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da

# The demo history: small enough to run in a minute, large enough to show
# real rates, drift and calibration.
DEMO_LEADS    ?= 30000
DEMO_QUARTERS ?= 8
DEMO_SEED     ?= 7

.PHONY: all build run test test-go lint vet fmt-check proto proto-check protoc bench \
        bench-train bench-peers bench-serve quality browser tools clean \
        generate generate-check

all: build

build:
	$(GO) build -o $(BIN)/leadscore ./cmd/leadscore

## run: the demo: generate a history, describe it, write a spec, train,
## serve, score sample leads over gRPC, write the quarterly report.
run: build
	@./scripts/demo.sh "$(BIN)/leadscore" "$(DEMO)" $(DEMO_LEADS) $(DEMO_QUARTERS) $(DEMO_SEED)

## test: lint, generated-code check, every Go test with the race detector,
## the trainer's quality bars on the public datasets, and the notebooks.
test: lint proto-check generate-check browser $(BIN)/grpcurl test-go quality test-notebooks

test-go:
	$(GO) test -race -timeout 40m ./...

## quality: the trainer against the scikit-learn / XGBoost baselines on the
## public datasets of ../shared/datasets (no race detector: it is slow).
quality:
	$(GO) test -tags quality -count 1 -timeout 30m -v -run . ./train/quality/ 2>&1 | tee quality.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+quality_test.go)' || (tail -50 quality.log; exit 1)

## browser: Debian's headless Chromium, for the report's rendering test.
browser:
	@if ! test -x /usr/bin/chromium; then \
		echo "installing Debian chromium (for the report's browser test)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

lint: fmt-check vet

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$') 2>&1); \
	if [ -n "$$out" ]; then echo "gofmt: these files need formatting:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## protoc: install Debian's protobuf-compiler (pinned) if it is missing.
protoc:
	@if ! command -v protoc >/dev/null 2>&1 || ! test -f /usr/include/google/protobuf/timestamp.proto; then \
		echo "installing Debian protobuf-compiler and libprotobuf-dev"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null; \
	fi
	@v=$$(protoc --version | awk '{print $$2}'); \
	if [ "$$v" != "$(PROTOC_VERSION)" ]; then \
		echo "protoc $$v found, want $(PROTOC_VERSION) (Debian 12 protobuf-compiler): generated code would differ" >&2; exit 1; fi

## proto: regenerate the Go code of proto/leadscore/v1 (generators pinned in go.mod).
proto: protoc
	$(GO) generate ./proto/...

## proto-check: fail when the committed generated code is stale.
proto-check: proto
	@if [ -n "$$(git status --porcelain -- proto/)" ]; then \
		git status --porcelain -- proto/; git diff --stat -- proto/; \
		echo "proto: generated code is stale; run 'make proto' and commit" >&2; exit 1; fi

## generate: regenerate the assembly written by a Go program
## (model/tree/walk_amd64.s from walk_gen.go).
generate:
	$(GO) generate ./model/tree/

## generate-check: fail if generated assembly differs from its generator's output.
generate-check: generate
	@if [ -n "$$(git status --porcelain -- model/tree/walk_amd64.s)" ]; then \
		git diff --stat -- model/tree/walk_amd64.s; \
		echo "model/tree/walk_amd64.s is stale; run 'make generate' and commit" >&2; exit 1; fi

## tools: Go tools used by benchmarks and smoke tests, pinned.
tools: $(BIN)/grpcurl $(BIN)/benchstat

$(BIN)/grpcurl:
	GOBIN=$(BIN) $(GO) install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

$(BIN)/benchstat:
	GOBIN=$(BIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

## bench: every benchmark, 6 runs each, summarised by benchstat (medians).
bench: $(BIN)/benchstat
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -timeout 60m ./... | tee bench.txt
	benchstat bench.txt

## bench-train: 100 boosting rounds on 1M rows x 40 mixed features: time
## and peak memory (compare with bench-peers in the same session).
bench-train:
	$(GO) test -run '^$$' -bench 'BenchmarkTrain1Mx40' -benchtime 1x -count 3 -timeout 30m ./train/gbdt/

## bench-peers: scikit-learn HistGradientBoosting and XGBoost (Debian) on the
## same 1M x 40 data, beside ours, in one run.
bench-peers:
	./scripts/bench-peers.sh

## bench-serve: our server against the do-nothing gRPC ceiling, same run.
bench-serve:
	./scripts/bench-serve.sh

clean:
	rm -rf $(BIN) $(DEMO) out bench.txt quality.log

-include notebooks/notebooks.mk
