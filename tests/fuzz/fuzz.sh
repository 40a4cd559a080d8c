#!/usr/bin/env bash
# Runs one libFuzzer harness of the table below for SECONDS with its
# committed corpus, and prints one line: executions, edges covered, inputs
# added, seconds.
#
#   tests/fuzz/fuzz.sh NAME SECONDS          make test: the corpus is only
#                                            read, new inputs go to a scratch
#                                            directory that is thrown away
#   tests/fuzz/fuzz.sh --keep NAME SECONDS   make fuzz: new inputs are added
#                                            to the committed corpus
#   tests/fuzz/fuzz.sh --merge NAME [DIR...]  minimise the corpus, with the
#                                            inputs of DIRs (a campaign's):
#                                            the named seeds and regress-*
#                                            inputs are kept, then libFuzzer
#                                            -merge=1 adds to them in a fresh
#                                            directory only the inputs (named
#                                            by hash) that add coverage
#   tests/fuzz/fuzz.sh --list                the harnesses' names
#
# A crashing, leaking or timing-out input is kept as
# $BUILD/fuzz/NAME-crash-... (or -leak-, -timeout-); run the harness on it
# to reproduce. BUILD defaults to build. FUZZ_RUNS=N stops a run after N
# executions if that comes before SECONDS (a campaign: 10 million runs or
# an hour, whichever is first).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}

# NAME  BINARY  CORPUS  EXTRA  LIBFUZZER-OPTIONS. EXTRA "gen": the harness
# also writes seeds of its own (valid frames under its own keys, which
# follow the codec) when MML_FUZZ_SEEDS names a directory; they are read
# as a second corpus. "leaks": the harness fuzzes without the leak checker
# (a library under it leaks on some inputs, which would make every run
# scan the heap), then the corpus is run once more with it.
table=(
	"ike-wire   $build/fuzz/fuzz_ike_wire   tests/ike/seeds/wire      -   -max_len=4096"
	"ike-engine $build/fuzz/fuzz_ike_engine tests/ike/seeds/engine    -   -max_len=4096"
	"ep-rx      $build/tests/fuzz_ep_rx     tests/fuzz/corpus/ep-rx   gen -max_len=4200"
	"mip        $build/fuzz/fuzz_mip        tests/fuzz/corpus/mip     -   -max_len=1100"
	"mip-fa     $build/fuzz/fuzz_mip_fa     tests/fuzz/corpus/mip-fa  -   -max_len=4096"
	"mip-mh     $build/fuzz/fuzz_mip_mh     tests/fuzz/corpus/mip-mh  -   -max_len=4096"
	"snoop      $build/fuzz/fuzz_snoop      tests/fuzz/corpus/snoop   -   -max_len=4096"
	"ctl        $build/fuzz/fuzz_ctl        tests/fuzz/corpus/ctl     -   -max_len=4096 -dict=tests/fuzz/ctl.dict"
	"cfg        $build/fuzz/fuzz_cfg        tests/fuzz/corpus/cfg   leaks -max_len=8192 -detect_leaks=0 -dict=tests/fuzz/cfg.dict"
	"keyfile    $build/fuzz/fuzz_keyfile    tests/fuzz/corpus/keyfile -   -max_len=1024"
)

usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
}

mode=test
case ${1:-} in
--keep) mode=keep; shift ;;
--merge) mode=merge; shift ;;
--list)
	for row in "${table[@]}"; do
		read -r n _ <<<"$row"
		echo "$n"
	done
	exit 0
	;;
esac
[[ $# -ge 1 ]] || usage
name=$1 secs=${2:-}
[[ $mode == merge || -n $secs ]] || usage
extra=()
[[ $mode == merge ]] && { extra=("${@:2}"); secs=""; }
bin="" corpus="" gen="" opts=""
for row in "${table[@]}"; do
	read -r n b c g o <<<"$row"
	[[ $n == "$name" ]] && { bin=$b corpus=$c gen=$g opts=$o; }
done
[[ -n $bin ]] || { echo "fuzz: no harness \"$name\" (tests/fuzz/fuzz.sh --list)" >&2; exit 2; }
[[ -x $bin ]] || { echo "fuzz: $bin not built (make $bin)" >&2; exit 1; }
mkdir -p "$corpus"
work=$(mktemp -d /tmp/mml-fuzz-"$name".XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/gen" "$work/new"
if [[ $gen == gen ]]; then
	MML_FUZZ_SEEDS="$work/gen" "$bin" >/dev/null
fi

if [[ $mode == merge ]]; then
	mkdir "$work/min" "$work/rest"
	# Seeds with names (hand-written, regress-*) stay whatever their
	# coverage; libFuzzer names what it adds by the SHA-1 of the content.
	for f in "$corpus"/*; do
		[[ -f $f ]] || continue
		if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$work/rest/"; else cp "$f" "$work/min/"; fi
	done
	before=$(find "$corpus" -type f | wc -l)
	# shellcheck disable=SC2086 # options are words
	"$bin" -merge=1 $opts "$work/min" "$work/rest" "$work/gen" "${extra[@]}" >"$work/log" 2>&1 || {
		tail -20 "$work/log"
		exit 1
	}
	find "$corpus" -type f -delete
	cp "$work/min"/* "$corpus"/ 2>/dev/null || true
	echo "fuzz $name: corpus minimised, $before -> $(find "$corpus" -type f | wc -l) inputs" \
		"($(grep -oE 'cov: [0-9]+' "$work/log" | tail -1))"
	exit 0
fi

first=$work/new
[[ $mode == keep ]] && first=$corpus
before=$(find "$first" -type f | wc -l)
start=$SECONDS
rc=0
# shellcheck disable=SC2086
"$bin" -max_total_time="$secs" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $opts \
	-artifact_prefix="$build/fuzz/$name-" "$first" "$corpus" "$work/gen" >"$work/log" 2>&1 || rc=$?
if [[ $rc -ne 0 ]]; then
	tail -40 "$work/log"
	echo "fuzz $name: FAILED (status $rc), input kept as $build/fuzz/$name-*"
	exit 1
fi
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
edges=$(grep -oE 'cov: [0-9]+' "$work/log" | tail -1 | cut -d' ' -f2)
added=$(($(find "$first" -type f | wc -l) - before))
if [[ $gen == leaks ]]; then
	# shellcheck disable=SC2086
	"$bin" -runs=0 $opts -detect_leaks=1 -artifact_prefix="$build/fuzz/$name-" "$first" "$corpus" \
		>"$work/leaks" 2>&1 || {
		tail -40 "$work/leaks"
		echo "fuzz $name: FAILED (leak in the corpus), input kept as $build/fuzz/$name-*"
		exit 1
	}
fi
echo "fuzz $name: ${execs:-0} executions, ${edges:-?} edges, $added new inputs, $((SECONDS - start)) s"
