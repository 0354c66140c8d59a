#!/usr/bin/env bash
# bench-serve: our gRPC server against the do-nothing gRPC ceiling
# (../shared/grpc-ceiling), measured in the same run, alternating.
#
# Model: the benchmark model of predict/bench_test.go (GBDT, 300 trees of
# depth 6, 40 features), served by `leadscore serve`. Our load generator is
# cmd/bench-serve-client (leadscore.v1 proto, a lead with the 40 attributes
# and no events, the counterpart of the ceiling's item of 40 doubles); the
# ceiling's is its own loadgen.
# For each of RUNS rounds, alternating: ceiling unary c=32, ours unary c=32,
# ceiling unary c=64, ours unary c=64, ceiling batch100 c=32, ours
# PredictBatch 100 leads c=32 as Lead messages, then as one LeadTable; and
# ours with 50 events per lead (unary c=32, batch of 100 as a table),
# labelled "-ev50", compared with the ceiling's event-less requests. Every run is bounded (DUR s, at most 120),
# only 127.0.0.1 is targeted, and both servers are killed on exit.
#
# Each line is annotated as in the ceiling's run_bench.sh: own= (share of
# the machine used by server + client), machine= (used by everything; own
# well below machine means someone else was busy), srv_us/call (server CPU
# µs per call, the contention-robust figure).
# With BASE=<another checkout of leadscore> (e.g. a copy of the tree before
# a change), that tree's `leadscore serve` is built too, serves the same
# model, and every "ours" load is also measured against it right after
# ("base-…" lines), so a change is judged against its baseline in one run.
# Usage: [BASE=dir] scripts/bench-serve.sh [DUR_SECONDS] [RUNS]   (defaults 10, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
RUNS=${2:-3}
QUIET_WAIT=${QUIET_WAIT:-60}
CEILING=${CEILING:-$(cd .. && pwd)/shared/grpc-ceiling}
if [ "$DUR" -gt 120 ]; then echo "DUR is capped at 120 s" >&2; exit 2; fi
if [ ! -d "$CEILING/cmd/server" ]; then echo "the gRPC ceiling harness is missing: $CEILING" >&2; exit 1; fi
CEIL_ADDR=127.0.0.1:50061
OUR_ADDR=127.0.0.1:50062
BASE_ADDR=127.0.0.1:50063
BASE=${BASE:-}
TMP=$(mktemp -d)
CPID="" OPID="" BPID=""
cleanup() {
  for p in $CPID $OPID $BPID; do kill "$p" 2>/dev/null || true; done
  for p in $CPID $OPID $BPID; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# building leadscore, bench-serve-client, and the ceiling's server and loadgen (from $CEILING)"
go build -o "$TMP/leadscore" ./cmd/leadscore
go build -o "$TMP/client" ./cmd/bench-serve-client
if [ -n "$BASE" ]; then (cd "$BASE" && go build -o "$TMP/leadscore-base" ./cmd/leadscore); fi
(cd "$CEILING" && go build -o "$TMP/ceiling-server" ./cmd/server && go build -o "$TMP/loadgen" ./cmd/loadgen)
echo "# training the benchmark model (300 trees, depth 6, 40 features) into $TMP/models"
go test -count 1 -run '^$' -bench 'BenchmarkArtifactPredictLead/no_reasons' -benchtime 1x ./predict/ -args -bench-model-out "$TMP/models" > "$TMP/train.log" 2>&1 ||
  { cat "$TMP/train.log"; exit 1; }

"$TMP/ceiling-server" -addr "$CEIL_ADDR" -max-lifetime 30m 2>/dev/null &
CPID=$!
"$TMP/leadscore" serve --models "$TMP/models" --addr "$OUR_ADDR" --metrics-addr "" --poll 1h > "$TMP/serve.log" 2>&1 &
OPID=$!
for _ in $(seq 1 100); do
  grep -q "serving on" "$TMP/serve.log" 2>/dev/null && break
  kill -0 "$OPID" 2>/dev/null || { cat "$TMP/serve.log"; exit 1; }
  sleep 0.1
done
grep "serving on" "$TMP/serve.log" || { echo "leadscore serve did not start" >&2; cat "$TMP/serve.log"; exit 1; }
if [ -n "$BASE" ]; then
  "$TMP/leadscore-base" serve --models "$TMP/models" --addr "$BASE_ADDR" --metrics-addr "" --poll 1h > "$TMP/base.log" 2>&1 &
  BPID=$!
  for _ in $(seq 1 100); do
    grep -q "serving on" "$TMP/base.log" 2>/dev/null && break
    kill -0 "$BPID" 2>/dev/null || { cat "$TMP/base.log"; exit 1; }
    sleep 0.1
  done
  grep "serving on" "$TMP/base.log" || { echo "the baseline's leadscore serve did not start" >&2; cat "$TMP/base.log"; exit 1; }
fi

NCPU=$(nproc)
TCK=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
wait_quiet() { # until the machine is <10% busy over one second, at most QUIET_WAIT s
  local waited=0 b0 b1
  while :; do
    b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
    if [ $(( (b1 - b0) * 100 / (TCK * NCPU) )) -lt 10 ]; then return 0; fi
    waited=$((waited + 1))
    if [ $waited -ge "$QUIET_WAIT" ]; then echo "# note: machine still busy after ${QUIET_WAIT}s, measuring anyway"; return 0; fi
  done
}
# measure LABEL SERVER_PID CMD...: one bounded client run, annotated.
measure() {
  local label=$1 spid=$2; shift 2
  wait_quiet
  local s0 m0 s1 m1 t0 t1 out
  s0=$(proc_ticks "$spid"); m0=$(busy_ticks); t0=$(date +%s%N)
  out=$( { /usr/bin/time -f "__CPU %U %S" "$@" ; } 2>&1 ) || true
  t1=$(date +%s%N); s1=$(proc_ticks "$spid"); m1=$(busy_ticks)
  local line; line=$(echo "$out" | grep -E '^(loadgen|leadscore) ' | tail -1)
  if [ -z "$line" ]; then echo "$label FAILED: $out"; return 0; fi
  local ccpu; ccpu=$(echo "$out" | awk '/^__CPU/{print $2+$3}')
  local calls; calls=$(echo "$line" | sed -n 's/.*total=\([0-9]*\).*/\1/p')
  printf '%s %s' "$label" "$(echo "$line" | sed 's/ total=[0-9]*//')"
  awk -v s=$(( s1 - s0 )) -v c="$ccpu" -v a="$t0" -v b="$t1" -v m=$(( m1 - m0 )) \
      -v n="$NCPU" -v tck="$TCK" -v k="$calls" 'BEGIN{
        w=(b-a)/1e9; scpu=s/tck;
        printf " own=%d%% machine=%d%%", 100*(scpu+c)/(w*n), 100*(m/tck)/(w*n);
        if (k > 0) printf " srv_us/call=%.1f all_us/call=%.1f", 1e6*scpu/k, 1e6*(scpu+c)/k;
        printf "\n" }'
}

