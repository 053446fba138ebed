#!/bin/sh
# Reader throughput: EVTX events/s and MB/s over the public EVTX samples, the same
# rendered as Windows event XML, Zeek conn
# records/s over a large conn log made from the public Zeek samples, Suricata EVE
# records/s over the public EVE sample repeated, and peak RSS.
# Usage: bench/sources.sh [SHARED_DATA_DIR]   (default ../shared/data)
# Figures go to docs/BENCHMARKS.md, section "Sources".
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
if [ ! -d "$DATA/evtx" ]; then
    echo "no sample data at $DATA: pass the shared data folder" >&2
    exit 1
fi
cargo build --release -p sources --example sources_bench >/dev/null
BIN=target/release/examples/sources_bench
TIME=""
if /usr/bin/time -f %M true 2>/dev/null; then TIME="/usr/bin/time -f peak_rss_kb=%M"; fi
run() { echo "\$ $*"; $TIME "$@"; }

echo "## EVTX ($DATA/evtx)"
run $BIN evtx-floor "$DATA/evtx"
run $BIN read "$DATA/evtx"
run $BIN replay 1 "$DATA/evtx"
run $BIN replay 2 "$DATA/evtx"

# Windows event XML: the same EVTX corpus rendered as XML text (events one after
# another, as `wevtutil qe /f:xml` writes them), one file per EVTX file.
XML=$(mktemp -d)
$BIN evtx-to-xml "$XML" "$DATA/evtx" >/dev/null
echo "## Windows event XML ($(du -m -s "$XML" | cut -f1) MB, the EVTX corpus rendered)"
run $BIN read "$XML"
rm -rf "$XML"

# A Zeek conn log of ~2.2M records: the data lines of a real 24 h conn log, repeated
# 400 times with each copy shifted by a day (so time keeps going forward).
CONN=$(mktemp -d)/conn.log
SRC="$DATA/zeek-stratosphere/008-normal-day1/conn.log.labeled"
grep '^#' "$SRC" | grep -v '^#close' > "$CONN"
DATA_LINES=$(mktemp)
grep -v '^#' "$SRC" > "$DATA_LINES"
awk -F'\t' -v OFS='\t' '{ line[NR] = $0 } END {
    for (k = 0; k < 400; k++) for (n = 1; n <= NR; n++) {
        split(line[n], f, "\t"); f[1] = sprintf("%.6f", f[1] + k * 86400)
        out = f[1]; for (c = 2; c in f; c++) out = out OFS f[c]; print out
    } }' "$DATA_LINES" >> "$CONN"
rm -f "$DATA_LINES"
echo "## Zeek conn ($(wc -l < "$CONN") lines, $(du -m "$CONN" | cut -f1) MB)"
run $BIN read "$CONN"
run $BIN replay 1 "$CONN"
run $BIN replay 2 "$CONN"
rm -rf "$(dirname "$CONN")"

# Suricata EVE JSON: the public sample (4,668 records of flow, DNS, HTTP, TLS,
# alert and other types) repeated 50 times.
EVE_SRC="$DATA/flows/slips-suricata/test6-malicious.suricata.json"
if [ -f "$EVE_SRC" ]; then
    EVE=$(mktemp -d)/eve.json
    for _ in $(seq 50); do cat "$EVE_SRC"; done > "$EVE"
    echo "## Suricata EVE ($(wc -l < "$EVE") lines, $(du -m "$EVE" | cut -f1) MB)"
    run $BIN read "$EVE"
    rm -rf "$(dirname "$EVE")"
fi

# FortiGate traffic records (FortiOS key=value, as the firewall sends them to a
# syslog server): 200,000 generated sessions of 20 hosts to 4 destinations.
FGT=$(mktemp -d)/fortigate.log
awk 'BEGIN { srand(2); for (i = 0; i < 200000; i++) {
    t = 1795392000 + i * 3; h = 10 + i % 20; d = i % 4
    printf "<189>date=%s time=%s devname=\"FGT60E\" logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" tz=\"+0000\" srcip=10.1.1.%d srcport=%d dstip=198.51.100.%d dstport=443 proto=6 action=\"close\" service=\"HTTPS\" duration=%d sentbyte=%d rcvdbyte=%d\n",
        strftime("%Y-%m-%d", t, 1), strftime("%H:%M:%S", t, 1), h, 40000 + i % 20000, d + 1,
        1 + i % 60, 2000 + int(rand() * 200000), 10000 + int(rand() * 2000000) } }' > "$FGT"
echo "## FortiGate ($(wc -l < "$FGT") lines, $(du -m "$FGT" | cut -f1) MB)"
run $BIN read "$FGT"
rm -rf "$(dirname "$FGT")"
