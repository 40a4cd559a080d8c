#!/usr/bin/env bash
# The attack of issue 18 item 2 on the test bed: with the home agent's reply
# held back (its mmlkeyd stopped), a forger on FA1's wired link sees the
# relayed request and sends Registration Replies "accepted" to FA1:
#   1. from its own address, naming itself as home agent (the bed attack of
#      the review: it rewrote FA1's mml_visitor and the MH's reverse tunnel);
#   2. spoofing the home agent's address, without the Foreign-Home
#      Authentication Extension the FA and HA share (MIP_FH_KEY).
# FA1 must count both (reply_wrong_source, fh_auth_failed), relay neither,
# keep mml_visitor's home agent, and take the genuine reply once the HA runs
# again. Registration itself runs with Foreign-Home keys on both sides.
# ~15 s, root; exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/mip/mip-lib.sh"
if ! mip_can_run; then
	echo "forged-reply-bed: skipped: $MIP_WHY"
	exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail
trap mip_cleanup EXIT
trap 'exit 130' INT TERM
MIP_FH_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

mip_setup || { echo "forged-reply-bed: FAIL: the bed did not come up"; exit 1; }
ok "the MH registered through FA1 with Foreign-Home keys on FA1 and the HA"
fa_ctr() { mip_json fa1 show "d['counters']['$1']"; }
visitor_ha() {
	ctl fa1 -j visitor list | python3 -c "
import json,sys
print(' '.join(v['ha'] for v in json.load(sys.stdin) if v['home'] == '$HOME_ADDR') or 'none')"
}
[[ $(visitor_ha) == "$HA_ADDR" ]] && ok "mml_visitor at FA1: home agent $HA_ADDR" ||
	bad "mml_visitor at FA1: $(visitor_ha)"
relayed0=$(fa_ctr relayed_reply)

# The forger, on the HA's side of FA1's wired link: sniffs the relayed
# request, then sends its two replies (raw IP, any source address).
cat >"$TMP/forger.py" <<'PY'
import socket, struct, sys
coa, ha, forger = sys.argv[1], sys.argv[2], sys.argv[3]
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
sniff.bind(("to-fa1", 0))
sniff.settimeout(5)
while True:
    pkt = sniff.recv(2048)
    ihl = (pkt[0] & 15) * 4
    if pkt[9] != 17 or socket.inet_ntoa(pkt[12:16]) != coa:
        continue
    udp = pkt[ihl:]
    if struct.unpack("!H", udp[2:4])[0] == 434 and udp[8] == 1:
        req = udp[8:]
        break
home, ident = req[4:8], req[16:24]

def reply(src, ha_field):
    body = struct.pack("!BBH", 3, 0, 300) + home + socket.inet_aton(ha_field) + ident
    udp = struct.pack("!HHHH", 434, 434, 8 + len(body), 0) + body
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(coa))
    return ip + udp

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
raw.sendto(reply(forger, forger), (coa, 0))
raw.sendto(reply(ha, ha), (coa, 0))
print("sent 2 forged replies")
PY
kill -STOP "${KEYD_PID[ha]}"
x ha timeout 8 python3 "$TMP/forger.py" "$COA1" "$HA_ADDR" 10.0.2.66 >"$TMP/forger.out" 2>&1 &
forger=$!
sleep 0.3
ctl mh mip register >/dev/null || bad "mmlctl mip register"
wait "$forger"
grep -q "sent 2" "$TMP/forger.out" && ok "forger: $(cat "$TMP/forger.out")" ||
	bad "forger: $(cat "$TMP/forger.out")"
sleep 0.5
[[ $(fa_ctr reply_wrong_source) -ge 1 ]] && ok "FA1 counted the reply from the forger's address" ||
	bad "reply_wrong_source = $(fa_ctr reply_wrong_source)"
[[ $(fa_ctr fh_auth_failed) -ge 1 ]] && ok "FA1 counted the reply spoofing the HA without the extension" ||
	bad "fh_auth_failed = $(fa_ctr fh_auth_failed)"
[[ $(fa_ctr relayed_reply) == "$relayed0" ]] && ok "neither was relayed to the MH" ||
	bad "relayed_reply $relayed0 -> $(fa_ctr relayed_reply)"
[[ $(visitor_ha) == "$HA_ADDR" ]] && ok "mml_visitor's home agent unchanged" ||
	bad "mml_visitor at FA1 now: $(visitor_ha)"

# The genuine reply, once the home agent runs again.
kill -CONT "${KEYD_PID[ha]}"
for _ in $(seq 60); do
	[[ $(fa_ctr relayed_reply) -gt $relayed0 ]] && break
	sleep 0.1
done
[[ $(fa_ctr relayed_reply) -gt $relayed0 ]] && ok "the genuine reply is relayed" ||
	bad "no genuine reply relayed"
wait_registered $FA1_WL 5 && [[ $(visitor_ha) == "$HA_ADDR" ]] &&
	ok "the MH is registered, mml_visitor's home agent $HA_ADDR" || bad "after the genuine reply: $(visitor_ha)"
[[ $(mip_json ha show "d['counters']['fh_auth_failed']") == 0 ]] &&
	ok "the HA verified every relayed request's extension" || bad "HA fh_auth_failed"

echo "forged-reply-bed: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
