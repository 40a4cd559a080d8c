#!/usr/bin/env bash
# Does the auto policy pay (issue 19; docs/results.md "The auto policy")?
# One bed as in tests/ike/flowauto-bed.sh (10 Mbit/s, FA1 running SNOOP and
# sampling its link), with the paper's TCP and 50 ms each way (BENCH_UP:
# other bed up options; with SACK and a short RTT the losses barely cost
# ESP anything and nothing is to be won), then ROUNDS rounds of three CN -> MH transfers of
# XFER_MB each, the transfer's flow static ML-ESP, static ESP and auto (set
# at the HA with mmlctl flow set), while FA1's cell alternates PHASE_S
# seconds clean and PHASE_S seconds at BER LOSSY_BER (both ways), starting
# clean with each transfer. Per transfer: goodput (size over the
# receiver's time) and the HA's and MH's mmlworker utime+stime per MB; the
# auto runs also count their switches. Writes $BUILD/flowauto.csv and a
# table on stdout. Run it under /tmp/mml-netns.lock (make bench-flowauto
# takes it).
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
. "$TOP/tests/ike/flowauto-lib.sh"
ike_suite bench-flowauto

ROUNDS=${ROUNDS:-2} XFER_MB=${XFER_MB:-8} PHASE_S=${PHASE_S:-6} LOSSY_BER=${LOSSY_BER:-1/128K}
CSV=${CSV:-$BUILD/flowauto.csv}
# shellcheck disable=SC2086 # BENCH_UP: bed up options, split
flowauto_up --rate 10000 ${BENCH_UP:---profile paper --delay 50} || die "setup failed"
wait_for 10 both_pairs || die "initialisation not complete"
fa1_snoop_on || die "SNOOP on fa1"

auto_counts() { # "to_esp to_mlesp probes" of the HA's auto flow (0 0 0 without)
	ctl ha -j ike flows | python3 -c "
import json, sys
a = json.load(sys.stdin)['link']['auto']
print(*(a[0][k] for k in ('to_esp', 'to_mlesp', 'probes')) if a else (0, 0, 0))"
}
ber() {
	"$BED" -p "$PREFIX" set ber.fa1.down "$1" >/dev/null
	"$BED" -p "$PREFIX" set ber.fa1.up "$1" >/dev/null
}
# The cell's schedule, in the background until killed: clean, lossy, ...
schedule() {
	while true; do
		ber 0
		sleep "$PHASE_S"
		ber "$LOSSY_BER"
		sleep "$PHASE_S"
	done
}

echo "policy,round,bytes,seconds,goodput_bps,sha256_ok,ha_cpu_ticks,mh_cpu_ticks,auto_to_esp,auto_to_mlesp,auto_probes,load1" >"$CSV"
hz=$(getconf CLK_TCK)
for round in $(seq "$ROUNDS"); do
	for policy in mlesp esp auto; do
		ber 0
		port=$((IKE_PORT + 1))
		flow=(home "$HOME_ADDR" proto tcp home-port "$port")
		for n in ha mh; do ctl $n flow add "${flow[@]}" mode mlesp >/dev/null || die "flow add"; done
		[[ $policy == mlesp ]] || ctl ha flow set "${flow[@]}" mode "$policy" >/dev/null ||
			die "flow set $policy"
		sleep 3 # auto: the clean link's ESP in place, as the static ESP's
		a0=$(auto_counts) h0=$(worker_ticks ha) m0=$(worker_ticks mh)
		schedule &
		sched=$!
		ike_transfer $((XFER_MB * 1024 * 1024))
		kill "$sched"
		wait "$sched" 2>/dev/null
		h1=$(worker_ticks ha) m1=$(worker_ticks mh) a1=$(auto_counts)
		read -r e0 u0 p0 <<<"$a0"
		read -r e1 u1 p1 <<<"$a1"
		ok=0
		ike_sha_ok "$XFER_SENT" "$XFER_RCVD" && ok=1
		gp=$(awk -v b=$((XFER_MB * 1024 * 1024)) -v s="$XFER_SECS" 'BEGIN { printf "%.0f", (s > 0 ? 8 * b / s : 0) }')
		echo "$policy,$round,$((XFER_MB * 1024 * 1024)),$XFER_SECS,$gp,$ok,$((h1 - h0)),$((m1 - m0)),$((e1 - e0)),$((u1 - u0)),$((p1 - p0)),$(cut -d' ' -f1 /proc/loadavg)" |
			tee -a "$CSV"
		# The next transfer's key starts from the ML-ESP entry again.
		ctl ha flow set "${flow[@]}" mode mlesp >/dev/null
		sleep 1
	done
done
ber 0
python3 - "$CSV" "$hz" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
hz = int(sys.argv[2])
def med(v): return statistics.median(v)
print("| policy | goodput (Mbit/s) | HA+MH worker CPU (ms/MB) | switches to ESP / ML-ESP, probes | SHA-256 |")
print("|---|---|---|---|---|")
base = {}
for p in ("mlesp", "esp", "auto"):
    r = [x for x in rows if x["policy"] == p]
    if not r: continue
    gp = [int(x["goodput_bps"]) / 1e6 for x in r]
    cpu = [(int(x["ha_cpu_ticks"]) + int(x["mh_cpu_ticks"])) * 1000 / hz / (int(x["bytes"]) / 2**20) for x in r]
    base.setdefault("gp", med(gp)); base.setdefault("cpu", med(cpu))
    sw = "%s / %s, %s" % tuple("+".join(x[k] for x in r) for k in ("auto_to_esp", "auto_to_mlesp", "auto_probes"))
    print("| %s | %.2f (%s) | %.1f (%s) | %s | %s |" % (
        p, med(gp), " ".join("%.2f" % g for g in gp), med(cpu), " ".join("%.1f" % c for c in cpu),
        sw if p == "auto" else "—", "all equal" if all(x["sha256_ok"] == "1" for x in r) else "MISMATCH"))
EOF
echo "$SUITE: $pass passed, $fail failed"
