#!/usr/bin/env python3
"""make experiments' numbers and report (experiments/run.sh calls both).

    report.py extract PARSER RUN_DIR
        reads one run (RUN_DIR/raw.log and the files its script wrote) and
        writes RUN_DIR/metrics.csv: metric,value,unit. Exit 1 when it found
        no number.
    report.py report OUT_DIR [--paper experiments/paper.json]
        reads OUT_DIR/manifest.txt and every run's meta and metrics.csv;
        writes OUT_DIR/summary.json (every number, as RUN_ID:METRIC) and
        OUT_DIR/report.md (each of the paper's numbers beside ours, a ratio,
        a verdict per target, the cells not measured yet).

Standard library only. PARSER is the manifest's column: fig14, fig15,
fig17, codec, ep_cost, snoop_cost, functions, fa, mlike, handoff, rekey, mip_handoff,
scale, tunnel, snoop_handoff."""
import csv
import json
import math
import os
import re
import statistics
import sys

NUM = r"(-?[0-9]+(?:\.[0-9]+)?)"


def slug(s):
    return re.sub(r"\s+", "_", s.strip().lower())


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ---------------------------------------------------------------- extract
# Each parser returns [(metric, value, unit)].

def p_fig14(d):
    """fig14.sh's results.csv: mean, stdev and runs per (config, BER)."""
    rows = list(csv.DictReader(open(os.path.join(d, "results.csv"))))
    acc = {}
    for r in rows:
        if not r.get("goodput_bps"):
            continue
        k = (r["config"], r["ber_label"])
        a = acc.setdefault(k, {"g": [], "lost": 0, "frames": 0})
        a["g"].append(float(r["goodput_bps"]) / 1e6)
        a["lost"] += int(r["lost_down"] or 0)
        a["frames"] += int(r["frames_down"] or 0)
    out = []
    for (c, b), a in acc.items():
        pre = "%s:%s:" % (c, b)
        out.append((pre + "goodput_mbps", statistics.mean(a["g"]), "Mbit/s"))
        out.append((pre + "stdev_mbps", statistics.stdev(a["g"]) if len(a["g"]) > 1 else 0.0, "Mbit/s"))
        out.append((pre + "runs", len(a["g"]), ""))
        if a["frames"]:
            out.append((pre + "lost_down_pct", 100.0 * a["lost"] / a["frames"], "%"))
    return out


def p_fig15(d):
    """fig15.sh's summary.md: | configuration | goodput | mean cwnd | samples |"""
    out = []
    for line in read(os.path.join(d, "summary.md")).splitlines():
        m = re.match(r"\|\s*([a-z-]+)\s*\|\s*" + NUM + r"\s*\|\s*" + NUM + r"\s*\|", line)
        if m:
            out.append((m.group(1) + ":goodput_mbps", float(m.group(2)), "Mbit/s"))
            out.append((m.group(1) + ":mean_cwnd", float(m.group(3)), "segments"))
    return out


def p_fig17(d):
    """fig17_report.py's plot-paper.csv and plot-fast.csv (medians over rounds)."""
    out = []
    for row in csv.reader(open(os.path.join(d, "plot-paper.csv"))) if os.path.exists(
            os.path.join(d, "plot-paper.csv")) else []:
        p = row[0]
        out.append(("paper:%s:goodput_mbps" % p, float(row[2]), "Mbit/s"))
        out.append(("paper:%s:overhead_pct" % p, float(row[7]), "%"))
        out.append(("paper:%s:air_overhead_pct" % p, float(row[10]), "%"))
        out.append(("paper:esp:goodput_mbps", float(row[5]), "Mbit/s"))
    for row in csv.reader(open(os.path.join(d, "plot-fast.csv"))) if os.path.exists(
            os.path.join(d, "plot-fast.csv")) else []:
        out.append(("fast:%s:cpu_overhead_pct" % row[0], float(row[2]), "%"))
        out.append(("fast:%s:fa_xdp_overhead_pct" % row[0], float(row[5]), "%"))
    return list(dict(((m, (m, v, u)) for m, v, u in out)).values())


