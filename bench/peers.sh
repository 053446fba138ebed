#!/usr/bin/env bash
# exfilguard beside Hayabusa, Chainsaw and rsigma on the same EVTX corpus and the
# same SigmaHQ Windows rules (docs/BENCHMARKS.md, "Peers").
#
#   HAYABUSA=/path/to/hayabusa HAYABUSA_RULES=/path/to/hayabusa-rules \
#   CHAINSAW=/path/to/chainsaw CHAINSAW_MAPPING=/path/to/sigma-event-logs-all.yml \
#   RSIGMA=/path/to/rsigma \
#   bench/peers.sh [SHARED_DATA_DIR]             (default: ../shared/data)
#
# EXFILGUARD=path uses that binary instead of building target/release/exfilguard.
# The peers are not built or fetched here: give the paths of binaries you built
# yourself; a peer whose variable is unset is skipped. Each tool runs twice and
# the second run is kept (warm page cache). Figures: wall and CPU seconds and
# peak RSS (/usr/bin/time), and detections. Then the hits are compared, as
# (rule title, file, event time) with Chainsaw (same rule files) and as
# (rule title, event time) with Hayabusa (its own conversion of SigmaHQ), and
# the rules one tool fires on and the other does not are listed.
#
# JSONL per core: the corpus as one flat JSON object per event (what
# tools/sigma-diff --dump writes), run by exfilguard and `rsigma engine eval`
# on one core (taskset -c 0), ten copies of the corpus so rule loading is
# amortised.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(realpath "${1:-../shared/data}")"
[ -d "$data/sigmahq" ] || { echo "no SigmaHQ data under $data; nothing to measure"; exit 0; }
out=target/peers
mkdir -p "$out"; out="$(realpath "$out")"
eg="${EXFILGUARD:-target/release/exfilguard}"
[ -n "${EXFILGUARD:-}" ] || cargo build -q --release -p exfilguard
sq="$data/sigmahq"
rules=(--rules "$sq/rules/windows" --rules "$sq/rules/category" --rules "$sq/rules-threat-hunting/windows"
       --rules "$sq/rules-emerging-threats" --rules "$sq/rules-placeholder/windows")
timed() { # name, command...
  local name=$1; shift
  "$@" >/dev/null 2>&1 || true
  /usr/bin/time -f "$name: %e s wall, %U s user, %S s sys, %M KiB peak" "$@" 2>"$out/$name.time" >/dev/null || true
  tail -1 "$out/$name.time"
}

echo "== EVTX corpus, SigmaHQ Windows rules (windows, category, threat hunting, emerging threats, placeholder)"
timed exfilguard "$eg" hunt "$data/evtx" "${rules[@]}" --no-builtin-rules --no-analytics \
  --format jsonl -q -o "$out/exfilguard.jsonl"
if [ -n "${CHAINSAW:-}" ]; then
  timed chainsaw "$CHAINSAW" hunt "$data/evtx" -s "$sq/rules/windows" -s "$sq/rules/category" -s "$sq/rules-threat-hunting/windows" \
    -s "$sq/rules-emerging-threats" -s "$sq/rules-placeholder/windows" --mapping "$CHAINSAW_MAPPING" \
    --jsonl --skip-errors -q -o "$out/chainsaw.jsonl"
fi
if [ -n "${HAYABUSA:-}" ]; then
  # Hayabusa reads its rules' config from ./rules/config: run it from a folder
  # where rules/ is HAYABUSA_RULES.
  hdir="$out/hayabusa-cwd"; mkdir -p "$hdir"; ln -sfn "$(realpath "$HAYABUSA_RULES")" "$hdir/rules"
  (cd "$hdir" && timed hayabusa "$HAYABUSA" dfir-timeline -d "$data/evtx" -r rules/sigma \
    -w -q -N -Q -K -C -t jsonl -o "$(realpath ..)/hayabusa.jsonl")
fi
python3 bench/peers_compare.py "$out"

if [ -n "${RSIGMA:-}" ]; then
  echo "== JSONL, one core, 10 x the corpus as flat JSON events"
  [ -s "$out/flat-x10.jsonl" ] || {
    cargo build -q --release --manifest-path tools/sigma-diff/Cargo.toml --target-dir target/sigma-diff/build
    target/sigma-diff/build/release/sigma-diff --rules "$sq/rules/windows" --events "$data/evtx" \
      --dump "$out/flat.jsonl" --examples 0 >/dev/null || true
    for _ in $(seq 10); do cat "$out/flat.jsonl"; done >"$out/flat-x10.jsonl"
  }
  timed exfilguard-jsonl-1core taskset -c 0 "$eg" hunt "$out/flat-x10.jsonl" --rules "$sq/rules/windows" \
    --no-builtin-rules --no-analytics --threads 1 --format jsonl -q
  timed rsigma-jsonl-1core taskset -c 0 "$RSIGMA" engine eval -r "$sq/rules/windows" \
    -e "@$out/flat-x10.jsonl" --output-format ndjson
fi
