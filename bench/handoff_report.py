#!/usr/bin/env python3
"""make bench-handoff's tables from the raw data bench/handoff.sh collected.

    handoff_report.py DATA_DIR HANDOFFS SCHEME...

DATA_DIR/<run>/ holds, per run (a scheme, or the baselines mip and esp):
walk ("i from to uptime_s" per handoff, uptime_s = CLOCK_BOOTTIME before
the handoff), mh.json (the MH's mmlctl mip show, its registration history),
probe.out (bench/mip_probe.c's gap lines), handoff.log (bed.sh handoff's
output), the initialisation's snapshots (mh-init.json,
mh-csa-init, fa1-ike-init.json) and, for the schemes, after handoff K the
new FA's mmlctl mip visitors (snap/K-FA-mip.json) and every node's mmlctl
ike show (snap/K-NODE-ike.json). What each number means: bench/handoff.sh."""
import json
import os
import statistics
import sys

HOME = "10.1.0.10"
PROBE_GAP_MS = 1.5  # mip-probe -g: shorter pauses are not reported

# The paper's values (Tables 2 and 3), ms.
PAPER_MSG = {"pkd": "0.3/0.2/0.5", "dkm": "0.3/0.2/0.6", "nn": "2.0/7.3/9.3",
             "kd": "0.4/0.2/0.6 (MLIKE key distribution)"}
PAPER_HANDOFF = {"mip": 25, "esp": 54, "pkd": 52.7, "dkm": 100}
PAPER_INIT = {"mip": 26, "esp": 197, "pkd": 539, "dkm": 542}


