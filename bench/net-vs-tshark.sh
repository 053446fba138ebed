#!/usr/bin/env bash
# Compares the TCP and UDP flows `exfilguard flows` rebuilds with tshark's
# conversation statistics (`tshark -q -z conv,tcp`, `conv,udp`) on every capture given (default: the public
# captures in ../shared/data/pcap): frames and bytes each way per address/port
# pair, after summing connections that reuse the same pair.
#
# tshark 4.0 prints conv byte counts rounded with units ("24 kB"), so the exact
# byte check uses tshark's own per-frame lengths (`-T fields -e frame.len`),
# aggregated the same way; frames are taken from conv,tcp. A pair passes when
# frames and bytes each way are within 1%.
#
# Usage: bench/net-vs-tshark.sh [CAPTURE...]   (needs tshark and python3)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
exe="${EXFILGUARD:-$here/target/release/exfilguard}"
[ -x "$exe" ] || exe="$here/target/debug/exfilguard"
if [ "$#" -eq 0 ]; then
  shared="$here/../shared/data/pcap"
  [ -d "$shared" ] || { echo "no captures given and $shared absent: nothing to compare"; exit 0; }
  set -- $(find "$shared" -name '*.pcap' -o -name '*.pcapng' | sort)
fi
command -v tshark >/dev/null || { echo "tshark not installed (apt-get install tshark)"; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
status=0
for cap in "$@"; do
  "$exe" flows --format jsonl "$cap" > "$tmp/ours.jsonl" 2>/dev/null
for proto in tcp udp; do
  tshark -q -z conv,$proto -r "$cap" 2>/dev/null > "$tmp/conv.txt"
  # Non-first IP fragments carry no ports: neither side counts them.
  tshark -r "$cap" -Y "$proto && !icmp && !icmpv6 && !(ip.frag_offset > 0)" -T fields -e ip.src -e ipv6.src -e $proto.srcport \
    -e ip.dst -e ipv6.dst -e $proto.dstport -e frame.len 2>/dev/null > "$tmp/frames.tsv"
  python3 - "$cap" "$tmp/ours.jsonl" "$tmp/conv.txt" "$tmp/frames.tsv" "$proto" <<'PY' || status=1
import json, re, sys
from collections import defaultdict
cap, ours_path, conv_path, frames_path, proto = sys.argv[1:]
def ep(ip, port): return f"{ip}:{port}"
# ours[(a, b)] = [frames a->b, bytes a->b, frames b->a, bytes b->a] with a < b
ours = defaultdict(lambda: [0, 0, 0, 0])
for line in open(ours_path):
    f = json.loads(line)
    if f.get("network.transport") != proto: continue
    s, d = ep(f["source.ip"], f["source.port"]), ep(f["destination.ip"], f["destination.port"])
    row = [f.get("source.packets", 0), f.get("source.frame_bytes", 0), f.get("destination.packets", 0), f.get("destination.frame_bytes", 0)]
    if s > d: s, d, row = d, s, row[2:] + row[:2]
    acc = ours[(s, d)]
    for i in range(4): acc[i] += row[i]
theirs = defaultdict(lambda: [0, 0, 0, 0])
for line in open(frames_path):
    p = line.rstrip("\n").split("\t")
    if len(p) < 7 or not p[6]: continue
    src, dst = ep(p[0] or p[1], p[2]), ep(p[3] or p[4], p[5])
    a, b = (src, dst) if src < dst else (dst, src)
    off = 0 if src == a else 2
    theirs[(a, b)][off] += 1
    theirs[(a, b)][off + 1] += int(p[6].split(",")[0])
conv = defaultdict(lambda: [0, 0])
pat = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s+\S+")
for line in open(conv_path):
    m = pat.match(line)
    if not m: continue
    a, b, to_a, to_b = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
    if a > b: a, b, to_a, to_b = b, a, to_b, to_a
    conv[(a, b)][0] += to_b  # frames a->b
    conv[(a, b)][1] += to_a  # frames b->a
def close(x, y): return abs(x - y) <= max(0.01 * max(x, y), 0)
bad = 0
for key in sorted(set(ours) | set(theirs) | set(conv)):
    o, t, c = ours.get(key, [0]*4), theirs.get(key, [0]*4), conv.get(key, [0, 0])
    ok = all(close(o[i], t[i]) for i in range(4)) and close(o[0], c[0]) and close(o[2], c[1])
    if not ok:
        bad += 1
        print(f"  MISMATCH {key}: ours frames/bytes {o} tshark fields {t} conv frames {c}")
n = len(set(ours) | set(theirs) | set(conv))
if n: print(f"{cap}: {n} {proto.upper()} pairs, {n - bad} within 1% of tshark, {bad} not")
sys.exit(1 if bad else 0)
PY
done
done
exit $status
