#!/usr/bin/env bash
# Run test suites given as NAME:COMMAND words, all of them even when one fails,
# then print one summary line. Exit status 77 from a suite means "skipped".
# Each suite's output is kept in $TEST_LOGS/NAME.log (default build/test-logs)
# and shown as it comes; the failing lines are repeated at the end.
# SUITES="GLOB ..." runs only the suites whose names match one of the globs
# (make test SUITES='unit-* ike-keyd').
set -uo pipefail

passed=0 failed=0 skipped=0 failed_names=()
logs=${TEST_LOGS:-build/test-logs}
mkdir -p "$logs"
tail_pid=
trap '[[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null' EXIT

selected() {
	[[ -z ${SUITES:-} ]] && return 0
	local - glob
	set -f
	for glob in $SUITES; do
		# shellcheck disable=SC2053 # the glob is meant to match
		[[ $1 == $glob ]] && return 0
	done
	return 1
}

for suite in "$@"; do
	name=${suite%%:*}
	cmd=${suite#*:}
	selected "$name" || continue
	log=$logs/$name.log
	printf '\n=== suite %s: %s\n' "$name" "$cmd"
	start=$SECONDS
	# The suite writes to its log, not to a pipe, so a process it leaves
	# behind cannot hold the runner up; it runs in the foreground, so Ctrl-C
	# reaches it (and its cleanup traps) as usual. tail shows the log live.
	: >"$log"
	tail -n +1 -s 0.2 -f "$log" &
	tail_pid=$!
	bash -c "$cmd" >"$log" 2>&1
	rc=$?
	sleep 0.3 # the last lines
	kill "$tail_pid" 2>/dev/null
	wait "$tail_pid" 2>/dev/null
	tail_pid=
	took=$((SECONDS - start))
	# Suites that stop at their first failure print no tally of their own:
	# give them one, so every suite ends with cmocka's summary or a line
	# "N passed, M failed".
	if ! tail -n 10 "$log" | grep -qE '[0-9]+ passed, [0-9]+ failed|\[  (PASSED|FAILED)  \]'; then
		[[ $rc -eq 0 ]] && tally="1 passed, 0 failed" || tally="0 passed, 1 failed"
		[[ $rc -eq 77 ]] && tally="0 passed, 0 failed (skipped)"
		echo "$name: $tally (the suite's exit status)" | tee -a "$log"
	fi
	case $rc in
	0) passed=$((passed + 1)); printf '=== suite %s: ok (%ss)\n' "$name" "$took" ;;
	77) skipped=$((skipped + 1)); printf '=== suite %s: SKIPPED (%ss)\n' "$name" "$took" ;;
	*) failed=$((failed + 1)); failed_names+=("$name")
	   printf '=== suite %s: FAILED with status %d (%ss)\n' "$name" "$rc" "$took" ;;
	esac
done

# What failed, again at the end, where a CI log is read first.
for name in "${failed_names[@]}"; do
	printf '\n--- %s: failing lines (whole log in %s/%s.log)\n' "$name" "$logs" "$name"
	grep -E 'FAIL|ERROR|error|Assert|assert' "$logs/$name.log" | head -20
done

printf '\nsuites: %d passed, %d failed, %d skipped' "$passed" "$failed" "$skipped"
[[ $failed -gt 0 ]] && printf ' (failed: %s)' "${failed_names[*]}"
printf '\n'
[[ $failed -eq 0 ]]
