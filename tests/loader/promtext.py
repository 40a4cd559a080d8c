#!/usr/bin/env python3
"""Strict check of Prometheus' text exposition format (version 0.0.4) as
node_exporter's textfile collector reads it, for the subset mmlctl writes:
counters only, labelled samples, no timestamps.

    promtext.py FILE [--labels node=N,role=R] [--extra reason,code] [--json STATS.json]

Exits 1 with one line per fault. --labels: every sample carries exactly
these labels, and at most one more of those --extra names; --json: every
counter of `mmlctl -j stats` is there as mmlipsec_<name>_total with the same
value, and nothing else is."""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
HELP = re.compile(r"^# HELP (" + NAME + r") ((?:[^\\\n]|\\\\|\\n)*)$")
TYPE = re.compile(r"^# TYPE (" + NAME + r") (counter|gauge|histogram|summary|untyped)$")
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"'
SAMPLE = re.compile(r"^(" + NAME + r")(?:\{((?:" + LABEL + r",)*" + LABEL + r")?\})? (\S+)$")


def main():
    args = sys.argv[1:]
    path = args.pop(0)
    want_labels, stats, extra = None, None, set()
    while args:
        opt, val = args.pop(0), args.pop(0)
        if opt == "--labels":
            want_labels = dict(kv.split("=", 1) for kv in val.split(","))
        elif opt == "--extra":
            extra = set(val.split(","))
        elif opt == "--json":
            with open(val) as f:
                stats = json.load(f)
    text = open(path).read()
    faults = []
    if not text.endswith("\n"):
        faults.append("the last line does not end in a line feed")
    helps, types, samples = {}, {}, {}
    for no, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {no}: {line!r}"
        m = HELP.match(line)
        if m:
            if m[1] in helps:
                faults.append(f"{where}: a second HELP for {m[1]}")
            if m[1] in samples:
                faults.append(f"{where}: HELP after the samples of {m[1]}")
            helps[m[1]] = m[2]
            continue
        m = TYPE.match(line)
        if m:
            if m[1] in types:
                faults.append(f"{where}: a second TYPE for {m[1]}")
            if m[1] in samples:
                faults.append(f"{where}: TYPE after the samples of {m[1]}")
            types[m[1]] = m[2]
            continue
        m = SAMPLE.match(line)
        if not m:
            faults.append(f"{where}: neither HELP, TYPE nor a sample")
            continue
        name, labels, value = m[1], m[2] or "", m[m.lastindex]
        pairs = re.findall(LABEL, labels)
        lab = dict(pairs)
        if len(lab) != len(pairs):
            faults.append(f"{where}: a label given twice")
        if types.get(name) != "counter":
            faults.append(f"{where}: no TYPE counter before it")
        if not name.endswith("_total"):
            faults.append(f"{where}: a counter's name must end in _total")
        if not re.fullmatch(r"[0-9]+", value):
            faults.append(f"{where}: {value} is not a counter's value")
        more = {k for k in lab if k not in (want_labels or {})}
        if want_labels is not None and ({k: lab.get(k) for k in want_labels} != want_labels
                                        or len(more) > 1 or not more <= extra):
            faults.append(f"{where}: labels {lab}, want {want_labels} (and one of {sorted(extra)})")
        key = (name, tuple(sorted(lab.items())))
        if key in samples:
            faults.append(f"{where}: the same series twice")
        samples[key] = int(value) if value.isdigit() else None
    for name in types:
        if name not in helps:
            faults.append(f"{name}: TYPE without HELP")
    if stats is not None:
        got = {k[0]: v for k, v in samples.items()}
        want = {f"mmlipsec_{k}_total": v for k, v in stats.items()}
        for name, v in want.items():
            if got.get(name) != v:
                faults.append(f"{name}: {got.get(name)}, mmlctl -j stats says {v}")
        for name in got.keys() - want.keys():
            faults.append(f"{name}: not a counter of mmlctl -j stats")
    for f in faults:
        print(f)
    sys.exit(1 if faults else 0)


main()
