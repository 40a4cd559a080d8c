#!/usr/bin/env bash
# The mmlipsec test bed: the paper's topology (its Figs. 3 and 13) from network
# namespaces and veth pairs on one machine. docs/testbed.md has the diagram,
# the address plan, the design of the emulated wireless medium and the knobs.
#
#   bed.sh [-p PREFIX] up [--profile paper|modern] [--routing static|none] [--delay MS]
#                         [--rate KBIT] [--ber BER] [--ber-at behind|before]
#                         [--queue PKTS] [--at faK] [--fas N] [--neighbors SPEC]
#   bed.sh [-p PREFIX] down
#   bed.sh [-p PREFIX] exec NODE CMD [ARG...]       NODE: cn wan ha fa1..faN air mh
#   bed.sh [-p PREFIX] handoff faK
#   bed.sh [-p PREFIX] neighbors faK                faK's neighbour FAs, one line
#   bed.sh [-p PREFIX] set KNOB VALUE | get KNOB | knobs
#   bed.sh [-p PREFIX] stats faK down|up            bit-error counters of one direction
#   bed.sh [-p PREFIX] show | ns NODE
#   bed.sh new-prefix | list
#
# --fas N (2..6, default 2) gives FA1..FAN, each with its own cell in the air
# node; --neighbors "1-2,2-3" is the FAs' undirected neighbour graph as an
# edge list (default: a line, FAk next to FAk-1 and FAk+1; "none": no edges).
#
# The prefix names every namespace (PREFIX-cn, ...) and pin directory
# (/sys/fs/bpf/mmlipsec/PREFIX-air/). It comes from -p, else $MMLB_PREFIX,
# else (for every command but up) the only bed on the machine. `up` prints
# MMLB_PREFIX=... on stdout. What up creates is recorded, as it is created, in
# /run/mmlipsec-bed/PREFIX/created; down removes exactly that, so it also
# cleans a bed whose up failed half-way, and never touches anything else.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
STATE_ROOT=${MMLB_STATE_ROOT:-/run/mmlipsec-bed}
PIN_ROOT=${MMLB_PIN_ROOT:-/sys/fs/bpf/mmlipsec}

FAS_MAX=6
DIRS=(down up)
MH_HOME=10.1.0.10
HA_HOME=10.1.0.1

# Knob defaults (bed.sh set/get; docs/testbed.md "Knobs").
declare -A KNOB_DEFAULT=(
	[profile]=modern [routing]=static [cc]=reno
	[delay.down]=0 [delay.up]=0
	[rate.fa1.down]=2000 [rate.fa1.up]=2000 [rate.fa2.down]=2000 [rate.fa2.up]=2000
	[ber.fa1.down]=0 [ber.fa1.up]=0 [ber.fa2.down]=0 [ber.fa2.up]=0
	[ber_at]=behind [queue]=100 [prio_dscp]=46 [handoff_gap_ms]=0 [assoc]=fa1 [fas]=2 [neighbors]=1-2
)
for ((k = 3; k <= FAS_MAX; k++)); do
	for d in "${DIRS[@]}"; do KNOB_DEFAULT[rate.fa$k.$d]=2000 KNOB_DEFAULT[ber.fa$k.$d]=0; done
done

# CELLS: the FAs (each has a cell), NODES: every namespace, for a bed of N FAs.
set_cells() {
	local k
	CELLS=()
	for ((k = 1; k <= $1; k++)); do CELLS+=("fa$k"); done
	NODES=(cn wan ha "${CELLS[@]}" air mh)
}
set_cells 2
is_cell() { [[ " ${CELLS[*]} " == *" $1 "* ]]; }
# KIND.faK.DIR for every cell and direction: what `set KIND` and `up --KIND` change.
cell_keys() {
	local cell d
	for cell in "${CELLS[@]}"; do for d in "${DIRS[@]}"; do echo "$1.$cell.$d"; done; done
}
# The queue veths of every cell (air time, one per direction).
queue_devs() {
	local cell
	for cell in "${CELLS[@]}"; do echo "c${cell#fa}-dl-q c${cell#fa}-ul-q"; done
}

