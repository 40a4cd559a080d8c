# shellcheck shell=bash
# The product's whole chain on the test bed (tests/netns/bed.sh), shared by
# tests/ike/bed-init.sh (suite ike-bed) and tests/netns/demo.sh (make demo):
# the endpoint data plane (HA and MH XDP + mmlworker), FA1's and FA2's XDP
# programs, and mmlkeyd (Mobile IPv4 + ML-IKE) on HA, FA1, FA2 and MH, with
# fresh pre-shared keys. The MH's daemon starts last (ike_mh_start): its
# registration through FA1 makes the HA run ML-IKE (IKE SAs with MH and FA1,
# MLIKE_AUTH_SA, KEY_DISTRIBUTE), which installs the CSAs in mml_csa.
#
# Needs: TOP (repository), BUILD (build directory). Source it, call
# ike_suite NAME (or check mip_can_run and FA_ATTACH == mmlctl yourself),
# then ike_setup [bed up options]; mip_cleanup (tests/mip/mip-lib.sh) takes
# everything down.
#
#   ike_suite NAME            a suite's start: skip (77) when a piece is missing,
#                             tests/lib/check.sh, the EXIT trap (KEEP=1 keeps logs)
#   ike_setup [up options]    bed, data plane, HA/FA1/FA2 daemons
#   ike_mh_start / ike_mh_stop   the MH's daemon; stop deregisters first
#   csas NODE                 "spi dir z1alg z2alg z1key z2key" per CSA
#   counter NODE NAME         one data-plane counter (tests/lib/node.sh)
#   ike_json NODE EXPR        one value of mmlctl -j ike show (python, on d)
#   ike_proc NODE EXCH DIR    last processing time of an exchange, µs
#   wait_init N               N initialisations done at the HA, MH has its CSAs
#   ike_ep_keys_match         MH and HA hold the same CSAs, both zones
#   ike_fa_zone1_only FA      FA holds zone 1 of the HA's CSAs, a null zone 2
#   ike_maps_hold NODE HEX... one of the strings in NODE's pinned maps
#   ike_fa_no_zone2_key FA    no zone-2 key byte string in FA's pinned maps
#   ike_wait_moved NEW OLD    NEW holds zone 1 of both CSAs, OLD none
#   ike_wait_gone             no CSA left on any node
#   ike_transfer BYTES        CN -> MH over TCP: XFER_SENT, XFER_RCVD (sha256), XFER_SECS
#   ike_sha_ok SENT RECEIVED  both digests there and equal
#   csa_states NODE           "spi state" per CSA of an FA (mmlctl csa list)
#
# IKE_HANDOFF=pkd|dkm|redistribute (optional): the HA's handoff scheme, and
# FA1 and FA2 name each other as neighbours (neighbor = true).

. "$TOP/tests/mip/mip-lib.sh"

# A zone 2 as FA1 must hold it: algorithm 0, key and salt all zero.
NULL_ZONE2="0 $(printf '0%.0s' {1..72})"
IKE_PORT=7400

# The ike section of each node, appended to mip_config's file. IKE_HANDOFF
# (e.g. "dkm"; empty: the default) sets handoff = at HA, FA1 and FA2 and
# makes the FAs each other's neighbour (a DKM peer, PSK fafa.psk);
# IKE_DKM_HA / IKE_DKM_FA add settings (dkm_timeout_ms, dkm_grace) there.
# IKE_HA_MH_EXTRA and IKE_MH_HA_EXTRA: more settings for the HA's peer "mh"
# and the MH's peer "ha" (tests/ike/esp-bed.sh: the ESP CHILD_SA).
ike_handoff() { [[ -z ${IKE_HANDOFF:-} ]] || echo "handoff = \"$IKE_HANDOFF\"; $1"; }
ike_config() {
	local node=$1
	case $node in
	ha)
		cat <<EOC
ike = { role = "ha"; local = "$HA_ADDR"; retransmit_ms = 200; $(ike_handoff "${IKE_DKM_HA:-}") peers = (
  { name = "mh"; address = "$HOME_ADDR"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:mh.bed";
    psk_file = "$TMP/mh.psk"; z1_len = 40; zone2 = "aes256gcm16"; ${IKE_HA_MH_EXTRA:-} },
  { name = "fa1"; address = "$COA1"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:fa1.bed";
    psk_file = "$TMP/fa1.psk"; },
  { name = "fa2"; address = "$COA2"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:fa2.bed";
    psk_file = "$TMP/fa2.psk"; } ); };
