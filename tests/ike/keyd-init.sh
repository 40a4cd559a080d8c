#!/usr/bin/env bash
# ML-IKE inside mmlkeyd, driven by Mobile IP (paper Fig. 4): three
# namespaces HA -- FA -- MH with static routes (the bed's "routing static"
# shape, no XDP data plane), mmlkeyd with the mip and ike modules on each,
# the node's pinned mml_csa and mml_binding maps created here. The MH
# registers through the FA; the HA's binding starts the IKE SAs with MH and
# FA, MLIKE_AUTH_SA, KEY_DISTRIBUTE; then:
#   - MH and HA hold the same CSA pair, the binding entries name its SPIs;
#   - the FA holds both CSAs with zone-1 keys equal to theirs and null zone 2;
#   - `mmlctl mip deregister` at the MH removes every CSA on all three nodes;
#   - no PSK, Mobile IP key or zone key (read from the maps) in any
#     daemon's log, at log level debug (LOG_LEVEL= to change);
#   - issue 18 item 3: a second HA ("ev", a peer the FA authenticates, with
#     its own identity and PSK; mmlike forge-kd) sends the FA zone-1 keys
#     of its own under the SPIs of the first HA's mobile and then revokes
#     them, and sends keys for that mobile under fresh SPIs: each refused
#     (MLIKE_KEYS_REJECTED, the Delete not acknowledged), counted in the
#     FA's `ike show` (csas_refused_owner), the FA's CSAs unchanged byte for
#     byte; its keys for a mobile of its own go in and out as usual.
# RUNS=N repeats registration/deregistration and prints the medians of the
# registration (MH) and of binding -> FA keys acknowledged (HA). Runtime
# about 1 s per run. Exit 77 without root or bpftool.
set -euo pipefail

BUILD=${BUILD:-build}
KEYD=$(realpath "$BUILD/mmlkeyd")
MMLIKE=$(realpath "$BUILD/mmlike")
CTL=$(realpath "$BUILD/mmlctl")
NO_SECRETS=$(realpath "$(dirname "$0")/no-secrets.py")
RUNS=${RUNS:-1}
[[ $(id -u) -eq 0 ]] || { echo "keyd-init: needs root (skipped)"; exit 77; }
command -v bpftool >/dev/null || { echo "keyd-init: bpftool missing (skipped)"; exit 77; }

P=ki$$
DIR=$(mktemp -d /tmp/mml-keyd-ike.XXXXXX)
ROOT=/sys/fs/bpf/mml-ike-keyd-$$
declare -A PID

keyd_init_cleanup() {
	set +e
	for n in "${!PID[@]}"; do
		kill "${PID[$n]}" 2>/dev/null && wait "${PID[$n]}" 2>/dev/null
	done
	for n in ha fa mh ev; do
		ip netns del "$P-$n" 2>/dev/null
		rm -f "/run/mmlipsec/$P-$n.sock"
	done
	rm -rf "$ROOT"
	[[ ${KEEP:-0} == 1 ]] && echo "keyd-init: kept $DIR" || rm -rf "$DIR"
}
trap keyd_init_cleanup EXIT
trap 'exit 130' INT TERM
SUITE=keyd-init DIE_LOGS="$DIR/*.log"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # die (DIE_LOGS)
# x, ctl: the nodes $P-NODE, mmlctl with the pins under $ROOT.
PREFIX=$P CTL_ROOT=$ROOT
. "$(dirname "${BASH_SOURCE[0]}")/../lib/node.sh"

