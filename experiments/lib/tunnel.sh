# shellcheck shell=bash disable=SC2034 # sourced by experiments/configs/*.sh
# The tunnel configurations of Fig. 14: the MH behind FA1 with the Mobile IP
# tunnel HA <-> FA (IP-in-IP, done by the HA worker and the FA's XDP), static
# keys installed with mmlctl exactly as tests/ep/common.sh does it, the flow
# mode of both endpoints, and SNOOP at FA1 on or off (the FA worker runs only
# when it is on). Runs on fig14.sh's bed ($MMLB_PREFIX, routing none).
# TUNNEL_KEYS=mlike (fig14.sh --keys mlike): no static key, binding or
# visitor: the product's chain on this bed instead (tests/ike/bed-lib.sh),
# i.e. the MH registers through FA1 by Mobile IPv4, the HA runs ML-IKE
# with MH and FA1 and distributes zone 1 to FA1 (KEY_DISTRIBUTE); mode esp
# uses the MH <-> HA CHILD_SA that ML-IKE negotiates beside the CSAs.
EXP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tests/ep/common.sh
. "$EXP_TOP/tests/ep/common.sh"
if [[ ${TUNNEL_KEYS:-static} == mlike ]]; then
	# shellcheck source=../../tests/ike/bed-lib.sh
	TOP=$EXP_TOP . "$EXP_TOP/tests/ike/bed-lib.sh"
fi

# The keyed chain on fig14.sh's bed (MIP_BED_PREFIX: bed-lib leaves the bed
# to its owner); MODE as tunnel_setup's.
keyed_endpoints() {
	local mode=$1
	MIP_BED_PREFIX=$PREFIX
	mip_can_run || { echo "tunnel: keys from ML-IKE: $MIP_WHY" >&2; return 1; }
	local want=2
	if [[ $mode == esp ]]; then
		# ESP: the MH <-> HA CHILD_SA beside the CSAs (tests/ike/esp-bed.sh).
		IKE_HA_MH_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"0.0.0.0/0\"; remote_ts = \"$HOME_ADDR/32\";"
		IKE_MH_HA_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"$HOME_ADDR/32\"; remote_ts = \"0.0.0.0/0\";"
		want=4
	fi
	ike_setup || return 1
	ike_mh_start || return 1
	for _ in $(seq 200); do
		[[ $(n_init) -ge 1 && $(csas mh | wc -l) -ge $want ]] && break
		sleep 0.05
	done
	[[ $(n_init) -ge 1 && $(csas mh | wc -l) -ge $want ]] ||
		{ echo "tunnel: ML-IKE initialisation through FA1 not complete" >&2; return 1; }
	# ML-ESP is the default; plain and ESP for every flow, as mode() does.
	[[ $mode == mlesp ]] || { ctl ha flow add mode "$mode" && ctl mh flow add mode "$mode"; } || return 1
	x cn ping -q -c 3 -i 0.2 -W 1 $HOME_ADDR >/dev/null 2>&1
	return 0
}

# tunnel_setup MODE(plain|esp|mlesp) SNOOP(on|off)
tunnel_setup() {
	PREFIX=$MMLB_PREFIX
	CTL=$BUILD/mmlctl
	TMP=$(mktemp -d /tmp/fig14-tunnel.XXXXXX)
	PIDS=()
	if [[ ${TUNNEL_KEYS:-static} == mlike ]]; then
		keyed_endpoints "$1" || { tail -n 20 "$TMP"/*.log; return 1; }
	else
		make_keys
		setup_endpoints || { cat "$TMP"/*.log; return 1; }
		mode "$1" || return 1
	fi
	if [[ $2 == on ]]; then
		ctl fa1 snoop set enabled on || return 1
		bg fa1 "$BUILD/mmlworker" --role fa --node "$PREFIX-fa1" --port eth0 --port wlan0 \
			>"$TMP/fa.log" 2>&1
		sleep 0.3
	fi
}

tunnel_teardown() {
	local pid
	[[ -n ${TMP:-} && -d $TMP ]] || return 0
	# The FA's SNOOP counters of the whole sweep, beside the results
	# (fig14.sh's OUT and config, when called from there).
	if [[ -n ${OUT:-} && -f $TMP/fa.log ]]; then
		ctl fa1 -j snoop show >"$OUT/${config:-tunnel}.snoop.json" 2>/dev/null
		cp "$TMP/fa.log" "$OUT/${config:-tunnel}.fa.log"
	fi
	if [[ ${TUNNEL_KEYS:-static} == mlike ]]; then
		[[ -z ${OUT:-} ]] || cp "$TMP/keyd-ha.log" "$OUT/${config:-tunnel}.keyd-ha.log" 2>/dev/null
		mip_cleanup # processes, the nodes' pins and sockets, TMP; the bed is fig14.sh's
		PIDS=() TMP=
		return 0
	fi
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	sleep 0.3
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	PIDS=()
	rm -rf "$TMP"
}
