#!/usr/bin/env bash
# make bench-tunnel: single-stream TCP throughput CN <-> MH on the test bed
# without a rate limit (iperf3, DUR seconds per direction, default 20), all
# in one run so the ratios compare like with like:
#   kernel     plain forwarding HA -> FA -> MH, no tunnel, no XDP
#   strongswan charon with kernel-libipsec (its userspace ESP over a TUN
#              device, ESP-in-UDP, AES-256-GCM), HA <-> MH, own config dir
#   plain/esp/mlesp  mmlipsec in each mode (AES-256-GCM; ML-ESP zone 2)
# then the endpoint worker's cost per packet (bench-ep-cost, and the
# workers' CPU time per packet in the ML-ESP run), the BPF programs' time
# per packet (kernel.bpf_stats_enabled), and a perf profile of the ML-ESP
# run. Root; about 5 minutes. BENCH_KEEP=1 keeps the logs (charon's too).
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
BED=$TOP/tests/netns/bed.sh
CTL=$BUILD/mmlctl
DUR=${DUR:-20}
CHARON=${CHARON:-/usr/lib/ipsec/charon}

SUITE=bench-tunnel
. "$TOP/tests/lib/check.sh" # die
[[ $(id -u) -eq 0 ]] || die "needs root"
[[ -x $BED ]] || die "no test bed (tests/netns/bed.sh)"
[[ -x $CHARON ]] || die "no $CHARON (Debian: strongswan-charon libcharon-extra-plugins)"
command -v swanctl >/dev/null || die "no swanctl (Debian: strongswan-swanctl)"

. "$TOP/tests/ep/common.sh"
TMP=$(mktemp -d /tmp/bench-tunnel.XXXXXX)
PIDS=()
BEDS=()
declare -A RES

