#!/usr/bin/env python3
"""Tables and plot data of experiments/fig17.sh (the paper's Figs. 17, 18).

  fig17_report.py RESULTS.CSV OUTDIR CLK_TCK

Every ratio is taken against the ESP transfer of the same link and round,
then summarised over rounds as the median and the range. Prints the tables
(markdown) and writes OUTDIR/plot-paper.csv and OUTDIR/plot-fast.csv for
gnuplot (fig17.sh).
"""
import csv
import statistics
import sys

# The paper's §5.5 text (the figures' other values are not in the text).
PAPER_TPUT = {"1": 1.25}
PAPER_OVH = {"1": 7.0, "10": 0.75}
TARGET_POINT, TARGET_PCT = "10", 0.5


def label(point):
    return {"plain": "never", "esp": "ESP"}.get(point, point)


def fmt(vals, spec="%.2f"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    med = statistics.median(vals)
    if len(vals) == 1:
        return spec % med
    return "%s (%s … %s)" % (spec % med, spec % min(vals), spec % max(vals))


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else float("nan")


def main():
    path, out, hz = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rows = [r for r in csv.DictReader(open(path)) if r["goodput_bps"]]
    links = []
    for r in rows:
        if r["link"] not in links:
            links.append(r["link"])
    bad = [r for r in rows if r["sha256_ok"] != "1"]

    for link in links:
        lr = [r for r in rows if r["link"] == link]
        points = []
        for r in lr:
            if r["point"] not in points:
                points.append(r["point"])
        esp = {r["round"]: r for r in lr if r["point"] == "esp"}
        plain = {r["round"]: r for r in lr if r["point"] == "plain"}

        def metric(r):
            mb = int(r["bytes"]) / 1e6
            m = {
                "tput": int(r["goodput_bps"]) / 1e6,
                "air": int(r["air_bits_down"]) / 8 / int(r["bytes"]),
                "ha": int(r["ha_cpu_ticks"]) / hz * 1e3 / mb,
                "mh": int(r["mh_cpu_ticks"]) / hz * 1e3 / mb,
                "fa": int(r["fa_xdp_ns"]) / 1e3 / mb,
                "load": float(r["load1"]),
            }
            m["cpu"] = m["ha"] + m["mh"]
            sent = sum(int(r["ha_encap_" + k]) for k in ("plain", "esp", "mlesp"))
            m["prot"] = int(r["ha_encap_mlesp"]) / sent if sent else None
            fa = sum(int(r["fa_fwd_" + k]) for k in ("mlesp", "plain", "esp"))
            m["fa_z1"] = int(r["fa_fwd_mlesp"]) / fa if fa else None
            m["fa_raw"] = (int(r["fa_fwd_mlesp"]), int(r["fa_fwd_plain"]), int(r["fa_fwd_esp"]))
            m["ml_sent"] = int(r["ha_encap_mlesp"]) + int(r["mh_encap_mlesp"])
            m["up"] = sum(int(r["mh_encap_" + k]) for k in ("plain", "esp", "mlesp")) / mb
            m["ofo"] = int(r["mh_tcp_ofo"]) / mb if r.get("mh_tcp_ofo") else None
            m["rtx"] = 100 * int(r["cn_tcp_retrans"]) / sent if r.get("cn_tcp_retrans") and sent else None
            return m

        res = {}
        for p in points:
            res[p] = []
            for r in lr:
                if r["point"] != p:
                    continue
                m = metric(r)
                e = esp.get(r["round"])
                if e:
                    em = metric(e)
                    m["tput_ovh"] = 100 * (1 - m["tput"] / em["tput"])
                    m["air_ovh"] = 100 * (m["air"] / em["air"] - 1)
                    m["cpu_ovh"] = 100 * (m["cpu"] / em["cpu"] - 1) if em["cpu"] else None
                    m["fa_ovh"] = 100 * (m["fa"] / em["fa"] - 1) if em["fa"] else None
                pr = plain.get(r["round"])
                if pr:
                    m["plain_ovh"] = 100 * (1 - m["tput"] / metric(pr)["tput"])
                res[p].append(m)

        def col(p, k):
            return [m.get(k) for m in res[p]]

        n = len(esp)
        loads = [m["load"] for p in points for m in res[p]]
        load = "%.2f … %.2f" % (min(loads), max(loads))
        if link == "paper":
            b = int(lr[0]["bytes"])
            print("### Paper link: 2 Mbit/s, 100 ms each way, paper TCP (%d rounds, %d bytes a transfer)\n" % (n, b))
            print("Overhead = throughput loss against ESP in the same round, 1 − T(i)/T(ESP); "
                  "air bytes = bytes on the downlink air per byte delivered, against ESP. "
                  "Median (range) over rounds; load average (1 min) during the run %s.\n" % load)
            print("| i | throughput (Mbit/s) | overhead vs ESP (%) | air bytes vs ESP (%) "
                  "| throughput loss vs plaintext (%) "
                  "| ML-ESP share at the HA | FA zone 1 verified : plaintext forwarded (last round) "
                  "| the paper: throughput | the paper: overhead |")
            print("|---|---|---|---|---|---|---|---|---|")
            for p in points:
                z = res[p][-1]["fa_raw"]
                fa = "%d : %d (%.3f)" % (z[0], z[1], z[0] / sum(z)) if sum(z) else "—"
                if z[2]:
                    fa += ", %d ESP opaque" % z[2]
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    label(p), fmt(col(p, "tput"), "%.3f"),
                    "(reference)" if p == "esp" else fmt(col(p, "tput_ovh")),
                    "(reference)" if p == "esp" else fmt(col(p, "air_ovh")),
                    "(reference)" if p == "plain" else fmt(col(p, "plain_ovh")),
                    fmt(col(p, "prot"), "%.3f"), fa,
                    "%.2f" % PAPER_TPUT[p] if p in PAPER_TPUT else "—",
                    "%.2f" % PAPER_OVH[p] if p in PAPER_OVH else "—"))
            if TARGET_POINT in res:
                v = [x for x in col(TARGET_POINT, "tput_ovh") if x is not None]
                print("\nTarget: overhead vs ESP ≤ %.1f %% at i = %s on the paper link: median %.2f %%, "
                      "worst round %.2f %% → **%s**" % (
                          TARGET_PCT, TARGET_POINT, med(v), max(v),
                          "met" if max(v) <= TARGET_PCT else
                          ("met by the median, not by every round" if med(v) <= TARGET_PCT else "NOT met")))
            if "10" in res:
                z = [m["fa_raw"] for m in res["10"]]
                s = [m["ml_sent"] for m in res["10"]]
                print("\nFA at i = 10, per round: zone 1 verified / plaintext forwarded = %s; "
                      "ML-ESP packets the HA and MH sent: %s" % (
                          ", ".join("%d / %d (%.3f)" % (a, c, a / (a + c)) for a, c, _ in z),
                          ", ".join(str(x) for x in s)))
            with open(out + "/plot-paper.csv", "w") as f:
                for i, p in enumerate(x for x in points if x != "esp"):
                    t = col(p, "tput")
                    o = [x for x in col(p, "tput_ovh") if x is not None]
                    f.write("%s,%d,%.4f,%.4f,%.4f,%.4f,%s,%.3f,%.3f,%.3f,%.3f,%s\n" % (
                        label(p), i, med(t), min(t), max(t), med(col("esp", "tput")),
                        PAPER_TPUT.get(p, "NaN"), med(o), min(o), max(o),
                        med(col(p, "air_ovh")), PAPER_OVH.get(p, "NaN")))
        else:
            b = int(lr[0]["bytes"])
            print("\n### No rate limit: the overhead is CPU (%d rounds, %d bytes a transfer)\n" % (n, b))
            print("Workers' CPU = utime + stime of the HA and MH mmlworker processes (/proc/PID/stat) per MB "
                  "delivered (their XDP programs run in softirq and are not in it); FA XDP = run time of "
                  "FA1's XDP programs (kernel.bpf_stats_enabled) per MB. Overhead = CPU per MB against ESP in "
                  "the same round. Median (range) over rounds; load average (1 min) during the run %s "
                  "(other work on the 2 CPUs shares them).\n" % load)
            print("| i | throughput (Mbit/s) | HA worker (ms/MB) | MH worker (ms/MB) "
                  "| HA+MH vs ESP (%) | FA XDP (µs/MB) | FA XDP vs ESP (%) | ML-ESP share at the HA "
                  "| MH uplink packets / MB | out of order at the MH / MB | CN retransmitted (%) |")
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            for p in points:
                ref = p == "esp"
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    label(p), fmt(col(p, "tput"), "%.0f"), fmt(col(p, "ha")), fmt(col(p, "mh")),
                    "(reference)" if ref else fmt(col(p, "cpu_ovh"), "%+.1f"),
                    fmt(col(p, "fa"), "%.0f"),
                    "(reference)" if ref else fmt(col(p, "fa_ovh"), "%+.0f"),
                    fmt(col(p, "prot"), "%.3f"), fmt(col(p, "up"), "%.0f"),
                    fmt(col(p, "ofo"), "%.0f"), fmt(col(p, "rtx"), "%.2f")))
            with open(out + "/plot-fast.csv", "w") as f:
                for i, p in enumerate(x for x in points if x != "esp"):
                    o = [x for x in col(p, "cpu_ovh") if x is not None]
                    f.write("%s,%d,%.3f,%.3f,%.3f,%.3f\n" % (
                        label(p), i, med(o), min(o), max(o), med(col(p, "fa_ovh"))))
    if bad:
        print("\n%d transfer(s) with a SHA-256 mismatch" % len(bad))
    else:
        print("\nEvery transfer's SHA-256 matched (%d transfers)." % len(rows))


if __name__ == "__main__":
    main()
