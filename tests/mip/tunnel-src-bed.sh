#!/usr/bin/env bash
# Issue 18 item 9 on the test bed: forged tunnel frames from hosts beside
# the genuine ones, in plaintext mode (the mode nothing authenticates), with
# the whole product (mmlkeyd registration, the HA's XDP and worker, FA1's
# XDP). Three attackers, each a macvlan (its own MAC and address) in a
# namespace of its own:
#   atk1 on FA1's wired link (beside the HA) floods FA1 with IP-in-IP for the
#        MH: the HA's address as source with plaintext inside, the same with
#        ESP of SPIs nobody holds (ESP mode: the FA cannot read it), and its
#        own address as source;
#   atk2 on the same link (beside FA1) floods the HA with IP-in-IP: FA1's
#        care-of address as source, plaintext from the MH's home address to
#        the CN inside, and the same from its own address;
#   atk3 in FA1's cell (beside the MH) sends in the MH's name: plaintext to
#        the CN and ESP of unknown SPIs, which FA1 would reverse-tunnel.
# Nothing forged may reach the MH (capture on its wlan0), the CN (capture on
# its eth0: what the HA decapsulated into its stack), and no stack answers
# an attacker (no ICMP error back: the frames never reached a stack); each
# frame is counted once where it is refused (FA1 drop_foreign_tunnel,
# drop_visitor_spoof; HA ep_drop_tunnel_src); 4 MB each way between CN and
# MH during the floods arrive intact. ~25 s, root; exit 77 when the bed or
# a data-plane piece is missing.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
SUITE=tunnel-src-bed
. "$TOP/tests/mip/mip-lib.sh"
if ! mip_can_run; then
	echo "$SUITE: skipped: $MIP_WHY"
	exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check; pass, fail
