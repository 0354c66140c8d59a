#!/usr/bin/env bash
# The leadscore demo behind `make run`: generate a synthetic lead history,
# describe it, write a starting feature spec, train, serve, score sample
# leads over gRPC, and write the quarterly calibration report.
# Usage: scripts/demo.sh LEADSCORE_BINARY DEMO_DIR LEADS QUARTERS SEED
set -euo pipefail
bin=$1 dir=$2 leads=$3 quarters=$4 seed=$5
mkdir -p "$dir"

step() { printf '\n==> %s\n' "$*"; }

step "generate a synthetic history of $leads leads over $quarters quarters"
"$bin" gen --leads "$leads" --quarters "$quarters" --seed "$seed" --out "$dir/history"

step "describe the leads table"
"$bin" data describe --label outcome --time created_at "$dir/history/leads.parquet"
