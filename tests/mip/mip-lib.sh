# Shared by tests/mip/mip-bed.sh and bench/mip-handoff.sh: the test bed
# (tests/netns/bed.sh) with the plaintext data plane (HA XDP + worker, FA
# XDP) and mmlkeyd on HA, every FA and MH, so that every binding and visitor
# comes from Mobile IP registration. Source it, then call mip_setup; a bed of
# N FAs comes from the bed's own option (mip_setup --fas N).
#
# Needs: TOP (repository), BUILD (build directory). Sets PREFIX, TMP, PIDS,
# FA_NODES (fa1 .. faN, the bed's FAs).

HOME_ADDR=10.1.0.10 HA_ADDR=10.1.0.1 CN_ADDR=10.0.1.1
COA1=10.0.2.2 COA2=10.0.3.2 FA1_WL=10.2.1.1 FA2_WL=10.2.2.1
BED=$TOP/tests/netns/bed.sh
CTL=$BUILD/mmlctl
KEYD=$BUILD/mmlkeyd
PIDS=()
# -g: experiments/lib/tunnel.sh sources this inside a function.
declare -gA KEYD_PID
FA_NODES=(fa1 fa2)

# FAk's addresses (docs/testbed.md): care-of on the wired side, its cell's.
coa_of() { echo "10.0.$((${1#fa} + 1)).2"; }
wl_of() { echo "10.2.${1#fa}.1"; }

# mip_can_run: returns 1 with the reason in MIP_WHY when a piece is missing;
# sets FA_ATTACH (how to load the FA's programs).
mip_can_run() {
	local f
	[[ $(id -u) -eq 0 ]] || { MIP_WHY="needs root"; return 1; }
	[[ -x $BED ]] || { MIP_WHY="no test bed (tests/netns/bed.sh)"; return 1; }
	for f in "$CTL" "$KEYD" "$BUILD/mmlworker" "$BUILD/mml-xfer"; do
		[[ -x $f ]] || { MIP_WHY="missing $f (run make)"; return 1; }
	done
	if "$CTL" -h 2>&1 | grep -q "mmlctl fa attach"; then
		FA_ATTACH=mmlctl
	elif [[ -x $BUILD/ep-tools ]] &&
		! "$BUILD/ep-tools" fa-attach /nonexistent 0.0.0.0 lo lo 2>&1 |
		grep -q "without lib/fa_loader"; then
		FA_ATTACH=tools
	else
		MIP_WHY="no FA data plane loader yet (mmlctl fa attach or ep-tools fa-attach)"
		return 1
	fi
}

# x, ctl, bg, counter: a node of the bed ($PREFIX-NODE).
. "$TOP/tests/lib/node.sh"

mip_any_alive() {
	local pid
	for pid in "${PIDS[@]}" "${KEYD_PID[@]}"; do
		kill -0 "$pid" 2>/dev/null && return 0
	done
	return 1
}

mip_cleanup() {
	local pid
	for pid in "${PIDS[@]}" "${KEYD_PID[@]}"; do
		kill "$pid" 2>/dev/null
	done
	# A worker under load may need more than a moment to leave; KILL only
	# then, and reap quietly (no "Killed" job notices after the tally).
	for _ in $(seq 20); do
		mip_any_alive || break
		sleep 0.1
	done
	for pid in "${PIDS[@]}" "${KEYD_PID[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[[ -n ${PREFIX:-} && -z ${MIP_BED_PREFIX:-} ]] && "$BED" -p "$PREFIX" down >/dev/null 2>&1
	if [[ -n ${PREFIX:-} ]]; then
		rm -rf "/sys/fs/bpf/mmlipsec/$PREFIX-ha" "/sys/fs/bpf/mmlipsec/$PREFIX-mh" \
			"${FA_NODES[@]/#//sys/fs/bpf/mmlipsec/$PREFIX-}"
		rm -f /run/mmlipsec/"$PREFIX"-*.sock
	fi
	[[ -n ${TMP:-} ]] && rm -rf "$TMP"
}

# mip_config NODE: writes $TMP/NODE.conf (mode 0600: it holds the key).
# MIP_FH_KEY (hex): Foreign-Home keys between the HA and every FA.
# MIP_HA_MOBILES (a file of bench-scale-mip -c): more mobiles the HA knows.
mip_config() {
	local node=$1 key=5f2b8a73c61d09e4b7a1f03c6d8e2b95
	{
		echo "node = \"$PREFIX-$node\";"
		echo "log_level = \"${MIP_LOG_LEVEL:-info}\";"
		echo "mip = {"
		case $node in
		ha)
			echo "  role = \"ha\"; address = \"$HA_ADDR\"; max_lifetime = 600;"
			echo "  mobiles = ( { home = \"$HOME_ADDR\";"
			echo "    keys = ( { spi = 1000; algorithm = \"hmac-md5\"; key = \"$key\"; } ); }"
			# More mobiles (tests/ike/soak.sh's synthetic ones): the entries
			# of a mobiles list, bench-scale-mip -c's lines.
			[[ -z ${MIP_HA_MOBILES:-} ]] ||
				sed -n 's/^ *\({ home = .*}\),\?$/    ,\1/p' "$MIP_HA_MOBILES"
			echo "  );"
			if [[ -n ${MIP_FH_KEY:-} ]]; then # Foreign-Home keys, one per FA
				local fa
				echo "  foreign_agents = ("
				for fa in "${FA_NODES[@]}"; do
					echo "    { address = \"$(coa_of "$fa")\"; keys = ( { spi = 2000;"
					echo "      algorithm = \"hmac-sha256\"; key = \"$MIP_FH_KEY\"; } ); },"
				done | sed '$ s/,$//'
				echo "  );"
			fi
			;;
		fa*)
			echo "  role = \"fa\"; address = \"$(wl_of "$node")\"; care_of_address = \"$(coa_of "$node")\";"
			echo "  interface = \"wlan0\"; max_lifetime = 600;"
			echo "  advert_interval_ms = ${MIP_ADVERT_MS:-1000};"
			[[ -n ${MIP_FH_KEY:-} ]] &&
				echo "  home_agents = ( { address = \"$HA_ADDR\"; keys = ( { spi = 2000; algorithm = \"hmac-sha256\"; key = \"$MIP_FH_KEY\"; } ); } );"
			;;
		mh)
			echo "  role = \"mh\"; home_address = \"$HOME_ADDR\"; home_agent = \"$HA_ADDR\";"
			echo "  interface = \"wlan0\"; lifetime = ${MIP_LIFETIME:-30};"
			echo "  retransmit_ms = 200; solicit_ms = 50;"
			echo "  keys = ( { spi = 1000; algorithm = \"hmac-md5\"; key = \"$key\"; } );"
			;;
		esac
		echo "};"
	} >"$TMP/$node.conf"
	chmod 600 "$TMP/$node.conf"
}

