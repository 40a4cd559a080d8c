#!/usr/bin/env bash
# Suite "cleanup": a bed leaves nothing behind (about 10 s). Checks that
# after `down` no namespace, pin, state, process, root-namespace link or
# qdisc of the run remains, also when up fails half-way, when the test using
# the bed gets Ctrl-C, and when a process of the test is still running in a
# node; and that down never touches a namespace it did not create. Prints
# PASS/FAIL lines and "N passed, M failed". Needs root (exit 77 otherwise).
set -uo pipefail
source "$(dirname "$0")/../lib/bed.sh"
need_root

root_snapshot() {
	ip -o link show | awk -F': ' '{print $2}' | sort
	tc qdisc show | sort
}

nothing_left() {
	local what=$1 prefix=$2 left
	left=$(bed_leftovers "$prefix")
	check "$what: nothing of $prefix left${left:+ (left:$left)}" test -z "$left"
}

BEFORE=$(root_snapshot)

# 1. up, traffic, down
P=$("$BED" new-prefix)
"$BED" -p "$P" up >/dev/null
"$BED" -p "$P" exec cn ping -c 2 -i 0.2 10.1.0.10 >/dev/null
DL_PID=$(cat "/run/mmlipsec-bed/$P/delayline.pid")
# A namespace down did not create, with the bed's prefix: must survive.
ip netns add "$P-decoy"
# A process left running in a node would keep its namespace alive.
"$BED" -p "$P" exec mh sleep 300 &
SLEEPER=$!
sleep 0.3
"$BED" -p "$P" down >/dev/null
check "down: of the namespaces named $P-*, only the decoy is left" \
	test "$(ip netns list | awk '{print $1}' | grep "^$P-")" = "$P-decoy"
ip netns del "$P-decoy"
nothing_left "down" "$P"
check "down: the delay line (pid $DL_PID) has stopped" sh -c "! kill -0 $DL_PID 2>/dev/null"
wait "$SLEEPER" 2>/dev/null
check "down: the process left in the mh node was stopped" sh -c "! kill -0 $SLEEPER 2>/dev/null"
check "down: root namespace links and qdiscs unchanged" test "$(root_snapshot)" = "$BEFORE"

# 2. up fails half-way
P=$("$BED" new-prefix)
if MMLB_FAULT=after-air "$BED" -p "$P" up >/dev/null 2>&1; then
	bad "failed up: exits non-zero"
else
	ok "failed up: exits non-zero"
fi
nothing_left "failed up" "$P"

# 3. Ctrl-C in a test that uses the bed: SIGINT to its whole process group,
# as a terminal sends it. Job control gives the child its own group and keeps
# SIGINT from being ignored in it (as it is for a non-interactive '&').
P_FILE=$(mktemp)
set -m
bash -c 'source "$1/bed.sh"; bed_start; echo "$MMLB_PREFIX" >"$2"
	bg_on mh iperf3 -s -p 5999 >/dev/null 2>&1; sleep 60' _ "$TESTS_LIB" "$P_FILE" &
CHILD=$!
set +m
START=$SECONDS
for _ in $(seq 100); do [[ -s $P_FILE ]] && break; sleep 0.1; done
P=$(cat "$P_FILE")
rm -f "$P_FILE"
check "ctrl-c: the test's bed came up" test -n "$P" -a -d "/run/mmlipsec-bed/$P"
sleep 0.5
kill -INT -- "-$CHILD"
wait "$CHILD" 2>/dev/null
check "ctrl-c: the test stopped at once ($((SECONDS - START)) s), not after its sleep" \
	test $((SECONDS - START)) -lt 30
nothing_left "ctrl-c" "${P:-none}"
check "ctrl-c: root namespace links and qdiscs unchanged" test "$(root_snapshot)" = "$BEFORE"

summary
