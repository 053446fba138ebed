#!/usr/bin/env bash
# Sigma engine figures on the shared sample data (docs/BENCHMARKS.md, "Sigma").
#
#   bench/sigma.sh [SHARED_DATA_DIR]      (default: ../shared/data)
#
# 1. conformance: every SigmaHQ rule lints, every regression sample fires its rule
#    (EVTX and JSON twin), the prefilter gives the exhaustive answer;
# 2. matching alone: all SigmaHQ rules, the EVTX corpus parsed in memory, one
#    thread: events per CPU-second, then criterion's wall-time figures;
# 3. peak RSS of that run.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(realpath "${1:-../shared/data}")"
[ -d "$data/sigmahq" ] || { echo "no SigmaHQ data under $data; nothing to measure"; exit 0; }
export EXFILGUARD_SIGMAHQ="$data/sigmahq" EXFILGUARD_SHARED_DATA="$data"
cargo test -p sigma --test sigmahq -- --nocapture 2>&1 | grep -E "lint:|regression|same answer|miss|test result"
cargo bench -p sigma --bench matcher --no-run
bin=$(ls -t target/release/deps/matcher-* | grep -v '\.d$' | head -1)
/usr/bin/time -f "peak RSS: %M KiB, %U s user, %e s wall" "$bin" --bench nothing_selected
"$bin" --bench --warm-up-time 1 --measurement-time 6 2>&1 | grep -E "time:|thrpt:|^sigmahq"