EOC
		;;
	fa1 | fa2)
		local coa other ocoa
		coa=$([[ $node == fa1 ]] && echo $COA1 || echo $COA2)
		other=$([[ $node == fa1 ]] && echo fa2 || echo fa1)
		ocoa=$([[ $node == fa1 ]] && echo $COA2 || echo $COA1)
		cat <<EOC
ike = { role = "fa"; local = "$coa"; $(ike_handoff "${IKE_DKM_FA:-}") peers = (
  { name = "ha"; address = "$HA_ADDR"; local_id = "fqdn:$node.bed"; peer_id = "fqdn:ha.bed";
    psk_file = "$TMP/$node.psk"; }$([[ -z ${IKE_HANDOFF:-} ]] || echo ",
  { name = \"$other\"; address = \"$ocoa\"; local_id = \"fqdn:$node.bed\";
    peer_id = \"fqdn:$other.bed\"; psk_file = \"$TMP/fafa.psk\"; neighbor = true; }") ); };
EOC
		;;
	mh)
		cat <<EOC
ike = { role = "mh"; local = "$HOME_ADDR"; home = "$HOME_ADDR"; retransmit_ms = 200; peers = (
  { name = "ha"; address = "$HA_ADDR"; local_id = "fqdn:mh.bed"; peer_id = "fqdn:ha.bed";
    psk_file = "$TMP/mh.psk"; zone2 = "aes256gcm16"; ${IKE_MH_HA_EXTRA:-} } ); };
EOC
		;;
	esac
}

ike_keep_logs() {
	[[ ${KEEP:-0} == 1 && -n ${TMP:-} ]] && cp -r "$TMP" "/tmp/$SUITE-kept" && echo "$SUITE: logs in /tmp/$SUITE-kept"
	mip_cleanup
}

ike_suite() { # NAME
	SUITE=$1 DIE_TAIL=30
	if ! mip_can_run; then
		echo "$SUITE: skipped: $MIP_WHY"
		exit 77
	fi
	[[ $FA_ATTACH == mmlctl ]] || { echo "$SUITE: skipped: needs mmlctl fa attach"; exit 77; }
	# shellcheck disable=SC2016 # expanded when die runs (TMP comes with ike_setup)
	DIE_LOGS='"$TMP"/keyd-*.log "$TMP"/worker-*.log'
	. "$TOP/tests/lib/check.sh" # ok, bad, check, has, die; pass, fail (globals)
	trap ike_keep_logs EXIT
	trap 'exit 130' INT TERM
}

# ike_setup [bed up options]: PREFIX, TMP, the bed (--routing none), the data
# plane, configurations, mmlkeyd on HA, FA1 and FA2.
ike_setup() {
	local n
	# The HA's worker routes the home address into its TUN device: the
	# HA's own IKE packets to the MH are tunnelled like any other.
	mip_bed_ha ike-bed "$@" || return 1
	# FA1, FA2: decapsulation, zone-1 verification, reverse tunnel in XDP.
	mkdir -p -m 0700 "/sys/fs/bpf/mmlipsec/$PREFIX-fa1" "/sys/fs/bpf/mmlipsec/$PREFIX-fa2"
	ctl fa1 fa attach coa $COA1 wired eth0 wireless wlan0 || return 1
	ctl fa2 fa attach coa $COA2 wired eth0 wireless wlan0 || return 1
	# MH: the home address lives on the worker's TUN device, which holds
	# the default route; Mobile IP keeps only the host route to the FA.
	ip -n "$PREFIX-mh" addr del $HOME_ADDR/32 dev wlan0 2>/dev/null
	x mh sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.wlan0.rp_filter=0
	ctl mh mh attach home $HOME_ADDR dev wlan0 || return 1
	bg mh "$BUILD/mmlworker" --role mh --node "$PREFIX-mh" --port wlan0 --tun mml0 \
		--home $HOME_ADDR >"$TMP/worker-mh.log" 2>&1
	for _ in $(seq 100); do
		ip -n "$PREFIX-mh" -o addr show dev mml0 2>/dev/null | grep -q "$HOME_ADDR" && break
		sleep 0.05
	done
	ip -n "$PREFIX-mh" route replace default dev mml0 || return 1
	(
		umask 077
		for n in mh fa1 fa2 fafa; do
			head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/$n.psk"
		done
	)
	for n in ha fa1 fa2 mh; do
		mip_config $n
		ike_config $n >>"$TMP/$n.conf"
	done
	sed -i 's/^  role = "mh";/  role = "mh"; default_route = false; add_home_address = false;/' "$TMP/mh.conf"
	for n in ha fa1 fa2; do
		keyd_start $n || return 1
	done
}

