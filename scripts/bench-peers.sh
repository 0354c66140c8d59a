#!/usr/bin/env bash
# Trains 100 boosting rounds on the same 1M rows x 40 mixed features with
# our GBDT and with scikit-learn's HistGradientBoosting and XGBoost hist
# (Debian's python3-sklearn and python3-xgboost), alternating, in one run,
# and prints wall time and peak memory side by side. The machine is shared
# and noisy: compare within a run, never with an old figure.
# Usage: scripts/bench-peers.sh [RUNS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! /usr/bin/python3 -c 'import sklearn, xgboost' 2>/dev/null; then
  echo "installing Debian python3-sklearn and python3-xgboost"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-sklearn python3-xgboost >/dev/null
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 1; }

echo "generating the data (gbdttest.SyntheticMatrix, 1M x 40, seed 1)"
go run ./train/gbdt/internal/gensynth -rows 1000000 -seed 1 -o "$tmp/synth.bin"
go test -c -o "$tmp/gbdt.test" ./train/gbdt/

rss() { awk -F': ' '/Maximum resident set size/{printf "%.2f", $2/1048576}' "$1"; }

for r in $(seq 1 "$runs"); do
  echo "== run $r of $runs (load average $(cut -d' ' -f1 /proc/loadavg))"
  for v in depth6 leaves31; do
    /usr/bin/time -v "$tmp/gbdt.test" -test.run '^$' -test.bench "BenchmarkTrain1Mx40/$v\$" -test.benchtime 1x \
      > "$tmp/ours.out" 2> "$tmp/ours.time"
    s=$(awk '/BenchmarkTrain1Mx40/{for(i=1;i<=NF;i++) if($(i+1)=="s/op") print $i}' "$tmp/ours.out")
    printf '  %-32s %8.2f s   peak RSS %s GiB\n' "leadscore gbdt $v" "$s" "$(rss "$tmp/ours.time")"
  done
  OMP_WAIT_POLICY=PASSIVE /usr/bin/time -v /usr/bin/python3 train/gbdt/testdata/peers_bench.py "$tmp/synth.bin" \
    > "$tmp/peers.out" 2> "$tmp/peers.time" || { cat "$tmp/peers.out" "$tmp/peers.time"; exit 1; }
  sed -n 's/^\(sklearn-hgb[^:]*\|xgboost[^:]*\): train \([0-9.]*\) s wall.*/  \1|\2/p' "$tmp/peers.out" |
    while IFS='|' read -r name secs; do printf '  %-32s %8.2f s\n' "$name" "$secs"; done
  echo "  (peers' peak RSS for the whole Python process: $(rss "$tmp/peers.time") GiB)"
done