def load(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def stat(v):
    """(median, max, n) of the samples, None when there are none."""
    v = [x for x in v if x is not None]
    return (statistics.median(v), max(v), len(v)) if v else None


def fmt(s, digits=2):
    if not s:
        return "-"
    return f"{s[0]:.{digits}f} (max {s[1]:.{digits}f}, n={s[2]})"


def snap(d, k, node, module):
    return load(os.path.join(d, "snap", f"{k}-{node}-{module}.json"))


def walk_of(d):
    rows = []
    for line in open(os.path.join(d, "walk")):
        i, frm, to, up = line.split()
        rows.append((int(i), frm, to, int(float(up) * 1e9)))
    return rows


def gaps_of(d):
    gaps = []
    for line in open(os.path.join(d, "probe.out")):
        if line.startswith("gap "):
            f = dict(kv.split("=") for kv in line.split()[1:])
            gaps.append((int(f["last_ns"]), int(f["next_ns"])))
    return gaps


def history(d):
    mh = load(os.path.join(d, "mh.json")) or {}
    return sorted((h for h in mh.get("history", []) if h.get("link_up_ns")),
                  key=lambda h: h["link_up_ns"])


def mine(entries, key="home"):
    for e in entries or []:
        if e.get(key) == HOME:
            return e
    return None


def per_handoff(d, scheme):
    """One dict per handoff: registration, key, total, first, gap (ms)."""
    walk, gaps, hist = walk_of(d), gaps_of(d), history(d)
    out = []
    for k, (i, frm, to, t0) in enumerate(walk):
        t1 = walk[k + 1][3] if k + 1 < len(walk) else float("inf")
        h = next((h for h in hist if t0 <= h["link_up_ns"] < t1), None)
        r = {"to": to}
        if h:
            up = h["link_up_ns"]
            if "registration_us" in h:
                r["registration"] = h["registration_us"] / 1e3
            spans = [(last, n) for last, n in gaps if last <= up < n]
            if spans:
                r["switch"] = (up - spans[0][0]) / 1e6
                r["probe_first"] = (spans[0][1] - up) / 1e6
        long = [(n - last) / 1e6 for last, n in gaps if t0 <= last < t1]
        r["gap"] = max(long, default=PROBE_GAP_MS)
        if scheme and h:
            v = mine(snap(d, k, to, "mip"))
            z = mine((snap(d, k, to, "ike") or {}).get("zone1_active"))
            reply = v.get("reply_relayed_ns", 0) if v else 0
            if reply >= h["link_up_ns"]:
                if z and z.get("active_ns"):
                    r["key"] = max(0, z["active_ns"] - reply) / 1e6
                    r["via"] = z.get("via")
                    r["when"] = ("after" if z["active_ns"] > reply else
                                 "before" if z["active_ns"] >= h["link_up_ns"] else "earlier")
                first = v.get("first_mlesp_ns", 0)
                if first >= reply:
                    r["first"] = (first - h["link_up_ns"]) / 1e6
            if "registration" in r and "key" in r:
                r["total"] = r["registration"] + r["key"]
        out.append(r)
    return out


def when_groups(r):
    """The handoffs by when zone 1 became active at the new FA: after the
    reply was relayed (the key part proper), during the handoff but before
    the reply, or since an earlier visit (PKD keeps it)."""
    names = {"after": "after the reply", "before": "before the reply",
             "earlier": "since an earlier visit"}
    for w in ("after", "before", "earlier"):
        g = [x for x in r if x.get("when") == w]
        if g:
            yield names[w], [x["key"] for x in g], {x["via"] for x in g}


def msg_samples(d, nodes, exch, field):
    """The distinct values of processing[exch][field] (µs -> ms) each node
    showed over the run (each is the last message of its kind then)."""
    out = []
    for n in nodes:
        seq, k = [], 0
        while os.path.exists(os.path.join(d, "init", f"{k}-{n}-ike.json")):
            seq.append(load(os.path.join(d, "init", f"{k}-{n}-ike.json")))
            k += 1
        k = 0
        while os.path.exists(os.path.join(d, "snap", f"{k}-{n}-ike.json")):
            seq.append(snap(d, k, n, "ike"))
            k += 1
        seq.append(load(os.path.join(d, f"{n}-ike-end.json")))
        prev = None
        for s in seq:
            try:
                x = s["processing"][exch][field]
            except (TypeError, KeyError):
                continue
            if x and x != prev:
                out.append(x / 1e3)
            prev = x
    return out


def init_ms(d, run, k):
    """Initialisation k: the MH's first solicitation -> its keys in place."""
    f = os.path.join(d, "init", str(k))
    mh = load(f + "-mh.json") or {}
    hist = [h for h in mh.get("history", []) if "registration_us" in h]
    if not hist:
        return None
    h0 = hist[0]
    solicit = h0["reply_ns"] - h0["registration_us"] * 1000
    if run == "mip":
        return h0["registration_us"] / 1e3
    csas = []
    if os.path.exists(f + "-mh-csa"):
        csas = [tuple(map(int, line.split())) for line in open(f + "-mh-csa")]
    t = [add for _, fmt_id, add in csas if fmt_id == (2 if run == "esp" else 1)]
    if len(t) < 2:
        return None
    ready = max(t)
    if run != "esp":
        z = mine((load(f + "-fa1-ike.json") or {}).get("zone1_active"))
        if not z:
            return None
        ready = max(ready, z["active_ns"])
    return (ready - solicit) / 1e6


def inits(d, run):
    k, out = 0, []
    while os.path.exists(os.path.join(d, "init", f"{k}-mh.json")):
        out.append(init_ms(d, run, k))
        k += 1
    return out


def main():
    data, n = sys.argv[1], int(sys.argv[2])
    schemes = sys.argv[3:]
    runs = {s: per_handoff(os.path.join(data, s), s) for s in schemes}
    base = {b: per_handoff(os.path.join(data, b), None)
            for b in ("mip", "esp") if os.path.isdir(os.path.join(data, b))}
    med = {}

    cols_s = ("registration", "key", "total", "first", "switch", "gap")
    heads = ("registration", "key part", "total", "link-up->1st verified",
             "gap before link-up", "longest gap at MH")
    print(f"\nPer handoff (ms; median (max, n) over {n} handoffs of each run):")
    print(f"{'':14}" + "".join(f"{h:>27}" for h in heads))
    for s in schemes:
        r = runs[s]
        med[s] = {c: stat([x.get(c) for x in r]) for c in cols_s + ("probe_first",)}
        print(f"{s:14}" + "".join(f"{fmt(med[s][c]):>27}" for c in cols_s))
        missing = sum(1 for x in r if "key" not in x)
        for what, v, how in when_groups(r):
            print(f"{'':14}zone 1 active at the new FA {what}: {len(v)} handoffs, key part "
                  f"{fmt(stat(v), 3)}, by {', '.join(sorted(how))}")
        if missing:
            print(f"{'':14}{missing} handoffs without a key sample")
    for b, r in base.items():
        med[b] = {c: stat([x.get(c) for x in r]) for c in cols_s + ("probe_first",)}
        c = med[b]
        print(f"{b:14}{fmt(c['registration']):>27}{'-':>27}{fmt(c['registration']):>27}"
              f"{fmt(c['probe_first']) + ' *':>27}{fmt(c['switch']):>27}{fmt(c['gap']):>27}")
    if base:
        print("  * baselines: link up -> first probe datagram at the MH (the FA reads no zone 1)")
    for s in schemes:
        print(f"  {s}: link up -> first probe datagram at the MH {fmt(med[s]['probe_first'])}")

    print("\nTable 2, message processing (ms, median (max, n)): the initiator's (its "
          "response in -> done), the responder's (request in -> answer out), their sum; "
          "the exchange's round trip at the initiator; paper initiator/responder/total")
    print(f"    {'initiator':>26} {'responder':>26} {'sum':>7} | {'round trip':>26}")
    fas = ["fa1", "fa2", "fa3", "fa4"]
    rows = []

    def row(name, run, ini, resp, exch, paper):
        d = os.path.join(data, run)
        rows.append((name, msg_samples(d, ini, exch, "response_us"),
                     msg_samples(d, resp, exch, "request_us"),
                     msg_samples(d, ini, exch, "round_trip_us"), paper))

    if "pkd" in schemes:
        row("PKD KEY_DISTRIBUTE (HA -> neighbour FA)", "pkd", ["ha"], fas, "key_distribute",
            PAPER_MSG["pkd"])
    if "dkm" in schemes:
        row("DKM_CSA_REQUEST (new FA -> previous FA)", "dkm", fas, fas, "dkm_csa_request",
            PAPER_MSG["dkm"])
    if "redistribute" in schemes:
        row("KEY_DISTRIBUTE (HA -> new FA, redistribute)", "redistribute", ["ha"], fas,
            "key_distribute", PAPER_MSG["kd"])
    for s in schemes:
        row(f"NEIGHBOR_NOTIFY (FA -> HA), {s} run", s, fas, ["ha"], "neighbor_notify",
            PAPER_MSG["nn"])
    for name, ini, resp, rtt, paper in rows:
        si, sr = stat(ini), stat(resp)
        total = f"{si[0] + sr[0]:.3f}" if si and sr else "-"
        print(f"  {name:44}\n    {fmt(si, 3):>26} {fmt(sr, 3):>26} {total:>7} | "
              f"{fmt(stat(rtt), 3):>26}; paper {paper}")

    print("\nTable 3 (ms): ours (median) | paper")
    hand = {b: med[b]["registration"] for b in base}
    hand.update({s: med[s]["total"] for s in schemes})
    names = {"mip": "MIP", "esp": "MIP+IPsec (ESP keyed by IKE)", "pkd": "PKD", "dkm": "DKM",
             "redistribute": "redistribute (ours)"}
    print("  handoff (solicitation -> registered, keys at the new FA):")
    for k in ("mip", "esp", "pkd", "dkm", "redistribute"):
        if k in hand:
            print(f"    {names[k]:34} {fmt(hand[k]):>28} | {PAPER_HANDOFF.get(k, '-')}")
    print("  initialisation (first solicitation -> keys in place at MH and FA1):")
    for k in ("mip", "esp", "pkd", "dkm", "redistribute"):
        if os.path.isdir(os.path.join(data, k)):
            v = stat(inits(os.path.join(data, k), k))
            print(f"    {names[k]:34} {fmt(v):>28} | {PAPER_INIT.get(k, '-')}")

    print("\nTargets (medians): PKD key <= 0.2 ms, DKM key <= 5 ms, link-up -> first verified "
          "<= 5 ms (PKD), <= 10 ms (DKM), each message <= 1 ms of processing")
    for s, col, lim in (("pkd", "key", 0.2), ("dkm", "key", 5), ("pkd", "first", 5),
                        ("dkm", "first", 10)):
        if s in med and med[s][col]:
            v = med[s][col]
            print(f"  {s} {col}: {v[0]:.3f} ms (max {v[1]:.3f}) "
                  f"{'met' if v[0] <= lim else 'MISSED'} (<= {lim} ms)")
    worst = max((stat(p)[0] for _, i, r, _, _ in rows for p in (i, r) if stat(p)),
                default=None)
    if worst is not None:
        print(f"  messages: the slowest median processing {worst:.3f} ms "
              f"{'met' if worst <= 1 else 'MISSED'} (<= 1 ms)")
    parts = []
    for s in schemes:
        k, t = med[s]["key"], med[s]["total"]
        parts.append(f"{s} key {k[0]:.3f} ms total {t[0]:.2f} ms" if k and t else
                     f"{s} key - ms total - ms")
    print("handoff: " + "; ".join(parts))


if __name__ == "__main__":
    main()
