#!/usr/bin/env bash
# make demo: three beds, one after the other (tests/netns/bed.sh), each with
# real transfers, and a printed summary:
#   1. plain kernel forwarding: a file CN -> MH over the emulated 2 Mbit/s
#      wireless link with bit errors, a handoff to FA2, the file again;
#   2. the product, Mobile IP + ML-IKE + ML-ESP (tests/ike/bed-lib.sh, as
#      the ike-bed suite): mmlkeyd on HA, FA1, FA2 and MH, the endpoint
#      workers, the FAs' XDP programs. The MH registers through FA1, the HA
#      runs ML-IKE and the CSAs land on MH, HA and FA1 (zone 1 only);
#      4 MiB CN -> MH in ML-ESP mode, FA1 verifying zone 1 of every packet;
#      a handoff moves zone 1 to FA2 and revokes FA1; 4 MiB again through
#      FA2; the MH and the HA agree over ML-IKE to protect every 10th packet
#      of a flow, 4 MiB again; the deregistration removes every CSA. The wireless links run at
#      10 Mbit/s here (BER as in 1) so that each transfer takes a few
#      seconds: at the paper's 2 Mbit/s, 4 MiB take 17 s;
#      Then PKD and DKM handoffs, and CSA rekeys every second under a
#      transfer, each on a product bed of its own;
#   3. SNOOP at the FA on an ML-ESP flow (the FA reads the TCP header from
#      the zone-1 plaintext it authenticated; the cache holds the encrypted
#      frames): the paper's TCP at BER 1/64K with SNOOP and without.
# Exit status 0 only when every sha256 matches and the product's chain
# completes. Ctrl-C or any failure also tears the beds down. About 70 s.
#
#   tests/netns/demo.sh [BYTES] [BER]      defaults: 1 MiB, 1/256K (part 1 and 2)
set -uo pipefail
source "$(dirname "$0")/../lib/bed.sh"
# shellcheck source=../ike/bed-lib.sh
source "$TOP/tests/ike/bed-lib.sh"
need_root

BYTES=${1:-1048576}
BER=${2:-1/256K}
MH=10.1.0.10

SNOOP_BYTES=262144
PRODUCT_BYTES=$((4 * 1024 * 1024))
PRODUCT_KBIT=10000

# demo_transfer PORT SEED: one CN -> MH transfer; prints the receiver's line
# followed by "sent_sha256=..." of the sender.
demo_transfer() {
	local port=$1 seed=$2 rx sent
	rx=$(mktemp)
	# Generous idle timeouts: without SNOOP at 1/64K the paper's TCP can
	# sit in a backed-off RTO for minutes (experiments/fig14.sh).
	bg_on mh "$BUILD/mml-xfer" recv -p "$port" -t 600 >"$rx"
	sent=$(on cn "$BUILD/mml-xfer" send -c $MH -p "$port" -n "$BYTES" -s "$seed" -t 600 | field sha256)
	wait "${BG_PIDS[-1]}"
	BG_PIDS=()
	echo "$(cat "$rx") sent_sha256=${sent:-none}"
	rm -f "$rx"
}

report() {
	local cell=$1 line=$2 down up bps
	down=$(bed stats "$cell" down)
	up=$(bed stats "$cell" up)
	bps=$(field goodput_bps <<<"$line")
	printf '  via %s: %s bytes in %.2f s = %.3f Mbit/s goodput\n' "$cell" \
		"$(field bytes <<<"$line")" "$(field seconds <<<"$line")" "$(awk "BEGIN{print ${bps:-0} / 1e6}")"
	printf '  bit errors on %s: downlink lost %s of %s frames, uplink lost %s of %s\n' "$cell" \
		"$(field lost_frames <<<"$down")" \
		"$(($(field passed_frames <<<"$down") + $(field lost_frames <<<"$down")))" \
		"$(field lost_frames <<<"$up")" \
		"$(($(field passed_frames <<<"$up") + $(field lost_frames <<<"$up")))"
	if [[ $(field sha256 <<<"$line") == "$(field sent_sha256 <<<"$line")" ]]; then
		echo "  sha256 match: $(field sha256 <<<"$line")"
	else
		echo "  sha256 MISMATCH: sent $(field sent_sha256 <<<"$line"), received $(field sha256 <<<"$line")"
		DEMO_OK=0
	fi
}

