#!/usr/bin/env bash
# A profile-guided (PGO) release build of exfilguard. An instrumented build
# hunts training logs and counts which branches and calls the code takes; LLVM
# merges the counts; a second release build lays out and inlines the code by
# them. Trained on half of the public EVTX corpus, it hunted the other half in
# 0.89x the plain build's CPU time, and matched Sigma rules alone 1.08x as fast
# (docs/BENCHMARKS.md, section Sigma, "Update, ninth session"). The plain
# `cargo build --release` stays the default: this is for release binaries and
# for benchmarks. Paths may be relative to where it is run from.
#
#   bash bench/pgo.sh [LOGS...] [-- HUNT OPTIONS...]
#
#   LOGS           what to train on: files or folders `exfilguard hunt` reads
#                  (default: examples/ with examples/exfilguard.toml). Train on
#                  logs like the ones you will hunt; a profile of one kind of
#                  log speeds up the code that kind uses.
#   HUNT OPTIONS   passed to each training hunt (`--rules DIR`, `--no-analytics`).
#
#   PGO_TARGET     where the optimized build goes (default target/pgo): the
#                  binary is $PGO_TARGET/release/exfilguard.
#   PGO_BENCH_DATA a folder laid out as ../shared/data (evtx/, sigmahq/): the
#                  Sigma benchmark example (`match_profile`) is trained on it
#                  too and built with the profile, as
#                  $PGO_TARGET/release/examples/match_profile. Its own loop
#                  needs counts of its own: built with the hunts' profile
#                  alone it measured slower than the plain build.
#
# Needs rustc's own llvm-profdata (rustup's `llvm-tools` component); when it
# is missing the script adds the component, which needs the network once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

logs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  logs+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
hunt_options=("$@")
if [ ${#logs[@]} -eq 0 ]; then
  logs=("$root/examples/")
  [ ${#hunt_options[@]} -eq 0 ] && hunt_options=(--config "$root/examples/exfilguard.toml")
fi

host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "pgo: llvm-profdata missing; adding rustup's llvm-tools component" >&2
  rustup component add llvm-tools
fi

gen_target=$(realpath -m "${PGO_GEN_TARGET:-$root/target/pgo-gen}")
use_target=$(realpath -m "${PGO_TARGET:-$root/target/pgo}")
counts="$gen_target/counts"
merged="$gen_target/merged.profdata"
build() { cargo build --manifest-path "$root/Cargo.toml" --release "$@"; }

echo "pgo: instrumented build ($gen_target)" >&2
RUSTFLAGS="-Cprofile-generate=$counts" CARGO_TARGET_DIR="$gen_target" build -p exfilguard

rm -rf "$counts"
if [ -n "${PGO_BENCH_DATA:-}" ]; then
  RUSTFLAGS="-Cprofile-generate=$counts" CARGO_TARGET_DIR="$gen_target" \
    build -p sigma --example match_profile
  echo "pgo: training the Sigma benchmark on $PGO_BENCH_DATA" >&2
  WINDOWS=1 HOT=1 PASSES=2 "$gen_target/release/examples/match_profile" "$PGO_BENCH_DATA" >/dev/null
fi
for log in "${logs[@]}"; do
  echo "pgo: training on $log ${hunt_options[*]}" >&2
  status=0
  "$gen_target/release/exfilguard" hunt "$log" -q --format jsonl "${hunt_options[@]}" >/dev/null || status=$?
  # 1 is a finished hunt with incidents to escalate; more is a failure.
  if [ "$status" -gt 1 ]; then
    echo "pgo: the training hunt of $log failed (exit $status)" >&2
    exit "$status"
  fi
done
"$profdata" merge -o "$merged" "$counts"
# Named by its content: cargo rebuilds when the flags change, not when the
# file a flag names does, so a new profile gets a new name.
profile="$gen_target/profile-$(sha256sum "$merged" | cut -c1-16).profdata"
cp "$merged" "$profile"

echo "pgo: optimized build ($use_target)" >&2
use_flags="-Cprofile-use=$profile -Cllvm-args=-pgo-warn-missing-function=false"
RUSTFLAGS="$use_flags" CARGO_TARGET_DIR="$use_target" build -p exfilguard
if [ -n "${PGO_BENCH_DATA:-}" ]; then
  RUSTFLAGS="$use_flags" CARGO_TARGET_DIR="$use_target" \
    build -p sigma --example match_profile
fi
echo "pgo: built $use_target/release/exfilguard" >&2
