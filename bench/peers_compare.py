#!/usr/bin/env python3
"""Compares exfilguard's Sigma hits with Chainsaw's and Hayabusa's (bench/peers.sh).

    python3 bench/peers_compare.py DIR

DIR holds exfilguard.jsonl and, when present, chainsaw.jsonl and hayabusa.jsonl.
A hit is keyed by (rule title, file, event time to the millisecond) with
Chainsaw, which ran the same rule files, and by (rule title, event time) with
Hayabusa, whose output has no file and whose rules are its own conversion of
SigmaHQ. Counts are multisets: the same key twice counts twice.
"""

import collections
import json
import os
import sys


def millis(ts):
    """An ISO or Hayabusa time as 'YYYY-MM-DDTHH:MM:SS.mmm' (both tools print UTC)."""
    ts = ts.replace(" ", "T", 1)
    return ts[:23] if "." in ts[:20] else ts[:19] + ".000"


def json_records(path):
    """Every JSON value in a file; a truncated last record is reported, not fatal."""
    text = open(path, encoding="utf-8").read()
    decoder = json.JSONDecoder(strict=False)
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            record, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            print(f"  {os.path.basename(path)}: truncated record at byte {pos}, ignored")
            return
        yield record


def exfilguard_hits(path, with_file):
    hits = collections.Counter()
    for d in json_records(path):
        if d.get("kind") != "alert":
            continue
        records = d.get("evidence", {}).get("records", [])
        where = records[0]["file"] if records and with_file else ""
        hits[(d["rule.name"], where, millis(d["@timestamp"]))] += 1
    return hits


def chainsaw_hits(path):
    hits = collections.Counter()
    for d in json_records(path):
        documents = [d["document"]] if "document" in d else d.get("documents", [])
        for doc in documents:
            system = doc["data"]["Event"]["System"]
            when = system["TimeCreated_attributes"]["SystemTime"]
            hits[(d["name"], doc["path"], millis(when))] += 1
    return hits


def hayabusa_hits(path):
    hits = collections.Counter()
    for d in json_records(path):
        hits[(d["RuleTitle"], "", millis(d["Timestamp"]))] += 1
    return hits


def by_rule(counter, top=12):
    rules = collections.Counter()
    for (title, _, _), n in counter.items():
        rules[title] += n
    return ", ".join(f"{title} ({n})" for title, n in rules.most_common(top))


def compare(name, ours, theirs):
    both = ours & theirs
    print(
        f"  hits: exfilguard {sum(ours.values())}, {name} {sum(theirs.values())}, "
        f"both {sum(both.values())}, only exfilguard {sum((ours - theirs).values())}, "
        f"only {name} {sum((theirs - ours).values())}"
    )
    print(f"  only {name}, by rule: {by_rule(theirs - ours)}")
    print(f"  only exfilguard, by rule: {by_rule(ours - theirs)}")


def main():
    folder = sys.argv[1]
    ours = os.path.join(folder, "exfilguard.jsonl")
    chainsaw = os.path.join(folder, "chainsaw.jsonl")
    hayabusa = os.path.join(folder, "hayabusa.jsonl")
    if os.path.exists(chainsaw):
        print("== exfilguard vs Chainsaw (rule title, file, time)")
        compare("chainsaw", exfilguard_hits(ours, True), chainsaw_hits(chainsaw))
    if os.path.exists(hayabusa):
        print("== exfilguard vs Hayabusa (rule title, time)")
        compare("hayabusa", exfilguard_hits(ours, False), hayabusa_hits(hayabusa))


if __name__ == "__main__":
    main()
