# shellcheck shell=bash
# The shell suites' result helpers (sourced by every suite, directly or
# through tests/lib/bed.sh): a PASS or FAIL line per check, counted in pass
# and fail; the suite ends with "$pass passed, $fail failed"
# (tests/run-suites.sh reads that tally) and exits 77 when it is skipped.
#
#   ok/bad TEXT               one PASS or FAIL line
#   check TEXT CMD...         PASS when the command succeeds
#   has PATTERN CMD...        the command's output matches
#   same_sha TEXT "SENT RCVD" PASS when both digests are there and equal
#   summary                   "N passed, M failed"; fails if any failed
#   skip REASON               "SUITE: skipped: REASON", exit 77
#   need_root                 skip unless root
#   die MESSAGE               the suite cannot go on: "SUITE: FAIL: MESSAGE",
#                             the last DIE_TAIL (20) lines of each log file
#                             DIE_LOGS names (shell words, globs included,
#                             expanded when die runs), exit 1
#
# SUITE names the suite in skip and die (default: the script's name).
pass=0 fail=0

ok() {
	pass=$((pass + 1))
	echo "PASS $*"
}

bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}

# check DESCRIPTION COMMAND...: PASS when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# has PATTERN CMD...: the command's output (stdout and stderr) matches. The
# output is captured first: `cmd | grep -q` fails under pipefail when grep
# exits early (SIGPIPE).
has() {
	local pat=$1 out
	shift
	out=$("$@" 2>&1)
	grep -q -- "$pat" <<<"$out"
}

# same_sha DESCRIPTION "sent received": a transfer arrived intact.
same_sha() {
	local s r
	read -r s r <<<"$2"
	[[ -n $s && $s == "$r" ]] && ok "$1 (sha256 ${s:0:16}...)" ||
		bad "$1: sent ${s:-none}, received ${r:-none}"
}

summary() {
	echo "$pass passed, $fail failed"
	[[ $fail -eq 0 ]]
}

skip() {
	echo "${SUITE:-${0##*/}}: skipped: $*"
	exit 77
}

need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "SKIP: needs root (namespaces, BPF)"
		exit 77
	fi
}

die() {
	local f logs
	echo "${SUITE:-${0##*/}}: FAIL: $*" >&2
	eval "logs=(${DIE_LOGS:-})"
	for f in "${logs[@]}"; do
		[[ -f $f ]] || continue
		echo "--- $f"
		tail -n "${DIE_TAIL:-20}" "$f"
	done >&2
	exit 1
}
