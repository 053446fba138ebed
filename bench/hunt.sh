#!/usr/bin/env bash
# End-to-end timings of the release binary: `exfilguard hunt` over the public EVTX
# corpus (built-in pack; every SigmaHQ Windows rule), over the bundled examples, and
# over a generated Zeek/endpoint set. Needs ../shared/data for the EVTX runs.
#
#   bash bench/hunt.sh            # prints one line per run: wall, user, sys, peak RSS
#
# Build first (or let the script do it): cargo build --release -p exfilguard
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin="$target/release/exfilguard"
[ -x "$bin" ] || cargo build --release -p exfilguard
shared=${SHARED:-../shared/data}
runs=${RUNS:-3}

measure() {
  local label=$1; shift
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "$label: wall %e s, user %U s, sys %S s, peak RSS %M KB" "$@" >/dev/null 2>/tmp/exfilguard-bench.err || true
    tail -1 /tmp/exfilguard-bench.err
  done
}

if [ -d "$shared/evtx" ]; then
  measure "evtx corpus, built-in pack + analytics" "$bin" hunt "$shared/evtx" -q --format jsonl
  measure "evtx corpus, built-in pack, no analytics" "$bin" hunt "$shared/evtx" -q --format jsonl --no-analytics
  measure "evtx corpus, all SigmaHQ windows rules" "$bin" hunt "$shared/evtx" -q --format jsonl --no-builtin-rules --no-analytics --rules "$shared/sigmahq/rules/windows"
  measure "evtx corpus, parse only (events)" "$bin" events "$shared/evtx" --format jsonl -o /dev/null
  measure "load all SigmaHQ rules (rules list)" "$bin" rules list --rules "$shared/sigmahq/rules" --format jsonl
fi
measure "examples/ full hunt" "$bin" hunt examples/ -q --format jsonl

gen=${GEN_DIR:-/tmp/exfilguard-bench-gen}
if [ ! -d "$gen" ]; then
  "$bin" simulate --scenario all --hosts 200 --days 2 --seed 7 --out "$gen" --formats zeek,jsonl >/dev/null
fi
echo "generated set: $(du -sh "$gen" | cut -f1) in $gen"
measure "generated 200 hosts x 2 days, full hunt" "$bin" hunt "$gen" -q --format jsonl
