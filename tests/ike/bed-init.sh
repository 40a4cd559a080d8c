#!/usr/bin/env bash
# ML-IKE initialisation on the shared test bed (tests/netns/bed.sh), no key
# typed by hand: mmlkeyd (mip + ike) on HA, FA1 and MH, the endpoint data
# plane (HA and MH XDP + mmlworker) and FA1's XDP programs. The MH
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
. "$TOP/tests/mip/mip-lib.sh"
RUNS=${RUNS:-1}
MB10=$((10 * 1024 * 1024))

if ! mip_can_run; then
	echo "ike-bed: skipped: $MIP_WHY"
	exit 77
fi
[[ $FA_ATTACH == mmlctl ]] || { echo "ike-bed: skipped: needs mmlctl fa attach"; exit 77; }
pass=0 fail=0
keep_logs() {
	[[ ${KEEP:-0} == 1 && -n ${TMP:-} ]] && cp -r "$TMP" /tmp/ike-bed-kept && echo "ike-bed: logs in /tmp/ike-bed-kept"
	mip_cleanup
}
trap keep_logs EXIT
trap 'exit 130' INT TERM
ok() {
	pass=$((pass + 1))
	echo "PASS $*"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
die() {
	echo "ike-bed: $*"
	tail -n 30 "$TMP"/keyd-*.log "$TMP"/worker-*.log 2>/dev/null
	exit 1
}
counter() { ctl "$1" -j stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

# mmlkeyd in NODE's namespace: nsenter execs it, so KEYD_PID holds the
# daemon's own pid (what mip_cleanup kills).
keyd_run() {
	local node=$1
	nsenter --net="/run/netns/$PREFIX-$node" -- "$KEYD" -F -f "$TMP/$node.conf" \
		>>"$TMP/keyd-$node.log" 2>&1 &
	KEYD_PID[$node]=$!
	for _ in $(seq 100); do
		[[ -S /run/mmlipsec/$PREFIX-$node.sock ]] && return 0
		kill -0 "${KEYD_PID[$node]}" 2>/dev/null || break
		sleep 0.02
	done
	echo "mmlkeyd on $node did not start:"
	cat "$TMP/keyd-$node.log"
	return 1
}

# The ike section of each node, appended to mip_config's file.
ike_config() {
	local node=$1
	case $node in
	ha)
		cat <<EOC
ike = { role = "ha"; local = "$HA_ADDR"; retransmit_ms = 200; peers = (
  { name = "mh"; address = "$HOME_ADDR"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:mh.bed";
    psk_file = "$TMP/mh.psk"; z1_len = 40; zone2 = "aes256gcm16"; },
  { name = "fa1"; address = "$COA1"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:fa1.bed";
    psk_file = "$TMP/fa1.psk"; },
  { name = "fa2"; address = "$COA2"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:fa2.bed";
    psk_file = "$TMP/fa2.psk"; } ); };
EOC
		;;
	fa2)
		cat <<EOC
ike = { role = "fa"; local = "$COA2"; peers = (
  { name = "ha"; address = "$HA_ADDR"; local_id = "fqdn:fa2.bed"; peer_id = "fqdn:ha.bed";
    psk_file = "$TMP/fa2.psk"; } ); };
EOC
		;;
	fa1)
		cat <<EOC
ike = { role = "fa"; local = "$COA1"; peers = (
  { name = "ha"; address = "$HA_ADDR"; local_id = "fqdn:fa1.bed"; peer_id = "fqdn:ha.bed";
    psk_file = "$TMP/fa1.psk"; } ); };
EOC
		;;
	mh)
		cat <<EOC
ike = { role = "mh"; local = "$HOME_ADDR"; home = "$HOME_ADDR"; retransmit_ms = 200; peers = (
  { name = "ha"; address = "$HA_ADDR"; local_id = "fqdn:mh.bed"; peer_id = "fqdn:ha.bed";
    psk_file = "$TMP/mh.psk"; zone2 = "aes256gcm16"; } ); };
EOC
		;;
	esac
}

