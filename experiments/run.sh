#!/usr/bin/env bash
# make experiments: every run of a profile of experiments/manifest.txt, one
# after the other, then the report beside the paper (experiments/report.py).
#
#   experiments/run.sh [--profile smoke|quick|paper] [--out DIR | --resume DIR]
#                      [--only ID[,ID...]] [--report-only DIR]
#
# Writes OUT = experiments/out/<date>-<profile>/ (or --out DIR; --resume DIR
# or RESUME=DIR goes on with an earlier one, in its profile):
#   OUT/ID/command, raw.log (the run's output), metrics.csv (its numbers,
#   report.py extract), its own files (results.csv, PNGs ...), meta (rc,
#   seconds), done (the marker: a run with it is skipped when resumed)
#   OUT/figures/ID-NAME.png   the PNGs the scripts drew, collected
#   OUT/report.md, OUT/summary.json
# One progress line per run: elapsed time and an estimate of what is left
# (the manifest's expected durations, scaled by how the finished runs
# compared with theirs; the time spent waiting for the bed lock is shown
# apart and left out of the scale). A bed run holds /tmp/mml-netns.lock while it runs
# (flock -o: the processes it starts do not inherit the lock); do not wrap
# this script in flock. MML_NETNS_LOCK_HELD=1: the caller holds it already
# (a test suite run under flock), take nothing.
set -uo pipefail
EXP_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$EXP_DIR/.." && pwd)
PROFILE=${PROFILE:-quick} OUT=${RESUME:-} ONLY="" REPORT_ONLY=0
LOCK=/tmp/mml-netns.lock
MANIFEST=${MANIFEST:-$EXP_DIR/manifest.txt}
export BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD

usage() {
	sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
while [[ $# -gt 0 ]]; do
	[[ $# -ge 2 ]] || usage
	case $1 in
	--profile) PROFILE=$2 ;;
	--resume) OUT=$2 ;;
	--out) OUT=$2 ;;
	--only) ONLY=$2 ;;
	--report-only) OUT=$2 REPORT_ONLY=1 ;;
	*) usage ;;
	esac
	shift 2
done

# A resumed directory keeps its profile (and its manifest copy).
if [[ -n $OUT && -f $OUT/profile ]]; then
	PROFILE=$(cat "$OUT/profile")
	MANIFEST=$OUT/manifest.txt
fi
grep -q "^$PROFILE " "$MANIFEST" 2>/dev/null || {
	echo "experiments: no profile \"$PROFILE\" in $MANIFEST" >&2
	exit 2
}
OUT=${OUT:-$EXP_DIR/out/$(date +%Y%m%d-%H%M%S)-$PROFILE}
mkdir -p "$OUT/figures"
OUT=$(cd "$OUT" && pwd)
[[ -f $OUT/manifest.txt ]] || grep "^$PROFILE " "$MANIFEST" >"$OUT/manifest.txt"
echo "$PROFILE" >"$OUT/profile"
[[ -f $OUT/host ]] || echo "$(date -u +%FT%TZ), $(uname -n), kernel $(uname -r), $(nproc) CPUs, commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)" >"$OUT/host"

IDS=() LOCKS=() EXPECT=() PARSERS=() CMDS=()
while read -r prof id lock expect parser cmd; do
	[[ $prof == "$PROFILE" ]] || continue
	[[ -z $ONLY || ",$ONLY," == *",$id,"* ]] || continue
	[[ $lock =~ ^(bed|self|none)$ && $expect =~ ^[0-9]+$ ]] || {
		echo "experiments: manifest line of $id: bad LOCK or EXPECTED_S" >&2
		exit 2
	}
	# A script that takes the lock itself would wait for its caller forever.
	[[ $lock == self && ${MML_NETNS_LOCK_HELD:-0} == 1 ]] && {
		echo "experiments: $id takes /tmp/mml-netns.lock itself: not with MML_NETNS_LOCK_HELD=1" >&2
		exit 2
	}
	IDS+=("$id") LOCKS+=("$lock") EXPECT+=("$expect") PARSERS+=("$parser") CMDS+=("$cmd")