HOME_ADDR=10.1.0.10 HA_ADDR=10.204.1.1 COA=10.204.1.2 FA_WL=10.2.1.1
EV_ADDR=10.204.2.1 FA_EV=10.204.2.2
for n in ha fa mh ev; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
done
ip link add "$P-h" type veth peer name "$P-f"
ip link add "$P-w" type veth peer name "$P-m"
ip link set "$P-h" netns "$P-ha" name eth0
ip link set "$P-f" netns "$P-fa" name eth0
ip link set "$P-w" netns "$P-fa" name wlan0
ip link set "$P-m" netns "$P-mh" name wlan0
# The second HA on a wire of its own to the FA.
ip link add "$P-e" type veth peer name "$P-g"
ip link set "$P-e" netns "$P-ev" name eth0
ip link set "$P-g" netns "$P-fa" name eth1
ip -n "$P-ev" addr add $EV_ADDR/24 dev eth0
ip -n "$P-fa" addr add $FA_EV/24 dev eth1
ip -n "$P-ha" addr add $HA_ADDR/24 dev eth0
ip -n "$P-fa" addr add $COA/24 dev eth0
ip -n "$P-fa" addr add $FA_WL/24 dev wlan0
ip -n "$P-mh" addr add $HOME_ADDR/32 dev wlan0
for l in "ha eth0" "fa eth0" "fa wlan0" "mh wlan0" "ev eth0" "fa eth1"; do
	set -- $l
	ip -n "$P-$1" link set "$2" up
done
ip -n "$P-ha" route add 10.2.1.0/24 via $COA
ip -n "$P-ha" route add $HOME_ADDR/32 via $COA
ip -n "$P-fa" route add $HOME_ADDR/32 dev wlan0 scope link
ip -n "$P-mh" route add $FA_WL/32 dev wlan0 scope link
ip -n "$P-mh" route add default via $FA_WL dev wlan0
ip -n "$P-ev" route add $COA/32 via $FA_EV
ip netns exec "$P-fa" sysctl -qw net.ipv4.ip_forward=1

# A fresh machine may have no bpffs mounted yet (mmlctl would mount it).
[[ $(stat -f -c %T /sys/fs/bpf) == bpf_fs ]] || mount -t bpf bpf /sys/fs/bpf
mkdir -m 0700 -p "$ROOT"
for n in ha fa mh; do
	mkdir -m 0700 "$ROOT/$P-$n"
	bpftool map create "$ROOT/$P-$n/mml_csa" type hash key 4 value 136 entries 64 name mml_csa
done
for n in ha mh; do
	bpftool map create "$ROOT/$P-$n/mml_binding" type hash key 4 value 48 entries 64 name mml_binding
	bpftool map create "$ROOT/$P-$n/mml_flow" type lru_hash key 16 value 8 entries 64 name mml_flow
done

