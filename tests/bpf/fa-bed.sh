#!/usr/bin/env bash
# FA1's data plane on the shared test bed (docs/fa.md, "Tests"): FA1 set up
# with mmlctl as an operator would (fa attach, visitor add, zone-1 CSAs from
# key files), nothing else running. build/tests/fa-bed-tool builds the
# frames with the project's codec and sends them with AF_PACKET:
#   down: HA -> FA1 in IP-in-IP: valid ML-ESP (two CSAs, z1_len 40 and 128,
#         inner 20..1400 bytes), ESP of an SPI FA1 has no key for, plaintext
#         TCP/UDP (and a fragment), zone-2 damage (not FA1's to check), and
#         forgeries (a byte of C1, T1, SPI or Seq changed; cut short in five
#         ways; bad or fragmented tunnel header), foreign tunnels (from
#         another address; the HA's address from another MAC) and a
#         non-visitor;
#   up:   MH -> FA1 on the air: ML-ESP (ACKs and data), ESP, plaintext, and
#         forgeries (also in the MH's name from another MAC), which FA1
#         must reverse-tunnel to the HA or drop.
# A capture at the far end (AF_PACKET on the MH's wlan0, on the HA's to-fa1)
# must hold every forwarded packet once, byte for byte as sent (what was
# inside the tunnel / what the tunnel carries, with the right Ethernet and
# outer headers), and nothing else; FA1's counters (mmlctl -j stats) must
# change by exactly what each packet's verdict says, every other counter by
# nothing. Runtime about 5 s. Exit 77 without root or the tools.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUITE=fa-bed
. "$TOP/tests/lib/bed.sh"
CTL=$BUILD/mmlctl
TOOL=$BUILD/tests/fa-bed-tool

[[ $(id -u) -eq 0 ]] || skip "needs root"
for f in "$CTL" "$TOOL" "$BUILD/bpf/xdp_pass.bpf.o"; do
	[[ -e $f ]] || skip "missing $f (make build build/tests/fa-bed-tool)"
done

# The wireless link at 1 Gbit/s: this suite is about what FA1 does with each
# packet, not about air time.
bed_start --routing none --rate 1000000 || {
	echo "fa-bed: the test bed did not come up"
	exit 1
}
PREFIX=$MMLB_PREFIX
TMP=$(mktemp -d /tmp/fa-bed.XXXXXX)
PIDS=()
fa_bed_cleanup() {
	local rc=$? pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
	return $rc
}
trap 'fa_bed_cleanup; _bed_trap' EXIT
. "$TOP/tests/ep/common.sh" # x, ctl, key and the bed's addresses

mac() { ip -n "$PREFIX-$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
MH_MAC=$(mac mh wlan0)
FA_WL_MAC=$(mac fa1 wlan0)
FA_ETH_MAC=$(mac fa1 eth0)
HA_MAC=$(mac ha to-fa1)

# Key files as mmlctl takes them: two lines (zone 1, zone 2) for the
# endpoints' side (the tool), zone 1 alone for FA1.
umask 077
for k in down wide up; do
	printf '%s\n%s\n' "$(key)" "$(key)" >"$TMP/$k"
	head -1 "$TMP/$k" >"$TMP/$k-z1"
done

setup() {
	ctl fa1 fa attach coa $COA wired eth0 wireless wlan0 local $FA_WL || return 1
	ctl fa1 visitor add home $HOME_ADDR ha $HA_ADDR dev wlan0 mac "$MH_MAC" || return 1
	ctl fa1 csa add spi 0x1000 format mlesp dir fwd keys "$TMP/down-z1" || return 1
	ctl fa1 csa add spi 0x1001 format mlesp dir fwd keys "$TMP/wide-z1" z1-len 128 || return 1
	ctl fa1 csa add spi 0x2000 format mlesp dir fwd keys "$TMP/up-z1" || return 1
	# FA1 redirects reverse-tunnelled frames into eth0; the HA's end of that
	# veth takes them only with an XDP program (docs/fa.md, "XDP_REDIRECT
	# into veth"). Attaching one may turn GRO back on: off again, so every
	# frame is captured as it was sent.
	ip -n "$PREFIX-ha" link set dev to-fa1 xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
		return 1
	x ha ethtool -K to-fa1 gro off >/dev/null 2>&1
	# FA1 knows the HA's MAC before the first reverse-tunnelled packet
	# (otherwise that packet goes to its stack: pass_no_route).
	x fa1 ping -q -c 1 -W 2 10.0.2.1 >/dev/null || return 1
}
setup || {
	echo "fa-bed: setup failed"
	exit 1
}
# --routing none: the MH has no route at all, so its stack answers nothing
# (no RST, no ICMP) that would show up at FA1 or the HA.
check "MH has no routes (its stack stays silent)" \
	test -z "$(ip -n "$PREFIX-mh" route show)"

# phase DIR FROM-NODE FROM-DEV DST-MAC SRC-MAC TO-NODE TO-DEV WANT-DST WANT-SRC
phase() {
	local d=$1 from=$2 from_dev=$3 dmac=$4 smac=$5 to=$6 to_dev=$7 wdst=$8 wsrc=$9 pid out
	local m=$TMP/$d.manifest
	if ! "$TOOL" plan "$d" "$TMP" "$dmac" "$smac" "$m" >"$TMP/$d.plan.log" 2>&1; then
		cat "$TMP/$d.plan.log"
		bad "$d: the frames could not be built"
		return
	fi
	x "$to" "$TOOL" recv "$d" "$to_dev" "$m" "$TMP/$d.cap" "$TMP/$d.ready" 10000 \
		2>"$TMP/$d.recv.log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 200); do
		[[ -e $TMP/$d.ready ]] && break
		sleep 0.05
	done
	ctl fa1 -j stats >"$TMP/$d.before"
	x "$from" "$TOOL" send "$from_dev" "$m" >/dev/null || bad "$d: sending from $from"
	wait "$pid"
	cat "$TMP/$d.recv.log"
	ctl fa1 -j stats >"$TMP/$d.after"
	out=$("$TOOL" check "$d" "$m" "$TMP/$d.cap" "$TMP/$d.before" "$TMP/$d.after" \
		"$wdst" "$wsrc")
	echo "$out"
	pass=$((pass + $(grep -c '^PASS' <<<"$out")))
	fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
	grep -q '^PASS' <<<"$out" || bad "$d: no verdict from fa-bed-tool check"
}

# Downlink: the HA's tunnel to FA1's care-of address, captured at the MH.
phase down ha to-fa1 "$FA_ETH_MAC" "$HA_MAC" mh wlan0 "$MH_MAC" "$FA_WL_MAC"
# Uplink: the MH's frames to FA1 through the air, captured at the HA.
phase up mh wlan0 "$FA_WL_MAC" "$MH_MAC" ha to-fa1 "$HA_MAC" "$FA_ETH_MAC"

fa_bed_cleanup
PIDS=()
bed_stop
summary