# The neighbour graph SPEC ("1-2,2-3", "none") for N FAs, checked and
# normalised (each edge low-high, sorted, once); empty SPEC: a line.
parse_neighbors() {
	local spec=$1 n=$2 e a b k out=()
	if [[ -z $spec ]]; then
		for ((k = 1; k < n; k++)); do out+=("$k-$((k + 1))"); done
	elif [[ $spec != none ]]; then
		for e in ${spec//,/ }; do
			[[ $e =~ ^([1-9])-([1-9])$ ]] || fatal "neighbors: \"$e\" is not an edge K-L"
			a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
			((a != b && a <= n && b <= n)) || fatal "neighbors: edge $e: FAs 1..$n, no loops"
			((a < b)) || { k=$a a=$b b=$k; }
			out+=("$a-$b")
		done
	fi
	[[ ${#out[@]} -gt 0 ]] || { echo none; return 0; }
	printf '%s\n' "${out[@]}" | sort -t- -k1,1n -k2,2n -u | paste -sd,
}

fatal() {
	echo "bed: $*" >&2
	exit 1
}
log() { echo "bed: $*" >&2; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- prefix, state

new_prefix() {
	local p
	for _ in 1 2 3 4 5 6 7 8; do
		p=mmlb$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
		[[ -e $STATE_ROOT/$p || -e /run/netns/$p-cn ]] || {
			echo "$p"
			return 0
		}
	done
	fatal "cannot find a free prefix"
}

valid_prefix() { [[ $1 =~ ^[a-z][a-z0-9]{1,11}$ ]]; }

resolve_prefix() {
	local beds
	if [[ -z ${PREFIX:-} ]]; then
		PREFIX=${MMLB_PREFIX:-}
	fi
	if [[ -z $PREFIX ]]; then
		mapfile -t beds < <(find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null)
		[[ ${#beds[@]} -eq 1 ]] || fatal "which bed? give -p PREFIX or MMLB_PREFIX (beds: ${beds[*]:-none})"
		PREFIX=${beds[0]}
	fi
	valid_prefix "$PREFIX" || fatal "bad prefix \"$PREFIX\" (expected [a-z][a-z0-9]{1,11})"
	STATE=$STATE_ROOT/$PREFIX
	[[ -d $STATE ]] && set_cells "$(knob_get fas)"
	return 0
}

need_bed() { [[ -d $STATE ]] || fatal "no bed $PREFIX (no $STATE)"; }

# Every object is recorded before (namespaces, pins) or right after (pids) it
# exists, so that down finds it even if up dies in between.
record() { echo "$*" >>"$STATE/created"; }

knob_get() {
	local v
	v=$(sed -n "s/^$1=//p" "$STATE/knobs" 2>/dev/null | tail -n1)
	echo "${v:-${KNOB_DEFAULT[$1]}}"
}

knob_put() {
	local tmp=$STATE/knobs.tmp
	{ grep -v "^$1=" "$STATE/knobs" 2>/dev/null || true; echo "$1=$2"; } >"$tmp"
	mv "$tmp" "$STATE/knobs"
}

event() { event_at "$(now)" "$@"; }
event_at() { # TIME WHAT...
	local line
	line="$*"
	echo "$line" >>"$STATE/events"
	echo "bed: $line"
}

# ---------------------------------------------------------------- running in nodes

ns() { echo "$PREFIX-$1"; }

# Quick: enter only the network namespace (ip/tc have -n; sysctl, ethtool and
# our tools only need the netns; /sys still shows the root namespace).
nx() {
	local node=$1
	shift
	nsenter --net="/run/netns/$(ns "$node")" -- "$@"
}

# For users (replaces the shell, so the caller's pid is the command's): the
# netns plus a private mount namespace whose /sys describes the
# node (as `ip netns exec` does) but which keeps the machine's bpffs at
# /sys/fs/bpf, so pinned maps are shared with every other node and tool.
node_exec() {
	local node=$1
	shift
	[[ -e /run/netns/$(ns "$node") ]] || fatal "no node $node in bed $PREFIX"
	exec nsenter --net="/run/netns/$(ns "$node")" -- \
		unshare --mount --propagation slave -- \
		sh -c 'mount --bind /sys/fs/bpf "$0" && mount -t sysfs sysfs /sys &&
		       mount --move "$0" /sys/fs/bpf && exec "$@"' "$STATE/hold" "$@"
}

# ---------------------------------------------------------------- building

ensure_bpffs() {
	[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] && return 0
	log "mounting bpffs at /sys/fs/bpf (left mounted: it is shared by every user)"
	mount -t bpf bpf /sys/fs/bpf
}

add_node() {
	local name
	name=$(ns "$1")
	[[ -e /run/netns/$name ]] && fatal "namespace $name exists already"
	record ns "$name"
	# The node's pin directory (the product's daemons pin under it too).
	record pin "$PIN_ROOT/$name"
	ip netns add "$name"
	ip -n "$name" link set lo up
	# IPv4 only: no IPv6 router/neighbour chatter on the emulated links.
	nx "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	nx "$1" sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# A veth pair made directly inside the two namespaces: the root namespace
# never sees it.
wire() {
	local n1=$1 if1=$2 n2=$3 if2=$4
	ip link add name "$if1" netns "$(ns "$n1")" type veth peer name "$if2" netns "$(ns "$n2")"
	ip -n "$(ns "$n1")" link set "$if1" up
	ip -n "$(ns "$n2")" link set "$if2" up
}

# Frames on the veth "wire" carry complete checksums (as a real NIC puts them
# on the air) and no GSO/GRO super-frames: the delay line and later the
# AF_XDP workers read raw frames, and the bit-error model must see every
# frame at its real length.
offloads_off() {
	local node=$1 dev
	shift
	for dev in "$@"; do
		nx "$node" ethtool -K "$dev" tx off gso off gro off >/dev/null 2>&1 ||
			nx "$node" ethtool -K "$dev" tx off gso off >/dev/null
	done
}

build_topology() {
	local node cell c
	for node in "${NODES[@]}"; do add_node "$node"; done
	wire cn eth0 wan to-cn
	wire ha eth0 wan to-ha
	for cell in "${CELLS[@]}"; do wire ha "to-$cell" "$cell" eth0; done
	for cell in "${CELLS[@]}"; do wire "$cell" wlan0 air "c${cell#fa}-fa"; done
	wire mh wlan0 air mh
	for cell in "${CELLS[@]}"; do
		c=${cell#fa}
		wire air "c$c-dl-q" air "c$c-dl-rx"
		wire air "c$c-ul-q" air "c$c-ul-rx"
	done
	offloads_off cn eth0
	offloads_off wan to-cn to-ha
	offloads_off ha eth0 "${CELLS[@]/#/to-}"
	for cell in "${CELLS[@]}"; do offloads_off "$cell" eth0 wlan0; done
	offloads_off mh wlan0
	for cell in "${CELLS[@]}"; do
		c=${cell#fa}
		offloads_off air "c$c-fa" "c$c-dl-q" "c$c-dl-rx" "c$c-ul-q" "c$c-ul-rx"
	done
	offloads_off air mh
}

address_plan() {
	ip -n "$(ns cn)" addr add 10.0.1.1/24 dev eth0
	ip -n "$(ns cn)" route add default via 10.0.1.254
	ip -n "$(ns ha)" addr add 10.0.1.254/24 dev eth0
	ip -n "$(ns ha)" addr add $HA_HOME/32 dev lo
	local cell k
	# FAk: 10.0.(k+1).0/24 to the HA, 10.2.k.0/24 its cell.
	for cell in "${CELLS[@]}"; do
		k=${cell#fa}
		ip -n "$(ns ha)" addr add "10.0.$((k + 1)).1/24" dev "to-$cell"
		ip -n "$(ns ha)" route add "10.2.$k.0/24" via "10.0.$((k + 1)).2"
		ip -n "$(ns "$cell")" addr add "10.0.$((k + 1)).2/24" dev eth0
		ip -n "$(ns "$cell")" addr add "10.2.$k.1/24" dev wlan0
		ip -n "$(ns "$cell")" route add default via "10.0.$((k + 1)).1"
	done
	ip -n "$(ns mh)" addr add $MH_HOME/32 dev wlan0
	for cell in ha "${CELLS[@]}"; do nx "$cell" sysctl -q -w net.ipv4.ip_forward=1; done
}

# Plain kernel forwarding toward the MH's home address through the FA it is
# associated with ("routing static"): what Mobile IP will do later.
static_routes() {
	local fa=$1 n=${1#fa} other
	ip -n "$(ns ha)" route replace $MH_HOME/32 via "10.0.$((n + 1)).2"
	for other in "${CELLS[@]}"; do
		[[ $other == "$fa" ]] || ip -n "$(ns "$other")" route del $MH_HOME/32 dev wlan0 2>/dev/null || true
	done
	ip -n "$(ns "$fa")" route replace $MH_HOME/32 dev wlan0 scope link
	ip -n "$(ns mh)" route replace "10.2.$n.1/32" dev wlan0 scope link
	ip -n "$(ns mh)" route replace default via "10.2.$n.1" dev wlan0
	for other in "${CELLS[@]}"; do
		[[ $other == "$fa" ]] || ip -n "$(ns mh)" route del "10.2.${other#fa}.1/32" dev wlan0 2>/dev/null || true
	done
}

# ---------------------------------------------------------------- TCP profiles

apply_profile() {
	local profile cc node
	profile=$(knob_get profile)
	cc=$(knob_get cc)
	for node in cn wan ha "${CELLS[@]}" mh; do
		nx "$node" sysctl -q -w net.ipv4.tcp_congestion_control="$cc" \
			net.ipv4.tcp_no_metrics_save=1
		case $profile in
		paper)
			nx "$node" sysctl -q -w net.ipv4.tcp_sack=0 net.ipv4.tcp_dsack=0 \
				net.ipv4.tcp_recovery=0 net.ipv4.tcp_early_retrans=0 net.ipv4.tcp_frto=0
			;;
		modern)
			nx "$node" sysctl -q -w net.ipv4.tcp_sack=1 net.ipv4.tcp_dsack=1 \
				net.ipv4.tcp_recovery=1 net.ipv4.tcp_early_retrans=3 net.ipv4.tcp_frto=2
			;;
		*) fatal "profile \"$profile\": expected paper or modern" ;;
		esac
	done
	# The paper's 65,535-byte sender buffer: SO_SNDBUF 65535, which the kernel
	# doubles for its bookkeeping, i.e. tcp_wmem 131070 for every CN socket.
	if [[ $profile == paper ]]; then
		nx cn sysctl -q -w net.ipv4.tcp_wmem="4096 131070 131070"
	else
		nx cn sysctl -q -w net.ipv4.tcp_wmem="4096 16384 4194304"
	fi
}

# ---------------------------------------------------------------- the air node

cell_no() { echo "${1#fa}"; }

htb_classes() {
	local dev=$1 rate=$2 verb=$3
	local half=$(((rate + 1) / 2))
	tc -n "$(ns air)" class "$verb" dev "$dev" parent 1: classid 1:1 htb \
		rate "${rate}kbit" ceil "${rate}kbit" quantum 1514
	tc -n "$(ns air)" class "$verb" dev "$dev" parent 1:1 classid 1:10 htb \
		rate "${half}kbit" ceil "${rate}kbit" prio 0 quantum 1514
	tc -n "$(ns air)" class "$verb" dev "$dev" parent 1:1 classid 1:20 htb \
		rate "$((rate - half))kbit" ceil "${rate}kbit" prio 1 quantum 1514
}

# One direction's air time: htb on the queue veth's egress. Class 1:10 takes
# frames whose outer IPv4 DSCP is prio_dscp (SNOOP's local retransmissions),
# 1:20 everything else; 1:10 is dequeued first whenever both have frames.
setup_queue() {
	local dev=$1 rate=$2 queue dscp
	queue=$(knob_get queue)
	dscp=$(knob_get prio_dscp)
	tc -n "$(ns air)" qdisc add dev "$dev" root handle 1: htb default 20
	htb_classes "$dev" "$rate" add
	tc -n "$(ns air)" qdisc add dev "$dev" parent 1:10 handle 10: pfifo limit "$queue"
	tc -n "$(ns air)" qdisc add dev "$dev" parent 1:20 handle 20: pfifo limit "$queue"
	tc -n "$(ns air)" filter add dev "$dev" parent 1: prio 1 protocol ip \
		u32 match ip dsfield $((dscp << 2)) 0xfc flowid 1:10
}

# Where a direction's bit-error model sits (knob ber_at): behind the air time
# (the queue veth's peer, TC ingress: a lost frame has used its air time, as
# on a radio) or before it (the queue veth's TC egress, which runs before the
# htb enqueue: a lost frame takes no air time, as in a model that drops
# before a rate limiter).
ber_dev() {
	echo "c$(cell_no "$1")-$([[ $2 == down ]] && echo dl || echo ul)-$([[ $(knob_get ber_at) == before ]] && echo q || echo rx)"
}
ber_hook() { [[ $(knob_get ber_at) == before ]] && echo egress || echo ingress; }

# The bit-error instance of every cell and direction, where ber_at says.
attach_ber() {
	local cell dir
	for cell in "${CELLS[@]}"; do
		for dir in "${DIRS[@]}"; do
			mml_link -n "$(ns air)" ber attach dev "$(ber_dev "$cell" "$dir")" \
				hook "$(ber_hook)" prio 1 "$(knob_get "ber.$cell.$dir")"
		done
	done
}

detach_ber() {
	local cell dir
	for cell in "${CELLS[@]}"; do
		for dir in "${DIRS[@]}"; do
			mml_link -n "$(ns air)" ber detach dev "$(ber_dev "$cell" "$dir")" \
				hook "$(ber_hook)" prio 1
		done
	done
}

mml_link() { "$BUILD/mml-link" -N "$(ns air)" "$@"; }

air_pins() { echo "$PIN_ROOT/$(ns air)/air"; }

ifindex() { ip -n "$(ns "$1")" -o link show dev "$2" | cut -d: -f1; }

# A u32 as the 4 little-endian bytes bpftool takes.
le32() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# Frames entering DEV leave through TARGET unchanged (L2 transparent, MAC
# addresses included), or are dropped (TARGET "drop"):
# tests/bed/bpf/air_fwd.bpf.c reads the pinned air_ports map. Rewriting an entry also zeroes its counters.
connect() {
	local dev=$1 target=$2 to=0
	[[ $target == drop ]] || to=$(ifindex air "$target")
	# shellcheck disable=SC2046 # le32 yields 4 words on purpose
	bpftool map update pinned "$(air_pins)/air_ports" key $(le32 "$(ifindex air "$dev")") \
		value $(le32 "$to") 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
}

# The forwarder runs at the port's TC ingress, at prio 2: after the
# bit-error filter (prio 1) on the ports that have one.
forward_from() {
	nx air tc filter add dev "$1" ingress prio 2 handle 1 bpf da object-pinned "$(air_pins)/air_fwd"
}

build_air() {
	local cell c dir dev
	(umask 077 && mkdir -p "$(air_pins)")
	bpftool prog load "$BUILD/bpf/air_fwd.bpf.o" "$(air_pins)/air_fwd" pinmaps "$(air_pins)"
	for dev in mh $(for cell in "${CELLS[@]}"; do c=${cell#fa}; echo "c$c-fa c$c-dl-rx c$c-ul-rx"; done); do
		tc -n "$(ns air)" qdisc add dev "$dev" clsact
		forward_from "$dev"
	done
	connect mh drop
	for cell in "${CELLS[@]}"; do
		c=$(cell_no "$cell")
		setup_queue "c$c-dl-q" "$(knob_get "rate.$cell.down")"
		setup_queue "c$c-ul-q" "$(knob_get "rate.$cell.up")"
		# FA -> downlink queue -> (air time) -> bit errors -> MH if associated
		connect "c$c-fa" "c$c-dl-q"
		connect "c$c-dl-rx" drop
		# MH (if associated) -> uplink queue -> (air time) -> bit errors -> FA
		connect "c$c-ul-rx" "c$c-fa"
	done
	attach_ber
	# The FAs' and the MH's XDP programs will XDP_REDIRECT into their wireless
	# veths; the air-side peer accepts such frames only while it runs XDP.
	local ports=("${CELLS[@]/#fa/c}")
	ports=("${ports[@]/%/-fa}")
	for dev in "${ports[@]}" mh; do
		ip -n "$(ns air)" link set dev "$dev" xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp
	done
	# Attaching XDP may turn a veth's GRO back on.
	offloads_off air "${ports[@]}" mh
}

associate() {
	local cell=$1 c
	c=$(cell_no "$cell")
	connect mh "c$c-ul-q"
	connect "c$c-dl-rx" mh
	knob_put assoc "$cell"
}

disassociate() {
	local cell=$1 c
	c=$(cell_no "$cell")
	connect "c$c-dl-rx" drop
	connect mh drop
}

# ---------------------------------------------------------------- the wan node

start_delayline() {
	local ready=$STATE/delayline.ready pid i
	rm -f "$ready"
	setsid "$BUILD/mml-delayline" -n "$(ns wan)" -d "$(knob_get delay.down)" \
		-D "$(knob_get delay.up)" -r "$ready" to-cn to-ha \
		</dev/null >>"$STATE/delayline.log" 2>&1 &
	pid=$!
	record pid "$pid" mml-delayline
	echo "$pid" >"$STATE/delayline.pid"
	for i in $(seq 100); do
		[[ -e $ready ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 5 "$STATE/delayline.log" >&2 || true
	fatal "the delay line did not start"
}

# Kill a process we started, by pid, if it still is what we started.
stop_pid() {
	local pid=$1 comm=$2 i
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "${comm:0:15}" ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 60); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

stop_delayline() {
	[[ -e $STATE/delayline.pid ]] || return 0
	stop_pid "$(cat "$STATE/delayline.pid")" mml-delayline
	rm -f "$STATE/delayline.pid"
}

# ---------------------------------------------------------------- commands

cmd_up() {
	local opt val k fas=2 spec="" rate="" ber=""
	[[ -z ${PREFIX:-} ]] && PREFIX=${MMLB_PREFIX:-$(new_prefix)}
	valid_prefix "$PREFIX" || fatal "bad prefix \"$PREFIX\""
	STATE=$STATE_ROOT/$PREFIX
	[[ -e $STATE ]] && fatal "bed $PREFIX exists already ($STATE)"
	for exe in mml-link mml-delayline bpf/xdp_pass.bpf.o; do
		[[ -e $BUILD/$exe ]] || fatal "missing $BUILD/$exe: run make"
	done
	mkdir -p "$STATE/hold"
	: >"$STATE/created"
	: >"$STATE/knobs"
	# A failing up (a bad option included) leaves nothing behind.
	trap 'up_failed' EXIT
	while [[ $# -gt 0 ]]; do
		opt=$1
		val=${2:-}
		[[ $# -ge 2 ]] || fatal "up: $opt needs a value"
		shift 2
		case $opt in
		--profile) knob_put profile "$val" ;;
		--routing) knob_put routing "$val" ;;
		--delay) knob_put delay.down "$val"; knob_put delay.up "$val" ;;
		--rate) rate=$val ;;
		--ber) ber=$val ;;
		--ber-at) knob_put ber_at "$val" ;;
		--queue) knob_put queue "$val" ;;
		--at) knob_put assoc "$val" ;;
		--fas) fas=$val ;;
		--neighbors) spec=${val:-none} ;;
		*) fatal "up: unknown option \"$opt\"" ;;
		esac
	done
	[[ $fas =~ ^[2-6]$ ]] || fatal "fas: expected 2..$FAS_MAX FAs"
	set_cells "$fas"
	knob_put fas "$fas"
	spec=$(parse_neighbors "$spec" "$fas") || exit 1
	knob_put neighbors "$spec"
	[[ -z $rate ]] || for k in $(cell_keys rate); do knob_put "$k" "$rate"; done
	[[ -z $ber ]] || for k in $(cell_keys ber); do knob_put "$k" "$ber"; done
	validate_knobs
	ensure_bpffs
	build_topology
	address_plan
	apply_profile
	build_air
	# For the cleanup suite: an up that fails half-way must leave nothing.
	[[ ${MMLB_FAULT:-} != after-air ]] || fatal "fault injected after the air node (MMLB_FAULT)"
	associate "$(knob_get assoc)"
	[[ $(knob_get routing) == static ]] && static_routes "$(knob_get assoc)"
	start_delayline
	trap - EXIT
	event "up $PREFIX profile $(knob_get profile) routing $(knob_get routing) at $(knob_get assoc)"
	echo "MMLB_PREFIX=$PREFIX"
}

up_failed() {
	log "up failed, removing what it made"
	cmd_down >/dev/null 2>&1 || true
}

validate_knobs() {
	local cell dir v
	[[ $(knob_get profile) =~ ^(paper|modern)$ ]] || fatal "profile: expected paper or modern"
	[[ $(knob_get routing) =~ ^(static|none)$ ]] || fatal "routing: expected static or none"
	is_cell "$(knob_get assoc)" || fatal "at: expected one of ${CELLS[*]}"
	[[ $(knob_get queue) =~ ^[1-9][0-9]*$ ]] || fatal "queue: expected packets > 0"
	[[ $(knob_get ber_at) =~ ^(behind|before)$ ]] || fatal "ber-at: expected behind or before"
	for dir in down up; do
		v=$(knob_get "delay.$dir")
		[[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk "BEGIN{exit !($v <= 200)}" ||
			fatal "delay: expected 0..200 ms, got \"$v\""
		for cell in "${CELLS[@]}"; do
			[[ $(knob_get "rate.$cell.$dir") =~ ^[1-9][0-9]*$ ]] || fatal "rate: expected kbit/s > 0"
		done
	done
}

cmd_down() {
	local kind what extra i lines
	need_bed
	[[ -s $STATE/created ]] || { rm -rf "$STATE"; return 0; }
	mapfile -t lines <"$STATE/created"
	# Processes first (they hold sockets and XDP programs), then pins, then
	# namespaces (which takes their links, qdiscs and filters with them).
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r kind what extra <<<"${lines[i]}"
		[[ $kind == pid ]] && stop_pid "$what" "$extra"
	done
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r kind what extra <<<"${lines[i]}"
		case $kind in
		pin) [[ $what == "$PIN_ROOT/$PREFIX-"* ]] && rm -rf "$what" ;;
		ns) kill_leftovers "$what"; ip netns del "$what" 2>/dev/null || true ;;
		esac
	done
	rm -rf "$STATE"
	echo "bed: $PREFIX down"
}

# Processes somebody started inside the bed's namespaces (servers of a test
# that died) would keep a deleted namespace alive with its links: stop them.
kill_leftovers() {
	local name=$1 pid
	[[ -e /run/netns/$name ]] || return 0
	for pid in $(ip netns pids "$name" 2>/dev/null); do
		log "stopping pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) left in $name"
		kill -TERM "$pid" 2>/dev/null || true
	done
}

cmd_handoff() {
	local to=${1:-} from gap out
	need_bed
	is_cell "$to" || fatal "handoff: expected one of ${CELLS[*]}"
	from=$(knob_get assoc)
	[[ $from != "$to" ]] || fatal "handoff: the MH is at $to already"
	gap=$(knob_get handoff_gap_ms)
	# 802.11 re-association as IP sees it: carrier lost on the MH's wlan0,
	# (gap), carrier back through the new cell. One process does it
	# (tests/bed/air.c): done by shell commands, the switch took 60-200 ms of
	# their own, longer than a loaded CN's loss-probe timeout.
	out=$(mml_link -n "$(ns air)" -r "$PIN_ROOT" air handoff dev mh \
		drop "c$(cell_no "$from")-dl-rx" drop mh \
		connect "mh=c$(cell_no "$to")-ul-q" connect "c$(cell_no "$to")-dl-rx=mh" gap "$gap") ||
		fatal "handoff: the air switch failed"
	knob_put assoc "$to"
	event_at "$(awk '$1 == "link-down" {print $2}' <<<"$out")" "handoff link-down $from"
	event_at "$(awk '$1 == "link-up" {print $2}' <<<"$out")" "handoff link-up $to"
	if [[ $(knob_get routing) == static ]]; then
		static_routes "$to"
		event "handoff routes $to"
	fi
}

apply_knob() {
	local knob=$1 val=$2 cell dir dev c
	case $knob in
	ber.*)
		cell=$(cut -d. -f2 <<<"$knob")
		dir=$(cut -d. -f3 <<<"$knob")
		mml_link ber set dev "$(ber_dev "$cell" "$dir")" hook "$(ber_hook)" "$val"
		;;
	rate.*)
		cell=$(cut -d. -f2 <<<"$knob")
		dir=$(cut -d. -f3 <<<"$knob")
		c=$(cell_no "$cell")
		dev=c$c-$([[ $dir == down ]] && echo dl || echo ul)-q
		htb_classes "$dev" "$val" change
		;;
	delay) stop_delayline; start_delayline ;;
	queue)
		for dev in $(queue_devs); do
			tc -n "$(ns air)" qdisc change dev "$dev" parent 1:10 handle 10: pfifo limit "$val"
			tc -n "$(ns air)" qdisc change dev "$dev" parent 1:20 handle 20: pfifo limit "$val"
		done
		;;
	prio_dscp)
		for dev in $(queue_devs); do
			tc -n "$(ns air)" filter del dev "$dev" parent 1: prio 1
			tc -n "$(ns air)" filter add dev "$dev" parent 1: prio 1 protocol ip \
				u32 match ip dsfield $((val << 2)) 0xfc flowid 1:10
		done
		;;
	profile | cc) knob_put "$knob" "$val"; apply_profile ;;
	# The instances move (their counters start from zero), each keeping its BER.
	ber_at)
		[[ $(knob_get ber_at) != "$val" ]] || return 0
		detach_ber
		knob_put ber_at "$val"
		attach_ber
		;;
	handoff_gap_ms) ;;
	esac
}

