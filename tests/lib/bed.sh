# shellcheck shell=bash
# Running the test bed (tests/netns/bed.sh) from its suites, experiments/ and
# the demo (sourced; brings tests/lib/check.sh along).
#
#   bed_start [up options]   fresh prefix, traps that take the bed down on any
#                            exit (also Ctrl-C), bed.sh up
#   bed_stop                 down now, and check nothing of the run is left
#   bed CMD...               tests/netns/bed.sh for this run's bed
#   on NODE CMD...           run in a node (bed.sh exec)
#   bg_on NODE CMD...        same, in the background; killed by bed_stop
#   bed_leftovers PREFIX     what of a run is left (namespaces, pins, state)
#   ping_avg, ping_median    RTT in ms of `ping` output
#   field NAME               NAME=value of mml-xfer / bed.sh stats output
#   within A B TOL           |A - B| <= TOL

TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$TESTS_LIB/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
export BUILD
BED=$TOP/tests/netns/bed.sh
BG_PIDS=()
# ok, bad, check, has, summary, need_root, skip, die.
. "$TESTS_LIB/check.sh"

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