# ---------------------------------------------------- part 2: the product
# Its summary lines collect in PRODUCT; a broken link of the chain ends the
# part (product_fail prints why and the daemons' last log lines).
PRODUCT=""
psay() { PRODUCT+="  $*"$'\n'; }
product_fail() {
	echo "demo: FAILED: $*"
	psay "FAILED: $*"
	tail -n 15 "$TMP"/keyd-*.log "$TMP"/worker-*.log 2>/dev/null
	return 1
}
alg_name() { case $1 in 0) echo null ;; 1) echo chacha20poly1305 ;; 2) echo aes256gcm16 ;; *) echo "alg $1" ;; esac; }
last_init_ms() { sed -n 's/.*ML-IKE initialisation of .* done in \([0-9.]*\) ms.*/\1/p' "$TMP/keyd-ha.log" | tail -1; }

# product_transfer FA OTHER_FA: PRODUCT_BYTES CN -> MH through FA; the
# goodput, the sha256, and FA's zone-1 verification against what the
# endpoints sent in ML-ESP mode.
product_transfer() {
	local fa=$1 other=$2 s r secs ha0 mh0 fa0 bt0 ot0 lost0 ha mh fwd bt ot lost
	ha0=$(counter ha ep_encap_mlesp) mh0=$(counter mh ep_encap_mlesp)
	fa0=$(counter "$fa" fwd_mlesp) bt0=$(counter "$fa" drop_bad_tag) ot0=$(counter "$other" fwd_mlesp)
	lost0=$("$BED" -p "$PREFIX" stats "$fa" up | field lost_frames)
	local seg0 gro0 seg gro
	seg0=$(counter mh ep_tun_tx) gro0=$(counter mh ep_tun_gro)
	ike_transfer "$PRODUCT_BYTES"
	s=$XFER_SENT r=$XFER_RCVD secs=$XFER_SECS
	ha=$(($(counter ha ep_encap_mlesp) - ha0)) mh=$(($(counter mh ep_encap_mlesp) - mh0))
	fwd=$(($(counter "$fa" fwd_mlesp) - fa0)) bt=$(($(counter "$fa" drop_bad_tag) - bt0))
	ot=$(($(counter "$other" fwd_mlesp) - ot0))
	lost=$(($("$BED" -p "$PREFIX" stats "$fa" up | field lost_frames) - lost0))
	psay "$(awk -v f="$fa" -v b="$PRODUCT_BYTES" -v s="$secs" 'BEGIN {
		printf "via %s in ML-ESP mode: %d bytes in %.2f s = %.3f Mbit/s goodput", f, b, s, s ? b * 8 / s / 1e6 : 0 }')"
	if ike_sha_ok "$s" "$r"; then
		psay "sha256 match: $s"
	else
		psay "sha256 MISMATCH: sent $s, received $r"
		DEMO_OK=0
	fi
	psay "$fa verified zone 1 of $fwd ML-ESP packets = $((fwd - mh + lost)) downlink (the HA sent $ha" \
		"in ML-ESP mode) + $((mh - lost)) uplink (the MH sent $mh, $lost frames lost on the air);" \
		"bad zone-1 tags: $bt; through $other: $ot"
	[[ $ha -gt 0 && $fwd -ge $ha && $bt -eq 0 && $ot -eq 0 ]] ||
		product_fail "$fa did not verify zone 1 of every ML-ESP packet the HA sent"
	seg=$(($(counter mh ep_tun_tx) - seg0)) gro=$(($(counter mh ep_tun_gro) - gro0))
	psay "the MH's worker handed its TCP $seg decrypted segments, $gro times several coalesced" \
		"into one super-packet (one write, one pass through the stack)"
}

