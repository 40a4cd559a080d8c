#!/usr/bin/env bash
# ML-IKE initialisation on the shared test bed (tests/netns/bed.sh), no key
# typed by hand: mmlkeyd (mip + ike) on HA, FA1, FA2 and MH, the endpoint
# data plane (HA and MH XDP + mmlworker) and the FAs' XDP programs, set up by
# tests/ike/bed-lib.sh (shared with make demo). The MH
# registers through FA1; the HA's binding starts the IKE SAs with MH and
# FA1, MLIKE_AUTH_SA and KEY_DISTRIBUTE (paper Fig. 4); then
#   1. the CSAs are in mml_csa on MH and HA (both zones) and FA1 (zone 1,
#      null zone 2), the bindings name them, and no byte of a zone-2 key is
#      anywhere in FA1's maps;
#   2. a 10 MB CN -> MH transfer runs in ML-ESP mode (the binding's
#      strongest mode), SHA-256 equal, and FA1 verified zone 1 of the
#      downlink packets;
#   3. timings (paper Tables 2 and 3, initialisation row): each node's
#      processing of each message (mmlctl ike show), the HA's binding ->
#      FA keys acknowledged, and the time from the MH's registration request
#      to the first ML-ESP packet to the MH on its wireless link (a capture;
#      a CN -> MH UDP stream of 500 datagrams/s runs meanwhile). RUNS=N
#      repeats the initialisation with fresh MH daemons and prints medians
#      (RESULTS=FILE writes them as JSON);
#   4. a handoff to FA2 moves zone 1 of the CSA pair to FA2 (KEY_DISTRIBUTE
#      over a new IKE SA) and revokes it at FA1; 10 MB again through FA2;
#   5. deregistration removes the CSAs from every node.
# Runtime about 10 s (the bed runs at 1 Gbit/s here). Exit 77 when the bed
# or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
RUNS=${RUNS:-1}
MB10=$((10 * 1024 * 1024))

ike_suite ike-bed
ike_setup --rate 1000000 || die "setup failed"

# ------------------------------------------------ 1 and 3: initialisation
# A constant-rate UDP stream CN -> MH (500 datagrams/s) runs while the MH
# registers; a capture on FA1's wireless link times the first
# registration request and the first ML-ESP packet to the MH. Each run also
# reads every node's per-message processing times (mmlctl ike show).
bg cn "$BUILD/mip-probe" send -c $HOME_ADDR -p 7300 -r 500 -t 600 >"$TMP/probe.log" 2>&1
for r in $(seq "$RUNS"); do
	cap=$TMP/init-$r.pcapng
	# On the air side of FA1's wireless link (the MH's own interface hands
	# ML-ESP to XDP before any capture tap sees it).
	nsenter --net="/run/netns/$PREFIX-air" -- dumpcap -q -i c1-fa -f "udp port 434 or ip proto 50" \
		-w "$cap" >"$TMP/dumpcap.log" 2>&1 &
	cap_pid=$!
	PIDS+=("$cap_pid")
	for _ in $(seq 100); do [[ -s $cap ]] && break; sleep 0.05; done
	sleep 0.2
	ike_mh_start || die "run $r: mmlkeyd on the MH"
	wait_init "$r" || die "run $r: initialisation not complete"
	sleep 0.3
	kill "$cap_pid"
	wait "$cap_pid" 2>/dev/null
	python3 - "$(tshark -r "$cap" -T fields -e frame.time_epoch -Y "udp.dstport == 434" 2>/dev/null | head -1)" \
		"$(tshark -r "$cap" -T fields -e frame.time_epoch -Y "ip.proto == 50 && ip.dst == $HOME_ADDR" 2>/dev/null | head -1)" \
		>>"$TMP/init-ms" <<'EOP' || die "run $r: no registration request or no ML-ESP packet in the capture"
import sys
print("%.3f" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1e3))
EOP
	if [[ ${DEBUG:-0} == 1 ]]; then
		for n in ha mh fa1; do
			echo "debug run $r $n: $(ctl $n -j stats | python3 -c 'import json,sys; print({k: v for k, v in json.load(sys.stdin).items() if v and ("drop" in k or "no_" in k)})')"
		done
		grep "done in" "$TMP/keyd-ha.log" | tail -1
		ctl ha -j ike show | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: v for k, v in d["counters"].items() if v})'
		ctl mh -j ike show | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: v for k, v in d["counters"].items() if v})'
	fi
	echo "$(ike_proc ha ike_sa_init response) $(ike_proc ha ike_auth response) $(ike_proc mh ike_sa_init request)" \
		"$(ike_proc mh ike_auth request) $(ike_proc ha mlike_auth_sa response) $(ike_proc mh mlike_auth_sa request)" \
		"$(ike_proc ha key_distribute response) $(ike_proc fa1 key_distribute request)" >>"$TMP/proc-us"
	if [[ $r -lt $RUNS ]]; then
		# Next run: a fresh MH daemon after a deregistration.
		ike_mh_stop
		for _ in $(seq 100); do
			[[ -z $(csas ha) && -z $(csas fa1) ]] && break
			sleep 0.05
		done
		sleep 0.5
	fi
