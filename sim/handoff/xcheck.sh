#!/usr/bin/env bash
# make sim-handoff-xcheck: the same walk (9 FAs, 6 MHs, mean dwell 1 s,
# 20 s) through mmlkeyd's ike module itself (sim-handoff-xcheck, each scheme
# in turn, real time, a private network namespace: root) and through the
# simulator; the figures side by side. XCHECK_ARGS adds options to both
# (e.g. XCHECK_ARGS='--seed 2').
# Usage: sim/handoff/xcheck.sh BUILD_DIR
set -euo pipefail

build=${1:-build}
read -r -a extra <<<"${XCHECK_ARGS:-}"
args=(--mhs 6 --dwell-ms 1000 --warmup 3 --duration 20 "${extra[@]}")

echo "mmlkeyd's ike module (9 FAs, real time):"
for scheme in redistribute pkd dkm; do
	"$build/sim-handoff-xcheck" --scheme "$scheme" "${args[@]}"
done
echo "the simulator, same walk:"
"$build/sim-handoff" --fas 9 "${args[@]}" | sed -n '2,5p'