# KNOB may name one direction (ber.fa1.down) or all of them (ber, rate,
# delay); values are checked before anything changes.
cmd_set() {
	local knob=${1:-} val=${2:-} k keys=()
	[[ -n $knob && -n $val ]] || fatal "set: expected KNOB VALUE"
	need_bed
	case $knob in
	ber | rate) mapfile -t keys < <(cell_keys "$knob") ;;
	delay) keys=(delay.down delay.up) ;;
	delay.down | delay.up | queue | prio_dscp | profile | cc | handoff_gap_ms | ber_at) keys=("$knob") ;;
	ber.fa*.* | rate.fa*.*) [[ " $(cell_keys "${knob%%.*}" | paste -sd' ') " == *" $knob "* ]] &&
		keys=("$knob") ;;&
	ber.* | rate.*) [[ ${#keys[@]} -gt 0 ]] || fatal "set: no cell for \"$knob\" (cells ${CELLS[*]})" ;;
	*) fatal "set: unknown knob \"$knob\" (bed.sh knobs lists them)" ;;
	esac
	# BER values are judged by tests/bed/link_ber when the first one is applied.
	case $knob in
	rate* | queue) [[ $val =~ ^[1-9][0-9]*$ ]] || fatal "$knob: expected an integer > 0" ;;
	delay*) [[ $val =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk "BEGIN{exit !($val <= 200)}" ||
		fatal "$knob: expected 0..200 ms" ;;
	prio_dscp) [[ $val =~ ^[0-9]+$ && $val -lt 64 ]] || fatal "prio_dscp: expected 0..63" ;;
	profile) [[ $val =~ ^(paper|modern)$ ]] || fatal "profile: expected paper or modern" ;;
	handoff_gap_ms) [[ $val =~ ^[0-9]+$ ]] || fatal "handoff_gap_ms: expected ms" ;;
	ber_at) [[ $val =~ ^(behind|before)$ ]] || fatal "ber_at: expected behind or before" ;;
	esac
	if [[ $knob == delay* ]]; then
		for k in "${keys[@]}"; do knob_put "$k" "$val"; done
		apply_knob delay "$val"
	else
		for k in "${keys[@]}"; do
			apply_knob "$k" "$val" || fatal "set $k $val failed"
			knob_put "$k" "$val"
		done
	fi
	event "set $knob $val"
}

