#!/usr/bin/env bash
# Issue 18 items 1 and 5 on the endpoint bed (static keys through mmlctl,
# ML-ESP), each attack performed on the real path and captured on the air:
#   1. nonce reuse: the HA's downlink CSA 0x1000 replaced with the same key
#      file, then deleted and added again with it, while the CN pings the
#      MH: no sequence number of SPI 0x1000 may appear twice on the air
#      (the nonce is salt || seq under one key), the pings still answered,
#      and the HA counts the continued sequences (ep_seq_continued);
#   2. replay across a restart: the MH worker is restarted and every
#      captured downlink packet of SPI 0x1000 sent to the MH again: none is
#      delivered, each is counted (ep_drop_replay), the window started above
#      the persisted mark (ep_rx_resumed), and new packets still pass.
# Runtime about 30 s. Exit 77 when the bed is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
BED=$TOP/tests/netns/bed.sh
CTL=$BUILD/mmlctl

SUITE=ep-keys
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has, skip; pass, fail
[[ $(id -u) -eq 0 ]] || skip "needs root"
[[ -x $BED ]] || skip "no test bed (tests/netns/bed.sh)"
for f in "$CTL" "$BUILD/mmlworker"; do
	[[ -x $f ]] || skip "missing $f (run make)"
done
command -v tshark >/dev/null || skip "no tshark"

. "$TOP/tests/ep/common.sh"
ep_bed_start ep-keys --rate 1000000
mode mlesp

# pings N: the CN pings the MH N times; prints how many were answered.
pings() {
	x cn ping -q -c "$1" -i 0.02 -W 1 $HOME_ADDR 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# worker_pid NODE: the node's mmlworker.
worker_pid() {
	ip netns pids "$PREFIX-$1" | while read -r p; do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == mmlworker ]] && echo "$p"
	done | head -1
}

# ---------------------------------------------------------------- 1. nonce reuse

# Everything the air hands the MH, as pcap (the replay below reads it).
x air timeout 60 tshark -q -B 16 -i mh -F pcap -w "$TMP/air.pcap" -f "ip proto 50" \
	>/dev/null 2>&1 &
cap=$!
sleep 1.5
cont0=$(counter ha ep_seq_continued)
got1=$(pings 40)
ctl ha csa replace spi 0x1000 format mlesp dir out keys "$TMP/ml-down" alg aes256gcm ||
	bad "csa replace with the same key file"
sleep 0.3
got2=$(pings 40)
ctl ha csa del spi 0x1000 &&
	ctl ha csa add spi 0x1000 format mlesp dir out keys "$TMP/ml-down" alg aes256gcm ||
	bad "csa del + add with the same key file"
sleep 0.3
got3=$(pings 40)
sleep 0.5
kill -INT $cap 2>/dev/null
wait $cap 2>/dev/null

tshark -r "$TMP/air.pcap" -Y "esp.spi == 0x00001000" -T fields -e esp.sequence \
	>"$TMP/seqs" 2>/dev/null
n_seq=$(wc -l <"$TMP/seqs")
dups=$(sort -n "$TMP/seqs" | uniq -d | wc -l)
check "captured SPI 0x1000 on the air ($n_seq packets)" test "$n_seq" -ge 100
check "no sequence number (nonce) of SPI 0x1000 sent twice under its key ($dups repeated: $(sort -n "$TMP/seqs" | uniq -d | head -3 | tr '\n' ' '))" \
	test "$dups" -eq 0
check "pings answered before/after replace/after del+add: $got1 $got2 $got3 of 40" \
	test "${got1:-0}" -ge 36 -a "${got2:-0}" -ge 36 -a "${got3:-0}" -ge 36
cont=$(($(counter ha ep_seq_continued) - cont0))
check "the HA counted the continued sequences (ep_seq_continued +$cont)" test "$cont" -ge 2

# ---------------------------------------------------------------- 2. replay after a restart

kill "$(worker_pid mh)" && sleep 0.5
bg mh "$BUILD/mmlworker" --role mh --node "$PREFIX-mh" --port wlan0 --tun mml0 \
	--home $HOME_ADDR >>"$TMP/mh.log" 2>&1
sleep 1
# The TUN device went with the old worker, and the route trick with it.
ip -n "$PREFIX-mh" route replace default dev mml0 || bad "MH default route into mml0"
replay0=$(counter mh ep_drop_replay)
deliv0=$(counter mh ep_deliver_mlesp)
resumed=$(counter mh ep_rx_resumed)
# The captured frames as they were, out of the air's port toward the MH.
sent=$(x air python3 - "$TMP/air.pcap" <<'PY'
import socket, struct, sys
data = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("mh", 0))
off, n = 24, 0
while off + 16 <= len(data):
    caplen = struct.unpack_from("<I", data, off + 8)[0]
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    ihl = (frame[14] & 15) * 4 if len(frame) > 34 else 0
    if ihl and frame[12:14] == b"\x08\x00" and frame[23] == 50 and \
            frame[14 + ihl:18 + ihl] == b"\x00\x00\x10\x00":
        s.send(frame)
        n += 1
print(n)
PY
)
sleep 0.5
replayed=$(($(counter mh ep_drop_replay) - replay0))
delivered=$(($(counter mh ep_deliver_mlesp) - deliv0))
check "replayed $sent captured packets to the restarted MH: none delivered ($delivered)" \
	test "${sent:-0}" -ge 100 -a "$delivered" -eq 0
check "each replay refused and counted (ep_drop_replay +$replayed)" test "$replayed" -ge "${sent:-1}"
check "the MH's window started above its persisted mark (ep_rx_resumed $resumed)" \
	test "${resumed:-0}" -ge 1
got4=$(pings 20)
check "new packets still pass after the restart ($got4 of 20)" test "${got4:-0}" -ge 18

echo "ep-keys: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