setup() {
	local n
	PREFIX=$("$BED" new-prefix)
	TMP=$(mktemp -d /tmp/ike-bed.XXXXXX)
	"$BED" -p "$PREFIX" up --rate 1000000 --routing none >"$TMP/bed.log" 2>&1 ||
		{ cat "$TMP/bed.log"; echo "the test bed did not come up"; return 1; }
	# HA: XDP steering on both sides, the worker (it routes the home
	# address into its TUN device, so the HA's own IKE packets to the MH
	# are tunnelled like any other).
	ctl ha ha attach addr $HA_ADDR cn eth0 fa to-fa1,to-fa2 || return 1
	bg_x ha "$BUILD/mmlworker" --role ha --node "$PREFIX-ha" --port eth0 --port to-fa1 \
		--port to-fa2 --tun mml0 >"$TMP/worker-ha.log" 2>&1
	# FA1, FA2: decapsulation, zone-1 verification, reverse tunnel in XDP.
	mkdir -p -m 0700 "/sys/fs/bpf/mmlipsec/$PREFIX-fa1" "/sys/fs/bpf/mmlipsec/$PREFIX-fa2"
	ctl fa1 fa attach coa $COA1 wired eth0 wireless wlan0 || return 1
	ctl fa2 fa attach coa $COA2 wired eth0 wireless wlan0 || return 1
	# MH: the home address lives on the worker's TUN device, which holds
	# the default route; Mobile IP keeps only the host route to the FA.
	ip -n "$PREFIX-mh" addr del $HOME_ADDR/32 dev wlan0 2>/dev/null
	x mh sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.wlan0.rp_filter=0
	ctl mh mh attach home $HOME_ADDR dev wlan0 || return 1
	bg_x mh "$BUILD/mmlworker" --role mh --node "$PREFIX-mh" --port wlan0 --tun mml0 \
		--home $HOME_ADDR >"$TMP/worker-mh.log" 2>&1
	for _ in $(seq 100); do
		ip -n "$PREFIX-mh" -o addr show dev mml0 2>/dev/null | grep -q "$HOME_ADDR" && break
		sleep 0.05
	done
	ip -n "$PREFIX-mh" route replace default dev mml0 || return 1
	umask 077
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/mh.psk"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/fa1.psk"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/fa2.psk"
	for n in ha fa1 fa2 mh; do
		mip_config $n
		ike_config $n >>"$TMP/$n.conf"
	done
	sed -i 's/^  role = "mh";/  role = "mh"; default_route = false; add_home_address = false;/' "$TMP/mh.conf"
	keyd_run ha || return 1
	keyd_run fa1 || return 1
	keyd_run fa2 || return 1
}

# The typed CSAs of a node: "spi dir z1alg z2alg z1key z2key" per line.
csas() {
	bpftool -j map dump pinned "/sys/fs/bpf/mmlipsec/$PREFIX-$1/mml_csa" 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    f = e.get("formatted", e)
    v = f["value"]
    z = v["zone"]
    key = lambda k: "".join("%02x" % int(x, 0) if isinstance(x, str) else "%02x" % x for x in k)
    print(v["spi"], v["dir"], z[0]["alg"], z[1]["alg"], key(z[0]["key"]) + key(z[0]["salt"]),
          key(z[1]["key"]) + key(z[1]["salt"]))'
}

setup || die "setup failed"

# ------------------------------------------------ 1 and 3: initialisation
# A constant-rate UDP stream CN -> MH (500 datagrams/s) runs while the MH
# registers; a capture on FA1's wireless link times the first
# registration request and the first ML-ESP packet to the MH. Each run also
# reads every node's per-message processing times (mmlctl ike show).
n_init() { grep -c "ML-IKE initialisation of $HOME_ADDR done" "$TMP/keyd-ha.log"; }
wait_init() { # COUNT
	for _ in $(seq 200); do
		[[ $(n_init) -ge $1 && $(csas mh | wc -l) -eq 2 ]] && return 0
		sleep 0.05
	done
	return 1
}
proc() { # NODE EXCHANGE request|response -> µs
	ctl "$1" -j ike show | python3 -c "import json,sys; print(json.load(sys.stdin)['processing']['$2']['$3_us'])"
}
bg_x cn "$BUILD/mip-probe" send -c $HOME_ADDR -p 7300 -r 500 -t 600 >"$TMP/probe.log" 2>&1
for r in $(seq "$RUNS"); do
	cap=$TMP/init-$r.pcapng
	# On the air side of FA1's wireless link (the MH's own interface hands
	# ML-ESP to XDP before any capture tap sees it).
	nsenter --net="/run/netns/$PREFIX-air" -- dumpcap -q -i c1-fa -f "udp port 434 or ip proto 50" \
		-w "$cap" >"$TMP/dumpcap.log" 2>&1 &
	cap_pid=$!
	PIDS+=($cap_pid)
	for _ in $(seq 100); do [[ -s $cap ]] && break; sleep 0.05; done
	sleep 0.2
	keyd_run mh || die "run $r: mmlkeyd on the MH"
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
	echo "$(proc ha ike_sa_init response) $(proc ha ike_auth response) $(proc mh ike_sa_init request)" \
		"$(proc mh ike_auth request) $(proc ha mlike_auth_sa response) $(proc mh mlike_auth_sa request)" \
		"$(proc ha key_distribute response) $(proc fa1 key_distribute request)" >>"$TMP/proc-us"
	if [[ $r -lt $RUNS ]]; then
		# Next run: a fresh MH daemon after a deregistration.
		ctl mh mip deregister >/dev/null
		sleep 0.2
		kill "${KEYD_PID[mh]}" 2>/dev/null
		wait "${KEYD_PID[mh]}" 2>/dev/null
		unset 'KEYD_PID[mh]'
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
check "HA and MH hold the same zone keys" test \
	"$(awk '{print $1, $5, $6}' <<<"$ha_csas" | sort)" = "$(awk '{print $1, $5, $6}' <<<"$mh_csas" | sort)"
