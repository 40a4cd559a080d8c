#!/usr/bin/env bash
# Issue 19's classes by DSCP on the endpoint bed (static keys through
# mmlctl, BER 0, 20 Mbit/s). The HA's flow policy comes from mmlkeyd's
# "flows" (keyd/flows.c), the MH's from mmlctl; both say: DSCP 10 (AF11)
# ML-ESP, everything else ML-ESP every 10th.
#   1. two UDP flows CN -> MH at once, one marked DSCP 10, one unmarked:
#      every marked datagram leaves the HA in ML-ESP, one unmarked in ten
#      (the HA's per-mode counters), all arrive;
#   2. forged plaintext in the Mobile IP tunnel marked DSCP 10 never reaches
#      the MH's application and is counted (ep_drop_downgrade); unmarked
#      forgeries do arrive (every 10th accepts plaintext: the check can fail);
#   3. mmlkeyd reloaded (SIGHUP) without the class: mmlctl flow list at the
#      HA has no dscp entry any more and marked datagrams go every 10th.
# Runtime about 25 s. Exit 77 when the bed is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
BED=$TOP/tests/netns/bed.sh
CTL=$BUILD/mmlctl

SUITE=ep-dscp
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has, skip; pass, fail
[[ $(id -u) -eq 0 ]] || skip "needs root"
[[ -x $BED ]] || skip "no test bed (tests/netns/bed.sh)"
for f in "$CTL" "$BUILD/mmlworker" "$BUILD/mmlkeyd"; do
	[[ -x $f ]] || skip "missing $f (run make)"
done

. "$TOP/tests/ep/common.sh"
ep_bed_start ep-dscp --rate 20000

# The HA's policy from mmlkeyd: a Mobile IP home agent for a mobile of
# its own (the bed's static binding is not its business), and the flows.
keyd_conf() { # FLOWS
	umask 077
	cat >"$TMP/keyd.conf" <<EOF
node = "$PREFIX-ha"; control_socket = "$TMP/keyd.sock";
mip = { role = "ha"; address = "$HA_ADDR";
  mobiles = ( { home = "10.200.0.1"; keys = ( { spi = 1000; key = "00112233445566778899aabbccddeeff"; } ); } ); };
flows = ( $1 );
EOF
}
keyd_conf '{ dscp = 10; mode = "mlesp"; }, { mode = "mlesp"; every = 10; }'
bg ha "$BUILD/mmlkeyd" -F -f "$TMP/keyd.conf"
keyd_pid=${PIDS[-1]}
ctl mh flow add dscp 10 mode mlesp || bad "flow add dscp 10 at the MH"
ctl mh flow add mode mlesp every 10 || bad "flow add (default) at the MH"
for _ in $(seq 50); do
	[[ $(ctl ha -j flow list) == *'"dscp":10'* ]] && break
	sleep 0.1
done
out=$(ctl ha -j flow list)
python3 -c '
import json, sys
l = json.loads(sys.argv[1])
assert len(l) == 2, l
c = [f for f in l if "dscp" in f][0]
d = [f for f in l if "dscp" not in f][0]
assert (c["dscp"], c["mode"], c["every"]) == (10, "mlesp", 0), c
assert (d["home"], d["peer-port"], d["mode"], d["every"]) == ("0.0.0.0", 0, "mlesp", 10), d
' "$out" && ok "mmlkeyd wrote the configured flows at the HA" || bad "HA flow list: $out"

# ---------------------------------------------------------------- 1. two flows

N=400
cat >"$TMP/listen.py" <<'EOF'
import socket, sys, time
socks = []
for port in sys.argv[2:4]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], int(port)))
    s.setblocking(False)
    socks.append(s)
got = {}
end = time.time() + float(sys.argv[4])
while time.time() < end:
    idle = True
    for s in socks:
        try:
            d, _ = s.recvfrom(2048)
        except BlockingIOError:
            continue
        idle = False
        k = d.split(b" ")[0].decode()
        got[k] = got.get(k, 0) + 1
    if idle:
        time.sleep(0.005)
print(" ".join("%s=%d" % kv for kv in sorted(got.items())))
EOF
# Both flows interleaved: tag "marked" with TOS 0x28 (DSCP 10), "plain" without.
cat >"$TMP/send.py" <<'EOF'
import socket, sys, time
dst, pm, pu, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 10 << 2)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    if sys.argv[5] in ("both", "marked"):
        m.sendto(b"marked %d" % i, (dst, pm))
    if sys.argv[5] == "both":
        u.sendto(b"unmarked %d" % i, (dst, pu))
    time.sleep(0.002)
