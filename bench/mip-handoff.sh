#!/usr/bin/env bash
# make bench-mip-handoff: Mobile IPv4 handoff latency on the test bed without
# emulated delay (tests/mip/mip-lib.sh: bed, plaintext data plane, mmlkeyd
# on HA, FA1, FA2, MH). A 2000 packet/s UDP stream CN -> MH runs while the
# MH is handed off N times between FA1 and FA2 (bed.sh handoff). Per handoff:
#   registration  the MH's first Agent Solicitation -> accepted Registration
#                 Reply (mmlkeyd's own timestamps, `mmlctl mip show`)
#   l3 handoff    link up at the MH (mmlkeyd's netlink event) -> first data
#                 packet through the new FA at the MH (CLOCK_BOOTTIME, both)
# and their median and maximum.
#   bench/mip-handoff.sh [BUILD_DIR] [HANDOFFS]
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
N=${2:-24}
. "$TOP/tests/mip/mip-lib.sh"
mip_can_run || { echo "bench-mip-handoff: cannot run: $MIP_WHY"; exit 1; }
trap mip_cleanup EXIT
trap 'exit 130' INT TERM
MIP_LIFETIME=600 MIP_LOG_LEVEL=warn
[[ -x $BUILD/mip-probe ]] || { echo "missing $BUILD/mip-probe"; exit 1; }
mip_setup || { cat "$TMP"/*.log; exit 1; }
secs=$((N + 4))
x mh "$BUILD/mip-probe" recv -p 9000 -t $((secs + 1)) -g 1000 >"$TMP/probe.out" 2>&1 &
RECV=$!
sleep 0.2
x cn "$BUILD/mip-probe" send -c $HOME_ADDR -p 9000 -r 2000 -t $secs >/dev/null 2>&1 &
SEND=$!
sleep 1.5
at=fa1
for ((i = 0; i < N; i++)); do
	to=$([[ $at == fa1 ]] && echo fa2 || echo fa1)
	"$BED" -p "$PREFIX" handoff $to >>"$TMP/handoff.log" 2>&1
	at=$to
	sleep 0.9
done
wait $SEND
wait $RECV
ctl mh -j mip show >"$TMP/mh.json"
ctl ha stats | grep -E "ep_drop_no_neigh|ep_drop_no_binding|ep_xdp_no_route" | tr -s ' ' | paste -sd' ' |
	sed 's/^/HA data plane: /'
python3 - "$TMP/mh.json" "$TMP/probe.out" "$N" <<'PY'
import json, statistics, sys
hist = [h for h in json.load(open(sys.argv[1]))["history"] if h["link_up_ns"]]
gaps = []
for line in open(sys.argv[2]):
    if line.startswith("gap "):
        f = dict(kv.split("=") for kv in line.split()[1:])
        gaps.append((int(f["last_ns"]), int(f["next_ns"])))
hist = hist[-int(sys.argv[3]):]
reg, l3 = [], []
for h in hist:
    up = h["link_up_ns"]
    nxt = [n for last, n in gaps if last <= up < n]
    if "registration_us" in h:
        reg.append(h["registration_us"] / 1000)
    if nxt:
        l3.append((nxt[0] - up) / 1e6)
def show(name, v):
    if not v:
        print(f"{name}: no samples")
        return
    print(f"{name}: n={len(v)} median={statistics.median(v):.2f} ms "
          f"max={max(v):.2f} ms min={min(v):.2f} ms")
show("registration (solicitation -> reply)", reg)
show("l3 handoff (link up -> first packet via the new FA)", l3)
print("samples_ms registration:", " ".join(f"{x:.2f}" for x in reg))
print("samples_ms l3:", " ".join(f"{x:.2f}" for x in l3))
PY