# Dynamic MML-IPsec agreed over ML-IKE (issue 19, docs/protocol.md §2.7):
# the next transfer's TCP flow in ML-ESP at both ends, then the MH asks the
# HA (flow_downgrade_min = "plain" there) for every 10th packet protected;
# PRODUCT_BYTES through FA2 and what the HA sent.
flow_agreed() {
	local n xport=$((IKE_PORT + 1)) p0 m0 p m
	local flow=(home "$HOME_ADDR" proto tcp home-port "$xport")
	for n in ha mh; do
		ctl $n flow add "${flow[@]}" mode mlesp || product_fail "flow add at $n" || return
	done
	echo "demo: the MH asks the HA over ML-IKE for every 10th packet of the next transfer protected ..."
	ctl mh -j flow set "${flow[@]}" mode mlesp every 10 >"$TMP/flow-set.out" 2>&1 &&
		grep -q '"answer":"agreed"' "$TMP/flow-set.out" ||
		product_fail "flow set: $(cat "$TMP/flow-set.out")" || return
	p0=$(counter ha ep_encap_plain) m0=$(counter ha ep_encap_mlesp)
	local dp0 dp
	dp0=$(counter mh ep_deliver_plain)
	# FA2's own capture of what leaves its XDP programs meanwhile (issue
	# 22: tcpdump never sees these frames).
	ctl fa2 -j fa capture -w "$TMP/fa2.pcapng" --at exit -c 400 -t 30 >"$TMP/capture.out" 2>&1 &
	local cap=$!
	ike_transfer "$PRODUCT_BYTES"
	wait $cap
	p=$(($(counter ha ep_encap_plain) - p0)) m=$(($(counter ha ep_encap_mlesp) - m0))
	psay "dynamic MML-IPsec agreed over ML-IKE (INFORMATIONAL, MLIKE_FLOW_MODE): the MH asked for every 10th" \
		"packet protected, the HA agreed; $PRODUCT_BYTES bytes via fa2: the HA sent $m ML-ESP and $p plaintext" \
		"packets ($(awk -v m="$m" -v p="$p" 'BEGIN { printf "1 in %.1f", m ? (m + p) / m : 0 }') protected)"
	if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then
		psay "sha256 match: $XFER_SENT"
	else
		psay "sha256 MISMATCH: sent $XFER_SENT, received $XFER_RCVD"
		DEMO_OK=0
	fi
	[[ $m -gt 0 && $p -gt $m ]] || product_fail "the agreed every 10th was not what the HA sent"
	# The entry's own counters (mml_flow_ctr) and the MH's one receive path.
	dp=$(($(counter mh ep_deliver_plain) - dp0))
	psay "the HA's counters of that flow entry (mmlctl flow list): $(ctl ha -j flow list | python3 -c '
import json, sys
e = [f for f in json.load(sys.stdin) if f.get("home-port") == int(sys.argv[1])]
print("sent %d plaintext, %d ML-ESP" % (e[0]["sent-plain"], e[0]["sent-mlesp"]) if e else "none")' "$xport");" \
		"the MH's worker delivered $dp of its plaintext packets in order with the protected ones"
	local frames esp tcp_plain
	frames=$(tshark -r "$TMP/fa2.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
	esp=$(tshark -r "$TMP/fa2.pcapng" -Y esp -T fields -e frame.number 2>/dev/null | wc -l)
	tcp_plain=$(tshark -r "$TMP/fa2.pcapng" -Y 'tcp && !esp' -T fields -e frame.number 2>/dev/null | wc -l)
	psay "FA2's own capture (mmlctl fa capture, pcapng): $frames frames as they left its XDP programs," \
		"tshark reads $esp ML-ESP and $tcp_plain plaintext TCP"
	[[ $frames -gt 0 && $esp -gt 0 && $tcp_plain -gt $esp ]] || product_fail "FA2's capture"
	psay "the HA's counters for Prometheus (mmlctl stats --prometheus): $(ctl ha stats --prometheus |
		grep -c '^mmlipsec_') samples, e.g. $(ctl ha stats --prometheus | grep '^mmlipsec_ep_encap_mlesp_total')"
}

