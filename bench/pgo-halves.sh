#!/usr/bin/env bash
# Splits the public EVTX corpus into two halves that share no file, to measure
# a profile-guided build (bench/pgo.sh) on logs it was not trained on. A file
# goes to `train` or `test` by the first hex digit of the MD5 of its path
# under ../shared/data (0-7: train), so the split is the same on any machine.
# Each half is laid out as ../shared/data is (evtx/ of symbolic links, and
# sigmahq/ linked), for `exfilguard hunt OUT/train/evtx` and `match_profile`.
#
#   bash bench/pgo-halves.sh [SHARED] [OUT]     # defaults: ../shared/data /tmp/exfilguard-halves
set -euo pipefail
shared=$(realpath "${1:-../shared/data}")
out=${2:-/tmp/exfilguard-halves}
rm -rf "$out/train" "$out/test"
mkdir -p "$out/train/evtx" "$out/test/evtx"
(cd "$shared" && find evtx -name '*.evtx' | sort) | while read -r path; do
  case $(printf '%s' "$path" | md5sum | cut -c1) in
    [0-7]) half=train ;;
    *) half=test ;;
  esac
  ln -s "$shared/$path" "$out/$half/evtx/$(printf '%s' "$path" | tr / _)"
done
for half in train test; do
  ln -s "$shared/sigmahq" "$out/$half/sigmahq"
  echo "$half: $(ls "$out/$half/evtx" | wc -l) files in $out/$half" >&2
done