RES="$TMP/results.txt"
echo "# $(date -u +%FT%TZ) ${NCPU} cores, $(go version | cut -d' ' -f3), DUR=${DUR}s, RUNS=${RUNS}"
for r in $(seq 1 "$RUNS"); do
  echo "## round $r"
  for c in 32 64; do
    measure "ceiling-unary-c$c" "$CPID" "$TMP/loadgen" -addr "$CEIL_ADDR" -mode unary -c "$c" -duration "${DUR}s" | tee -a "$RES"
    measure "ours-unary-c$c" "$OPID" "$TMP/client" -addr "$OUR_ADDR" -mode unary -c "$c" -duration "${DUR}s" | tee -a "$RES"
    if [ -n "$BASE" ]; then measure "base-unary-c$c" "$BPID" "$TMP/client" -addr "$BASE_ADDR" -mode unary -c "$c" -duration "${DUR}s" | tee -a "$RES"; fi
  done
  measure "ceiling-batch100-c32" "$CPID" "$TMP/loadgen" -addr "$CEIL_ADDR" -mode batch -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"
  measure "ours-batch100-c32" "$OPID" "$TMP/client" -addr "$OUR_ADDR" -mode batch -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"
  if [ -n "$BASE" ]; then measure "base-batch100-c32" "$BPID" "$TMP/client" -addr "$BASE_ADDR" -mode batch -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"; fi
  measure "ours-table100-c32" "$OPID" "$TMP/client" -addr "$OUR_ADDR" -mode batch -table -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"
  if [ -n "$BASE" ]; then measure "base-table100-c32" "$BPID" "$TMP/client" -addr "$BASE_ADDR" -mode batch -table -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"; fi
  measure "ours-unary-c32-ev50" "$OPID" "$TMP/client" -addr "$OUR_ADDR" -mode unary -events 50 -c 32 -duration "${DUR}s" | tee -a "$RES"
  if [ -n "$BASE" ]; then measure "base-unary-c32-ev50" "$BPID" "$TMP/client" -addr "$BASE_ADDR" -mode unary -events 50 -c 32 -duration "${DUR}s" | tee -a "$RES"; fi
  measure "ours-table100-c32-ev50" "$OPID" "$TMP/client" -addr "$OUR_ADDR" -mode batch -table -events 50 -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"
  if [ -n "$BASE" ]; then measure "base-table100-c32-ev50" "$BPID" "$TMP/client" -addr "$BASE_ADDR" -mode batch -table -events 50 -batch 100 -c 32 -duration "${DUR}s" | tee -a "$RES"; fi
