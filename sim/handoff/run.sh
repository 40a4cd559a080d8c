#!/usr/bin/env bash
# make sim-handoff: the three handoff schemes with 10,000 MHs over 100 FAs
# (sim/handoff/sim.h), then the plot docs/sim-handoff.png from its data.
# SIM_ARGS adds or overrides options (e.g. SIM_ARGS='--mhs 1000 --seed 2').
# Usage: sim/handoff/run.sh BUILD_DIR
set -euo pipefail

build=${1:-build}
out=$build/sim-handoff-out
png=${SIM_PNG:-docs/sim-handoff.png}
mkdir -p "$out"
read -r -a extra <<<"${SIM_ARGS:-}"

# The whole run must fit in 10 minutes on two cores.
timeout 600 "$build/sim-handoff" --duration 300 --out "$out" "${extra[@]}" | tee "$out/summary.txt"
gnuplot -e "dir='$out'; out='$png'" sim/handoff/plot.gp
echo "sim-handoff: plot $png, markdown table $out/table.md"
tail -n 1 "$out/summary.txt"
