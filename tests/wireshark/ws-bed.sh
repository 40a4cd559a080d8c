#!/usr/bin/env bash
# The Wireshark plugin on real traffic of the test bed (tests/ike/bed-lib.sh:
# mmlkeyd with Mobile IPv4 + ML-IKE on HA, FAs and MH, the XDP data plane):
#   1. ML-IKE: the MH registers through FA1 while the HA's interfaces are
#      captured (UDP 500/4500); tshark with the plugin names the private
#      exchanges: MLIKE_AUTH_SA with the MH, MLIKE_KEY_DISTRIBUTE with FA1,
#      request and response each (the payloads stay inside SK: mmlkeyd does
#      not export IKE keys; ws-offline.sh checks their decoding);
#   2. ML-ESP as the FA sees it: a 2 MB CN -> MH transfer captured on the air
#      side of FA1's wireless link, read with FA1's zone-1 keys (from its
#      pinned mml_csa) in the plugin's key table: both SPIs dissected as
#      ML-ESP, sequence numbers increasing per SPI, every zone 1
#      authenticated, the inner IPv4 addresses CN <-> MH home and the
#      transfer's TCP port (the MH's listening port); without the table the same packets are ESP; with
#      a wrong key every one is flagged "bad tag".
# Root, the bed, build/wireshark/mmlipsec.so; run under flock
# /tmp/mml-netns.lock. About 30 s. Exit 77 when a piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
. "$TOP/tests/wireshark/lib.sh"

ike_suite wireshark-bed
[[ -f $BUILD/wireshark/mmlipsec.so ]] || skip "no build/wireshark/mmlipsec.so (wireshark-dev)"
for t in dumpcap tshark; do
	command -v $t >/dev/null || skip "no $t"
done
WS_HOME=$(mktemp -d /tmp/ws-bed.XXXXXX)
trap 'ike_keep_logs; rm -rf "$WS_HOME"' EXIT
ws_setup || die "plugin directory"

# cap_start NODE IFACE FILTER FILE: dumpcap in the node's namespace, until
# cap_stop; the pid joins PIDS (mip_cleanup kills what is left).
cap_start() {
	nsenter --net="/run/netns/$PREFIX-$1" -- dumpcap -q -i "$2" -f "$3" -w "$4" \
		>"$WS_HOME/dumpcap.log" 2>&1 &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	for _ in $(seq 100); do [[ -s $4 ]] && break; sleep 0.05; done
	sleep 0.3
}
cap_stop() {
	sleep 0.3
	kill "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	chmod a+r "$WS_HOME"/*.pcapng
}

ike_setup --rate 1000000 || die "setup failed"

# ------------------------------------------------------------ 1. ML-IKE
cap_start ha any "udp port 500 or udp port 4500" "$WS_HOME/ike.pcapng"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "ML-IKE initialisation not complete"
cap_stop
ws -r "$WS_HOME/ike.pcapng" -T fields -E separator='|' -e _ws.col.Protocol -e isakmp.exchangetype \
	-e mlike.exchange -e _ws.col.Info >"$WS_HOME/ike.txt"
expect "IKE_SA_INIT and IKE_AUTH before them, by isakmp" "$WS_HOME/ike.txt" "^ISAKMP\|35\|\|IKE_AUTH "
for e in "240|MLIKE_AUTH_SA" "241|MLIKE_KEY_DISTRIBUTE"; do
	for d in "Initiator Request" "Responder Response"; do
		expect "captured ${e#*|} ($d) shown as ML-IKE ${e%|*} by name" "$WS_HOME/ike.txt" \
			"^ML-IKE\|${e%|*}\|${e%|*}\|${e#*|} MID=[0-9a-f]+ $d"
	done
done
ws -r "$WS_HOME/ike.pcapng" -Y "mlike.exchange == 241" -T fields -e ip.src -e ip.dst \
	>"$WS_HOME/kd.txt"
expect "KEY_DISTRIBUTE between the HA ($HA_ADDR) and FA1 ($(coa_of fa1))" "$WS_HOME/kd.txt" \
	"^$HA_ADDR	$(coa_of fa1)$"

# ------------------------------------------------------------ 2. ML-ESP
cap_start air c1-fa "ip proto 50" "$WS_HOME/air.pcapng"
ike_transfer $((2 * 1024 * 1024))
cap_stop
if ike_sha_ok "$XFER_SENT" "$XFER_RCVD"; then
	ok "2 MB CN -> MH under capture (sha256 equal)"
else
	bad "2 MB CN -> MH: sent $XFER_SENT, received $XFER_RCVD"
