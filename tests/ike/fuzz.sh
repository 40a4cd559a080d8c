#!/usr/bin/env bash
# Runs one libFuzzer harness for SECONDS from the committed seeds; new
# inputs go to a scratch corpus that is thrown away, crashes are kept in
# build/fuzz/ for reproduction. Usage: fuzz.sh HARNESS SEEDS SECONDS
set -euo pipefail
harness=$1 seeds=$2 secs=$3
work=$(mktemp -d /tmp/mml-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=$(dirname "$harness")
"$harness" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$out/$(basename "$harness")-" "$work" "$seeds" > "$work/log" 2>&1 || {
	tail -40 "$work/log"
	exit 1
}
grep -E "stat::number_of_executed_units|Done" "$work/log" | tr '\n' ' '
echo
