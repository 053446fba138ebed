#!/usr/bin/env bash
# Sigma matching alone, as instructions an event: a figure that does not move
# with the machine's load (docs/BENCHMARKS.md, "Sigma"). Wall-clock rounds on
# a shared 2-core VM swing 1.7x from day to day; callgrind's instruction count
# of the same binary on the same data is the same on every run.
#
#   bench/match-instructions.sh [SHARED_DATA_DIR]      (default: ../shared/data)
#
# Runs the `match_profile` example over the EVTX corpus with SigmaHQ's Windows
# rules (`WINDOWS=1`), each event read just before it is matched (`HOT=1`),
# three passes, under callgrind, counting only the matching (`hot_match`). With
# HOT=1 the example also runs its batch passes, so six passes are counted.
# Needs valgrind (Debian: `apt-get install valgrind`). Valgrind does not run
# AVX-512 code and hides it from the program, so the count is of the AVX2
# scans even on a CPU with AVX-512 (where the literal filter reads 64 bytes
# a block): judge that scan by time, in alternating rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(realpath "${1:-../shared/data}")"
[ -d "$data/sigmahq" ] || { echo "no SigmaHQ data under $data; nothing to measure"; exit 0; }
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
cargo build --release -p sigma --example match_profile 2>/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
WINDOWS=1 HOT=1 PASSES=3 BATCH=1000000 valgrind --tool=callgrind \
    --callgrind-out-file="$out/callgrind.out" --collect-atstart=no \
    --toggle-collect='*hot_match*' target/release/examples/match_profile "$data" \
    >"$out/profile.log" 2>&1
events=$(awk '/^[0-9]+ events x/ && !seen { print $1; seen = 1 }' "$out/profile.log")
total=$(callgrind_annotate "$out/callgrind.out" 2>/dev/null \
    | awk '/PROGRAM TOTALS/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')
passes=6
echo "events: $events, passes counted: $passes, instructions: $total"
awk -v t="$total" -v e="$events" -v p="$passes" \
    'BEGIN { printf "matching alone: %.0f instructions an event (three passes: %.1fM)\n", t / (e * p), t / 2e6 }'
