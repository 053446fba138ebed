#!/usr/bin/env bash
# Differential check of exfilguard's Sigma engine against the rsigma crates
# (docs/sigma.md, "Differential check against rsigma").
#
#   bench/sigma-diff.sh [SHARED_DATA_DIR]      (default: ../shared/data)
#
# Builds tools/sigma-diff (its own workspace: rsigma is never a dependency of
# exfilguard itself) and runs it twice: SigmaHQ's Windows rules over the EVTX
# corpus, and every SigmaHQ rule over the regression suite's samples. Each prints
# the rules on which the engines disagree; the full list goes to
# target/sigma-diff/*.jsonl. Every class of disagreement is explained by a test in
# crates/sigma/tests/differential.rs. Exit status 0 whatever the count: this is a
# report, the tests are the gate.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(realpath "${1:-../shared/data}")"
[ -d "$data/sigmahq" ] || { echo "no SigmaHQ data under $data; nothing to compare"; exit 0; }
out=target/sigma-diff
mkdir -p "$out"
cargo build --release --manifest-path tools/sigma-diff/Cargo.toml --target-dir "$out/build"
bin="$out/build/release/sigma-diff"
rules=()
for tree in rules rules-compliance rules-dfir rules-emerging-threats rules-placeholder rules-threat-hunting; do
  [ -d "$data/sigmahq/$tree" ] && rules+=(--rules "$data/sigmahq/$tree")
done
echo "== SigmaHQ Windows rules over the EVTX corpus"
"$bin" --rules "$data/sigmahq/rules/windows" --events "$data/evtx" --jsonl "$out/evtx.jsonl" || true
echo "== every SigmaHQ rule over the regression samples (EVTX and JSON twins)"
"$bin" "${rules[@]}" --events "$data/sigmahq/regression_data" --jsonl "$out/regression.jsonl" || true