product() {
	local reg init spis z1 z2
	mip_can_run || product_fail "$MIP_WHY" || return
	[[ $FA_ATTACH == mmlctl ]] || product_fail "needs mmlctl fa attach" || return
	IKE_HA_EXTRA='flow_downgrade_min = "plain";' ike_setup --rate "$PRODUCT_KBIT" --ber "$BER" ||
		product_fail "setup" || return
	echo "demo: bed $PREFIX is up: workers at HA and MH, XDP at FA1 and FA2, mmlkeyd on HA, FA1, FA2"
	echo "demo: mmlkeyd starts on the MH: Mobile IP registration through FA1, ML-IKE ..."
	ike_mh_start || product_fail "mmlkeyd on the MH" || return
	wait_init 1 || product_fail "ML-IKE initialisation did not complete" || return
	wait_registered "$FA1_WL" 5 || product_fail "the MH is not registered through FA1" || return
	reg=$(mip_json mh show 'd["history"][-1]["registration_us"] / 1e3')
	psay "$(printf 'the MH registered through FA1 in %.2f ms (agent solicitation -> registration reply)' "$reg")"
	psay "ML-IKE initialisation done in $(last_init_ms) ms (HA: binding -> FA1 acknowledged the zone-1 keys):" \
		"IKE SAs HA-MH and HA-FA1, MLIKE_AUTH_SA, KEY_DISTRIBUTE; $(ike_json ha 'd["counters"]["sa_up"]') IKE SAs up at the HA"
	psay "HA processing of each exchange: $(ike_json ha '", ".join("%s %.0f us" % (x.upper(),
		d["processing"][x]["response_us"]) for x in ("ike_sa_init", "ike_auth", "mlike_auth_sa", "key_distribute"))')"
	spis=$(ike_json ha '"out %08x, in %08x" % (d["mobiles"][0]["spi_out"], d["mobiles"][0]["spi_in"])')
	read -r _ _ z1 z2 _ <<<"$(csas ha | head -1)"
	ike_ep_keys_match || product_fail "MH and HA do not hold the same CSAs" || return
	ike_fa_zone1_only fa1 || product_fail "FA1 does not hold exactly zone 1 of the CSAs" || return
	ike_fa_no_zone2_key fa1 || product_fail "a zone-2 key byte string in FA1's maps" || return
	psay "CSA pair ($spis; zone 1 $(alg_name "$z1"), zone 2 $(alg_name "$z2")): MH and HA hold both zones;" \
		"FA1 zone 1 only (null zone 2; no zone-2 key byte string in its $(find "/sys/fs/bpf/mmlipsec/$PREFIX-fa1" -maxdepth 1 -type f | wc -l) pinned maps)"
	echo "demo: FA1 holds zone 1 only; sending $PRODUCT_BYTES bytes CN -> MH through FA1 in ML-ESP mode ..."
	product_transfer fa1 fa2 || return
	echo "demo: handing the MH over to FA2 ..."
	"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1 || product_fail "bed handoff" || return
	wait_registered "$FA2_WL" 5 || product_fail "the MH did not register through FA2" || return
	wait_init 2 || product_fail "no ML-IKE key distribution to FA2" || return
	ike_wait_moved fa2 fa1 || product_fail "zone 1 did not move from FA1 to FA2" || return
	ike_fa_zone1_only fa2 || product_fail "FA2 does not hold exactly zone 1 of the CSAs" || return
	ike_fa_no_zone2_key fa2 || product_fail "a zone-2 key byte string in FA2's maps" || return
	reg=$(mip_json mh show 'd["history"][-1]["since_link_up_us"] / 1e3')
	init=$(last_init_ms)
	psay "$(printf 'handoff: the MH registered through FA2 %.2f ms after its link came up;' "$reg")" \
		"FA2 acknowledged zone 1 $init ms after the new binding (IKE SA HA-FA2, KEY_DISTRIBUTE)"
	psay "FA1 revoked: no CSA left in its mml_csa; FA2 holds zone 1 only (null zone 2, no zone-2 key byte string)"
	echo "demo: FA2 holds zone 1, FA1 none; sending $PRODUCT_BYTES bytes again, through FA2 ..."
	product_transfer fa2 fa1 || return
	flow_agreed || return
	echo "demo: the MH deregisters ..."
	ike_mh_stop
	ike_wait_gone || product_fail "CSAs left after the deregistration" || return
	grep -q "binding $HOME_ADDR deregistered" "$TMP/keyd-ha.log" ||
		product_fail "the HA did not drop the binding" || return
	psay "deregistration: the HA dropped the binding; no CSA left on HA, MH, FA1 or FA2" \
		"(HA: $(ike_json ha 'd["csas_installed"]') CSAs installed, $(ike_json ha 'd["csas_removed"]') removed)"
}