EOF
snap() { # NAME: the HA's per-mode counters
	eval "$(ctl ha -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in ("ep_encap_plain", "ep_encap_esp", "ep_encap_mlesp"):
    print("%s_%s=%d" % (sys.argv[1], c, d[c]))' "$1")"
}
# round WHAT: the listener at the MH while the CN sends; prints what arrived.
round() {
	x mh timeout 20 python3 "$TMP/listen.py" $HOME_ADDR 9010 9011 5 >"$TMP/got" 2>&1 &
	local lp=$!
	sleep 0.5
	x cn python3 "$TMP/send.py" $HOME_ADDR 9010 9011 $N "$1"
	wait $lp
	cat "$TMP/got"
}
snap a
got=$(round both)
snap b
ml=$((b_ep_encap_mlesp - a_ep_encap_mlesp)) pl=$((b_ep_encap_plain - a_ep_encap_plain))
es=$((b_ep_encap_esp - a_ep_encap_esp))
echo "ep-dscp: the MH got: $got; the HA sent plain/esp/mlesp $pl/$es/$ml"
check "every datagram of both flows arrived" test "$got" = "marked=$N unmarked=$N"
check "HA: marked in ML-ESP, one unmarked in ten ($ml ML-ESP = $N + $((N / 10)) +-1)" \
	test $((ml - N - N / 10)) -le 1 -a $((ml - N - N / 10)) -ge -1
check "HA: nine unmarked in ten in plaintext ($pl = $((N - N / 10)) +-1), no ESP ($es)" \
	test $((pl - N + N / 10)) -le 1 -a $((pl - N + N / 10)) -ge -1 -a "$es" -eq 0

# ---------------------------------------------------------------- 2. forged plaintext

cat >"$TMP/forge.py" <<'EOF'
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, tos, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), 0x1234, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
outer_src, coa, cn, home, dport, n = sys.argv[1:7]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(int(n)):
    for tag, tos in ((b"forgedmarked", 10 << 2), (b"forgedplain", 0)):
        data = tag + b" %d" % i
        udp = struct.pack("!HHHH", 40000, int(dport), 8 + len(data), 0) + data
        s.sendto(ip(outer_src, coa, 4, 0, ip(cn, home, 17, tos, udp)), (coa, 0))
    time.sleep(0.01)
EOF
drops0=$(counter mh ep_drop_downgrade)
x mh timeout 10 python3 "$TMP/listen.py" $HOME_ADDR 9010 9011 3 >"$TMP/got" 2>&1 &
lp=$!
sleep 0.5
x ha python3 "$TMP/forge.py" $HA_ADDR $COA $CN_ADDR $HOME_ADDR 9010 20
wait $lp
got=$(cat "$TMP/got")
drops1=$(counter mh ep_drop_downgrade)
echo "ep-dscp: forgeries, the MH's application got: ${got:-nothing}"
check "no forged plaintext marked DSCP 10 reaches the application" test "${got/forgedmarked/}" = "$got"
check "  each counted at the MH: ep_drop_downgrade +20 ($((drops1 - drops0)))" \
	test $((drops1 - drops0)) -eq 20
check "unmarked forgeries arrive (every 10th takes plaintext; the check can fail)" \
	has "forgedplain=20" echo "$got"

# ---------------------------------------------------------------- 3. reload

keyd_conf '{ mode = "mlesp"; every = 10; }'
kill -HUP "$keyd_pid"
for _ in $(seq 50); do
	[[ $(ctl ha -j flow list) != *'"dscp"'* ]] && break
	sleep 0.1
done
out=$(ctl ha -j flow list)
[[ $out != *'"dscp"'* && $out == *'"every":10'* ]] &&
	ok "SIGHUP: the class gone from the HA, the default kept" || bad "after SIGHUP: $out"
ctl mh flow del dscp 10 || bad "flow del dscp 10 at the MH"
snap c
got=$(round marked)
snap d
ml=$((d_ep_encap_mlesp - c_ep_encap_mlesp))
echo "ep-dscp: after the reload, marked only: the MH got $got; the HA sent $ml in ML-ESP"
check "  marked datagrams now every 10th at the HA ($ml = $((N / 10)) +-1)" \
	test $((ml - N / 10)) -le 1 -a $((ml - N / 10)) -ge -1
check "  and all arrive" test "$got" = "marked=$N"
check "mmlkeyd still runs" kill -0 "$keyd_pid"

summary