done
ok "ML-IKE initialisation through registration ($RUNS runs)"

ha_csas=$(csas ha) mh_csas=$(csas mh) fa_csas=$(csas fa1)
check "HA and MH hold 2 CSAs each, FA1 2" test "$(wc -l <<<"$ha_csas")$(wc -l <<<"$mh_csas")$(wc -l <<<"$fa_csas")" = 222
check "HA and MH hold the same zone keys" ike_ep_keys_match
check "FA1 holds zone 1 of both CSAs, a null zone 2" ike_fa_zone1_only fa1
check "no zone-2 key byte string in any of FA1's pinned maps" ike_fa_no_zone2_key fa1

# ------------------------------------------------ 2: the transfer
ha0=$(counter ha ep_encap_mlesp)
fa0=$(counter fa1 fwd_mlesp)
bt0=$(counter fa1 drop_bad_tag)
ike_transfer $MB10
s=$XFER_SENT r=$XFER_RCVD
if ike_sha_ok "$s" "$r"; then ok "10 MB CN -> MH (sha256 ${s:0:16}...)"; else
	bad "10 MB CN -> MH: sent $s, received $r"; fi
ha1=$(counter ha ep_encap_mlesp)
fa1=$(counter fa1 fwd_mlesp)
check "the HA sent in ML-ESP mode ($((ha1 - ha0)) packets)" test $((ha1 - ha0)) -gt 7000
check "FA1 verified zone 1 of the downlink ($((fa1 - fa0)) packets)" test $((fa1 - fa0)) -ge $((ha1 - ha0))
check "FA1: no bad zone-1 tag" test "$(counter fa1 drop_bad_tag)" -eq "$bt0"

# ------------------------------------------------ 4: handoff to FA2
# The HA's binding moves: FA2 gets zone 1 of the CSA pair (KEY_DISTRIBUTE
# over a new IKE SA), FA1's keys are revoked, and the traffic keeps its
# ML-ESP protection through FA2.
"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1
check "MH registered through FA2 after the handoff" wait_registered $FA2_WL 5
check "the CSAs moved: FA2 holds zone 1 of both, FA1 none" ike_wait_moved fa2 fa1
check "FA2 holds zone 1 of the HA's CSAs, a null zone 2" ike_fa_zone1_only fa2
f2a=$(counter fa2 fwd_mlesp)
ike_transfer $MB10
s=$XFER_SENT r=$XFER_RCVD
if ike_sha_ok "$s" "$r"; then ok "10 MB CN -> MH after the handoff (sha256 ${s:0:16}...)"; else
	bad "10 MB CN -> MH after the handoff: sent $s, received $r"; fi
f2b=$(counter fa2 fwd_mlesp)
check "FA2 verified zone 1 ($((f2b - f2a)) packets)" test $((f2b - f2a)) -gt 7000

# ------------------------------------------------ 5: deregistration
# The MH, still away from home, registers again at the next advertisement
# (keyd/mip_mh.c): its daemon stops right after the deregistration, which
# deletes its IKE SA as well.
ike_mh_stop
check "deregistration removed the CSAs on HA, MH, FA1 and FA2" ike_wait_gone
check "the HA saw the deregistration" grep -q "binding $HOME_ADDR deregistered" "$TMP/keyd-ha.log"

med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The first RUNS lines: the handoff's key distribution to FA2 comes after.
sed -n 's/.*ML-IKE initialisation of .* done in \([0-9.]*\) ms.*/\1/p' "$TMP/keyd-ha.log" |
	head -n "$RUNS" >"$TMP/bind-ms"
python3 - "$TMP/proc-us" "$(med "$TMP/init-ms")" "$(med "$TMP/bind-ms")" "$RUNS" "${RESULTS:-}" <<'EOP'
import json, statistics, sys
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1])]
m = [statistics.median(c) / 1e3 for c in zip(*rows)]
out = {"runs": int(sys.argv[4]), "unit": "ms",
       "ike_sa": {"initiator": m[0] + m[1], "responder": m[2] + m[3]},
       "mlike_auth_sa": {"initiator": m[4], "responder": m[5]},
       "key_distribute": {"initiator": m[6], "responder": m[7]},
       "binding_to_fa_keys": float(sys.argv[3]),
       "registration_request_to_first_mlesp_packet": float(sys.argv[2])}
print("ike-bed: medians of %d (ms): IKE SA %.3f + %.3f, MLIKE_AUTH_SA %.3f + %.3f, "
      "KEY_DISTRIBUTE %.3f + %.3f (initiator + responder processing); binding -> FA keys %.3f; "
      "registration request -> first ML-ESP packet at the MH %.3f" %
      (out["runs"], m[0] + m[1], m[2] + m[3], m[4], m[5], m[6], m[7], out["binding_to_fa_keys"],
       out["registration_request_to_first_mlesp_packet"]))
if sys.argv[5]:
    json.dump(out, open(sys.argv[5], "w"), indent=1)
EOP
echo "ike-bed: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
