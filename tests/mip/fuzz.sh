#!/usr/bin/env bash
# Runs a libFuzzer harness for a short budget from a seed corpus of valid
# messages (one per target byte), in a throwaway directory.
#   tests/mip/fuzz.sh BINARY SECONDS
set -euo pipefail
bin=$(realpath "$1") secs=$2
[[ -x $bin ]] || { echo "fuzz: $bin not built" >&2; exit 1; }
dir=$(mktemp -d /tmp/mml-fuzz.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/corpus"
seed() { printf "$(sed 's/../\\x&/g' <<<"$2")" > "$dir/corpus/$1"; }
# target byte + message (the unit tests' hand-checked messages)
seed req 000102012c0a01000a0a0100010a000202e9a1b2c312345678830a012c0a0201010a000302201400000100bf91fe23627456b737dde1e6ab24acc5
seed rep 010300012c0a01000a0a010001e9a1b2c3123456782014000001000e6d1ae221ca231e870e680685a276c3
seed adv 02090011b7010200030a02010100000000100a0007012c91000a000202130118
seed sol 030a00f5ff00000000
seed ha 040102012c0a01000a0a0100010a000202e9a1b2c312345678830a012c0a0201010a000302201400000100bf91fe23627456b737dde1e6ab24acc5
cd "$dir"
"$bin" -max_total_time="$secs" -max_len=1100 -print_final_stats=1 corpus 2>&1 | tail -n 12