done

echo
echo "## medians over $RUNS rounds (items/s; srv_us/call = server CPU µs per call)"
awk '
  function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  / FAILED/ { next }
  { lab = $1; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    k = ++n[lab]; items[lab, k] = v["items/s"]; us[lab, k] = v["srv_us/call"]; p50[lab, k] = v["p50"] + 0; errs[lab] += v["errs"] }
  END {
    printf "%-22s %14s %14s %7s %12s %12s %10s %10s %6s\n", "load (ours vs ceiling)", "ceiling items/s", "ours items/s", "ours/ceil", "ceil srv_us", "ours srv_us", "ceil p50", "ours p50", "errs"
    split("unary-c32 unary-c64 batch100-c32 table100-c32 unary-c32-ev50 table100-c32-ev50", loads, " ")
    split("unary-c32 unary-c64 batch100-c32 batch100-c32 unary-c32 batch100-c32", ceils, " ")
    for (L = 1; L <= 6; L++) {
      c = "ceiling-" ceils[L]; o = "ours-" loads[L]
      for (k = 1; k <= n[c]; k++) { a1[k] = items[c, k]; a2[k] = us[c, k]; a3[k] = p50[c, k] }
      ci = med(a1, n[c]); cu = med(a2, n[c]); cp = med(a3, n[c])
      for (k = 1; k <= n[o]; k++) { a1[k] = items[o, k]; a2[k] = us[o, k]; a3[k] = p50[o, k] }
      oi = med(a1, n[o]); ou = med(a2, n[o]); op = med(a3, n[o])
      printf "%-22s %14.0f %14.0f %6.0f%% %12.1f %12.1f %8.2fms %8.2fms %6d\n", loads[L], ci, oi, (ci > 0 ? 100 * oi / ci : 0), cu, ou, cp, op, errs[o]
    }
  }' "$RES"
if [ -n "$BASE" ]; then
  echo
  echo "## ours vs the baseline $BASE, medians over $RUNS rounds"
  awk '
    function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    / FAILED/ { next }
    { lab = $1; for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      k = ++n[lab]; items[lab, k] = v["items/s"]; us[lab, k] = v["srv_us/call"]; all[lab, k] = v["all_us/call"] }
    END {
      printf "%-22s %14s %14s %8s %12s %12s %12s %12s\n", "load", "base items/s", "ours items/s", "ours/base", "base srv_us", "ours srv_us", "base all_us", "ours all_us"
      split("unary-c32 unary-c64 batch100-c32 table100-c32 unary-c32-ev50 table100-c32-ev50", loads, " ")
      for (L = 1; L <= 6; L++) {
        b = "base-" loads[L]; o = "ours-" loads[L]
        for (k = 1; k <= n[b]; k++) { a1[k] = items[b, k]; a2[k] = us[b, k]; a3[k] = all[b, k] }
        bi = med(a1, n[b]); bu = med(a2, n[b]); ba = med(a3, n[b])
        for (k = 1; k <= n[o]; k++) { a1[k] = items[o, k]; a2[k] = us[o, k]; a3[k] = all[o, k] }
        oi = med(a1, n[o]); ou = med(a2, n[o]); oa = med(a3, n[o])
        printf "%-22s %14.0f %14.0f %7.0f%% %12.1f %12.1f %12.1f %12.1f\n", loads[L], bi, oi, (bi > 0 ? 100 * oi / bi : 0), bu, ou, ba, oa
      }
    }' "$RES"
fi
echo "bars: unary ours/ceiling >= 70%; PredictBatch(100) >= 300000 leads/s (-ev50 rows: 50 events per lead, not the bar's request)"