check "FA1 holds zone 1 of both CSAs" test \
	"$(awk '{print $1, $5}' <<<"$ha_csas" | sort)" = "$(awk '{print $1, $5}' <<<"$fa_csas" | sort)"
check "FA1's zone 2 is a null SA" test "$(awk '{print $4, $6}' <<<"$fa_csas" | sort -u)" = \
	"0 $(printf '0%.0s' {1..72})"
leak=0
for z2 in $(awk '{print substr($6, 1, 64)}' <<<"$ha_csas"); do
	for m in /sys/fs/bpf/mmlipsec/$PREFIX-fa1/*; do
		bpftool -j map dump pinned "$m" 2>/dev/null | tr -d ' ",[]x' | grep -q "${z2:0:32}" && leak=1
	done
done
check "no zone-2 key byte string in any of FA1's pinned maps" test $leak -eq 0

# ------------------------------------------------ 2: the transfer
port=7400
transfer() {
	local addr=$HOME_ADDR sent rcvd
	port=$((port + 1))
	x mh timeout 60 "$BUILD/mml-xfer" recv -p $port -t 20 >"$TMP/recv.out" 2>&1 &
	local rpid=$!
	x cn timeout 60 "$BUILD/mml-xfer" send -c $addr -p $port -n "$1" -s $port -R 5 -t 20 \
		>"$TMP/send.out" 2>&1
	wait $rpid
	sent=$(grep -o 'sha256=[0-9a-f]*' "$TMP/send.out")
	rcvd=$(grep -o 'sha256=[0-9a-f]*' "$TMP/recv.out")
	echo "${sent#sha256=} ${rcvd#sha256=}"
}
ha0=$(counter ha ep_encap_mlesp)
fa0=$(counter fa1 fwd_mlesp)
bt0=$(counter fa1 drop_bad_tag)
read -r s r <<<"$(transfer $MB10)"
[[ -n $s && $s == "$r" ]] && ok "10 MB CN -> MH (sha256 ${s:0:16}...)" ||
	bad "10 MB CN -> MH: sent ${s:-none}, received ${r:-none}"
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
moved=0
for _ in $(seq 100); do
	[[ $(csas fa2 | wc -l) -eq 2 && -z $(csas fa1) ]] && { moved=1; break; }
	sleep 0.05
done
check "the CSAs moved: FA2 holds zone 1 of both, FA1 none" test $moved -eq 1
check "FA2 holds the same zone-1 keys as the HA" test \
	"$(awk '{print $1, $5}' <<<"$(csas ha)" | sort)" = "$(awk '{print $1, $5}' <<<"$(csas fa2)" | sort)"
check "FA2's zone 2 is a null SA" test "$(awk '{print $4, $6}' <<<"$(csas fa2)" | sort -u)" = \
	"0 $(printf '0%.0s' {1..72})"
f2a=$(counter fa2 fwd_mlesp)
read -r s r <<<"$(transfer $MB10)"
[[ -n $s && $s == "$r" ]] && ok "10 MB CN -> MH after the handoff (sha256 ${s:0:16}...)" ||
	bad "10 MB CN -> MH after the handoff: sent ${s:-none}, received ${r:-none}"
f2b=$(counter fa2 fwd_mlesp)
check "FA2 verified zone 1 ($((f2b - f2a)) packets)" test $((f2b - f2a)) -gt 7000

# ------------------------------------------------ 5: deregistration
# The MH, still away from home, registers again at the next advertisement
# (keyd/mip_mh.c): its daemon stops right after the deregistration, which
# deletes its IKE SA as well.
ctl mh mip deregister >/dev/null
sleep 0.2
kill "${KEYD_PID[mh]}" 2>/dev/null
wait "${KEYD_PID[mh]}" 2>/dev/null
unset 'KEYD_PID[mh]'
gone=0
for _ in $(seq 100); do
	[[ -z $(csas ha) && -z $(csas mh) && -z $(csas fa1) && -z $(csas fa2) ]] && { gone=1; break; }
	sleep 0.05
done
check "deregistration removed the CSAs on HA, MH, FA1 and FA2" test $gone -eq 1
check "the HA saw the deregistration" grep -q "binding $HOME_ADDR deregistered" "$TMP/keyd-ha.log"

med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
sed -n 's/.*ML-IKE initialisation of .* done in \([0-9.]*\) ms.*/\1/p' "$TMP/keyd-ha.log" >"$TMP/bind-ms"
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
