#!/usr/bin/env bash
# Sigma matching alone, in events per matching second on one core: the
# figure the ">= 1M events/s per core" target is judged by (docs/BENCHMARKS.md,
# "Current figures" and section Sigma).
#
#   bash bench/match-alone.sh [ROUNDS] [SHARED_DATA_DIR] [-- OTHER_BINARY...]
#
#   ROUNDS           rounds to run (default 8)
#   SHARED_DATA_DIR  a folder laid out as ../shared/data (default ../shared/data)
#   OTHER_BINARY     other builds of the `match_profile` example (an older
#                    commit's, a profile-guided one) to run in the same rounds,
#                    each right after this tree's, so that the VM's load,
#                    which moves these figures by up to 1.7x from hour to
#                    hour, falls on all of them alike
#
# Each round runs the example over the EVTX corpus with SigmaHQ's Windows rules
# (`WINDOWS=1`), each event read just before it is matched (`HOT=1`), three
# passes with a fresh scratch each, no cold passes (`COLD=0`), pinned to one
# core (`taskset -c 1`), and reads its "hot events:" figure (the per-event
# clock reading included). Prints every round, then the UTC time, the CPU,
# each binary's median and range, and each other binary's median ratio to
# this tree's build, round by round. The example runs under the CLI's own
# global allocator (the `allocator` crate), so the figure is the product's.
#
# For a figure that does not move with the machine's load, count instructions
# instead: bench/match-instructions.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=8
data=../shared/data
if [ $# -gt 0 ] && [ "$1" != "--" ]; then rounds=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then data=$1; shift; fi
[ "${1:-}" = "--" ] && shift
data="$(realpath "$data")"
[ -d "$data/sigmahq" ] && [ -d "$data/evtx" ] || {
  echo "no SigmaHQ rules or EVTX corpus under $data; nothing to measure"
  exit 0
}
cargo build --release -p sigma --example match_profile 2>/dev/null
binaries=("$PWD/target/release/examples/match_profile" "$@")
for binary in "${binaries[@]}"; do
  [ -x "$binary" ] || { echo "not an executable: $binary"; exit 1; }
done
cores=$(command -v taskset >/dev/null && echo "taskset -c 1" || echo "")
results=$(mktemp)
trap 'rm -f "$results"' EXIT

hot_rate() {
  # shellcheck disable=SC2086
  COLD=0 WINDOWS=1 HOT=1 PASSES=3 $cores "$1" "$data" 2>/dev/null \
    | awk '/^hot events:/ { print $3; found = 1 } END { if (!found) exit 1 }'
}

echo "round  $(printf '%s  ' "${binaries[@]##*/}")"
for round in $(seq "$rounds"); do
  row=()
  for binary in "${binaries[@]}"; do
    rate=$(hot_rate "$binary") || { echo "no figure from $binary"; exit 1; }
    row+=("$rate")
  done
  echo "${row[*]}" >>"$results"
  echo "$round      ${row[*]}"
done

echo "at $(date -u '+%Y-%m-%d %H:%M UTC'), on $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
python3 - "$results" "${binaries[@]}" <<'EOF'
import statistics
import sys

rows = [[int(v) for v in line.split()] for line in open(sys.argv[1]) if line.strip()]
names = sys.argv[2:]
for column, name in enumerate(names):
    values = [row[column] for row in rows]
    line = (f"{name}: median {statistics.median(values):,.0f} events per matching second"
            f" ({min(values):,}-{max(values):,}, {len(values)} rounds)")
    if column > 0:
        ratio = statistics.median(row[column] / row[0] for row in rows)
        line += f"; median ratio to this tree's build {ratio:.3f}"
    print(line)
EOF