fi
# FA1's CSAs: "spi dir z1alg z2alg z1key|salt z2key|salt", zone 2 null.
csas fa1 >"$WS_HOME/fa1-csas"
check "FA1 holds two CSAs (zone 1 keys)" test "$(wc -l <"$WS_HOME/fa1-csas")" -eq 2
rows=() bad_rows=()
while read -r spi _ _ _ z1 _; do
	rows+=(-o "uat:mlesp_keys:\"$spi\",\"\",\"$z1\",\"\"")
	bad_rows+=(-o "uat:mlesp_keys:\"$spi\",\"\",\"$(sed 's/^./f/;s/^ff/0f/' <<<"$z1")\",\"\"")
done <"$WS_HOME/fa1-csas"
F=(-T fields -E separator=' ' -E occurrence=l -e mlesp.spi -e mlesp.sequence
	-e mlesp.zone1.authenticated -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport)
ws -r "$WS_HOME/air.pcapng" "${F[@]}" -e esp.spi >"$WS_HOME/plain.txt"
ws -r "$WS_HOME/air.pcapng" "${rows[@]}" "${F[@]}" >"$WS_HOME/mlesp.txt"
ws -r "$WS_HOME/air.pcapng" "${bad_rows[@]}" "${F[@]}" >"$WS_HOME/bad.txt"
n=$(wc -l <"$WS_HOME/mlesp.txt")
python3 - "$WS_HOME/mlesp.txt" "$WS_HOME/plain.txt" "$WS_HOME/bad.txt" $CN_ADDR $HOME_ADDR \
	"$IKE_PORT" >"$WS_HOME/verdict.txt" <<'PY'
import sys
ml = [l.split(" ") for l in open(sys.argv[1]).read().splitlines()]
plain = [l.split(" ") for l in open(sys.argv[2]).read().splitlines()]
badk = [l.split(" ") for l in open(sys.argv[3]).read().splitlines()]
cn, home, port = sys.argv[4], sys.argv[5], sys.argv[6]
down = [r for r in ml if r[3:5] == [cn, home]]
up = [r for r in ml if r[3:5] == [home, cn]]
def res(ok, text):
    print(("PASS " if ok else "FAIL ") + text)
res(len(ml) > 1000 and all(r[0] and r[1] for r in ml),
    "%d packets on the air, each dissected as ML-ESP with SPI and sequence" % len(ml))
res(all(r[7] for r in plain) and not any(r[0] for r in plain),
    "without the key table the same packets are ESP (SPIs %s)" % sorted({r[7] for r in plain}))
res(sum(r[2] == "1" for r in ml) == len(ml),
    "zone 1 authenticated in every packet (%d of %d)" % (sum(r[2] == "1" for r in ml), len(ml)))
# Other traffic may share the CSAs (the MH's IKE keepalives): named, not
# counted against the transfer.
other = lambda rows, i: sorted({" ".join(r[3:7]) for r in rows if r[i] != port})[:3]
xd = [r for r in down if r[6] == port]
xu = [r for r in up if r[5] == port]
res(len(xd) > 1000 and len({r[0] for r in down}) == 1,
    "downlink: %d packets of the transfer (inner %s -> %s, TCP destination port %s), one SPI %s; other: %s" %
    (len(xd), cn, home, port, {r[0] for r in down}, other(down, 6)))
res(len(xu) > 100 and len({r[0] for r in up}) == 1 and {r[0] for r in up} != {r[0] for r in down},
    "uplink: %d packets of the transfer (inner %s -> %s, TCP source port %s), the other SPI %s; other: %s" %
    (len(xu), home, cn, port, {r[0] for r in up}, other(up, 5)))
for spi in sorted({r[0] for r in ml}):
    seq = [int(r[1]) for r in ml if r[0] == spi]
    inc = all(b > a for a, b in zip(seq, seq[1:]))
    res(inc, "SPI %s: sequence numbers increasing (%d..%d, %d packets)" % (spi, seq[0], seq[-1], len(seq)))
res(len(badk) == len(ml) and all(r[2] == "0" and r[5:7] == ["", ""] for r in badk),
    "a wrong zone-1 key: every packet flagged bad tag, nothing decrypted (%d)" %
    sum(r[2] == "0" for r in badk))
PY
cat "$WS_HOME/verdict.txt"
pass=$((pass + $(grep -c '^PASS' "$WS_HOME/verdict.txt")))
fail=$((fail + $(grep -c '^FAIL' "$WS_HOME/verdict.txt")))
[[ $n -gt 0 ]] || bad "no packet in the air capture"
summary
