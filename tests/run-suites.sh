#!/usr/bin/env bash
# Run test suites given as NAME:COMMAND words, all of them even when one fails,
# then print one summary line. Exit status 77 from a suite means "skipped".
set -uo pipefail

passed=0 failed=0 skipped=0 failed_names=()
for suite in "$@"; do
	name=${suite%%:*}
	cmd=${suite#*:}
	printf '\n=== suite %s: %s\n' "$name" "$cmd"
	start=$SECONDS
	bash -c "$cmd"
	rc=$?
	took=$((SECONDS - start))
	case $rc in
	0) passed=$((passed + 1)); printf '=== suite %s: ok (%ss)\n' "$name" "$took" ;;
	77) skipped=$((skipped + 1)); printf '=== suite %s: SKIPPED (%ss)\n' "$name" "$took" ;;
	*) failed=$((failed + 1)); failed_names+=("$name")
	   printf '=== suite %s: FAILED with status %d (%ss)\n' "$name" "$rc" "$took" ;;
	esac
done

printf '\nsuites: %d passed, %d failed, %d skipped' "$passed" "$failed" "$skipped"
[[ $failed -gt 0 ]] && printf ' (failed: %s)' "${failed_names[*]}"
printf '\n'
[[ $failed -eq 0 ]]