done <"$OUT/manifest.txt"
[[ ${#IDS[@]} -gt 0 || $REPORT_ONLY == 1 ]] || { echo "experiments: nothing to run (--only $ONLY)" >&2; exit 2; }

hms() { printf '%d:%02d:%02d' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60)); }
progress() { echo "[experiments $(date +%H:%M:%S)] $*"; }

# One run in its directory; returns its status. The directory of a run that
# did not finish is started afresh.
run_one() {
	local i=$1 dir=$OUT/${IDS[$1]} rc t0
	rm -rf "$dir"
	mkdir -p "$dir"
	printf '%s\n' "${CMDS[$i]}" >"$dir/command"
	t0=$(date +%s)
	(
		cd "$TOP" || exit 1
		export RUN=$dir
		# The time the lock was taken, to tell the run from the wait for it.
		# shellcheck disable=SC2016 # $RUN is expanded by the run's bash
		if [[ ${LOCKS[$i]} == bed && ${MML_NETNS_LOCK_HELD:-0} != 1 ]]; then
			exec flock -o "$LOCK" bash -c 'date +%s >"$RUN/.started"; '"${CMDS[$i]}"
		else
			exec bash -c 'date +%s >"$RUN/.started"; '"${CMDS[$i]}"
		fi
	) >"$dir/raw.log" 2>&1 </dev/null
	rc=$?
	t1=$(date +%s)
	WAIT_S=$(($(cat "$dir/.started" 2>/dev/null || echo "$t0") - t0))
	LAST_S=$((t1 - t0 - WAIT_S))
	printf 'rc=%d\nseconds=%d\nlock_wait_s=%d\nexpected_s=%d\nload=%s\n' "$rc" "$LAST_S" "$WAIT_S" \
		"${EXPECT[$i]}" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$dir/meta"
	python3 "$EXP_DIR/report.py" extract "${PARSERS[$i]}" "$dir" >>"$dir/raw.log" 2>&1 ||
		{ [[ $rc == 0 ]] && rc=99; } # finished, but no number could be read
	[[ $rc == 0 ]] && date -u +%FT%TZ >"$dir/done"
	return "$rc"
}

waited() { [[ $WAIT_S -gt 0 ]] && echo " after $WAIT_S s waiting for the bed lock"; }

START=$SECONDS
if [[ $REPORT_ONLY == 0 ]]; then
	progress "profile $PROFILE, ${#IDS[@]} runs, output $OUT"
	# done_exp/done_real: expected and real seconds of the runs made here,
	# their ratio scales the estimate of the rest.
	done_exp=0 done_real=0 left=0
	for e in "${EXPECT[@]}"; do left=$((left + e)); done
	for i in "${!IDS[@]}"; do
		id=${IDS[$i]} n="$((i + 1))/${#IDS[@]}"
		left=$((left - EXPECT[i]))
		if [[ -f $OUT/$id/done ]]; then
			what="skipped (done before)"
		elif run_one "$i"; then
			what="ok in ${LAST_S} s (expected ${EXPECT[$i]})$(waited)"
			done_exp=$((done_exp + EXPECT[i])) done_real=$((done_real + LAST_S))
		else
			what="FAILED in ${LAST_S} s$(waited) (see $OUT/$id/raw.log)"
			done_exp=$((done_exp + EXPECT[i])) done_real=$((done_real + LAST_S))
		fi
		est=$left
		[[ $done_exp -gt 0 ]] && est=$((left * done_real / done_exp))
		progress "$n $id: $what; elapsed $(hms $((SECONDS - START))), about $(hms "$est") left"
	done
fi

# The PNGs the scripts drew, under one roof.
for d in "$OUT"/*/; do
	id=$(basename "$d")
	[[ $id == figures ]] && continue
	for p in "$d"*.png; do
		[[ -f $p ]] && cp "$p" "$OUT/figures/$id-$(basename "$p")"
	done
done
python3 "$EXP_DIR/report.py" report "$OUT" --paper "$EXP_DIR/paper.json" || exit 1
failed=0
while read -r _ id _; do
	[[ -z $ONLY || ",$ONLY," == *",$id,"* ]] || continue
	[[ -f $OUT/$id/done ]] || failed=$((failed + 1))
done <"$OUT/manifest.txt"
progress "report: $OUT/report.md, $OUT/summary.json; $failed run(s) without a result; $(hms $((SECONDS - START))) in all"
[[ $failed == 0 ]]
