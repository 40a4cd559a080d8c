# Shared by tests/ep/ep-bed.sh and bench/tunnel.sh: the endpoint roles set
# up on a test bed (tests/netns/bed.sh up --routing none) with static keys
# through mmlctl, as docs/endpoints.md describes for real hosts. Callers set
# PREFIX, TMP, BUILD, CTL and an array PIDS (background processes to stop),
# or BED, BUILD and CTL and call ep_bed_start.
# shellcheck shell=bash

HOME_ADDR=10.1.0.10 HA_ADDR=10.1.0.1 COA=10.0.2.2 FA_WL=10.2.1.1 CN_ADDR=10.0.1.1

# x, ctl, bg, counter: a node of the bed ($PREFIX-NODE).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/node.sh"

# ep_bed_start NAME [BED-UP-OPTION...]: a bed of its own for the suite NAME
# (PREFIX, TMP, PIDS), cleaned up on exit (EP_BED_KEEP=1 keeps it for a
# look), up with the options and --routing none, keys made and the
# endpoints set up as above; on any failure the logs and exit 1.
ep_bed_start() {
	EP_BED_NAME=$1
	shift
	PREFIX=$("$BED" new-prefix)
	TMP=$(mktemp -d "/tmp/$EP_BED_NAME.XXXXXX")
	PIDS=()
	trap ep_bed_cleanup EXIT
	trap 'exit 130' INT TERM
	if ! "$BED" -p "$PREFIX" up "$@" --routing none >"$TMP/bed.log" 2>&1; then
		cat "$TMP/bed.log"
		echo "$EP_BED_NAME: the test bed did not come up"
		exit 1
	fi
	make_keys
	if ! setup_endpoints; then
		cat "$TMP"/*.log
		echo "$EP_BED_NAME: setup failed"
		exit 1
	fi
}

ep_bed_cleanup() {
	local pid
	if [[ ${EP_BED_KEEP:-0} == 1 ]]; then
		echo "$EP_BED_NAME: kept bed $PREFIX, files in $TMP, processes ${PIDS[*]}"
		return
	fi
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	sleep 0.3
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	"$BED" -p "$PREFIX" down >/dev/null 2>&1
	rm -rf "$TMP" "/sys/fs/bpf/mmlipsec/$PREFIX"-*
}

# key: 36 random bytes in hex (a 32-byte key and its 4-byte salt).
key() { od -An -tx1 -N36 /dev/urandom | tr -d ' \n'; }

make_keys() {
	umask 077
	local d
	for d in down up; do
		printf '%s\n%s\n' "$(key)" "$(key)" >"$TMP/ml-$d"
		head -1 "$TMP/ml-$d" >"$TMP/ml-$d-z1"
		key >"$TMP/esp-$d"
		echo >>"$TMP/esp-$d"
		key >"$TMP/chacha-$d"
		echo >>"$TMP/chacha-$d"
	done
}
# SPIs: ML-ESP 0x1000 down / 0x2000 up, ESP (AES-GCM) 0x1100 / 0x2100,
# ESP (ChaCha20-Poly1305) 0x1200 / 0x2200.
endpoint_keys() { # NODE DOWN-DIR UP-DIR
	local n=$1 dd=$2 ud=$3
	ctl "$n" csa add spi 0x1000 format mlesp dir "$dd" keys "$TMP/ml-down" alg aes256gcm &&
		ctl "$n" csa add spi 0x2000 format mlesp dir "$ud" keys "$TMP/ml-up" alg aes256gcm &&
		ctl "$n" csa add spi 0x1100 format esp dir "$dd" keys "$TMP/esp-down" alg aes256gcm &&
		ctl "$n" csa add spi 0x2100 format esp dir "$ud" keys "$TMP/esp-up" alg aes256gcm &&
		ctl "$n" csa add spi 0x1200 format esp dir "$dd" keys "$TMP/chacha-down" \
			alg chacha20poly1305 &&
		ctl "$n" csa add spi 0x2200 format esp dir "$ud" keys "$TMP/chacha-up" \
			alg chacha20poly1305
}

setup_endpoints() {
	local mh_mac
	# HA: forwarding router, correspondent side eth0, FA side to-fa1/to-fa2.
	ctl ha ha attach addr $HA_ADDR cn eth0 fa to-fa1,to-fa2 || return 1
	endpoint_keys ha out in || return 1
	ctl ha binding add home $HOME_ADDR ha $HA_ADDR coa $COA mlesp-out 0x1000 mlesp-in 0x2000 \
		esp-out 0x1100 esp-in 0x2100 || return 1
	# shellcheck disable=SC2086 # WORKER_ARGS: extra options of both workers
	bg ha "$BUILD/mmlworker" --role ha --node "$PREFIX-ha" --port eth0 --port to-fa1 \
		--port to-fa2 --tun mml0 ${WORKER_ARGS:-} >"$TMP/ha.log" 2>&1

	# MH: the home address moves from wlan0 to the worker's TUN device.
	ip -n "$PREFIX-mh" addr del $HOME_ADDR/32 dev wlan0 2>/dev/null
	ctl mh mh attach home $HOME_ADDR dev wlan0 || return 1
	endpoint_keys mh in out || return 1
	ctl mh binding add home $HOME_ADDR ha $HA_ADDR coa $FA_WL mlesp-out 0x2000 mlesp-in 0x1000 \
		esp-out 0x2100 esp-in 0x1100 || return 1
	# shellcheck disable=SC2086
	bg mh "$BUILD/mmlworker" --role mh --node "$PREFIX-mh" --port wlan0 --tun mml0 \
		--home $HOME_ADDR ${WORKER_ARGS:-} >"$TMP/mh.log" 2>&1

	# FA1: its programs, the visitor, zone 1 of both CSAs.
	ctl fa1 fa attach coa $COA wired eth0 wireless wlan0 local $FA_WL || return 1
	mh_mac=$(ip -n "$PREFIX-mh" -o link show wlan0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ctl fa1 visitor add home $HOME_ADDR ha $HA_ADDR dev wlan0 mac "$mh_mac" || return 1
	ctl fa1 csa add spi 0x1000 format mlesp dir fwd keys "$TMP/ml-down-z1" || return 1
	ctl fa1 csa add spi 0x2000 format mlesp dir fwd keys "$TMP/ml-up-z1" || return 1

	sleep 0.5
	# The route trick: the FA on the link, everything else into the tunnel.
	ip -n "$PREFIX-mh" route replace $FA_WL/32 dev wlan0 scope link || return 1
	ip -n "$PREFIX-mh" route replace default dev mml0 || return 1
	# The first packets resolve the next hops.
	x cn ping -q -c 3 -i 0.2 -W 1 $HOME_ADDR >/dev/null 2>&1
	x cn ping -q -c 2 -i 0.2 -W 1 $HOME_ADDR >/dev/null 2>&1
}

mode() { # MODE [SPI at HA] [SPI at MH]
	ctl ha flow add mode "$1" ${2:+spi $2} && ctl mh flow add mode "$1" ${3:+spi $3}
}


# forge_plain NODE OUTER-SRC COA SPORT DPORT N: from NODE's namespace (a
# raw socket, as any box on the HA-FA wire could), N datagrams "forged I"
# of the UDP flow CN:SPORT -> MH:DPORT in plaintext, inside a Mobile IP
# tunnel OUTER-SRC -> COA (the FA's care-of address), 10 ms apart.
forge_plain() {
	x "$1" python3 - "${@:2}" $CN_ADDR $HOME_ADDR <<'EOF'
import socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
outer_src, coa, sport, dport, n, cn, home = sys.argv[1:8]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(int(n)):
    data = b"forged %d" % i
    udp = struct.pack("!HHHH", int(sport), int(dport), 8 + len(data), 0) + data
    s.sendto(ip(outer_src, coa, 4, ip(cn, home, 17, udp)), (coa, 0))
    time.sleep(0.01)
EOF
}

# forge_round NODE OUTER-SRC COA SPORT DPORT N: the MH's application
# listens on DPORT for 3 s while the CN sends one genuine datagram of the
# flow (from SPORT) and forge_plain the N forgeries; prints what the
# application got by kind, e.g. "genuine=1 forged=20" (nothing: empty).
forge_round() {
	local lp
	x mh timeout 10 python3 - $HOME_ADDR "$5" 3 >"$TMP/forge-got" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.2)
got = {}
end = time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        d, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    k = d.split(b" ")[0].decode()
    got[k] = got.get(k, 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(got.items())))
EOF
	lp=$!
	sleep 0.5
	x cn python3 - $HOME_ADDR "$4" "$5" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[2])))
s.sendto(b"genuine 0", (sys.argv[1], int(sys.argv[3])))
EOF
	sleep 0.3
	forge_plain "$@"
	wait $lp
	cat "$TMP/forge-got"
}
