#!/usr/bin/env bash
# Suite experiments-smoke: `make experiments PROFILE=smoke` end to end
# (experiments/run.sh: one short Fig. 14 point on the bed, bench-codec -q,
# bench-ep-cost, bench-snoop-cost, bench-functions -q, the AF_XDP transmit
# (bench/functions-xsk.sh -q), two ML-IKE initialisations (bench-mlike), the
# report), then a resume. Checks: every
# run done, summary.json parses and holds the runs' headline numbers, the
# report has no empty cell and no failed run, the PNG is collected; a resume
# skips the finished runs (their done markers untouched, seconds instead of
# the runs' time) and redoes only the one whose marker is gone. About 30 s.
# A bed suite: run it under flock /tmp/mml-netns.lock (it takes nothing
# itself: MML_NETNS_LOCK_HELD=1). Exit 77 without root.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
EXP=$(cd "$HERE/.." && pwd)
. "$HERE/../../tests/lib/check.sh"
[[ $(id -u) == 0 ]] || skip "needs root (the bed)"
export BUILD=${1:-${BUILD:-$EXP/../build}}
T=$(mktemp -d /tmp/exp-smoke.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MML_NETNS_LOCK_HELD=1
mapfile -t RUNS < <(awk '$1 == "smoke" { print $2 }' "$EXP/manifest.txt")
N=${#RUNS[@]}

"$EXP/run.sh" --profile smoke --out "$T/out" >"$T/first.log" 2>&1
rc=$?
cat "$T/first.log"
[[ $rc == 0 ]] && ok "run.sh --profile smoke: exit 0" || bad "run.sh --profile smoke: exit $rc"
n=$(grep -c "^\[experiments .*[0-9]/$N .*ok in .* s (expected" "$T/first.log")
[[ $n == "$N" ]] && ok "one progress line per run, with the time ($n)" || bad "$n progress lines of $N"
check "progress lines estimate what is left" grep -q 'about 0:00:[0-9][0-9] left' "$T/first.log"
for r in "${RUNS[@]}"; do
	check "$r: done marker, raw.log, metrics.csv" test -f "$T/out/$r/done" -a -s "$T/out/$r/raw.log" -a -s "$T/out/$r/metrics.csv"
done
check "fig14: its CSV and PNG, collected in figures/" test -s "$T/out/fig14/results.csv" -a -s "$T/out/figures/fig14-fig14.png"

check "summary.json parses" python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$T/out/summary.json"
# The headline numbers of what smoke ran, each in a plausible range.
python3 - "$T/out/summary.json" >"$T/numbers" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = d["numbers"]
want = {"fig14:reno:0:goodput_mbps": (1.5, 2.1), "codec:esp_aes256gcm:1400:encap_ratio_pct": (1, 1000),
        "ep-cost:ml-esp_z2_aes256gcm:ha_encap_ns": (10, 1e6), "snoop-cost:snoop_64conn_ns": (1, 1e6),
        "mlike:ike_sa_sum_ms": (0.001, 1000), "functions:snoop_done_ns": (1, 1e6),
        "functions:zone2_open_ns": (10, 1e6), "functions-xsk:ip_send_1_ns": (10, 1e6)}
for k, (lo, hi) in want.items():
    v = n.get(k)
    print("%s %s = %s" % ("PASS" if v is not None and lo <= v <= hi else "FAIL", k, v))
t = d["targets"]["codec-esp-aes"]
print("%s target codec-esp-aes has a verdict: %s" % ("PASS" if t["verdict"] in ("met", "NOT met") else "FAIL", t["verdict"]))
p = d["paper"]["t7-snoop-ctrl"]
print("%s Table 7 snoop_ctrl beside the paper's 13 us: %s" % ("PASS" if p["ours"] and p["paper"] == 13 else "FAIL", p["ours"]))
p = d["paper"]["t7-snoop-done"]
print("%s Table 7 snoop_done beside the paper's 14 us: %s" % ("PASS" if p["ours"] and p["paper"] == 14 else "FAIL", p["ours"]))
p = d["paper"]["t2-csa-total"]
print("%s Table 2 MLIKE CSA establish beside the paper's 82.3 ms: %s" % ("PASS" if p["ours"] and p["paper"] == 82.3 else "FAIL", p["ours"]))
EOF
cat "$T/numbers"
pass=$((pass + $(grep -c '^PASS' "$T/numbers"))) fail=$((fail + $(grep -c '^FAIL' "$T/numbers")))
empty=$(grep '^|' "$T/out/report.md" | grep -E '\|\s*\|' | head -3)
[[ -z $empty ]] && ok "report.md: no empty cell" || bad "report.md: empty cells: $empty"
check "report.md: no failed run" bash -c "! grep -q 'failed (rc' '$T/out/report.md'"
check "report.md: Fig. 14 at BER 0 beside the paper" grep -q '^| IPsec overhead at BER 0' "$T/out/report.md"

# Resume: nothing is run again; a run without its marker is.
stamps() { for r in "${RUNS[@]}"; do stat -c %y "$T/out/$r/done" 2>/dev/null; done | md5sum; }
before=$(stamps)
t0=$SECONDS
"$EXP/run.sh" --resume "$T/out" >"$T/second.log" 2>&1
took=$((SECONDS - t0))
n=$(grep -c 'skipped (done before)' "$T/second.log")
[[ $n == "$N" && $(stamps) == "$before" ]] && ok "resume: $N runs skipped, their markers untouched ($took s)" ||
	bad "resume: $n runs skipped of $N ($took s)"
rm "$T/out/codec/done"
"$EXP/run.sh" --resume "$T/out" >"$T/third.log" 2>&1
[[ $(grep -c 'skipped (done before)' "$T/third.log") == $((N - 1)) ]] && grep -q "/$N codec: ok in" "$T/third.log" &&
	ok "resume without codec's marker: codec run again, the others skipped" ||
	bad "resume without codec's marker: $(grep '/4 ' "$T/third.log" | tr '\n' ' ')"
summary
