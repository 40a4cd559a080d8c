#!/usr/bin/env bash
# The Wireshark plugin without a test bed (a few seconds):
#   ML-ESP on the known-answer vectors (shared/vectors/mlesp.json, written
#   as a pcap by vec-pcap.py): told from ESP by the SPI list, every field,
#   zone 1 decrypted and handed to IPv4/TCP, the tag verified, a wrong key
#   or zone map flagged "bad tag";
#   ML-IKE on messages built by the project's codec and SK-sealed with fixed
#   keys (build/ws-mlike-pcap): exchange types by name, every private
#   payload and notify decoded once tshark's ikev2_decryption_table has the
#   keys, nothing of them without.
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
[[ -x $BUILD/ws-mlike-pcap ]] || skip "no $BUILD/ws-mlike-pcap (run make)"
[[ -f $BUILD/wireshark/mmlipsec.so ]] || skip "no build/wireshark/mmlipsec.so (wireshark-dev)"
command -v tshark >/dev/null || skip "no tshark"

WS_HOME=$(mktemp -d /tmp/ws-offline.XXXXXX)
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
ws -r "$PCAP" -o mlesp.heuristic:TRUE "${F[@]}" >"$WS_HOME/heur"
check "heuristic on, nothing listed: vectors 1-3 ML-ESP (IV bytes not 0 || seq)" \
	test "$(grep -cE '^[123] ML-ESP 0x0000c0de ' "$WS_HOME/heur")" -eq 3
expect "heuristic on: the ESP packet (IV = 0 || seq) stays ESP" "$WS_HOME/heur" "^4 ESP .*0x00002100$"

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

# ---------------------------------------------------------------- ML-IKE
IKE=$WS_HOME/mlike.pcap
read -r spi_i spi_r sk_ei sk_er < <("$BUILD/ws-mlike-pcap" "$IKE") || die "ws-mlike-pcap"
chmod a+r "$IKE"
SK="uat:ikev2_decryption_table:$spi_i,$spi_r,$sk_ei,$sk_er,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\""
ws -r "$IKE" >"$WS_HOME/ike-sum"
for x in "1 .*MLIKE_AUTH_SA MID=02 Initiator Request" "2 .*MLIKE_KEY_DISTRIBUTE MID=03 Initiator" \
	"3 .*MLIKE_KEY_DISTRIBUTE MID=03 Responder Response" "4 .*MLIKE_NEIGHBOR_NOTIFY MID=04" \
	"5 .*DKM_CSA_REQUEST MID=05" "6 .*MLIKE_CREATE_CHILD_SA MID=06"; do
	expect "no keys: frame ${x%% *} named ML-IKE ${x#*.\*}" "$WS_HOME/ike-sum" "^ *${x%% *} .* ML-IKE .*${x#* }"
done
ws -r "$IKE" -T fields -e mlike.payload >"$WS_HOME/ike-nokey"
check "no keys: no private payload visible (SK encrypted)" test -z "$(tr -d "\n" <"$WS_HOME/ike-nokey")"
G=(-T fields -E separator=' ' -E 'aggregator=,' -e frame.number)
ws -r "$IKE" -o "$SK" "${G[@]}" -e mlike.exchange -e mlike.payload -e mlike.csa.spi -e mlike.csa.encr \
	-e mlike.zonemap.end >"$WS_HOME/ike-pl"
expect "keys: MLIKE_AUTH_SA carries CSA_PROPOSAL (zone 1 SPI 0x1000, ChaCha20; zone 2 AES-GCM or ChaCha20) and ZONEMAP [0,40) [40,end)" \
	"$WS_HOME/ike-pl" "^1 240 130,128 0x00001000 28,20,28 40,65535$"
expect "keys: MLIKE_CREATE_CHILD_SA the same with the new SPI 0x3000" "$WS_HOME/ike-pl" \
	"^6 244 130,128 0x00003000 28,20,28 40,65535$"
ws -r "$IKE" -o "$SK" "${G[@]}" -e mlike.notify -e mlike.notify.binding.home -e mlike.notify.binding.ha \
	-e mlike.secret.spi -e mlike.secret.zone -e mlike.secret.dir -e mlike.secret.transform \
	-e mlike.secret.key -e mlike.secret.salt >"$WS_HOME/ike-kd"
expect "keys: KEY_DISTRIBUTE: MLIKE_BINDING 10.1.0.10 / 10.1.0.1, 4 SECRETs (zone 1 keyed, zone 2 null), keys and salts" \
	"$WS_HOME/ike-kd" "^2 40960 10\.1\.0\.10 10\.1\.0\.1 0x00001000,0x00001000,0x00002000,0x00002000 1,2,1,2 1,1,2,2 28,0,28,0 (a1){32},(a2){32} (b1){4},(b2){4}$"
expect "keys: KEY_DISTRIBUTE answer MLIKE_KEYS_INSTALLED" "$WS_HOME/ike-kd" "^3 40961 "
expect "keys: refusal MLIKE_KEYS_REJECTED" "$WS_HOME/ike-kd" "^8 8193 "
ws -r "$IKE" -o "$SK" "${G[@]}" -e mlike.notify.spi -e mlike.neighbors.addr -e mlike.dkm.mh_home \
	-e mlike.dkm.ha -e mlike.dkm.spi -e mlike.notify -e mlike.delete.spi >"$WS_HOME/ike-rest"
expect "keys: KEYS_INSTALLED lists 0x1000 and 0x2000" "$WS_HOME/ike-rest" "^3 0x00001000,0x00002000 +40961 $"
expect "keys: NEIGHBORS 10.0.3.2, 10.0.4.2" "$WS_HOME/ike-rest" "^4  10\.0\.3\.2,10\.0\.4\.2 +$"
expect "keys: DKM_CSA_REQUEST: DKM_MH (10.1.0.10, HA 10.1.0.1, SPIs 0x1000 0x2000), DKM_CSA_INSTALLED" \
	"$WS_HOME/ike-rest" "^5   10\.1\.0\.10 10\.1\.0\.1 0x00001000,0x00002000 40970 $"
expect "keys: INFORMATIONAL Delete of protocol 201 names CSAs 0x1000 0x2000" "$WS_HOME/ike-rest" \
	"^7 +0x00001000,0x00002000$"
summary