def p_codec(d):
    """bench-codec's table: case, inner, encap/s, Gbit/s, raw seal/s, ratio%,
    decap/s, Gbit/s, raw open/s, ratio%."""
    out = []
    for line in read(os.path.join(d, "raw.log")).splitlines():
        m = re.match(r"((?:mlesp|esp) \S+)\s+(\d+)\s+" + r"\s+".join([NUM] * 3) + r"\s+" + NUM + r"%\s+" +
                     r"\s+".join([NUM] * 3) + r"\s+" + NUM + "%", line)
        if not m:
            continue
        pre = "%s:%s:" % (slug(m.group(1)), m.group(2))
        enc, dec = float(m.group(3)), float(m.group(7))
        out += [(pre + "encap_per_s", enc, "/s"), (pre + "encap_ns", 1e9 / enc, "ns"),
                (pre + "encap_ratio_pct", float(m.group(6)), "%"),
                (pre + "raw_seal_ns", 1e9 / float(m.group(5)), "ns"),
                (pre + "decap_per_s", dec, "/s"), (pre + "decap_ns", 1e9 / dec, "ns"),
                (pre + "decap_ratio_pct", float(m.group(10)), "%"),
                (pre + "raw_open_ns", 1e9 / float(m.group(9)), "ns")]
    m = re.search(r"seal of a 40-byte zone 1 \(P = 44\): OpenSSL " + NUM + r" ns, Nettle\s+\(what lib/aead uses up to "
                  r"\d+ bytes\) " + NUM + " ns", read(os.path.join(d, "raw.log")))
    if m:
        out += [("zone1_openssl_seal_ns", float(m.group(1)), "ns"), ("zone1_seal_ns", float(m.group(2)), "ns")]
    return out


def p_ep_cost(d):
    out = []
    for line in read(os.path.join(d, "raw.log")).splitlines():
        m = re.match(r"(.+?)\s+(\d+) B\s+HA encap\s+" + NUM + r" ns\s+MH decap\s+(?:" + NUM + " ns)?", line)
        if m:
            pre = slug(m.group(1)) + ":"
            out.append((pre + "ha_encap_ns", float(m.group(3)), "ns"))
            if m.group(4):
                out.append((pre + "mh_decap_ns", float(m.group(4)), "ns"))
    return out


def p_snoop_cost(d):
    pats = [("ledger_ns", r"forward \(ledger only, baseline\)\s+" + NUM),
            ("memcpy_ns", r"memcpy of one \d+-byte frame\s+" + NUM),
            ("snoop_1conn_ns", r"snoop, 1 connection\s+" + NUM),
            ("snoop_64conn_ns", r"snoop, \d+ connections\s+" + NUM),
            ("dupack_ns", r"snoop, duplicate ACK \(loss\)\s+" + NUM),
            ("load", r"load average " + NUM)]
    text, out = read(os.path.join(d, "raw.log")), []
    for name, pat in pats:
        m = re.search(pat, text)
        if m:
            out.append((name, float(m.group(1)), "" if name == "load" else "ns"))
    return out


def p_functions(d):
    """bench-functions: NAME NS ns WHAT, one line per function; the load."""
    text, out = read(os.path.join(d, "raw.log")), []
    for m in re.finditer(r"^([a-z][a-z0-9_]*)\s+" + NUM + r" ns\s", text, re.M):
        out.append((m.group(1) + "_ns", float(m.group(2)), "ns"))
    m = re.search(r"^bench-functions: .*load average " + NUM, text, re.M)
    if m:
        out.append(("load", float(m.group(1)), ""))
    return out


def p_fa(d):
    out = []
    for line in read(os.path.join(d, "raw.log")).splitlines():
        m = re.match(r"(\d+)\s+(ML-ESP zone-1 verify|plain IP-in-IP decap)\s+" + NUM + r"\s+" + NUM + r"\s+" + NUM,
                     line)
        if m:
            k = "mlesp" if m.group(2).startswith("ML") else "plain"
            out.append(("%s:%s_%s_ns" % (m.group(1), k, "zone1" if k == "mlesp" else "decap"),
                        float(m.group(4)), "ns"))
            out.append(("%s:%s_mpps" % (m.group(1), k), float(m.group(5)), "Mpps"))
        m = re.match(r"\d+\s+OpenSSL seal \(EVP\)\s+" + NUM, line)
        if m:
            out.append(("openssl_seal_ns", float(m.group(1)), "ns"))
    return out