# One handoff FA1 -> FA2 with the paper's scheme $1 (pkd or dkm) on a
# product bed of its own: where the zone-1 keys came from and when they were
# ready, then 1 MB through FA2.
scheme_handoff() { # pkd|dkm
	local scheme=$1 before ready r s
	IKE_HANDOFF=$scheme ike_setup --rate "$PRODUCT_KBIT" --ber "$BER" || product_fail "$scheme setup" || return
	ike_mh_start || product_fail "$scheme: mmlkeyd on the MH" || return
	wait_init 1 || product_fail "$scheme: ML-IKE initialisation" || return
	wait_registered "$FA1_WL" 5 || product_fail "$scheme: not registered through FA1" || return
	# PKD: the neighbour's inactive copy arrives after the initialisation.
	for _ in $(seq 100); do
		before=$(csa_states fa2 | awk '{print $2}' | sort -u | tr '\n' ' ')
		[[ $scheme != pkd || $before == "inactive " ]] && break
		sleep 0.05
	done
	[[ $scheme != pkd || $before == "inactive " ]] ||
		product_fail "pkd: FA2 does not hold the CSAs inactive before the handoff (${before:-none})" || return
	"$BED" -p "$PREFIX" handoff fa2 >"$TMP/handoff.log" 2>&1 || product_fail "bed handoff" || return
	wait_registered "$FA2_WL" 5 || product_fail "$scheme: not registered through FA2" || return
	ike_wait_moved fa2 fa1 || [[ $scheme == pkd ]] || product_fail "$scheme: zone 1 not at FA2" || return
	ike_fa_no_zone2_key fa2 || product_fail "$scheme: a zone-2 key byte string in FA2's maps" || return
	if [[ $scheme == pkd ]]; then
		grep -q "PKD: handoff of .* the keys are there already" "$TMP/keyd-ha.log" ||
			product_fail "pkd: the HA did not find the keys at FA2" || return
		grep -q "PKD: CSAs of .* activated" "$TMP/keyd-fa2.log" || product_fail "pkd: FA2 did not activate" || return
		psay "PKD: FA2 held the MH's zone-1 CSAs inactive before the handoff (NEIGHBOR_NOTIFY from FA1," \
			"KEY_DISTRIBUTE marked inactive) and activated them just before relaying the registration reply:" \
			"nothing was distributed at the handoff (no KEY_DISTRIBUTE); FA1 keeps its copy (PKD)"
	else
		ready=$(sed -n 's/.*DKM handoff of .* done in \([0-9.]*\) ms.*/\1/p' "$TMP/keyd-ha.log" | tail -1)
		[[ -n $ready ]] || product_fail "dkm: no DKM handoff at the HA" || return
		psay "DKM: FA2 took the MH's zone-1 CSAs from FA1 (previous-FA extension, FA-FA IKE SA," \
			"DKM_CSA_REQUEST) and reported them to the HA $ready ms after the new binding; no KEY_DISTRIBUTE"
		dkm_rekeyed() { (($(ike_json ha "d['csa_rekeys']['after_dkm']") >= 1 &&
			$(ike_json ha "d['csa_rekeys']['retired']") >= 1)); }
		wait_for 8 dkm_rekeyed || product_fail "dkm: no rekey after the DKM handoff" || return
		psay "  then the HA rekeyed the pair (paper Fig. 8): the zone-1 key FA1 held protects nothing any more"
	fi
	ike_transfer 1048576 || product_fail "$scheme: transfer" || return
	r=$XFER_RCVD s=$XFER_SENT
	ike_sha_ok "$s" "$r" || product_fail "$scheme: sha256 mismatch through FA2" || return
	psay "  1 MB CN -> MH through FA2 in ML-ESP mode after the $scheme handoff: sha256 match (${s:0:16}...)"
}