cmd_get() {
	local knob=${1:-}
	[[ -n $knob && -n ${KNOB_DEFAULT[$knob]+x} ]] || fatal "get: unknown knob \"$knob\""
	need_bed
	knob_get "$knob"
}

cmd_knobs() {
	local k
	need_bed
	for k in $(printf '%s\n' "${!KNOB_DEFAULT[@]}" | sort); do
		[[ $k =~ ^(ber|rate)\.(fa[0-9]) ]] && ! is_cell "${BASH_REMATCH[2]}" && continue
		printf '%-16s %s\n' "$k" "$(knob_get "$k")"
	done
}

cmd_stats() {
	local cell=${1:-} dir=${2:-} line
	is_cell "$cell" && [[ $dir =~ ^(down|up)$ ]] || fatal "stats: expected faK down|up (cells ${CELLS[*]})"
	need_bed
	line=$(mml_link ber show dev "$(ber_dev "$cell" "$dir")" hook "$(ber_hook)")
	# "DEV HOOK: ber B [(1/N)] passed F frames B bits lost F frames B bits"
	awk '{for (i = 1; i <= NF; i++) {
		if ($i == "passed") { pf = $(i + 1); pb = $(i + 3) }
		if ($i == "lost") { lf = $(i + 1); lb = $(i + 3) } }
		printf "passed_frames=%s passed_bits=%s lost_frames=%s lost_bits=%s\n", pf, pb, lf, lb }' \
		<<<"$line"
}