umask 077
KEY=6a1f0e93b2c4d5e6f708192a3b4c5d6e
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/mh.psk"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/fa.psk"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/ev.psk"
common() { echo "node = \"$P-$1\"; pin_root = \"$ROOT\"; log_level = \"${LOG_LEVEL:-debug}\";"; }
{
	common ha
	echo "mip = { role = \"ha\"; address = \"$HA_ADDR\"; max_lifetime = 600;"
	echo "  mobiles = ( { home = \"$HOME_ADDR\"; keys = ( { spi = 1000; algorithm = \"hmac-md5\"; key = \"$KEY\"; } ); } ); };"
	echo "ike = { role = \"ha\"; local = \"$HA_ADDR\"; retransmit_ms = 200; peers = ("
	echo "  { name = \"mh\"; address = \"$HOME_ADDR\"; local_id = \"fqdn:ha.test\"; peer_id = \"fqdn:mh.test\";"
	echo "    psk_file = \"$DIR/mh.psk\"; z1_len = 40; zone2 = \"aes256gcm16\"; },"
	echo "  { name = \"fa\"; address = \"$COA\"; local_id = \"fqdn:ha.test\"; peer_id = \"fqdn:fa.test\";"
	echo "    psk_file = \"$DIR/fa.psk\"; } ); };"
} > "$DIR/ha.conf"
{
	common fa
	echo "mip = { role = \"fa\"; address = \"$FA_WL\"; care_of_address = \"$COA\";"
	echo "  interface = \"wlan0\"; max_lifetime = 600; advert_interval_ms = 1000; };"
	echo "ike = { role = \"fa\"; local = \"$COA\"; peers = ("
	echo "  { name = \"ha\"; address = \"$HA_ADDR\"; local_id = \"fqdn:fa.test\"; peer_id = \"fqdn:ha.test\";"
	echo "    psk_file = \"$DIR/fa.psk\"; },"
	echo "  { name = \"ha2\"; address = \"$EV_ADDR\"; local_id = \"fqdn:fa.test\"; peer_id = \"fqdn:ha2.test\";"
	echo "    psk_file = \"$DIR/ev.psk\"; } ); };"
} > "$DIR/fa.conf"
# mmlike as the second HA.
{
	echo "local = \"$EV_ADDR\"; retransmit_ms = 200; peers = ("
	echo "  { name = \"fa\"; address = \"$COA\"; local_id = \"fqdn:ha2.test\"; peer_id = \"fqdn:fa.test\";"
	echo "    psk_file = \"$DIR/ev.psk\"; } );"
} > "$DIR/ev.conf"
{
	common mh
	echo "mip = { role = \"mh\"; home_address = \"$HOME_ADDR\"; home_agent = \"$HA_ADDR\";"
	echo "  interface = \"wlan0\"; lifetime = 60; retransmit_ms = 200; solicit_ms = 50;"
	echo "  keys = ( { spi = 1000; algorithm = \"hmac-md5\"; key = \"$KEY\"; } ); };"
	echo "ike = { role = \"mh\"; local = \"$HOME_ADDR\"; home = \"$HOME_ADDR\"; peers = ("
	echo "  { name = \"ha\"; address = \"$HA_ADDR\"; local_id = \"fqdn:mh.test\"; peer_id = \"fqdn:ha.test\";"
	echo "    psk_file = \"$DIR/mh.psk\"; zone2 = \"aes256gcm16\"; } ); };"
} > "$DIR/mh.conf"

start() {
	# nsenter execs mmlkeyd: $! is the daemon itself, which cleanup kills.
	nsenter --net="/run/netns/$P-$1" -- "$KEYD" -F -f "$DIR/$1.conf" >> "$DIR/$1.log" 2>&1 &
	PID[$1]=$!
	for _ in $(seq 100); do
		[[ -S /run/mmlipsec/$P-$1.sock ]] && return 0
		sleep 0.02
	done
	die "mmlkeyd on $1 did not start"
}