# keyd_start NODE: mmlkeyd in the node, log in $TMP/keyd-NODE.log.
keyd_start() {
	local node=$1 i
	nsenter --net="/run/netns/$PREFIX-$node" -- "$KEYD" -F -f "$TMP/$node.conf" \
		>>"$TMP/keyd-$node.log" 2>&1 &
	KEYD_PID[$node]=$!
	for i in $(seq 50); do
		[[ -S /run/mmlipsec/$PREFIX-$node.sock ]] && return 0
		kill -0 "${KEYD_PID[$node]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "mmlkeyd on $node did not start:"
	cat "$TMP/keyd-$node.log"
	return 1
}

# mip JSON query: mmlctl mip VERB on NODE, one field through python.
mip_json() { # NODE VERB PYTHON-EXPRESSION-ON-d
	ctl "$1" -j mip "$2" | python3 -c "import json,sys; d=json.load(sys.stdin); print($3)"
}

# wait_registered FA_ADDR [TIMEOUT_S]
wait_registered() {
	local fa=$1 tries=$((${2:-5} * 20)) i
	for ((i = 0; i < tries; i++)); do
		[[ $(mip_json mh show 'd["state"], d["foreign_agent"]' 2>/dev/null) == \
			"registered $fa" ]] && return 0
		sleep 0.05
	done
	return 1
}

# mip_bed_ha NAME [bed up options]: PREFIX, TMP (/tmp/NAME.XXXXXX), the bed
# (--routing none), the HA's XDP steering on both sides and its worker (it
# tunnels the downlink, and routes each home address into its TUN device so
# that what the HA itself sends to an MH is tunnelled too). Also used by
# tests/ike/bed-lib.sh.
mip_bed_ha() {
	local name=$1
	shift
	# MIP_BED_PREFIX: a bed that is up already (--routing none), whose owner
	# takes it down (experiments/fig14.sh --keys mlike); TMP may be given too.
	if [[ -n ${MIP_BED_PREFIX:-} ]]; then
		PREFIX=$MIP_BED_PREFIX
		TMP=${TMP:-$(mktemp -d "/tmp/$name.XXXXXX")}
	else
		PREFIX=$("$BED" new-prefix)
		TMP=$(mktemp -d "/tmp/$name.XXXXXX")
		"$BED" -p "$PREFIX" up --routing none "$@" >"$TMP/bed.log" 2>&1 ||
			{ cat "$TMP/bed.log"; echo "the test bed did not come up"; return 1; }
	fi
	mapfile -t FA_NODES < <(seq -f 'fa%g' "$("$BED" -p "$PREFIX" get fas)")
	local ports=("${FA_NODES[@]/#/to-}")
	ctl ha ha attach addr $HA_ADDR cn eth0 fa "$(IFS=,; echo "${ports[*]}")" || return 1
	bg ha "$BUILD/mmlworker" --role ha --node "$PREFIX-ha" --port eth0 \
		"${ports[@]/#/--port=}" --tun mml0 >"$TMP/worker-ha.log" 2>&1
}

# mip_setup [bed up options]: bed, data plane, daemons; MH registered via FA1.
mip_setup() {
	mip_bed_ha mip-bed "$@" || return 1
	# Every FA: decapsulation and reverse tunnel in XDP.
	local n
	for n in "${FA_NODES[@]}"; do
		mkdir -p -m 0700 "/sys/fs/bpf/mmlipsec/$PREFIX-$n"
		if [[ $FA_ATTACH == mmlctl ]]; then
			# The wireless address is local: a visitor's renewal to it goes
			# to the stack (mmlkeyd), not into the reverse tunnel.
			ctl $n fa attach coa "$(coa_of $n)" wired eth0 wireless wlan0 local "$(wl_of $n)" ||
				return 1
		else
			x $n "$BUILD/ep-tools" fa-attach "/sys/fs/bpf/mmlipsec/$PREFIX-$n" "$(coa_of $n)" \
				eth0 wlan0 || return 1
		fi
	done
	for n in ha "${FA_NODES[@]}" mh; do
		mip_config $n
	done
	for n in ha "${FA_NODES[@]}" mh; do
		keyd_start $n || return 1
	done
	wait_registered $FA1_WL 5 || { echo "the MH did not register through FA1"; return 1; }
}
