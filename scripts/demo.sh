#!/usr/bin/env bash
# The leadscore demo behind `make run`: generate a synthetic lead history,
# describe it, write a starting feature spec, train, score offline, serve,
# score sample leads over gRPC, and write the quarterly calibration report.
# The server is left running at the end (its pid and how to stop it are
# printed); a second run stops the first run's server.
# Usage: scripts/demo.sh LEADSCORE_BINARY DEMO_DIR LEADS QUARTERS SEED
set -euo pipefail
bin=$1 dir=$2 leads=$3 quarters=$4 seed=$5
addr=${DEMO_ADDR:-127.0.0.1:50051}
metrics=${DEMO_METRICS_ADDR:-127.0.0.1:9090}
mkdir -p "$dir"
h="$dir/history"

step() { printf '\n==> %s\n' "$*"; }

if [ -f "$dir/server.pid" ]; then
  kill "$(cat "$dir/server.pid")" 2>/dev/null || true
  rm -f "$dir/server.pid"
  sleep 1
fi
rm -rf "$dir/models" "$dir/predictions" "$dir/report"

step "generate a synthetic history of $leads leads over $quarters quarters (seed $seed)"
"$bin" gen --leads "$leads" --quarters "$quarters" --seed "$seed" --out "$h"

step "describe the leads table"
"$bin" data describe --label outcome --time created_at "$h/leads.parquet"

step "write a starting feature spec: $dir/spec.yaml"
"$bin" spec infer --data "$h/leads.parquet" --events "$h/events.parquet" --out "$dir/spec.yaml"

step "train: out of time (newest quarter tests), per product line, rules calibrated on the same history"
echo "    (amount is recorded only for won deals and sales_calls at close: the leakage guard"
echo "     flags both, so they are excluded, as a data team would after reading its warnings)"
"$bin" train --data "$h/leads.parquet" --events "$h/events.parquet" --spec "$dir/spec.yaml" \
  --exclude amount,sales_calls --segment-by product_line --rules model/rules/testdata/default_rules.yaml \
  --out "$dir/models/leads" 2> "$dir/train.log"

step "inspect the model artifact"
"$bin" model inspect --top 6 "$dir/models/leads"

step "score every lead offline, with account roll-ups"
"$bin" score --models "$dir/models" --data "$h/leads.parquet" --events "$h/events.parquet" \
  --out "$dir/scores.parquet" --accounts "$dir/accounts.parquet"

step "serve over gRPC on $addr (metrics on http://$metrics/metrics)"
"$bin" serve --models "$dir/models" --addr "$addr" --metrics-addr "$metrics" \
  --log-dir "$dir/predictions" --shadow > "$dir/server.log" 2>&1 &
echo $! > "$dir/server.pid"
for _ in $(seq 1 50); do
  grep -q "serving on" "$dir/server.log" 2>/dev/null && break
  if ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then cat "$dir/server.log"; exit 1; fi
  sleep 0.2
done
grep "serving on" "$dir/server.log"

step "score the newest open leads through gRPC (examples/client)"
go run ./examples/client --addr "$addr" --spec "$dir/spec.yaml" \
  --leads "$h/leads.parquet" --events "$h/events.parquet" --n 5

step "the quarterly calibration report for the newest quarter"
"$bin" report --outcomes "$h/leads.parquet" --scores "$dir/scores.parquet" \
  --segment-by product_line,source --target-rate 0.25 --out "$dir/report"

printf '\nThe server is still running (pid %s, %s). Stop it with: kill %s\n' \
  "$(cat "$dir/server.pid")" "$addr" "$(cat "$dir/server.pid")"
printf 'Open the report: %s\n' "$(cd "$dir/report" && pwd)/index.html"