cmd_show() {
	need_bed
	echo "bed $PREFIX (state $STATE)"
	echo "namespaces: $(for n in "${NODES[@]}"; do printf '%s ' "$(ns "$n")"; done)"
	cmd_knobs | sed 's/^/  /'
	echo "bit-error model (pins $PIN_ROOT/$(ns air)):"
	mml_link ber show | sed 's/^/  /'
	echo "air queues:"
	for dev in $(queue_devs); do
		echo "  $dev: $(tc -n "$(ns air)" -s qdisc show dev "$dev" | awk '/^qdisc htb/ {getline; print}')"
	done
	if [[ -e $STATE/delayline.pid ]] && kill -0 "$(cat "$STATE/delayline.pid")" 2>/dev/null; then
		echo "delay line: pid $(cat "$STATE/delayline.pid")"
	else
		echo "delay line: NOT RUNNING"
	fi
}

# FAk's neighbour FAs in the graph of up --neighbors, on one line ("" if none).
cmd_neighbors() {
	local fa=${1:-} e out=()
	need_bed
	is_cell "$fa" || fatal "neighbors: expected one of ${CELLS[*]}"
	for e in $(knob_get neighbors | tr ',' ' '); do
		[[ $e == "${fa#fa}-"* ]] && out+=("fa${e#*-}")
		[[ $e == *"-${fa#fa}" ]] && out+=("fa${e%-*}")
	done
	printf '%s\n' "$(printf '%s\n' "${out[@]}" | sort -V | paste -sd' ')"
}