# CSA rekeys under a transfer (issue 17, paper Fig. 7) on a product bed of
# its own: soft lifetime 1 s, so either end rekeys about once a second;
# 4 MiB CN -> MH through FA1, and the counters of packets lost to a key.
rekey_demo() {
	local before after lost n r s
	IKE_HA_MH_EXTRA="csa_soft_lifetime = 1; csa_hard_lifetime = 3;" \
		IKE_MH_HA_EXTRA="csa_soft_lifetime = 1; csa_hard_lifetime = 3;" \
		ike_setup --rate "$PRODUCT_KBIT" || product_fail "rekey setup" || return
	ike_mh_start || product_fail "rekey: mmlkeyd on the MH" || return
	wait_init 1 || product_fail "rekey: ML-IKE initialisation" || return
	ike_key_drops fa1 >"$TMP/rekey-before"
	n=$(ike_json ha "d['csa_rekeys']['retired']")
	ike_transfer $((4 * 1024 * 1024)) || product_fail "rekey: transfer" || return
	r=$XFER_RCVD s=$XFER_SENT
	ike_key_drops fa1 >"$TMP/rekey-after"
	n=$(($(ike_json ha "d['csa_rekeys']['retired']") - n))
	lost=$(ike_key_drops_changed "$TMP/rekey-before" "$TMP/rekey-after")
	ike_sha_ok "$s" "$r" || product_fail "rekey: sha256 mismatch" || return
	[[ $n -ge 1 ]] || product_fail "rekey: no rekey completed during the transfer" || return
	[[ -z $lost ]] || product_fail "rekey: packets lost to a key: $lost" || return
	psay "CSA rekeys (MLIKE_CREATE_CHILD_SA, soft lifetime 1 s): 4 MiB CN -> MH across $n rekeys in ${XFER_SECS%.*} s," \
		"sha256 match (${s:0:16}...); every rekey gave FA1 the new zone 1 before either end sent with it:" \
		"0 packets dropped for a bad tag, an unknown SPI, replay or expiry at MH, HA and FA1"
}

# Daemons, workers and the bed go; anything left of them is a failure. A
# signal that a command substitution's subshell sees kills that subshell by
# the same signal, so that the shell itself cleans up, once.
on_signal() { # SIGNAL STATUS
	if [[ $BASHPID != "$$" ]]; then
		trap - "$1"
		kill -s "$1" "$BASHPID"
	fi
	exit "$2"
}
product_down() {
	local p=${PREFIX:-} left
	[[ $BASHPID == "$$" ]] || return 0
	trap - EXIT INT TERM
	mip_cleanup
	PIDS=() KEYD_PID=() PREFIX="" TMP=""
	[[ -n $p ]] || return 0
	left=$(bed_leftovers "$p")
	[[ -z $left ]] || { psay "cleanup: left$left"; DEMO_OK=0; }
}

DEMO_OK=1
echo "demo: bringing the test bed up (CN - wan - HA - FA1/FA2 - air - MH; 2 Mbit/s, BER $BER)"
bed_start --ber "$BER" || exit 1
echo "demo: bed $MMLB_PREFIX is up; namespaces $MMLB_PREFIX-{cn,wan,ha,fa1,fa2,air,mh}"
echo "demo: sending $BYTES bytes CN -> MH through FA1 ..."
FIRST=$(demo_transfer 7001 1)
bed handoff fa2 >/dev/null
echo "demo: handed the MH over to FA2; sending again ..."
SECOND=$(demo_transfer 7002 2)
# The link counters belong to this bed: report before it goes.
REPORT=$(report fa1 "$FIRST"; report fa2 "$SECOND")
grep -q MISMATCH <<<"$REPORT" && DEMO_OK=0
bed_stop >/dev/null
echo "demo: the product, Mobile IP + ML-IKE + ML-ESP: a second bed (${PRODUCT_KBIT} kbit/s wireless links, BER $BER) ..."
trap product_down EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
product || DEMO_OK=0
product_down
for scheme in pkd dkm; do
	echo "demo: handoff key management, $scheme: another product bed ..."
	trap product_down EXIT
	trap 'on_signal INT 130' INT
	trap 'on_signal TERM 143' TERM
	scheme_handoff $scheme || DEMO_OK=0
	product_down
