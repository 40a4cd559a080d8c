# shellcheck shell=bash
# Helpers for the test bed's suites, experiments and the demo (sourced).
#
#   bed_start [up options]   fresh prefix, traps that take the bed down on any
#                            exit (also Ctrl-C), bed.sh up
#   bed_stop                 down now, and check nothing of the run is left
#   bed CMD...               tests/netns/bed.sh for this run's bed
#   on NODE CMD...           run in a node (bed.sh exec)
#   bg_on NODE CMD...        same, in the background; killed by bed_stop
#   ok/bad/check NAME        result lines (tests/check.sh); summary prints
#                            "N passed, M failed"

NETNS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$NETNS_DIR/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
export BUILD
BED=$NETNS_DIR/bed.sh
BG_PIDS=()
# ok, bad, check, has: the result lines every shell suite prints.
. "$NETNS_DIR/../check.sh"

summary() {
	echo "$pass passed, $fail failed"
	[[ $fail -eq 0 ]]
}

need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "SKIP: needs root (namespaces, BPF)"
		exit 77
	fi
}

bed() { "$BED" -p "$MMLB_PREFIX" "$@"; }
on() { "$BED" -p "$MMLB_PREFIX" exec "$@"; }

bg_on() {
	"$BED" -p "$MMLB_PREFIX" exec "$@" &
	BG_PIDS+=($!)
}

stop_bg() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	BG_PIDS=()
}

_bed_trap() {
	local rc=$?
	trap - EXIT INT TERM
	stop_bg
	[[ -n ${MMLB_PREFIX:-} && -d /run/mmlipsec-bed/$MMLB_PREFIX ]] && "$BED" -p "$MMLB_PREFIX" down >/dev/null 2>&1
	exit "$rc"
}

bed_start() {
	MMLB_PREFIX=$("$BED" new-prefix)
	export MMLB_PREFIX
	trap _bed_trap EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	"$BED" -p "$MMLB_PREFIX" up "$@" >/dev/null
}

# Everything the run made is gone: namespaces, pins, state, the delay line.
bed_leftovers() {
	local p=$1 left=""
	ip netns list | grep -q "^$p-" && left+=" namespaces"
	compgen -G "/sys/fs/bpf/mmlipsec/$p-*" >/dev/null && left+=" pins"
	[[ -e /run/mmlipsec-bed/$p ]] && left+=" state"
	echo "$left"
}

bed_stop() {
	local left
	stop_bg
	"$BED" -p "$MMLB_PREFIX" down >/dev/null
	left=$(bed_leftovers "$MMLB_PREFIX")
	if [[ -z $left ]]; then ok "cleanup: nothing of $MMLB_PREFIX left"; else bad "cleanup: left$left"; fi
	trap - EXIT INT TERM
}

# avg RTT in ms of `ping` output
ping_avg() { awk -F/ '/^rtt/ {print $5}'; }

# median RTT in ms of `ping` output (robust to a scheduling hiccup on a
# loaded machine)
ping_median() {
	sed -n 's/.* time=\([0-9.]*\) ms/\1/p' | sort -n |
		awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# field=value from mml-xfer / bed.sh stats output
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

# |a - b| <= tol
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
