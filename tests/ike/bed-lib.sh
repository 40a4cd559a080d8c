# shellcheck shell=bash
# The product's whole chain on the test bed (tests/netns/bed.sh), shared by
# tests/ike/bed-init.sh (suite ike-bed) and tests/netns/demo.sh (make demo):
# the endpoint data plane (HA and MH XDP + mmlworker), every FA's XDP
# programs, and mmlkeyd (Mobile IPv4 + ML-IKE) on HA, every FA and MH, with
# fresh pre-shared keys: the HA has one per FA and one for the MH, each pair
# of neighbour FAs (bed.sh neighbors) one, and each FA lists its neighbours
# as IKE peers with `neighbor = true;`. HANDOFF=pkd|dkm writes
# `handoff = "...";` into the HA's ike section (redistribute, the default,
# writes nothing). The MH's daemon starts last (ike_mh_start): its
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
#   ike_setup [up options]    bed, data plane, HA and FA daemons (--fas N: N FAs)
#   ike_mh_start / ike_mh_stop   the MH's daemon; stop deregisters first
#   csas NODE                 "spi dir z1alg z2alg z1key z2key" per CSA
#   counter NODE NAME         one data-plane counter (tests/lib/node.sh)
#   ike_json NODE EXPR        one value of mmlctl -j ike show (python, on d)
#   ike_proc NODE EXCH DIR    last processing time of an exchange, µs
#   wait_init N               N initialisations done at the HA, MH has its CSAs
#   ike_ep_keys_match         MH and HA hold the same CSAs, both zones
#   ike_fa_zone1_only FA      FA holds zone 1 of the HA's CSAs, a null zone 2
#   ike_maps_hold NODE HEX... one of the strings in NODE's pinned maps
#   ike_fa_no_zone2_key FA [KEYFILE]  no zone-2 key byte string in FA's pinned maps
#   map_hex NODE              every entry of NODE's pinned maps, one hex line each
#   ike_wait_moved NEW OLD    NEW holds zone 1 of both CSAs, OLD none
#   ike_wait_gone             no CSA left on any node
#   ike_transfer BYTES        CN -> MH over TCP: XFER_SENT, XFER_RCVD (sha256), XFER_SECS
#   ike_transfer_start BYTES [RECV-OPTS], ike_transfer_end   the same in the background
#   ike_sha_ok SENT RECEIVED  both digests there and equal
#   csa_states NODE           "spi state" per CSA of an FA (mmlctl csa list)
#   ike_key_drops FA...       every "packet lost to a key" counter (MH, HA, the FAs)
#   wait_for SECONDS CMD...   CMD until it succeeds
#   ike_key_drops_changed A B those that differ between two such listings
#
# IKE_HANDOFF=pkd|dkm|redistribute (optional): the HA's handoff scheme, and
# FA1 and FA2 name each other as neighbours (neighbor = true).

. "$TOP/tests/mip/mip-lib.sh"

# A zone 2 as FA1 must hold it: algorithm 0, key and salt all zero.
NULL_ZONE2="0 $(printf '0%.0s' {1..72})"
IKE_PORT=7400

# The ike section of each node, appended to mip_config's file.
# IKE_HANDOFF=pkd|dkm|redistribute (HANDOFF is the same): the handoff scheme,
# written at the HA and every FA, each FA then listing its neighbour FAs
# (bed.sh neighbors) as IKE peers with `neighbor = true;` and one PSK per
# FA pair; unset, the configurations are today's. IKE_DKM_HA / IKE_DKM_FA
# add settings there (dkm_timeout_ms, dkm_grace). IKE_HA_MH_EXTRA and
# IKE_MH_HA_EXTRA: more settings for the HA's peer "mh" and the MH's peer
# "ha" (tests/ike/esp-bed.sh: the ESP CHILD_SA). IKE_HA_EXTRA, IKE_FA_EXTRA
# and IKE_MH_EXTRA: more settings for each role's ike section.
ike_scheme() { echo "${IKE_HANDOFF:-${HANDOFF:-}}"; }
ike_handoff() { [[ -z $(ike_scheme) ]] || echo "  handoff = \"$(ike_scheme)\"; $1"; }

