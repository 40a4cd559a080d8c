#!/usr/bin/env bash
# mmlctl fa capture (issue 22) on the endpoint bed (static ML-ESP keys), run
# with mmlctl -N (the node's namespace entered by mmlctl itself):
# FA1's programs copy the frames of a CN -> MH transfer out at entry and at
# exit; the pcapng file reads in tshark with a comment per frame (where it
# was taken, and the verdict at exit), the downlink ML-ESP frames carry
# their SPI, the capture is switched off afterwards, the file is mode 0600,
# and a second capture on the same node is refused while one runs.
# Runtime about 20 s. Exit 77 when the bed is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
BED=$TOP/tests/netns/bed.sh
CTL=$BUILD/mmlctl

SUITE=fa-capture
. "$TOP/tests/lib/check.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root"
[[ -x $BED ]] || skip "no test bed (tests/netns/bed.sh)"
for f in "$CTL" "$BUILD/mmlworker" "$BUILD/mml-xfer"; do
	[[ -x $f ]] || skip "missing $f (run make)"
done
command -v tshark >/dev/null || skip "no tshark"

. "$TOP/tests/ep/common.sh"
ep_bed_start fa-capture --rate 1000000
mode mlesp

# capture_at NODE: the capture switch of NODE's programs ("at" field).
capture_at() {
	bpftool -j map lookup pinned "/sys/fs/bpf/mmlipsec/$PREFIX-$1/mml_capture_cfg" key 0 0 0 0 |
		python3 -c 'import json,sys
d = json.load(sys.stdin)
d = d[0] if isinstance(d, list) else d
v = d.get("formatted", d)["value"]
print(v["at"] if isinstance(v, dict) else int("".join(b[2:] for b in v[3::-1]), 16))'
}
check "capture off before" test "$(capture_at fa1)" = 0

PCAP=$TMP/fa1.pcapng
# mmlctl -N enters FA1's namespace itself (as ip -n) and takes its name
# for the node; the interface names in the file are FA1's.
"$CTL" -N "$PREFIX-fa1" -j fa capture -w "$PCAP" --at both -c 600 -t 30 \
	>"$TMP/capture.out" 2>&1 &
cap=$!
for _ in $(seq 50); do
	[[ $(capture_at fa1) != 0 ]] && break
	sleep 0.1
done
check "capture on while it runs (entry and exit)" test "$(capture_at fa1)" = 3
check "a second capture is refused while one runs" has "runs on this node already" \
	ctl fa1 fa capture -w "$TMP/second.pcapng" -t 1

# 1 MiB: well over 600 frames at entry and exit, however few ACKs the MH's
# TCP sends (the worker coalesces segments into its TUN device, and one
# super-packet draws one ACK).
x mh timeout 30 "$BUILD/mml-xfer" recv -p 7100 -t 20 >"$TMP/recv.out" 2>&1 &
rpid=$!
sleep 0.3
x cn timeout 30 "$BUILD/mml-xfer" send -c "$HOME_ADDR" -p 7100 -n 1048576 -s 7 -t 20 \
	>"$TMP/send.out" 2>&1
wait $rpid
wait $cap
st=$?
cat "$TMP/capture.out"
check "the capture ended by itself (600 frames)" test $st -eq 0
check "it reports 600 frames" has '"frames":600' cat "$TMP/capture.out"
check "capture off after" test "$(capture_at fa1)" = 0
check "the file is mode 0600" test "$(stat -c %a "$PCAP")" = 600

fields() { tshark -r "$PCAP" -T fields "$@" 2>/dev/null; }
n_frames=$(fields -e frame.number | wc -l)
check "tshark reads 600 frames ($n_frames)" test "$n_frames" -eq 600
comments=$(fields -e frame.comment)
for c in "entry mml_fa_down" "exit mml_fa_down XDP_REDIRECT" "entry mml_fa_up" \
	"exit mml_fa_up XDP_REDIRECT"; do
	n=$(grep -c "^$c\$" <<<"$comments")
	check "frames with the comment \"$c\" ($n)" test "$n" -gt 0
done
n_bad=$(grep -cvE '^(entry|exit) mml_fa_(down|up)( XDP_[A-Z]+)?$' <<<"$comments")
check "every frame carries a comment of that form ($n_bad other)" test "$n_bad" -eq 0
n_spi=$(fields -Y 'esp.spi == 0x00001000' -e frame.number | wc -l)
check "downlink ML-ESP frames of SPI 0x1000 in it ($n_spi)" test "$n_spi" -gt 0
ifs=$(tshark -r "$PCAP" -T fields -e frame.interface_name 2>/dev/null | sort -u | tr '\n' ' ')
check "interfaces named as on the FA ($ifs)" test "$ifs" = "eth0 wlan0 "
same_sha "the transfer under capture" "$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/send.out") $(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/recv.out")"
summary
