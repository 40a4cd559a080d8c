#!/usr/bin/env bash
# mmlkeyd's configuration and control socket without the test bed: refusals
# of unsafe or wrong configurations (one clear message each), then a home
# agent in a throwaway network namespace answering `mmlctl mip ...`, and a
# registration over loopback from bench-mip's synthetic client. ~2 s, root.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
KEYD=$BUILD/mmlkeyd CTL=$BUILD/mmlctl
[[ $(id -u) -eq 0 ]] || { echo "keyd-config: skipped: needs root"; exit 77; }
for f in "$KEYD" "$CTL" "$BUILD/bench-mip"; do
	[[ -x $f ]] || { echo "keyd-config: missing $f"; exit 1; }
done
id=mmlkc$$
TMP=$(mktemp -d /tmp/$id.XXXXXX)
pid=
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail
keyd_config_cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$id" 2>/dev/null
	rm -rf "$TMP"
}
trap keyd_config_cleanup EXIT

# refuses CONFIG-TEXT MODE EXPECTED-MESSAGE
refuses() {
	local text=$1 mode=$2 want=$3 out
	printf '%s\n' "$text" >"$TMP/c.conf"
	chmod "$mode" "$TMP/c.conf"
	out=$(timeout 5 "$KEYD" -F -f "$TMP/c.conf" 2>&1)
	if [[ $? -ne 0 && $out == *"$want"* ]]; then ok "refused: $want"; else bad "not refused ($want): $out"; fi
}
key=00112233445566778899aabbccddeeff
good="node = \"$id\"; control_socket = \"$TMP/ha.sock\"; pin_root = \"$TMP/nopins\";
mip = { role = \"ha\"; address = \"127.0.0.1\";
  mobiles = ( { home = \"10.200.0.1\"; keys = ( { spi = 1000; key = \"$key\"; } ); } ); };"
refuses "$good" 0644 "mode 0644"
refuses "$good" 0640 "mode 0640"
refuses "${good/role = \"ha\"/role = \"xx\"}" 0600 "\"role\" must be one of"
refuses "${good/127.0.0.1/127.0.0.256}" 0600 "\"address\" must be an IPv4 address"
refuses "${good/spi = 1000/spi = 7}" 0600 "\"spi\" must be a number from 256"
refuses "${good/$key/0011}" 0600 "key must be 16 to 64 bytes"
refuses "${good/hmac/x}; mip2 = " 0600 "syntax error"
refuses "node = \"x\";" 0600 "no module section"
# An included file would escape the checks above (fuzz-cfg found it).
printf 'mip = { role = "ha"; };\n' >"$TMP/inc.conf" && chmod 644 "$TMP/inc.conf"
refuses "node = \"x\";
  @include \"$TMP/inc.conf\"" 0600 "@include is not supported"
# Foreign-Home keys (docs/mobileip.md): the same key rules, one peer once.
fh="foreign_agents = ( { address = \"10.0.2.2\"; keys = ( { spi = 2000; key = \"$key\"; } ); } ); mobiles"
refuses "${good/mobiles/foreign_agents = 5; mobiles}" 0600 '"foreign_agents" must be a list'
refuses "${good/mobiles/${fh/10.0.2.2/10.0.2}}" 0600 '"address" must be an IPv4 address'
refuses "${good/mobiles/${fh/$key/0011}}" 0600 "key must be 16 to 64 bytes"
fh2="foreign_agents = ( { address = \"10.0.2.2\"; keys = ( { spi = 2000; key = \"$key\"; } ); },
  { address = \"10.0.2.2\"; keys = ( { spi = 2001; key = \"$key\"; } ); } ); mobiles"
refuses "${good/mobiles/$fh2}" 0600 "address given twice"
# The flow policy (keyd/flows.c): a malformed element stops the start.
refuses "$good flows = ( { dscp = 10; peer_port = 22; mode = \"esp\"; } );" 0600 \
	'"dscp" names a class of packets, not a flow'
refuses "$good flows = ( { peer_prot = 22; mode = \"esp\"; } );" 0600 'unknown setting "peer_prot"'

# Key files get the configuration file's checks (lib/secret_file.c), a
# minimum length and an error, not a cut, when too long; IKE peer settings
# of the wrong type or out of range are errors naming the setting.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/ok.psk"
chmod 600 "$TMP/ok.psk"
ike_good="node = \"$id\"; control_socket = \"$TMP/ike.sock\"; pin_root = \"$TMP/nopins\";
ike = { role = \"ha\"; local = \"127.0.0.1\"; peers = (
  { name = \"mh\"; address = \"127.0.0.2\"; local_id = \"fqdn:ha.test\"; psk_file = \"$TMP/PSK\"; } ); };"
ln -s "$TMP/ok.psk" "$TMP/link.psk"
refuses "${ike_good/PSK/link.psk}" 0600 "link.psk: a symbolic link, refused"
cp "$TMP/ok.psk" "$TMP/open.psk" && chmod 640 "$TMP/open.psk"
refuses "${ike_good/PSK/open.psk}" 0600 "open.psk: refused, group or others have access"
cp "$TMP/ok.psk" "$TMP/other.psk" && chmod 600 "$TMP/other.psk" && chown 65534 "$TMP/other.psk"
refuses "${ike_good/PSK/other.psk}" 0600 "other.psk: refused, owned by another user"
mkdir -m 700 "$TMP/dir.psk"
refuses "${ike_good/PSK/dir.psk}" 0600 "dir.psk: refused, not a regular file"
printf 'short-psk\n' >"$TMP/short.psk" && chmod 600 "$TMP/short.psk"
refuses "${ike_good/PSK/short.psk}" 0600 "short.psk: 9 bytes, outside 16..128"
head -c 200 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 200 >"$TMP/long.psk"
chmod 600 "$TMP/long.psk"
refuses "${ike_good/PSK/long.psk}" 0600 "long.psk: longer than 129 bytes, refused (not cut)"
ike_ok=${ike_good/PSK/ok.psk}
refuses "${ike_ok/psk_file/pfs = \"yes\"; psk_file}" 0600 '"pfs" must be true or false'
refuses "${ike_ok/psk_file/child = 1; psk_file}" 0600 '"child" must be true or false'
refuses "${ike_ok/psk_file/port = 70000; psk_file}" 0600 '"port" must be a number from 1 to 65535'
refuses "${ike_ok/psk_file/port = \"500\"; psk_file}" 0600 '"port" must be a number from 1 to 65535'
refuses "${ike_ok/psk_file/csa_soft_lifetime = -5; psk_file}" 0600 '"csa_soft_lifetime" must be a number from 0'
refuses "${ike_ok/psk_file/csa_hard_lifetime = 1.5; psk_file}" 0600 '"csa_hard_lifetime" must be a number from 0'
refuses "${ike_ok/psk_file/ike_rekey_time = -1; psk_file}" 0600 '"ike_rekey_time" must be a number from 0'
refuses "${ike_ok/psk_file/z1_len = 42; psk_file}" 0600 '"z1_len" must be a multiple of 4'
refuses "${ike_ok/psk_file/pffs = true; psk_file}" 0600 '"pffs": not a setting of an IKE peer'
refuses "${ike_ok/\"mh\"/5}" 0600 '"name" must be a string'
# A template for the mobiles of a prefix (keyd/ike/mh_tmpl.c): a master
# key instead of a PSK, no address or peer identity of its own, HA only;
# mobiles_max in range.
ike_tmpl=${ike_ok/address = \"127.0.0.2\"; /mobiles = \"10.200.0.0\/16\"; }
ike_tmpl=${ike_tmpl/psk_file/psk_master_file}
refuses "${ike_tmpl/psk_master_file/psk_file}" 0600 'a template (mobiles = ...): psk_master_file'
refuses "${ike_tmpl/local_id/peer_id = \"fqdn:x\"; local_id}" 0600 'neither psk_file nor peer_id'
refuses "${ike_tmpl/mobiles =/address = \"127.0.0.2\"; mobiles =}" 0600 'a template (mobiles = ...) has no address'
refuses "${ike_tmpl/10.200.0.0\/16/10.200.0.0\/33}" 0600 'traffic selector "10.200.0.0/33"'
refuses "${ike_tmpl/role = \"ha\"/role = \"fa\"}" 0600 'mobiles = ... is a template for an HA'
refuses "${ike_ok/psk_file/psk_master_file}" 0600 'psk_file, not psk_master_file'
refuses "${ike_ok/peers =/mobiles_max = 0; peers =}" 0600 '"mobiles_max" must be a number from 1'
# Mobile IP key files: the same rules.
printf '%s\n' "$key" >"$TMP/mip.key" && chmod 600 "$TMP/mip.key"
mip_kf=${good/key = \"$key\"/key_file = \"$TMP/KF\"}
ln -s "$TMP/mip.key" "$TMP/link.key"
refuses "${mip_kf/KF/link.key}" 0600 "link.key: a symbolic link, refused"
cp "$TMP/mip.key" "$TMP/open.key" && chmod 604 "$TMP/open.key"
refuses "${mip_kf/KF/open.key}" 0600 "open.key: refused, group or others have access"
cp "$TMP/mip.key" "$TMP/other.key" && chown 65534 "$TMP/other.key"
refuses "${mip_kf/KF/other.key}" 0600 "other.key: refused, owned by another user"
{ for _ in $(seq 40); do printf '%s ' "$key"; done; } >"$TMP/long.key" && chmod 600 "$TMP/long.key"
refuses "${mip_kf/KF/long.key}" 0600 "long.key: longer than 511 bytes, refused (not cut)"
printf '0011\n' >"$TMP/short.key" && chmod 600 "$TMP/short.key"
refuses "${mip_kf/KF/short.key}" 0600 "key must be 16 to 64 bytes"

# A home agent on loopback in its own namespace.
# (its mobile node and key from bench-mip, the client used below)
ip netns add "$id"
ip -n "$id" link set lo up
"$BUILD/bench-mip" -n 1 -w 1 -c "$TMP/mip.conf"
{ echo "node = \"$id\"; control_socket = \"$TMP/ha.sock\"; pin_root = \"$TMP/nopins\";"
  cat "$TMP/mip.conf"; } >"$TMP/ha.conf"
chmod 600 "$TMP/ha.conf"
nsenter --net=/run/netns/"$id" "$KEYD" -F -f "$TMP/ha.conf" 2>"$TMP/ha.log" &
pid=$!
for _ in $(seq 50); do [[ -S $TMP/ha.sock ]] && break; sleep 0.05; done
role=$("$CTL" -j mip show sock "$TMP/ha.sock" | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])')
[[ $role == ha ]] && ok "mmlctl mip show -j: role ha" || bad "mip show: $role"
out=$("$CTL" mip visitors sock "$TMP/ha.sock" 2>&1)
[[ $out == *"not a command of the ha role"* ]] && ok "wrong verb for the role refused" || bad "$out"
# Requests mmlctl never sends (fuzz-ctl found the first two crashing the
# daemon): each refused with a reason, the daemon still answering after.
for req in '{"module": null, "verb": "show"}' '{"module": "mip", "verb": null}' \
	'{"module": "mip", "verb": "show", "args": [null]}' '{"module": "mip", "verb": "show", "args": 1}'; do
	out=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode()); s.shutdown(socket.SHUT_WR); print(s.makefile().read())' \
		"$TMP/ha.sock" "$req" 2>&1)
	[[ $out == *'"ok":false'*'must be'* ]] && ok "refused: $req" || bad "$req: $out"
done
kill -0 "$pid" 2>/dev/null && "$CTL" mip show sock "$TMP/ha.sock" >/dev/null 2>&1 &&
	ok "the daemon still answers" || bad "the daemon died: $(tail -3 "$TMP/ha.log")"
# Registrations from bench-mip's client for that mobile node (10.200.0.1).
if nsenter --net=/run/netns/"$id" "$BUILD/bench-mip" -n 1 -w 1 -t 1 >"$TMP/bench.out" 2>&1; then
	ok "registrations over loopback: $(grep -o 'accepted=[0-9]*' "$TMP/bench.out")"
else
	bad "bench-mip: $(cat "$TMP/bench.out")"
fi
n=$("$CTL" -j mip bindings sock "$TMP/ha.sock" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[[ $n == 1 ]] && ok "one binding (in memory: no maps pinned)" || bad "bindings: $n"
grep -q "mml_binding is not pinned" "$TMP/ha.log" && ok "the missing map is reported" ||
	bad "no word about the missing mml_binding"
echo "keyd-config: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