def p_handoff(d):
    """bench/handoff_report.py's text: Table 2 rows, Table 3, targets."""
    text, out = read(os.path.join(d, "raw.log")), []
    fmt = NUM + r" \(max " + NUM + r", n=\d+\)"
    names = {"MIP": "mip", "MIP+IPsec (ESP keyed by IKE)": "esp", "PKD": "pkd", "DKM": "dkm",
             "redistribute (ours)": "redistribute"}
    section = None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("handoff (solicitation"):
            section = "handoff_ms"
        elif s.startswith("initialisation (first solicitation"):
            section = "init_ms"
        elif s.startswith("Targets") or not s:
            section = None
        elif section:
            for label, key in names.items():
                m = re.match(re.escape(label) + r"\s+" + fmt, s)
                if m:
                    out.append(("table3:%s:%s" % (key, section), float(m.group(1)), "ms"))
        msg = None
        if s.startswith("PKD KEY_DISTRIBUTE"):
            msg = "pkd"
        elif s.startswith("DKM_CSA_REQUEST"):
            msg = "dkm"
        elif s.startswith("KEY_DISTRIBUTE (HA -> new FA"):
            msg = "kd"
        elif s.startswith("NEIGHBOR_NOTIFY") and not any(m[0].startswith("table2:nn:") for m in out):
            msg = "nn"
        if msg and i + 1 < len(lines):
            m = re.match(r"\s*" + fmt + r"\s+" + fmt + r"\s+" + NUM + r"\s+\|\s+" + fmt, lines[i + 1])
            if m:
                out += [("table2:%s:initiator_ms" % msg, float(m.group(1)), "ms"),
                        ("table2:%s:responder_ms" % msg, float(m.group(3)), "ms"),
                        ("table2:%s:sum_ms" % msg, float(m.group(5)), "ms"),
                        ("table2:%s:rtt_ms" % msg, float(m.group(6)), "ms")]
        m = re.match(r"(pkd|dkm) (key|first): " + NUM + " ms", s)
        if m:
            out.append(("%s:%s_ms" % (m.group(1), m.group(2)), float(m.group(3)), "ms"))
        m = re.match(r"messages: the slowest median processing " + NUM + " ms", s)
        if m:
            out.append(("messages_worst_ms", float(m.group(1)), "ms"))
    return out


def p_mlike(d):
    """tests/ike/mlike.sh's RESULTS file (make bench-mlike): medians, ms."""
    r = json.load(open(os.path.join(d, "mlike.json")))
    out = [(k + "_ms", float(r[k]), "ms") for k in ("ike_sa_i", "ike_sa_r", "mlike_i", "mlike_r", "kd_i", "kd_r",
                                                      "init_total")]
    out += [(k + "_sum_ms", float(r[k + "_i"]) + float(r[k + "_r"]), "ms") for k in ("ike_sa", "mlike", "kd")]
    return out + [("runs", float(r["runs"]), "")]


def p_rekey(d):
    m = re.search(r"rekey: goodput " + NUM + r" of none \((\d+) rekeys, (\d+) packets lost to a key\); "
                  r"MLIKE_CREATE_CHILD_SA initiator " + NUM + " ms \\+ responder " + NUM + " ms = " + NUM +
                  r" ms.*round trip " + NUM + " ms", read(os.path.join(d, "raw.log")))
    if not m:
        return []
    g = [float(x) for x in m.groups()]
    return [("goodput_ratio", g[0], ""), ("rekeys", g[1], ""), ("lost", g[2], "packets"),
            ("initiator_ms", g[3], "ms"), ("responder_ms", g[4], "ms"), ("sum_ms", g[5], "ms"),
            ("rtt_ms", g[6], "ms")]