N=${TUNNEL_SRC_N:-300} # frames per forged kind
ATK=()
cleanup() {
	local n
	for n in "${ATK[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	mip_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 20 Mbit/s on the air, as mip-bed: the transfers take a few seconds.
mip_setup --rate 20000 || { echo "$SUITE: FAIL: the bed did not come up"; exit 1; }
ok "the MH registered through FA1 (plaintext mode)"

mac() { ip -n "$PREFIX-$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }

# attacker NAME NODE LOWER ADDR/LEN: a host with its own MAC on NODE's link
# LOWER (a macvlan moved into namespace PREFIX-NAME).
attacker() {
	local name=$1 node=$2 lower=$3 addr=$4 ns=$PREFIX-$1
	ip netns add "$ns" || return 1
	ATK+=("$ns")
	ip -n "$PREFIX-$node" link add link "$lower" name "$name" type macvlan mode bridge &&
		ip -n "$PREFIX-$node" link set "$name" netns "$ns" &&
		x "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
		ip -n "$ns" addr add "$addr" dev "$name" &&
		ip -n "$ns" link set lo up && ip -n "$ns" link set "$name" up
}
attacker atk1 ha to-fa1 10.0.2.66/24 && attacker atk2 fa1 eth0 10.0.2.67/24 &&
	attacker atk3 mh wlan0 10.2.1.66/24 || { echo "$SUITE: FAIL: attackers"; exit 1; }
FA1_ETH=$(mac fa1 eth0) HA_TOFA1=$(mac ha to-fa1) FA1_WLAN=$(mac fa1 wlan0)

# flood.py IFACE DST-MAC N KIND OUTER-SRC OUTER-DST INNER-SRC INNER-DST:
# N frames from IFACE's own MAC. KIND ipip-udp / ipip-esp: IP-in-IP around
# UDP to port 9999 with the marker / ESP of a forged SPI (0xf0000000 + i);
# udp / esp: the same without the tunnel.
cat >"$TMP/flood.py" <<'PY'
import socket, struct, sys, time
ifc, dmac, n, kind, osrc, odst, isrc, idst = sys.argv[1:9]
n = int(n)
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
def ip(src, dst, proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
eth = bytes.fromhex(dmac.replace(":", "")) + s.getsockname()[4][:6] + b"\x08\x00"
for i in range(n):
    if kind.endswith("udp"):
        body = b"i18-item9-forged" + bytes(16)
        inner = ip(isrc, idst, 17, struct.pack("!HHHH", 4444, 9999, 8 + len(body), 0) + body, i)
    else:
        inner = ip(isrc, idst, 50, struct.pack("!II", 0xf0000000 + i, i + 1) + bytes(64), i)
    s.send(eth + (ip(osrc, odst, 4, inner, i) if kind.startswith("ipip") else inner))
    if i % 50 == 49:
        time.sleep(0.002)  # a flood, not a burst that overruns a veth ring
print("sent", n)
PY
# watch.py IFACE STOP READY: what came IN on IFACE until the file STOP
# exists (30 s at most): marked UDP, forged ESP (bare or in a tunnel), ICMP
# destination unreachable.
cat >"$TMP/watch.py" <<'PY'
import os, socket, struct, sys, time
ifc, stop, ready = sys.argv[1:4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((ifc, 0))
s.settimeout(0.1)
open(ready, "w").close()
c = {"marker": 0, "forged_esp": 0, "icmp_unreach": 0}
end = time.time() + 30
while time.time() < end and not os.path.exists(stop):
    try:
        b, a = s.recvfrom(4096)
    except socket.timeout:
        continue
    if a[2] == socket.PACKET_OUTGOING or len(b) < 34:
        continue
    p = b[14:]
    if p[9] == 4:  # look into a tunnel
        p = p[(p[0] & 15) * 4:]
        if len(p) < 20:
            continue
    l4 = p[(p[0] & 15) * 4:]
    if p[9] == 17 and b"i18-item9-forged" in l4:
        c["marker"] += 1
    elif p[9] == 50 and len(l4) >= 4 and struct.unpack("!I", l4[:4])[0] >= 0xf0000000:
        c["forged_esp"] += 1
    elif p[9] == 1 and l4[:1] == b"\x03":
        c["icmp_unreach"] += 1
print(c["marker"], c["forged_esp"], c["icmp_unreach"])
PY

# Counters before; a transfer each way runs through the floods.
snap() { ctl "$1" -j stats >"$TMP/$1.$2"; }
delta() { # NODE COUNTER
	python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]));
print(b[sys.argv[3]] - a[sys.argv[3]])" "$TMP/$1.before" "$TMP/$1.after" "$2"
}
snap fa1 before
snap ha before
declare -A WATCH
for w in mh:wlan0 cn:eth0 atk1:atk1 atk2:atk2; do
	node=${w%%:*}
	rm -f "$TMP/ready.$node"
	x "$node" python3 "$TMP/watch.py" "${w#*:}" "$TMP/stop" "$TMP/ready.$node" >"$TMP/watch.$node" 2>&1 &
	WATCH[$node]=$!
done
for node in "${!WATCH[@]}"; do
	for _ in $(seq 100); do
		[[ -e $TMP/ready.$node ]] && break
		sleep 0.05
	done
done
x mh timeout 60 "$BUILD/mml-xfer" recv -p 7301 -t 20 >"$TMP/recv.mh" 2>&1 &
rmh=$!
x cn timeout 60 "$BUILD/mml-xfer" recv -p 7302 -t 20 >"$TMP/recv.cn" 2>&1 &
rcn=$!
sleep 0.3
x cn timeout 60 "$BUILD/mml-xfer" send -c "$HOME_ADDR" -p 7301 -n 4194304 -s 7301 -R 5 -t 20 \
	>"$TMP/send.cn" 2>&1 &
scn=$!
x mh timeout 60 "$BUILD/mml-xfer" send -c "$CN_ADDR" -p 7302 -n 4194304 -s 7302 -R 5 -t 20 \
	>"$TMP/send.mh" 2>&1 &
smh=$!
sleep 0.5

flood() { # NODE KIND DST-MAC OUTER-SRC OUTER-DST INNER-SRC INNER-DST
	local node=$1 kind=$2
	shift 2
	x "$node" python3 "$TMP/flood.py" "$node" "$1" "$N" "$kind" "$2" "$3" "$4" "$5" >/dev/null ||
		bad "$node could not send $kind"
}
flood atk1 ipip-udp "$FA1_ETH" $HA_ADDR $COA1 $CN_ADDR $HOME_ADDR
flood atk1 ipip-esp "$FA1_ETH" $HA_ADDR $COA1 $HA_ADDR $HOME_ADDR
flood atk1 ipip-udp "$FA1_ETH" 10.0.2.66 $COA1 $CN_ADDR $HOME_ADDR
flood atk2 ipip-udp "$HA_TOFA1" $COA1 $HA_ADDR $HOME_ADDR $CN_ADDR
flood atk2 ipip-udp "$HA_TOFA1" 10.0.2.67 $HA_ADDR $HOME_ADDR $CN_ADDR
wait $scn $smh $rmh $rcn
for s in cn mh; do
	peer=$([[ $s == cn ]] && echo mh || echo cn)
	same_sha "4 MB $s -> $peer in plaintext mode through the wired floods" \
		"$(grep -o 'sha256=[0-9a-f]*' "$TMP/send.$s" | cut -d= -f2) $(grep -o 'sha256=[0-9a-f]*' "$TMP/recv.$peer" | cut -d= -f2)"
done
# On the air once the transfers are over: with the uplink busy the cell's
# queue would drop some forged frames before FA1 saw them.
flood atk3 udp "$FA1_WLAN" - - $HOME_ADDR $CN_ADDR
flood atk3 esp "$FA1_WLAN" - - $HOME_ADDR $HA_ADDR
sleep 0.5
touch "$TMP/stop"
for node in "${!WATCH[@]}"; do
	wait "${WATCH[$node]}"
done
snap fa1 after
snap ha after

read -r m e i <"$TMP/watch.mh"
[[ $m == 0 && $e == 0 ]] && ok "nothing forged reached the MH" ||
	bad "forged frames at the MH: $m plaintext (of $((2 * N)) tunnelled to it), $e ESP (of $N)"
read -r m e i <"$TMP/watch.cn"
[[ $m == 0 ]] && ok "nothing forged reached the CN (the HA decapsulated none, FA1 tunnelled none)" ||
	bad "forged plaintext at the CN: $m (of $((2 * N)) to the HA, $N in the MH's name on the air)"
read -r m e i1 <"$TMP/watch.atk1"
read -r m e i2 <"$TMP/watch.atk2"
[[ $i1 == 0 && $i2 == 0 ]] && ok "no stack answered a forged tunnel (no ICMP error to atk1, atk2)" ||
	bad "ICMP errors back: $i1 from FA1 to atk1, $i2 from the HA to atk2"

check "FA1 counted every forged tunnel for the MH once: drop_foreign_tunnel +$(delta fa1 drop_foreign_tunnel) = $((3 * N))" \
	test "$(delta fa1 drop_foreign_tunnel)" -eq $((3 * N))
check "FA1 counted every frame in the MH's name from atk3 once: drop_visitor_spoof +$(delta fa1 drop_visitor_spoof) = $((2 * N))" \
	test "$(delta fa1 drop_visitor_spoof)" -eq $((2 * N))
check "the HA counted every forged tunnel once: ep_drop_tunnel_src +$(delta ha ep_drop_tunnel_src) = $((2 * N))" \
	test "$(delta ha ep_drop_tunnel_src)" -eq $((2 * N))
check "FA1 forwarded no unknown SPI (fwd_unknown_spi +$(delta fa1 fwd_unknown_spi))" \
	test "$(delta fa1 fwd_unknown_spi)" -eq 0
check "genuine traffic went through: FA1 fwd_plain +$(delta fa1 fwd_plain), HA ep_xdp_decap_plain +$(delta ha ep_xdp_decap_plain)" \
	test "$(delta fa1 fwd_plain)" -gt 1000 -a "$(delta ha ep_xdp_decap_plain)" -gt 1000
wait_registered $FA1_WL 5 && ok "the MH is still registered through FA1" || bad "the MH lost its registration"

summary
