# shellcheck shell=bash
# A node of a namespace topology (the test bed's, or a suite's own), for the
# suites, bench/ and experiments/ (sourced). Nodes are the namespaces
# PREFIX-NODE; bpffs and /run stay shared.
#
#   x NODE CMD...          run CMD in the node's network namespace
#   ctl NODE ARGS...       mmlctl ($CTL) for the node (-r $CTL_ROOT if set)
#   bg NODE CMD...         x in the background; the pid (the command's own:
#                          nsenter execs it) is appended to PIDS
#   counter NODE NAME      one data-plane counter (mmlctl -j stats)
#   worker_ticks NODE      user+system clock ticks of the node's mmlworker (0
#                          without one)
#   in_ns CMD...           run CMD in the suite's one namespace $ns

x() {
	local node=$1
	shift
	nsenter --net="/run/netns/$PREFIX-$node" -- "$@"
}

ctl() {
	local node=$1
	shift
	x "$node" "$CTL" ${CTL_ROOT:+-r "$CTL_ROOT"} -n "$PREFIX-$node" "$@"
}

bg() {
	local node=$1
	shift
	nsenter --net="/run/netns/$PREFIX-$node" -- "$@" &
	PIDS+=($!)
}

counter() { ctl "$1" -j stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

in_ns() { nsenter --net="/run/netns/$ns" "$@"; }

worker_ticks() {
	local p
	for p in $(ip netns pids "$PREFIX-$1"); do
		if [[ $(cat "/proc/$p/comm" 2>/dev/null) == mmlworker ]]; then
			awk '{ print $14 + $15 }' "/proc/$p/stat"
			return
		fi
	done
	echo 0
}