map_values() { # NODE MAP
	bpftool -j map dump pinned "$ROOT/$P-$1/$2" |
		python3 -c 'import json,sys; [print("".join(x[2:] for x in e["value"])) for e in json.load(sys.stdin)]'
}
n_csas() { map_values "$1" mml_csa | grep -c . || true; }
wait_for() { # SECONDS COMMAND...
	local t=$(($1 * 50))
	shift
	for ((i = 0; i < t; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}
all_have() { [[ $(n_csas ha) -eq 2 && $(n_csas mh) -eq 2 && $(n_csas fa) -eq 2 ]]; }
none_left() { [[ $(n_csas ha) -eq 0 && $(n_csas mh) -eq 0 && $(n_csas fa) -eq 0 ]]; }

check_maps() {
	python3 - "$(map_values ha mml_csa)" "$(map_values mh mml_csa)" "$(map_values fa mml_csa)" \
		"$(map_values ha mml_binding)" "$(map_values mh mml_binding)" <<'EOP'
import sys
def parse(block):
    out = {}
    for line in block.split():
        b = bytes.fromhex(line)
        zones = [(b[56 + 40 * z], b[60 + 40 * z:96 + 40 * z]) for z in range(2)]
        out[int.from_bytes(b[0:4], "little")] = dict(dir=b[5], z1=b[6], zones=zones)
    return out
ha, mh, fa = (parse(x) for x in sys.argv[1:4])
assert set(ha) == set(mh) == set(fa), "the three maps name different SPIs"
for spi in ha:
    assert {ha[spi]["dir"], mh[spi]["dir"]} == {1, 2}
    assert ha[spi]["zones"] == mh[spi]["zones"], "HA and MH keys differ"
    assert fa[spi]["dir"] == 3 and fa[spi]["zones"][0] == ha[spi]["zones"][0]
    assert fa[spi]["zones"][1] == (0, bytes(36)), "a zone-2 key reached the FA"
# mml_binding: spi_out[MLESP] at offset 16, spi_in[MLESP] at 28 (maps/ep.h).
for block, own, who in ((sys.argv[4], ha, "HA"), (sys.argv[5], mh, "MH")):
    b = bytes.fromhex(block.split()[0])
    out, inn = int.from_bytes(b[16:20], "little"), int.from_bytes(b[28:32], "little")
    assert own.get(out, {}).get("dir") == 2 and own.get(inn, {}).get("dir") == 1, \
        f"{who} binding SPIs {out:x}/{inn:x} are not its out/in CSAs"
EOP
}

# Issue 18 item 3: the second HA against the first's mobile at the FA.
# forge SPIS HOME [forge-delete]: mmlike's answer lines.
forge() {
	local spis=$1 home=$2
	shift 2
	x ev "$MMLIKE" conf "$DIR/ev.conf" initiate fa forge-kd "$spis" home "$home" "$@" once \
		timeout 10 2>> "$DIR/ev.log"
}
refused_owner() {
	ctl fa -j ike show | python3 -c 'import json,sys; print(json.load(sys.stdin).get("csas_refused_owner", "absent"))'
}
owner_checks() {
	local spis before r0 out
	spis=$(map_values fa mml_csa | python3 -c '
import sys
print(",".join(hex(int.from_bytes(bytes.fromhex(l)[0:4], "little")) for l in sys.stdin.read().split()))')
	before=$(map_values fa mml_csa | sort)
	r0=$(refused_owner)
	# Its keys under the first HA's SPIs.
	out=$(forge "$spis" $HOME_ADDR) || die "forge under the mobile's SPIs: mmlike failed"
	[[ $(map_values fa mml_csa | sort) == "$before" ]] ||
		die "the second HA overwrote the FA's CSAs $spis ($out)"
	[[ $out == *"forge kd refused"* ]] || die "KEY_DISTRIBUTE under another HA's SPIs not refused ($out)"
	grep -q "refused KEY_DISTRIBUTE (notify 8193)" "$DIR/ev.log" || die "no MLIKE_KEYS_REJECTED to the second HA"
	# Then its revocation of them.
	out=$(forge "$spis" $HOME_ADDR forge-delete) || die "forge-delete: mmlike failed"
	[[ $(map_values fa mml_csa | sort) == "$before" ]] ||
		die "the second HA's Delete removed the FA's CSAs $spis ($out)"
	[[ $out == *"forge kd refused"*"forge delete answered"* ]] || die "forge-delete: $out"
	grep -q "not removed: owner: spi .* is IKE peer $HA_ADDR's, not IKE peer $EV_ADDR's" "$DIR/fa.log" ||
		die "the FA did not log the refused Delete"
	# Keys for the first HA's mobile under fresh SPIs.
	out=$(forge 0x7e000001,0x7e000002 $HOME_ADDR) || die "forge for the mobile: mmlike failed"
	[[ $out == *"forge kd refused"* ]] || die "keys for another HA's mobile under fresh SPIs not refused ($out)"
	[[ $(map_values fa mml_csa | sort) == "$before" ]] || die "the FA's CSAs changed"
	# Refused: three KEY_DISTRIBUTEs, the Delete of two SPIs.
	[[ $(refused_owner) == $((r0 + 5)) ]] || die "csas_refused_owner $(refused_owner), want $((r0 + 5))"
	# Its own mobile: installed, revoked.
	out=$(forge 0x7e000003,0x7e000004 10.1.0.99 forge-delete) || die "forge for its own mobile: mmlike failed"
	[[ $out == *"forge kd installed"*"forge delete answered"* ]] || die "the second HA's own keys ($out)"
	[[ $(map_values fa mml_csa | sort) == "$before" ]] || die "the FA's CSAs changed"
	echo "keyd-init: a second HA's keys under the first's SPIs, their Delete and keys for its mobile: refused, counted ($((r0 + 5))), the FA's CSAs unchanged"
}

start fa
start ha
start mh
# Each run: registration (at start, then `mmlctl mip register`), checks,
# deregistration.
for r in $(seq "$RUNS"); do
	[[ $r -gt 1 ]] && { ctl mh mip register >/dev/null || die "run $r: register"; }
	wait_for 10 all_have || die "run $r: CSAs not in all three maps ($(n_csas ha)/$(n_csas mh)/$(n_csas fa))"
	sleep 0.05 # the MH's own binding entry (written with the registration reply)
	check_maps || die "run $r: map contents"
	[[ $r -eq 1 ]] && { owner_checks; check_maps || die "map contents after the second HA"; }
	# The IKE bypass: UDP 500 <-> 500 between home and HA in plaintext (mode 0).
	for n in ha mh; do
		[[ $(bpftool -j map dump pinned "$ROOT/$P-$n/mml_flow" | python3 -c '
import json, sys
keys = [bytes(int(x, 16) for x in e["key"]) for e in json.load(sys.stdin)]
want = bytes([10, 1, 0, 10, 10, 204, 1, 1]) + (500).to_bytes(2, "little") * 2 + bytes([17, 0, 0, 0])
print(int(want in keys))') == 1 ]] || die "run $r: no IKE bypass flow on $n"
	done
	# Every zone's salt | key (bytes 60 + 40 z .. 96 + 40 z of mml_csa), for
	# the secrets check below.
	for v in $(map_values ha mml_csa); do
		echo "run$r-zone1 ${v:120:72}"
		echo "run$r-zone2 ${v:200:72}"
	done >> "$DIR/secrets"
	ctl mh mip deregister > /dev/null || die "run $r: deregister"
	wait_for 5 none_left || die "run $r: CSAs left after deregistration ($(n_csas ha)/$(n_csas mh)/$(n_csas fa))"
done
grep -q "ML-IKE initialisation of $HOME_ADDR done" "$DIR/ha.log" || die "no initialisation logged"
# Secrets never reach a log: both PSKs (their files' bytes), the Mobile IP
# key, every zone key seen; the search must first find one planted in a copy.
{
	for n in mh fa; do echo "psk-$n $(od -An -tx1 "$DIR/$n.psk" | tr -d ' \n')"; done
	echo "mip-key $KEY"
} >> "$DIR/secrets"
[[ $(grep -c . "$DIR/secrets") -eq $((RUNS * 4 + 3)) ]] || die "expected $((RUNS * 4 + 3)) secrets"
{ cat "$DIR/mh.log"; sed -n '1s/^[^ ]* /leaked /p' "$DIR/secrets"; } > "$DIR/planted"
"$NO_SECRETS" "$DIR/secrets" "$DIR/planted" > /dev/null 2>&1 && die "the secrets check finds nothing planted"
"$NO_SECRETS" "$DIR/secrets" "$DIR/ha.log" "$DIR/fa.log" "$DIR/mh.log" > /dev/null || die "a secret is in a log"
grep -q "^[a-z_]*: " "$DIR/ha.log" || die "the logs have no debug messages"
init_ms=$(sed -n 's/.*ML-IKE initialisation of .* done in \([0-9.]*\) ms.*/\1/p' "$DIR/ha.log" | sort -n |
	awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
# The first registration.
reg_ms=$(sed -n 's/.*registered through .* (\([0-9.]*\) ms after the request).*/\1/p' "$DIR/mh.log" | head -1)
echo "keyd-init: first registration request -> reply $reg_ms ms (MH);" \
	"binding -> FA keys acknowledged, median of $RUNS: $init_ms ms (HA)"
echo "keyd-init: registration set up CSAs on MH, HA and FA (FA: zone 1 only); deregistration removed them; no secret in the logs"
