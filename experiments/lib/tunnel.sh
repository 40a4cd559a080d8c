# shellcheck shell=bash disable=SC2034 # sourced by experiments/configs/*.sh
# The tunnel configurations of Fig. 14: the MH behind FA1 with the Mobile IP
# tunnel HA <-> FA (IP-in-IP, done by the HA worker and the FA's XDP), static
# keys installed with mmlctl exactly as tests/ep/common.sh does it, the flow
# mode of both endpoints, and SNOOP at FA1 on or off (the FA worker runs only
# when it is on). Runs on fig14.sh's bed ($MMLB_PREFIX, routing none).
EXP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tests/ep/common.sh
. "$EXP_TOP/tests/ep/common.sh"

# tunnel_setup MODE(plain|esp|mlesp) SNOOP(on|off)
tunnel_setup() {
	PREFIX=$MMLB_PREFIX
	CTL=$BUILD/mmlctl
	TMP=$(mktemp -d /tmp/fig14-tunnel.XXXXXX)
	PIDS=()
	make_keys
	setup_endpoints || { cat "$TMP"/*.log; return 1; }
	mode "$1" || return 1
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
