#!/usr/bin/env bash
# Run test suites given as NAME:COMMAND words, all of them even when one fails,
# then print one summary line. Exit status 77 from a suite means "skipped".
set -uo pipefail

passed=0 failed=0 skipped=0 failed_names=()
logs=${TEST_LOGS:-build/test-logs}
mkdir -p "$logs"
for suite in "$@"; do
	name=${suite%%:*}
	cmd=${suite#*:}
	printf '\n=== suite %s: %s\n' "$name" "$cmd"
	start=$SECONDS
	# Into a log, followed live; a process a suite leaves behind cannot hold
	# the runner up (tail stops with the suite itself, not with its pipe).
	bash -c "$cmd" >"$logs/$name.log" 2>&1 &
	pid=$!
	# A background job ignores SIGINT: pass Ctrl-C on as SIGTERM, which the
	# suites' cleanup traps handle, and stop.
	trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 130' INT
	tail -n +1 -s 0.2 -f --pid="$pid" "$logs/$name.log"
	wait "$pid"
	rc=$?
	took=$((SECONDS - start))
	case $rc in
	0) passed=$((passed + 1)); printf '=== suite %s: ok (%ss)\n' "$name" "$took" ;;
	77) skipped=$((skipped + 1)); printf '=== suite %s: SKIPPED (%ss)\n' "$name" "$took" ;;
	*) failed=$((failed + 1)); failed_names+=("$name")
	   printf '=== suite %s: FAILED with status %d (%ss)\n' "$name" "$rc" "$took" ;;
	esac
done

# What failed, again at the end where a CI log is read first.
for name in "${failed_names[@]}"; do
	printf '\n--- %s: failing lines (whole log in %s/%s.log)\n' "$name" "$logs" "$name"
	grep -E 'FAIL|ERROR|error|Assert|assert' "$logs/$name.log" | head -20
done

printf '\nsuites: %d passed, %d failed, %d skipped' "$passed" "$failed" "$skipped"
[[ $failed -gt 0 ]] && printf ' (failed: %s)' "${failed_names[*]}"
printf '\n'
[[ $failed -eq 0 ]]