# The PSK file of FA pair A B (either order).
pair_psk() { if [[ ${1#fa} -lt ${2#fa} ]]; then echo "$TMP/$1-$2.psk"; else echo "$TMP/$2-$1.psk"; fi; }

ike_config() {
	local node=$1 fa
	case $node in
	ha)
		echo "ike = { role = \"ha\"; local = \"$HA_ADDR\"; retransmit_ms = 200; ${IKE_HA_EXTRA:-}"
		ike_handoff "${IKE_DKM_HA:-}"
		cat <<EOC
  peers = (
  { name = "mh"; address = "$HOME_ADDR"; local_id = "fqdn:ha.bed"; peer_id = "fqdn:mh.bed";
    psk_file = "$TMP/mh.psk"; z1_len = 40; zone2 = "aes256gcm16"; ${IKE_HA_MH_EXTRA:-} }
EOC
		for fa in "${FA_NODES[@]}"; do
			echo "  ,{ name = \"$fa\"; address = \"$(coa_of "$fa")\"; local_id = \"fqdn:ha.bed\";"
			echo "    peer_id = \"fqdn:$fa.bed\"; psk_file = \"$TMP/$fa.psk\"; }"
		done
		echo "  ); };"
		;;
	fa*)
		echo "ike = { role = \"fa\"; local = \"$(coa_of "$node")\"; ${IKE_FA_EXTRA:-}"
		ike_handoff "${IKE_DKM_FA:-}"
		cat <<EOC
  peers = (
  { name = "ha"; address = "$HA_ADDR"; local_id = "fqdn:$node.bed"; peer_id = "fqdn:ha.bed";
    psk_file = "$TMP/$node.psk"; }
EOC
		for fa in $([[ -z $(ike_scheme) ]] || "$BED" -p "$PREFIX" neighbors "$node"); do
			echo "  ,{ name = \"$fa\"; address = \"$(coa_of "$fa")\"; local_id = \"fqdn:$node.bed\";"
			echo "    peer_id = \"fqdn:$fa.bed\"; psk_file = \"$(pair_psk "$node" "$fa")\"; neighbor = true; }"
		done
		echo "  ); };"
		;;
	mh)
		cat <<EOC
ike = { role = "mh"; local = "$HOME_ADDR"; home = "$HOME_ADDR"; retransmit_ms = 200; ${IKE_MH_EXTRA:-}
  peers = (
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
# plane, configurations, mmlkeyd on HA and every FA.
ike_setup() {
	local n m
	# The HA's worker routes the home address into its TUN device: the
	# HA's own IKE packets to the MH are tunnelled like any other.
	mip_bed_ha ike-bed "$@" || return 1
	# Every FA: decapsulation, zone-1 verification, reverse tunnel in XDP.
	for n in "${FA_NODES[@]}"; do
		mkdir -p -m 0700 "/sys/fs/bpf/mmlipsec/$PREFIX-$n"
		ctl $n fa attach coa "$(coa_of $n)" wired eth0 wireless wlan0 || return 1
	done
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
		for n in mh "${FA_NODES[@]}"; do
			head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/$n.psk"
			[[ $n == mh ]] && continue
			for m in $("$BED" -p "$PREFIX" neighbors $n); do
				[[ -e $(pair_psk $n $m) ]] ||
					head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$(pair_psk $n $m)"
			done
		done
	)
	for n in ha "${FA_NODES[@]}" mh; do
		mip_config $n
		ike_config $n >>"$TMP/$n.conf"
	done
	sed -i 's/^  role = "mh";/  role = "mh"; default_route = false; add_home_address = false;/' "$TMP/mh.conf"
	for n in ha "${FA_NODES[@]}"; do
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

# Every entry of NODE's pinned maps as one line of hex, key then value(s)
# (each CPU's of a per-CPU map): what a byte-string scan reads. bpftool's
# JSON gives the raw bytes as "0x5f" strings next to its BTF rendering.
map_hex() {
	local m
	for m in "/sys/fs/bpf/mmlipsec/$PREFIX-$1"/*; do
		bpftool -j map dump pinned "$m" 2>/dev/null && echo
	done | python3 -c '
import json, sys
hx = lambda a: "".join(x[2:] for x in a if isinstance(x, str) and x.startswith("0x"))
for line in sys.stdin:
    if line.strip():
        for e in json.loads(line):
            vals = [e.get("value", [])] + [c.get("value", []) for c in e.get("values", [])]
            print(hx(e.get("key", [])) + "".join(hx(v) for v in vals))'
}

# ike_fa_no_zone2_key NODE [KEYFILE]: no map pinned for NODE holds the first
# 16 bytes of a zone-2 key: of the HA's CSAs, or the hex strings in KEYFILE.
# Nothing to look for is a failure, not a pass.
ike_fa_no_zone2_key() {
	local keys
	if [[ -n ${2:-} ]]; then keys=$(sort -u "$2"); else keys=$(csas ha | awk '{print substr($6, 1, 32)}'); fi
	[[ -n $keys ]] || return 1
	# grep reads to the end (no -q): an early exit would fail map_hex's write
	# and, under pipefail, turn a find into a pass.
	! map_hex "$1" | grep -F "$keys" >/dev/null
}

# ike_maps_hold NODE HEX...: some map pinned for NODE holds one of the hex
# strings (map_hex's byte strings).
ike_maps_hold() {
	local node=$1
	shift
	# no -q, as above
	map_hex "$node" | grep -F "$(printf '%s\n' "$@")" >/dev/null
}

# No map pinned for FA holds the first 16 bytes of a zone-2 key.
# shellcheck disable=SC2046 # one word per key

ike_wait_moved() { # NEW OLD
	for _ in $(seq 100); do
		[[ $(csas "$1" | wc -l) -eq 2 && -z $(csas "$2") ]] && return 0
		sleep 0.05
	done
	return 1
}

ike_wait_gone() {
	for _ in $(seq 100); do
		[[ -z $(csas ha)$(csas mh)$(for n in "${FA_NODES[@]}"; do csas "$n"; done) ]] && return 0
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
	xfer_recv_bg
	x cn timeout --foreground 120 "$BUILD/mml-xfer" send -c $HOME_ADDR -p $IKE_PORT -n "$1" \
		-s $IKE_PORT -R 5 -t 20 >"$TMP/send.out" 2>&1
	ike_transfer_end
}

# The same in the background: ike_transfer_start BYTES [mml-xfer recv
# options], ..., ike_transfer_end (waits for both sides, sets XFER_*).
ike_transfer_start() {
	local bytes=$1
	shift
	xfer_recv_bg "$@"
	x cn timeout 120 "$BUILD/mml-xfer" send -c $HOME_ADDR -p $IKE_PORT -n "$bytes" \
		-s $IKE_PORT -R 5 -t 20 >"$TMP/send.out" 2>&1 &
	XFER_SEND_PID=$!
	PIDS+=("$!")
}

xfer_recv_bg() {
	IKE_PORT=$((IKE_PORT + 1))
	x mh timeout 120 "$BUILD/mml-xfer" recv -p $IKE_PORT -t 20 "$@" >"$TMP/recv.out" 2>&1 &
	XFER_RECV_PID=$!
	PIDS+=("$!")
}

ike_transfer_end() {
	local pid keep=()
	[[ -z ${XFER_SEND_PID:-} ]] || wait "$XFER_SEND_PID"
	wait "$XFER_RECV_PID"
	# Reaped: not for mip_cleanup to kill (the pid may be reused).
	for pid in "${PIDS[@]}"; do
		[[ $pid == "$XFER_RECV_PID" || $pid == "${XFER_SEND_PID:-}" ]] || keep+=("$pid")
	done
	PIDS=("${keep[@]}")
	XFER_SEND_PID=
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

# wait_for SECONDS CMD...: CMD every 50 ms until it succeeds, at most SECONDS.
wait_for() {
	local t=$(($1 * 20))
	shift
	for ((; t > 0; t--)); do "$@" && return 0; sleep 0.05; done
	return 1
}

# Every counter of a packet lost to a key, "node:counter=value" per line:
# MH and HA (bad tags, unknown SPI, replay, expiry, spoofed or foreign
# source, no SA) and the FAs given (bad zone-1 tag, expiry, unknown SPI).
IKE_EP_KEY_DROPS="ep_drop_tag_z1 ep_drop_tag_z2 ep_drop_tag_hdr ep_drop_tag_esp ep_drop_unknown_spi
	ep_drop_replay ep_drop_expired ep_drop_spoof ep_drop_outer_src ep_drop_no_sa"
IKE_FA_KEY_DROPS="drop_bad_tag fa_csa_expired fwd_unknown_spi drop_unknown_spi fa_csa_inactive"
ike_key_drops() { # FA...
	local n c
	for n in ha mh; do for c in $IKE_EP_KEY_DROPS; do echo "$n:$c=$(counter $n "$c")"; done; done
	for n in "$@"; do for c in $IKE_FA_KEY_DROPS; do echo "$n:$c=$(counter "$n" "$c")"; done; done
}
# The lines of ike_key_drops that changed between two files, on one line.
ike_key_drops_changed() { diff "$1" "$2" | sed -n 's/^> //p' | tr '\n' ' '; }