def p_mip_handoff(d):
    text, out = read(os.path.join(d, "raw.log")), []
    for key, pat in (("registration_ms", r"registration \(solicitation -> reply\)"),
                     ("l3_handoff_ms", r"l3 handoff \(link up -> first packet via the new FA\)")):
        m = re.search(pat + r": n=\d+ median=" + NUM + " ms max=" + NUM, text)
        if m:
            out += [(key, float(m.group(1)), "ms"), (key.replace("_ms", "_max_ms"), float(m.group(2)), "ms")]
    return out


def p_scale(d):
    text, out = read(os.path.join(d, "raw.log")), []
    for key, pat, unit in (("registrations_per_s", r"^renewals:.*registrations_per_s=" + NUM, "/s"),
                           ("ha_encap_ratio", r"^HA worker ML-ESP encapsulation.*?same mobile \d+ ns, ratio " + NUM, "x"),
                           ("fa_zone1_ratio", r"^FA XDP zone-1 path.*ratio " + NUM, "x"),
                           ("ike_inits_per_s", r"^ML-IKE: .*= " + NUM + " initialisations/s at the HA", "/s")):
        m = re.search(pat, text, re.M)
        if m:
            out.append((key, float(m.group(1)), unit))
    return out


def p_tunnel(d):
    out = []
    for line in read(os.path.join(d, "raw.log")).splitlines():
        m = re.match(r"(kernel|strongswan|plain|esp|mlesp)\s+" + NUM + r"\s+" + NUM + r"\s", line)
        if m:
            out += [(m.group(1) + ":down_mbps", float(m.group(2)), "Mbit/s"),
                    (m.group(1) + ":up_mbps", float(m.group(3)), "Mbit/s")]
    return out


def p_snoop_handoff(d):
    """experiments/snoop-handoff.sh's results.csv and handoffs.csv, per (scheme, config)."""
    out = []
    for r in csv.DictReader(open(os.path.join(d, "results.csv"))):
        if not r.get("goodput_bps"):
            continue
        pre = "%s:%s:" % (r["scheme"], r["config"])
        out += [(pre + "goodput_mbps", float(r["goodput_bps"]) / 1e6, "Mbit/s"),
                (pre + "seconds", float(r["seconds"]), "s"), (pre + "handoffs", int(r["handoffs"]), ""),
                (pre + "stall_median_ms", float(r["stall_median_ms"]), "ms"),
                (pre + "stall_max_ms", float(r["stall_max_ms"]), "ms"), (pre + "sha256_ok", int(r["sha256_ok"]), "")]
    segs = {}
    for r in csv.DictReader(open(os.path.join(d, "handoffs.csv"))):
        segs.setdefault("%s:%s:" % (r["scheme"], r["config"]), []).append(int(r["old_fa_cached_segs"]))
    out += [(k + "old_fa_cached_segs_mean", statistics.mean(v), "segments") for k, v in segs.items()]
    return out


PARSERS = {k[2:]: v for k, v in globals().items() if k.startswith("p_")}