ike_mh_start() { keyd_start mh; }

# Deregister, then stop the MH's daemon (which deletes its IKE SA too): away
# from home, it would register again at the next advertisement.
ike_mh_stop() {
	ctl mh mip deregister >/dev/null
	sleep 0.2
	kill "${KEYD_PID[mh]}" 2>/dev/null
	wait "${KEYD_PID[mh]}" 2>/dev/null
	unset 'KEYD_PID[mh]'
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

ike_json() { # NODE PYTHON-EXPRESSION-ON-d: one value of mmlctl ike show
	ctl "$1" -j ike show | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}
ike_proc() { ike_json "$1" "d['processing']['$2']['$3_us']"; } # NODE EXCHANGE request|response


n_init() { grep -c "ML-IKE initialisation of $HOME_ADDR done" "$TMP/keyd-ha.log"; }
wait_init() { # COUNT
	for _ in $(seq 200); do
		[[ $(n_init) -ge $1 && $(csas mh | wc -l) -eq 2 ]] && return 0
		sleep 0.05
	done
	return 1
}

ike_ep_keys_match() {
	local ha
	ha=$(csas ha)
	[[ -n $ha && $(awk '{print $1, $5, $6}' <<<"$ha" | sort) == "$(awk '{print $1, $5, $6}' <<<"$(csas mh)" | sort)" ]]
}

# FA's CSAs: zone 1 of each of the HA's, zone 2 null.
ike_fa_zone1_only() {
	local fa
	fa=$(csas "$1")
	[[ -n $fa && $(awk '{print $1, $5}' <<<"$(csas ha)" | sort) == "$(awk '{print $1, $5}' <<<"$fa" | sort)" &&
		$(awk '{print $4, $6}' <<<"$fa" | sort -u) == "$NULL_ZONE2" ]]
}

# ike_maps_hold NODE HEX...: some map pinned for NODE holds one of the hex
# strings (bpftool's dump with the separators taken out).
ike_maps_hold() {
	local node=$1 k m
	shift
	for k in "$@"; do
		for m in "/sys/fs/bpf/mmlipsec/$PREFIX-$node"/*; do
			bpftool -j map dump pinned "$m" 2>/dev/null | tr -d ' ",[]x' | grep -q "$k" && return 0
		done
	done
	return 1
}

# No map pinned for FA holds the first 16 bytes of a zone-2 key.
# shellcheck disable=SC2046 # one word per key
ike_fa_no_zone2_key() { ! ike_maps_hold "$1" $(awk '{print substr($6, 1, 32)}' <<<"$(csas ha)"); }

ike_wait_moved() { # NEW OLD
	for _ in $(seq 100); do
		[[ $(csas "$1" | wc -l) -eq 2 && -z $(csas "$2") ]] && return 0
		sleep 0.05
	done
	return 1
}

ike_wait_gone() {
	for _ in $(seq 100); do
		[[ -z $(csas ha) && -z $(csas mh) && -z $(csas fa1) && -z $(csas fa2) ]] && return 0
		sleep 0.05
	done
	return 1
}

# ike_transfer BYTES: one CN -> MH TCP transfer (mml-xfer, a new port each
# time); sets XFER_SENT and XFER_RCVD (the sha256 of each side, "none" when
# missing) and XFER_SECS (the receiver's). No command substitution, and
# timeout in the foreground: Ctrl-C reaches the sender and the caller's trap
# runs in the shell itself.
ike_transfer() {
	IKE_PORT=$((IKE_PORT + 1))
	x mh timeout 120 "$BUILD/mml-xfer" recv -p $IKE_PORT -t 20 >"$TMP/recv.out" 2>&1 &
	PIDS+=("$!")
	x cn timeout --foreground 120 "$BUILD/mml-xfer" send -c $HOME_ADDR -p $IKE_PORT -n "$1" \
		-s $IKE_PORT -R 5 -t 20 >"$TMP/send.out" 2>&1
	wait "${PIDS[-1]}"
	unset 'PIDS[-1]'
	XFER_SENT=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/send.out")
	XFER_RCVD=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/recv.out")
	XFER_SECS=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$TMP/recv.out")
	XFER_SENT=${XFER_SENT:-none} XFER_RCVD=${XFER_RCVD:-none} XFER_SECS=${XFER_SECS:-0}
}

csa_states() { # NODE
	ctl "$1" -j csa list | python3 -c '
import json, sys
for c in json.load(sys.stdin):
    print(int(c["spi"], 16), c.get("state", "-"))'
}

ike_sha_ok() { [[ $1 != none && $1 == "$2" ]]; } # SENT RECEIVED
