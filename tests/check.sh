# shellcheck shell=bash
# Result lines of the shell suites (sourced): a PASS or FAIL line per check,
# counted in pass and fail; the suite ends with "$pass passed, $fail failed"
# (tests/run-suites.sh reads that tally).
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