def extract(parser, d):
    if parser not in PARSERS:
        print("report.py: no parser %r (%s)" % (parser, ", ".join(sorted(PARSERS))), file=sys.stderr)
        return 2
    try:
        rows = PARSERS[parser](d)
    except (OSError, ValueError, KeyError, IndexError) as e:
        print("report.py extract %s: %s" % (parser, e), file=sys.stderr)
        rows = []
    rows = [r for r in rows if isinstance(r[1], (int, float)) and math.isfinite(r[1])]
    with open(os.path.join(d, "metrics.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "value", "unit"])
        for name, v, unit in rows:
            w.writerow([name, "%.6g" % v, unit])
    print("report.py extract %s: %d numbers in %s" % (parser, len(rows), os.path.join(d, "metrics.csv")))
    return 0 if rows else 1


# ---------------------------------------------------------------- report

def load_out(out):
    """manifest lines, per run: status, meta, metrics."""
    runs, numbers = [], {}
    for line in read(os.path.join(out, "manifest.txt")).splitlines():
        f = line.split(None, 5)
        if len(f) < 6:
            continue
        rid = f[1]
        d = os.path.join(out, rid)
        meta = dict(x.split("=", 1) for x in read(os.path.join(d, "meta")).splitlines() if "=" in x)
        metrics = {}
        if os.path.exists(os.path.join(d, "metrics.csv")):
            for r in csv.DictReader(open(os.path.join(d, "metrics.csv"))):
                metrics[r["metric"]] = (float(r["value"]), r["unit"])
        if os.path.exists(os.path.join(d, "done")):
            status = "done"
        elif meta:
            status = "failed (rc %s)" % meta.get("rc", "?")
        else:
            status = "not run"
        runs.append({"id": rid, "lock": f[2], "expected_s": int(f[3]), "parser": f[4], "command": f[5],
                     "status": status, "seconds": int(meta["seconds"]) if "seconds" in meta else None,
                     "lock_wait_s": int(meta.get("lock_wait_s", 0)),
                     "load": meta.get("load"), "metrics": metrics})
        if status == "done":
            for k, (v, _) in metrics.items():
                numbers["%s:%s" % (rid, k)] = v
    return runs, numbers


class Missing(Exception):
    pass


def ev(e, nums, run):
    """The value of an expression of paper.json over summary.json's numbers."""
    if "m" in e:
        k = e["m"].replace("{run}", run or "")
        if k not in nums:
            raise Missing(k)
        return nums[k]
    (op, a), = e.items()
    if op == "sum":
        return sum(ev(x, nums, run) for x in a)
    if op in ("mean", "min", "max"):
        v = []
        for x in a:
            try:
                v.append(ev(x, nums, run))
            except (Missing, ZeroDivisionError):
                pass
        # Over the points the run has (as experiments/targets.sh does).
        if not v:
            raise Missing("%s over 0 of %d points" % (op, len(a)))
        return {"mean": statistics.mean, "min": min, "max": max}[op](v)
    x, y = ev(a[0], nums, run), ev(a[1], nums, run)
    if op == "ratio":
        return x / y
    if op == "pct":
        return 100.0 * x / y
    if op == "gain_pct":
        return 100.0 * (x / y - 1)
    if op == "drop_pct":
        return 100.0 * (1 - x / y)
    if op == "diff":
        return x - y
    raise ValueError("paper.json: unknown operation %r" % op)


def num(v):
    if v is None:
        return "n/a"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 1 or a == 0:
        return "%.2f" % v
    return "%.3g" % v


def runs_read(e, run):
    """The run IDs an expression reads."""
    s = json.dumps(e.get("ours", {})).replace("{run}", run or "")
    return sorted(set(x.split(":")[0] for x in re.findall(r'"m": "([^"]+)"', s)))


def ours_cell(e, nums, run, status):
    """(value or None, text for the cell); status: run ID -> its status."""
    if e.get("missing"):
        return None, "not measured yet: " + e["missing"]
    for rid in runs_read(e, run):
        if rid not in status:
            return None, "not in this profile (run %s)" % rid
        if status[rid] != "done":
            return None, "run %s: %s" % (rid, status[rid])
    try:
        v = ev(e["ours"], nums, run) * e.get("scale", 1)
        return v, num(v)
    except ZeroDivisionError:
        return None, "no value (a zero in the denominator)"
    except Missing as m:
        return None, "no value in this run (%s)" % m


def report(out, paper_path):
    paper = json.load(open(paper_path))
    runs, nums = load_out(out)
    profile = read(os.path.join(out, "profile")).strip() or "?"
    status = {r["id"]: r["status"] for r in runs}
    rows, targets, missing = [], [], []
    for e in paper["values"]:
        for run in e.get("runs", [None]):
            v, cell = ours_cell(e, nums, run, status)
            q = e["quantity"] + (" [%s]" % run if run else "")
            ratio = "%.2f" % (v / e["paper"]) if v is not None and e["paper"] else "—"
            rows.append({"id": e["id"] + ("@" + run if run else ""), "where": e["where"], "section": e["section"],
                         "line": e["line"], "quantity": q, "paper": e["paper"], "unit": e["unit"],
                         "ours": v, "cell": cell, "ratio": ratio, "note": e.get("note", "")})
            if e.get("missing"):
                missing.append((e["where"], q, e["missing"]))
    for t in paper["targets"]:
        for run in t.get("runs", [None]):
            v, cell = ours_cell(t, nums, run, status)
            verdict = "—"
            if v is not None:
                ok = v >= t["limit"] if t["op"] == ">=" else v <= t["limit"]
                verdict = "met" if ok else "NOT met"
            targets.append({"id": t["id"] + ("@" + run if run else ""), "issue": t["issue"],
                            "what": t["what"] + (" [%s]" % run if run else ""), "ours": v, "cell": cell,
                            "limit": "%s %s %s" % (t["op"], t["limit"], t["unit"]), "verdict": verdict})

    summary = {"profile": profile, "out": os.path.abspath(out), "host": read(os.path.join(out, "host")).strip(),
               "runs": {r["id"]: {"status": r["status"], "seconds": r["seconds"], "load": r["load"],
                                  "lock_wait_s": r["lock_wait_s"],
                                  "command": r["command"]} for r in runs},
               "numbers": nums,
               "paper": {r["id"]: {"paper": r["paper"], "ours": r["ours"], "unit": r["unit"]} for r in rows},
               "targets": {t["id"]: {"ours": t["ours"], "limit": t["limit"], "verdict": t["verdict"]}
                           for t in targets}}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)

    L = ["# make experiments: profile %s" % profile, "",
         "Generated by experiments/report.py from %s; every number of the paper beside ours "
         "(experiments/paper.json: the paper's table or figure, section and the line of the seed text, "
         "which has no page numbers). Ratio = ours / paper. Raw output, CSVs and PNGs of each run are in "
         "its directory; every number is in summary.json." % os.path.basename(os.path.abspath(out)), "",
         "Started %s." % (read(os.path.join(out, "host")).strip() or "(no host file)"), "",
         "## Runs", "", "| run | status | seconds (expected) | waiting for the bed lock (s) | load | command |",
          "|---|---|---|---|---|---|"]
    for r in runs:
        L.append("| %s | %s | %s (%d) | %d | %s | `%s` |" % (
            r["id"], r["status"], r["seconds"] if r["seconds"] is not None else "—", r["expected_s"], r["lock_wait_s"],
            r["load"] or "—", r["command"].replace("|", "\\|")))
    L += ["", "## Targets", "", "| target | issue | ours | limit | verdict |", "|---|---|---|---|---|"]
    for t in targets:
        L.append("| %s | %s | %s | %s | %s |" % (t["what"], t["issue"], t["cell"], t["limit"], t["verdict"]))
    where = []
    for r in rows:
        if r["where"] not in where:
            where.append(r["where"])
    for w in where:
        L += ["", "## %s" % (w if w != "reference" else "Pure TCP against the independent reference (DESIGN.md §6.1)"),
              "", "| quantity | paper | ours | ours / paper | unit | where | note |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["where"] == w:
                L.append("| %s | %s | %s | %s | %s | %s, line %s | %s |" % (
                    r["quantity"], num(r["paper"]), r["cell"], r["ratio"], r["unit"] or "—", r["section"],
                    r["line"] or "n/a", r["note"] or "—"))
    off = [r for r in rows if r["ours"] is not None and r["paper"] and
           (r["ours"] / r["paper"] > 2 or r["ours"] / r["paper"] < 0.5)]
    L += ["", "## More than 2× from the paper", ""]
    L += ["- %s, %s: paper %s, ours %s %s (× %s)" % (r["where"], r["quantity"], num(r["paper"]), num(r["ours"]),
                                                  r["unit"], r["ratio"]) for r in off] or ["- none"]
    figs = sorted(os.listdir(os.path.join(out, "figures"))) if os.path.isdir(os.path.join(out, "figures")) else []
    if figs:
        L += ["", "## Figures", ""] + ["![%s](figures/%s)" % (f, f) for f in figs]
    L += ["", "## Not measured yet", ""]
    L += ["- %s: %s — %s" % m for m in missing]
    L.append("")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L))
    return 0


def main(argv):
    if len(argv) == 3 and argv[0] == "extract":
        return extract(argv[1], argv[2])
    if len(argv) in (2, 4) and argv[0] == "report":
        paper = argv[3] if len(argv) == 4 and argv[2] == "--paper" else \
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "paper.json")
        return report(argv[1], paper)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
