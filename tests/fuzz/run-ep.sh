#!/usr/bin/env bash
# Runs the endpoint receive-path harness (tests/fuzz/fuzz_ep_rx.c) for a
# short budget from the seeds it writes itself (valid frames under its own
# keys, so they follow any change of the codec), in a throwaway directory;
# a crashing input is kept next to the binary for reproduction
# (BINARY CRASH-FILE runs it again).
#   tests/fuzz/run-ep.sh BINARY SECONDS
set -euo pipefail
bin=$(realpath "$1") secs=$2
[[ -x $bin ]] || { echo "fuzz: $bin not built" >&2; exit 1; }
dir=$(mktemp -d /tmp/mml-fuzz-ep.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/corpus"
MML_FUZZ_SEEDS="$dir/corpus" "$bin"
cd "$dir"
"$bin" -max_total_time="$secs" -max_len=4200 -timeout=5 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$(dirname "$bin")/fuzz_ep_rx-" corpus >log 2>&1 || {
	tail -40 log
	exit 1
}
grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:.*DONE|Done" log | tr '\n' ' '
echo