cmd_list() {
	local dir p
	for dir in "$STATE_ROOT"/*/; do
		[[ -d $dir ]] || continue
		p=$(basename "$dir")
		echo "$p $(sed -n 's/^\([0-9.]*\) up .*/up since \1/p' "$STATE_ROOT/$p/events" 2>/dev/null | head -n1)"
	done
}

main() {
	PREFIX=
	while [[ $# -gt 0 && $1 == -* ]]; do
		case $1 in
		-p) PREFIX=${2:-}; shift 2 ;;
		-h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) fatal "unknown option \"$1\"" ;;
		esac
	done
	local cmd=${1:-}
	[[ -n $cmd ]] || fatal "expected a command (bed.sh -h)"
	shift
	[[ $(id -u) -eq 0 ]] || fatal "needs root (namespaces, BPF)"
	case $cmd in
	new-prefix) new_prefix ;;
	list) cmd_list ;;
	up) cmd_up "$@" ;;
	down) resolve_prefix; cmd_down ;;
	exec) resolve_prefix; need_bed; [[ $# -ge 2 ]] || fatal "exec: expected NODE CMD"; node_exec "$@" ;;
	handoff) resolve_prefix; cmd_handoff "$@" ;;
	neighbors) resolve_prefix; cmd_neighbors "$@" ;;
	set) resolve_prefix; cmd_set "$@" ;;
	get) resolve_prefix; cmd_get "$@" ;;
	knobs) resolve_prefix; cmd_knobs ;;
	stats) resolve_prefix; cmd_stats "$@" ;;
	show) resolve_prefix; cmd_show ;;
	ns) resolve_prefix; [[ " ${NODES[*]} " == *" ${1:-x} "* ]] || fatal "ns: unknown node"; ns "$1" ;;
	*) fatal "unknown command \"$cmd\" (bed.sh -h)" ;;
	esac
}

main "$@"
