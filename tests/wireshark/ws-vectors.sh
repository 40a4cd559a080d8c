#!/usr/bin/env bash
# The Wireshark plugin on the ML-ESP known-answer vectors
# (shared/vectors/mlesp.json, written as a pcap by vec-pcap.py): ML-ESP
# told from ESP by the SPI list, every field, zone 1 decrypted and handed to
# IPv4/TCP, the tag verified, a wrong key or zone map flagged "bad tag".
# No test bed, a few seconds.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
SUITE=wireshark
. "$TOP/tests/lib/check.sh"
. "$TOP/tests/wireshark/lib.sh"
VEC=${VECTORS:-$TOP/../shared/vectors/mlesp.json}
[[ -f $VEC ]] || VEC=/work/shared/vectors/mlesp.json
[[ -f $VEC ]] || skip "no vectors/mlesp.json"
[[ -f $BUILD/wireshark/mmlipsec.so ]] || skip "no build/wireshark/mmlipsec.so (wireshark-dev)"
command -v tshark >/dev/null || skip "no tshark"

WS_HOME=$(mktemp -d /tmp/ws-vectors.XXXXXX)
trap 'rm -rf "$WS_HOME"' EXIT
ws_setup || die "plugin directory"
PCAP=$WS_HOME/vec.pcap
python3 "$TOP/tests/wireshark/vec-pcap.py" "$VEC" "$PCAP" >"$WS_HOME/vec.txt" || die "vec-pcap.py"
chmod a+r "$PCAP"
read -r spi z1a key salt src dst < <(sed -n 1p "$WS_HOME/vec.txt")
read -r _ z1b _ _ _ _ < <(sed -n 2p "$WS_HOME/vec.txt")
row() { echo "uat:mlesp_keys:\"0x$spi\",\"$1\",\"$2\",\"$3\""; }
F=(-T fields -E separator=' ' -e frame.number -e _ws.col.Protocol -e mlesp.spi -e mlesp.sequence
	-e mlesp.zone1_len -e mlesp.zone1.authenticated -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport
	-e esp.spi)

ws -G plugins >"$WS_HOME/plugins"
expect "the plugin is loaded" "$WS_HOME/plugins" "^mmlipsec\.so"
# Without the SPI listed, protocol 50 is ESP as before.
ws -r "$PCAP" "${F[@]}" >"$WS_HOME/none"
check "no SPI listed: all 4 packets are ESP" test "$(grep -c '^[0-9] ESP ' "$WS_HOME/none")" -eq 4
ws -r "$PCAP" -o "mlesp.spis:0x$spi" "${F[@]}" >"$WS_HOME/listed"
expect "SPI listed: frame 1 ML-ESP, SPI, sequence 1, L1 40 (default), no key" "$WS_HOME/listed" \
	"^1 ML-ESP 0x0000c0de 1 40  10\.0\.2\.1 10\.0\.2\.2   $"
expect "SPI listed: sequence 2" "$WS_HOME/listed" "^2 ML-ESP 0x0000c0de 2 40 "
expect "SPI listed: sequence 4294967294" "$WS_HOME/listed" "^3 ML-ESP 0x0000c0de 4294967294 40 "
expect "an SPI not listed stays ESP (frame 4, SPI 0x2100)" "$WS_HOME/listed" \
	"^4 ESP     10\.0\.2\.1 10\.0\.2\.2   0x00002100$"

# Vectors 2 and 3 use z1_len 40, vector 1 60: one zone map per run.
ws -r "$PCAP" -o "$(row "$z1b" "$key" "$salt")" "${F[@]}" >"$WS_HOME/k40"
ws -r "$PCAP" -o "$(row "$z1a" "$key$salt" "")" "${F[@]}" >"$WS_HOME/k60"
expect "key, z1_len $z1b: vector 2 zone 1 verified, inner $src -> $dst, TCP 5001 -> 40000" \
	"$WS_HOME/k40" "^2 TCP 0x0000c0de 2 40 1 10\.0\.2\.1,$src 10\.0\.2\.2,$dst 5001 40000 $"
expect "key, z1_len $z1b: vector 3 zone 1 verified, inner $src -> $dst" "$WS_HOME/k40" \
	"^3 [A-Z]+ 0x0000c0de 4294967294 40 1 10\.0\.2\.1,$src 10\.0\.2\.2,$dst "
expect "key, z1_len $z1b: vector 1 (zone map 60) flagged bad tag, not decrypted" "$WS_HOME/k40" \
	"^1 ML-ESP 0x0000c0de 1 40 0 10\.0\.2\.1 10\.0\.2\.2   $"
expect "key || salt as one 36-byte value, z1_len $z1a: vector 1 verified" "$WS_HOME/k60" \
	"^1 [A-Z]+ 0x0000c0de 1 [0-9]+ 1 10\.0\.2\.1,$src 10\.0\.2\.2,$dst "
expect "the ESP packet unchanged with keys loaded" "$WS_HOME/k40" "^4 ESP .*0x00002100$"
bad_key=$(printf '%s' "$key" | sed 's/^./f/')
ws -r "$PCAP" -o "$(row "$z1b" "$bad_key" "$salt")" -Y mlesp.zone1.bad_tag "${F[@]}" >"$WS_HOME/bad"
check "a wrong key: vectors 1-3 flagged bad tag (expert mlesp.zone1.bad_tag), none decrypted" \
	test "$(grep -cE '^[123] ML-ESP 0x0000c0de [0-9]+ 40 0 10\.0\.2\.1 10\.0\.2\.2   $' "$WS_HOME/bad")" -eq 3
ws -r "$PCAP" -o "$(row "$z1b" "$key" "$salt")" -Y mlesp.zone1.ok -T fields -e frame.number \
	>"$WS_HOME/ok"
check "expert info mlesp.zone1.ok on vectors 2 and 3 only" test "$(tr '\n' ' ' <"$WS_HOME/ok")" = "2 3 "
summary