cleanup() {
	local pid p
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	sleep 0.5
	for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	for p in "${BEDS[@]}"; do "$BED" -p "$p" down >/dev/null 2>&1; done
	sysctl -q -w kernel.bpf_stats_enabled=0
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench-tunnel: logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bed_up() { # ROUTING
	PREFIX=$("$BED" new-prefix)
	BEDS+=("$PREFIX")
	"$BED" -p "$PREFIX" up --rate 10000000 --queue 1000 --routing "$1" >"$TMP/bed.log" 2>&1 ||
		{
			cat "$TMP/bed.log"
			die "the test bed did not come up"
		}
}

# iperf NAME: CN -> MH and MH -> CN (iperf3 -R: the MH's server sends).
iperf() {
	local name=$1 dir flag out srv
	for dir in down up; do
		flag=$([[ $dir == up ]] && echo -R)
		x mh iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
		srv=$!
		sleep 0.5
		out=$(x cn timeout $((DUR + 20)) iperf3 -c $HOME_ADDR -p 5201 -t "$DUR" $flag -J 2>/dev/null)
		RES[$name.$dir]=$(python3 -c '
import json,sys
try: print("%.1f" % (json.loads(sys.stdin.read())["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception: print("0")' <<<"$out")
		echo "  $name $dir: ${RES[$name.$dir]} Mbit/s"
		kill $srv 2>/dev/null
		wait $srv 2>/dev/null
	done
}

# ---------------------------------------------------------------- kernel, strongSwan

bed_up static
echo "bed $PREFIX: plain kernel forwarding"
x cn ping -q -c 2 -W 1 $HOME_ADDR >/dev/null
iperf kernel

# strongSwan: IKE/ESP between the HA (10.1.0.1) and an address of the MH on
# FA1's link (10.2.1.10), protecting CN <-> home address; the FA forwards.
MH_OUTER=10.2.1.10
ip -n "$PREFIX-mh" addr add $MH_OUTER/24 dev wlan0
swan_conf() { # NODE LOCAL REMOTE LOCAL_TS REMOTE_TS ID PEER
	local d=$TMP/swan-$1
	mkdir -p "$d"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
	cat >"$d/strongswan.conf" <<EOF
charon {
	load = random nonce openssl aes sha2 hmac gcm kdf curve25519 kernel-libipsec kernel-netlink socket-default vici
	install_virtual_ip = no
	filelog { log { path = $d/charon.log
		default = 1 } }
	plugins {
		vici { socket = unix://$d/charon.vici }
		kernel-libipsec { allow_peer_ts = no }
	}
}
EOF
	cat >"$d/swanctl.conf" <<EOF
connections {
	bench {
		local_addrs = $2
		remote_addrs = $3
		encap = yes
		proposals = aes256gcm16-prfsha256-x25519
		local { auth = psk
			id = $6 }
		remote { auth = psk
			id = $7 }
		children {
			bench {
				local_ts = $4
				remote_ts = $5
				esp_proposals = aes256gcm16
				mode = tunnel
			}
		}
	}
}
secrets { ike { id-a = ha
	id-b = mh
	secret = "bench-tunnel-$PREFIX" } }
EOF
	# A private /run for its pid file; the vici socket lives in $d.
	bg "$1" unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF="$0/strongswan.conf" "$1"' "$d" "$CHARON"
	for _ in $(seq 50); do [[ -S $d/charon.vici ]] && break; sleep 0.1; done
	swanctl --load-all --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" >"$d/load.log" 2>&1
}
swan_conf ha $HA_ADDR $MH_OUTER 10.0.1.0/24 $HOME_ADDR/32 ha mh
swan_conf mh $MH_OUTER $HA_ADDR $HOME_ADDR/32 10.0.1.0/24 mh ha
if swanctl --initiate --child bench --uri "unix://$TMP/swan-mh/charon.vici" >"$TMP/initiate.log" 2>&1; then
	sleep 1
	x cn ping -q -c 2 -W 1 $HOME_ADDR >/dev/null
	iperf strongswan
	# The traffic did cross the CHILD_SA (not the plain route).
	swanctl --list-sas --uri "unix://$TMP/swan-mh/charon.vici" 2>/dev/null |
		grep -o 'in  [^,]*, [0-9]* bytes' | head -1 | sed 's/^/  strongswan CHILD_SA at the MH: /'
else
	cat "$TMP/initiate.log"
	echo "  strongswan: the IKE SA did not come up"
	RES[strongswan.down]=0 RES[strongswan.up]=0
fi
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
PIDS=()

# ---------------------------------------------------------------- mmlipsec

bed_up none
echo "bed $PREFIX: mmlipsec"
make_keys
setup_endpoints >"$TMP/setup.log" 2>&1 || {
	cat "$TMP/setup.log"
	die "endpoint setup failed"
}
sysctl -q -w kernel.bpf_stats_enabled=1
worker_cpu() { # NODE: user+system ticks of its worker
	local pid
	pid=$(ip netns pids "$PREFIX-$1" | while read -r p; do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == mmlworker ]] && echo "$p"
	done | head -1)
	awk '{print $14 + $15}' "/proc/$pid/stat"
}
prog_ns() { # NAME: run_time_ns run_cnt summed over programs of that name
	bpftool -j prog show | python3 -c '
import json,sys
t=c=0
for p in json.load(sys.stdin):
    if p.get("name")==sys.argv[1]: t+=p.get("run_time_ns",0); c+=p.get("run_cnt",0)
print(t, c)' "$1"
}
for m in plain esp mlesp; do
	mode $m >/dev/null
	if [[ $m == mlesp ]]; then
		read -r ha_c0 <<<"$(worker_cpu ha)"
		read -r mh_c0 <<<"$(worker_cpu mh)"
		read -r fa_t0 fa_n0 <<<"$(prog_ns mml_fa_down)"
		ha_p0=$(($(counter ha ep_encap_mlesp) + $(counter ha ep_deliver_mlesp)))
		mh_p0=$(($(counter mh ep_encap_mlesp) + $(counter mh ep_deliver_mlesp)))
		x ha perf record -q -a -o "$TMP/perf.data" -- sleep $((DUR / 2)) >/dev/null 2>&1 &
		perf_pid=$!
	fi
	iperf $m
	if [[ $m == mlesp ]]; then
		wait $perf_pid 2>/dev/null
		ha_c1=$(worker_cpu ha)
		mh_c1=$(worker_cpu mh)
		read -r fa_t1 fa_n1 <<<"$(prog_ns mml_fa_down)"
		ha_p1=$(($(counter ha ep_encap_mlesp) + $(counter ha ep_deliver_mlesp)))
		mh_p1=$(($(counter mh ep_encap_mlesp) + $(counter mh ep_deliver_mlesp)))
	fi
done

# ---------------------------------------------------------------- report

hz=$(getconf CLK_TCK)
ratio() { awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }
echo
echo "Single-stream TCP, iperf3 ${DUR} s, Mbit/s (ratios to strongSwan-libipsec and to kernel forwarding)"
printf '%-12s %10s %10s %12s %12s\n' config "CN->MH" "MH->CN" "vs swan" "vs kernel"
for c in kernel strongswan plain esp mlesp; do
	printf '%-12s %10s %10s %5s/%-6s %5s/%-6s\n' $c "${RES[$c.down]}" "${RES[$c.up]}" \
		"$(ratio "${RES[$c.down]}" "${RES[strongswan.down]}")" \
		"$(ratio "${RES[$c.up]}" "${RES[strongswan.up]}")" \
		"$(ratio "${RES[$c.down]}" "${RES[kernel.down]}")" \
		"$(ratio "${RES[$c.up]}" "${RES[kernel.up]}")"
done
echo "ML-ESP / ESP: CN->MH $(ratio "${RES[mlesp.down]}" "${RES[esp.down]}"), MH->CN $(ratio "${RES[mlesp.up]}" "${RES[esp.up]}")"
echo
echo "In the ML-ESP run (both directions), CPU per packet the worker handled:"
awk -v c=$((ha_c1 - ha_c0)) -v p=$((ha_p1 - ha_p0)) -v hz="$hz" \
	'BEGIN { printf "  HA worker %.0f ns/packet (%d packets)\n", c / hz * 1e9 / (p ? p : 1), p }'
awk -v c=$((mh_c1 - mh_c0)) -v p=$((mh_p1 - mh_p0)) -v hz="$hz" \
	'BEGIN { printf "  MH worker %.0f ns/packet (%d packets)\n", c / hz * 1e9 / (p ? p : 1), p }'
awk -v t=$((fa_t1 - fa_t0)) -v n=$((fa_n1 - fa_n0)) \
	'BEGIN { printf "  FA mml_fa_down (BPF, zone-1 ChaCha20-Poly1305) %.0f ns/packet (%d runs)\n", t / (n ? n : 1), n }'
echo
echo "Worker code alone, 1400-byte inner packets (bench-ep-cost):"
"$BUILD/bench-ep-cost" 1400 | sed 's/^/  /'
echo
echo "perf profile of the machine (2 CPUs) during ML-ESP CN->MH, first half (top symbols):"
perf report -i "$TMP/perf.data" --no-children -g none --sort comm,dso,sym --stdio 2>/dev/null |
	grep -v '^#' | grep '%' | head -30 | sed 's/^/  /'
exit 0
