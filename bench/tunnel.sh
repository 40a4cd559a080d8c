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
# What else runs: the verdicts below are only printed on a quiet machine.
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
NETNS0=$(ip netns list | wc -l)
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

sysctl -q -w kernel.bpf_stats_enabled=1
prog_ns() { # NAME: run_time_ns run_cnt summed over programs of that name
	bpftool -j prog show | python3 -c '
import json,sys
t=c=0
for p in json.load(sys.stdin):
    if p.get("name")==sys.argv[1]: t+=p.get("run_time_ns",0); c+=p.get("run_cnt",0)
print(t, c)' "$1"
}
mml_bed() { # [WORKER OPTIONS]: a bed with the endpoints set up
	bed_up none
	echo "bed $PREFIX: mmlipsec${1:+ (workers $*)}"
	make_keys
	WORKER_ARGS="$*" setup_endpoints >"$TMP/setup.log" 2>&1 || {
		cat "$TMP/setup.log"
		die "endpoint setup failed"
	}
}
# cpu_mark NAME: the workers' CPU ticks and packets handled, into NAME.*
declare -A CPU
cpu_mark() {
	CPU[$1.ha_c]=$(worker_ticks ha) CPU[$1.mh_c]=$(worker_ticks mh)
	CPU[$1.ha_p]=$(($(counter ha ep_encap_mlesp) + $(counter ha ep_deliver_mlesp)))
	CPU[$1.mh_p]=$(($(counter mh ep_encap_mlesp) + $(counter mh ep_deliver_mlesp)))
	CPU[$1.ha_g]=$(counter ha ep_tun_gro) CPU[$1.mh_g]=$(counter mh ep_tun_gro)
	CPU[$1.ha_t]=$(counter ha ep_tun_tx) CPU[$1.mh_t]=$(counter mh ep_tun_tx)
}

# The workers as they were before TUN coalescing (issue 21), ML-ESP only:
# the baseline of the worker's CPU per packet, in the same run.
mml_bed --no-gro
mode mlesp >/dev/null
cpu_mark nogro0
iperf mlesp-nogro
cpu_mark nogro1
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
PIDS=()
"$BED" -p "$PREFIX" down >/dev/null 2>&1

mml_bed
for m in plain esp mlesp; do
	mode $m >/dev/null
	if [[ $m == mlesp ]]; then
		cpu_mark mlesp0
		read -r fa_t0 fa_n0 <<<"$(prog_ns mml_fa_down)"
		x ha perf record -q -a -o "$TMP/perf.data" -- sleep $((DUR / 2)) >/dev/null 2>&1 &
		perf_pid=$!
	fi
	iperf $m
	if [[ $m == mlesp ]]; then
		wait $perf_pid 2>/dev/null
		cpu_mark mlesp1
		read -r fa_t1 fa_n1 <<<"$(prog_ns mml_fa_down)"
	fi
done

# ---------------------------------------------------------------- report

hz=$(getconf CLK_TCK)
ratio() { awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }
echo
echo "Single-stream TCP, iperf3 ${DUR} s, Mbit/s (ratios to strongSwan-libipsec and to kernel forwarding)"
printf '%-12s %10s %10s %12s %12s\n' config "CN->MH" "MH->CN" "vs swan" "vs kernel"
for c in kernel strongswan plain esp mlesp mlesp-nogro; do
	printf '%-12s %10s %10s %5s/%-6s %5s/%-6s\n' $c "${RES[$c.down]}" "${RES[$c.up]}" \
		"$(ratio "${RES[$c.down]}" "${RES[strongswan.down]}")" \
		"$(ratio "${RES[$c.up]}" "${RES[strongswan.up]}")" \
		"$(ratio "${RES[$c.down]}" "${RES[kernel.down]}")" \
		"$(ratio "${RES[$c.up]}" "${RES[kernel.up]}")"
done
echo "ML-ESP / ESP: CN->MH $(ratio "${RES[mlesp.down]}" "${RES[esp.down]}"), MH->CN $(ratio "${RES[mlesp.up]}" "${RES[esp.up]}")"
echo
echo "CPU per packet the worker handled, ML-ESP runs (both directions), with and without"
echo "coalescing into the TUN device (--no-gro: the workers before issue 21's change):"
per_pkt() { # RUN NODE
	awk -v c=$((CPU[$1"1.$2_c"] - CPU[$1"0.$2_c"])) -v p=$((CPU[$1"1.$2_p"] - CPU[$1"0.$2_p"])) \
		-v hz="$hz" 'BEGIN { printf "%.0f", c / hz * 1e9 / (p ? p : 1) }'
}
for node in ha mh; do
	a=$(per_pkt mlesp $node) b=$(per_pkt nogro $node)
	printf '  %s worker %s ns/packet, --no-gro %s ns/packet: %s\n' "${node^^}" "$a" "$b" "$(ratio "$a" "$b")"
done
for node in ha mh; do
	g=$((CPU[mlesp1.${node}_g] - CPU[mlesp0.${node}_g])) n=$((CPU[mlesp1.${node}_t] - CPU[mlesp0.${node}_t]))
	printf '  %s: %d segments written to the TUN device, %d super-packets among the writes\n' \
		"${node^^}" "$n" "$g"
done
echo "ML-ESP / ML-ESP --no-gro: CN->MH $(ratio "${RES[mlesp.down]}" "${RES[mlesp-nogro.down]}"), MH->CN $(ratio "${RES[mlesp.up]}" "${RES[mlesp-nogro.up]}")"
awk -v t=$((fa_t1 - fa_t0)) -v n=$((fa_n1 - fa_n0)) \
	'BEGIN { printf "  FA mml_fa_down (BPF, zone-1 ChaCha20-Poly1305) %.0f ns/packet (%d runs)\n", t / (n ? n : 1), n }'
echo
load1=$(cut -d' ' -f1 /proc/loadavg)
echo "Machine: load average $LOAD0 at the start, $load1 at the end; $NETNS0 network namespaces up before the bench"
if awk -v l="$LOAD0" 'BEGIN { exit !(l < 0.7) }' && [[ $NETNS0 -eq 0 ]]; then
	verdict() { # RATIO MIN
		[[ $1 == - ]] && { echo "no figure"; return; }
		awk "BEGIN { print ($1 >= $2) ? \"met\" : \"NOT met\" }"
	}
	target() { # NAME A B MIN
		local r
		r=$(ratio "${RES[$2]}" "${RES[$3]}")
		printf '    %-22s %5s (>= %s: %s)\n' "$1" "$r" "$4" "$(verdict "$r" "$4")"
	}
	echo "Issue 21's targets (this run):"
	for d in down up; do
		echo "  $([[ $d == down ]] && echo CN-\>MH || echo MH-\>CN):"
		target "ML-ESP / kernel" mlesp.$d kernel.$d 0.80
		target "ML-ESP / strongSwan" mlesp.$d strongswan.$d 4
		target "ML-ESP / ESP" mlesp.$d esp.$d 0.95
		target "ESP / kernel" esp.$d kernel.$d 0.90
	done
else
	echo "No verdict on issue 21's targets: the machine was busy (load $LOAD0 or other namespaces up)"
fi
echo
echo "Worker code alone, 1400-byte inner packets (bench-ep-cost):"
"$BUILD/bench-ep-cost" 1400 | sed 's/^/  /'
echo
echo "perf profile of the machine (2 CPUs) during ML-ESP CN->MH, first half (top symbols):"
perf report -i "$TMP/perf.data" --no-children -g none --sort comm,dso,sym --stdio 2>/dev/null |
	grep -v '^#' | grep '%' | head -30 | sed 's/^/  /'
exit 0
