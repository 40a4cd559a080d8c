#!/usr/bin/env bash
# make bench-rekey: what CSA rekeys cost (issue 17 "Measure"; the paper's
# Table 2 row "MLIKE CREATE (rekey)", 2.65 ms). Root, about 3 minutes, not
# part of make test.
#
# The test bed with the whole product (tests/ike/bed-lib.sh), 10 Mbit/s
# cells, BER 0. RUNS (3) rounds, each two fresh beds one after the other:
# no rekey (no lifetimes), and a rekey about once a second (soft lifetime
# 1 s, hard 3 s, at HA and MH: either end starts one); in each a BYTES
# (20 MiB) CN -> MH TCP transfer. Goodput = bytes / the receiver's time;
# the ratio is the medians' (the same run, so the machine's mood cancels).
# During the rekeying transfers `mmlctl ike show` at HA and MH is sampled
# every 0.1 s: processing.mlike_create_child_sa gives the last exchange's
# processing at each end, as the paper counts it: the responder's handling
# of the request (request_us), the initiator's of the answer
# (response_us), and the initiator's round trip (round_trip_us). The make
# before break around it (KEY_DISTRIBUTE to the FA, the old pair's Delete
# to the MH, the grace period) is the protocol's, not this message's.
# Last line:
#   rekey: goodput X of none (N rekeys, L packets lost to a key); MLIKE_CREATE_CHILD_SA initiator A ms + responder B ms = C ms (paper 2.65 ms), round trip D ms
#
#   bench/rekey.sh [BUILD_DIR]   RUNS=N BYTES=N
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-${BUILD:-$TOP/build}}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
RUNS=${RUNS:-3}
BYTES=${BYTES:-$((20 * 1024 * 1024))}
. "$TOP/tests/ike/bed-lib.sh"
mip_can_run || { echo "bench-rekey: cannot run: $MIP_WHY"; exit 1; }
[[ $FA_ATTACH == mmlctl ]] || { echo "bench-rekey: needs mmlctl fa attach"; exit 1; }
DATA=$(mktemp -d /tmp/bench-rekey.XXXXXX)
trap 'mip_cleanup; rm -rf "$DATA"' EXIT

proc_sample() { # NODE: "request_us response_us round_trip_us" of the last rekey exchange
	ctl "$1" -j ike show 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["processing"]["mlike_create_child_sa"]
print(p["request_us"], p["response_us"], p.get("round_trip_us", 0))'
}

# one_run LABEL EXTRA: a bed whose HA and MH CSA settings are EXTRA, one
# transfer; appends "LABEL goodput_bps rekeys" to $DATA/runs.
one_run() {
	local label=$1 extra=$2 r0 sampler
	IKE_HA_MH_EXTRA="$extra" IKE_MH_HA_EXTRA="$extra" ike_setup --rate 10000 >/dev/null 2>&1 ||
		{ echo "bench-rekey: setup failed"; exit 1; }
	ike_mh_start >/dev/null || { echo "bench-rekey: mmlkeyd on the MH"; exit 1; }
	wait_init 1 || { echo "bench-rekey: initialisation not complete"; exit 1; }
	r0=$(ike_json ha "d['csa_rekeys']['retired']")
	ike_key_drops fa1 >"$DATA/drops-before"
	if [[ $label == rekey ]]; then
		(while :; do
			echo "ha $(proc_sample ha)"
			echo "mh $(proc_sample mh)"
			sleep 0.1
		done >>"$DATA/proc" 2>/dev/null) &
		sampler=$!
	fi
	ike_transfer "$BYTES"
	[[ -n ${sampler:-} ]] && kill "$sampler" 2>/dev/null && wait "$sampler" 2>/dev/null
	ike_key_drops fa1 >"$DATA/drops-after"
	# Packets lost to a key in this run (bad tag, unknown SPI, replay,
	# expiry at MH, HA and FA1): the sum of every such counter's change.
	paste -d' ' <(tr '=' ' ' <"$DATA/drops-before") <(tr '=' ' ' <"$DATA/drops-after") |
		awk '{ n += $4 - $2 } END { print n + 0 }' >>"$DATA/lost-$label"
	ike_sha_ok "$XFER_SENT" "$XFER_RCVD" || { echo "bench-rekey: $label: sha256 mismatch"; exit 1; }
	echo "$label $(awk -v b="$BYTES" -v s="$XFER_SECS" 'BEGIN { printf "%.0f", b * 8 / s }') \
$(($(ike_json ha "d['csa_rekeys']['retired']") - r0))" >>"$DATA/runs"
	printf 'bench-rekey: %-8s %6.2f Mbit/s, %s rekeys\n' "$label" \
		"$(awk -v b="$BYTES" -v s="$XFER_SECS" 'BEGIN { print b * 8 / s / 1e6 }')" \
		"$(($(ike_json ha "d['csa_rekeys']['retired']") - r0))"
	mip_cleanup
	PIDS=() KEYD_PID=() PREFIX="" TMP=""
}

echo "bench-rekey: $RUNS rounds of $BYTES bytes CN -> MH, 10 Mbit/s cells; load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$RUNS"); do
	one_run none ""
	one_run rekey "csa_soft_lifetime = 1; csa_hard_lifetime = 3;"
done
python3 - "$DATA/runs" "$DATA/proc" "$DATA/lost-rekey" <<'EOP'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
none = [float(r[1]) for r in runs if r[0] == "none"]
rk = [float(r[1]) for r in runs if r[0] == "rekey"]
n_rekeys = sum(int(r[2]) for r in runs if r[0] == "rekey")
# Distinct samples: each exchange's figures stay until the next one.
seen, req, resp, rtt = set(), [], [], []
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) != 4 or tuple(f) in seen:
        continue
    seen.add(tuple(f))
    a, b, c = (float(x) for x in f[1:])
    if a > 0: req.append(a)
    if b > 0: resp.append(b)
    if c > 0: rtt.append(c)
med = lambda v: statistics.median(v) / 1e3 if v else float("nan")
ratio = statistics.median(rk) / statistics.median(none)
lost = sum(int(l) for l in open(sys.argv[3]))
print("bench-rekey: goodput medians: none %.2f Mbit/s, rekey once a second %.2f Mbit/s (%d rekeys in %d runs)"
      % (statistics.median(none) / 1e6, statistics.median(rk) / 1e6, n_rekeys, len(rk)))
print("bench-rekey: MLIKE_CREATE_CHILD_SA processing, medians (max, n): responder %.3f ms (%.3f, %d), "
      "initiator %.3f ms (%.3f, %d); round trip %.3f ms (%.3f, %d)"
      % (med(req), max(req, default=0) / 1e3, len(req), med(resp), max(resp, default=0) / 1e3, len(resp),
         med(rtt), max(rtt, default=0) / 1e3, len(rtt)))
print("bench-rekey: packets lost to a key across the %d rekeys (MH, HA, FA1 counters): %d" % (n_rekeys, lost))
print("rekey: goodput %.3f of none (%d rekeys, %d packets lost to a key); MLIKE_CREATE_CHILD_SA initiator %.3f ms + responder %.3f ms = %.3f ms "
      "(paper 2.65 ms), round trip %.3f ms" % (ratio, n_rekeys, lost, med(resp), med(req), med(resp) + med(req), med(rtt)))
EOP