done
echo "demo: CSA rekeys under a transfer: another product bed ..."
trap product_down EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
rekey_demo || DEMO_OK=0
product_down
echo "demo: SNOOP + ML-ESP at FA1: a third bed (static keys, paper TCP, 100 ms WAN delay each way, BER 1/64K) ..."
# shellcheck source=../../experiments/lib/tunnel.sh
source "$TOP/experiments/lib/tunnel.sh"
bed_start --profile paper --routing none --delay 100 --ber 1/64K || exit 1
on cn sysctl -qw net.ipv4.tcp_timestamps=0
tunnel_setup mlesp on || exit 1
echo "demo: $SNOOP_BYTES bytes with SNOOP, then without ..."
BYTES=$SNOOP_BYTES
mh_tag_drops() { echo $(($(counter mh ep_drop_tag_z1) + $(counter mh ep_drop_tag_z2) + $(counter mh ep_drop_tag_hdr))); }
TAGS0=$(mh_tag_drops)
SNOOP_ON=$(demo_transfer 7003 3)
RXMITS=$(ctl fa1 -j snoop show | python3 -c "import json,sys; c=json.load(sys.stdin)['counters']
print(c['local_rxmit_dupack'] + c['local_rxmit_timer'] + c['local_rxmit_persist'])")
TAG_FAILS=$(($(mh_tag_drops) - TAGS0))
FA_VERIFIED=$(counter fa1 fwd_mlesp)
ctl fa1 snoop set enabled off
SNOOP_OFF=$(demo_transfer 7004 4)
tunnel_teardown
echo
echo "summary (TCP Reno with today's loss recovery, plain kernel forwarding, 2 Mbit/s wireless link, BER $BER both ways):"
echo "$REPORT"
echo "the product, Mobile IP + ML-IKE + ML-ESP ($PRODUCT_KBIT kbit/s wireless links, BER $BER both ways):"
printf '%s' "$PRODUCT"
echo "SNOOP on an ML-ESP flow (the paper's TCP, 2 Mbit/s wireless link, 100 ms WAN delay each way, zone 1 = 40 bytes):"
ok_on=$([[ $(field sha256 <<<"$SNOOP_ON") == "$(field sent_sha256 <<<"$SNOOP_ON")" ]] && echo ok || echo MISMATCH)
ok_off=$([[ $(field sha256 <<<"$SNOOP_OFF") == "$(field sent_sha256 <<<"$SNOOP_OFF")" ]] && echo ok || echo MISMATCH)
[[ $ok_on == ok && $ok_off == ok && $TAG_FAILS == 0 ]] || DEMO_OK=0
awk -v on="$(field goodput_bps <<<"$SNOOP_ON")" -v off="$(field goodput_bps <<<"$SNOOP_OFF")" \
	-v r="$RXMITS" -v b="$SNOOP_BYTES" -v s1="$ok_on" -v s2="$ok_off" 'BEGIN {
	printf "  SNOOP at FA1, BER 1/64K, %d bytes: %.3f Mbit/s with SNOOP (%d local retransmissions, sha256 %s)\n", b, on / 1e6, r, s1
	printf "                                     %.3f Mbit/s without (sha256 %s): %.1fx\n", off / 1e6, s2, off ? on / off : 0 }'
echo "  FA1 read the TCP header of $FA_VERIFIED ML-ESP packets (both ways) from verified zone 1; the MH accepted every local"
echo "  retransmission of a still-encrypted cached frame ($TAG_FAILS authentication failures at the MH)"
echo
bed_stop >/dev/null
echo "demo: bed $MMLB_PREFIX removed; $SECONDS s"
if [[ $DEMO_OK == 1 ]]; then
	echo "demo: OK"
else
	echo "demo: FAILED (see above)"
	exit 1
fi
