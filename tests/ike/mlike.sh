#!/usr/bin/env bash
# ML-IKE initialisation between three namespaces, as in the paper's Fig. 4
# without the Mobile IP registration: the HA sets up IKE SAs with the MH and
# the FA at once, agrees the CSA pair with the MH (MLIKE_AUTH_SA), hands the
# FA zone 1's SAs (KEY_DISTRIBUTE), and each mmlike writes its CSAs into its
# node's pinned mml_csa map. Checks: MH and HA hold mirror CSAs that pass
# the shared validator, the FA's map holds zone-1 keys equal to theirs and
# no zone-2 key (all zone-2 bytes zero), and every map is empty again after
# the IKE SAs are deleted; no PSK and no zone key (from the keys-out files)
# in any log, with debug messages on. RUNS=N repeats and prints the medians of the
# per-message processing times and of the whole initialisation
# (RESULTS=FILE writes them as JSON). Runtime about 1 s per run.
set -euo pipefail

BUILD=${BUILD:-build}
MMLIKE=$(realpath "$BUILD/mmlike")
NO_SECRETS=$(realpath "$(dirname "$0")/no-secrets.py")
RUNS=${RUNS:-2}
# The most verbose logs for the secrets check; measurements at info level.
VERBOSE=(-v)
[[ -n ${RESULTS:-} ]] && VERBOSE=()
[[ $(id -u) -eq 0 ]] || { echo "mlike: needs root (skipped)"; exit 77; }
command -v bpftool >/dev/null || { echo "mlike: bpftool missing (skipped)"; exit 77; }

P=ml$$
DIR=$(mktemp -d /tmp/mml-mlike.XXXXXX)
ROOT=/sys/fs/bpf/mml-ike-test-$$
PIDS=()

mlike_cleanup() {
	set +e
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for n in ha fa mh; do ip netns del "$P-$n" 2>/dev/null; done
	rm -rf "$ROOT"
	[[ ${KEEP:-0} == 1 ]] && echo "mlike: kept $DIR" || rm -rf "$DIR"
}
trap mlike_cleanup EXIT
trap 'exit 130' INT TERM
SUITE=mlike DIE_LOGS="$DIR/*.log" DIE_TAIL=15
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # die (DIE_LOGS)

# HA (10.203.1.1) -- FA (10.203.1.2 | 10.203.2.1) -- MH (10.203.2.2)
for n in ha fa mh; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
done
ip link add "$P-h" type veth peer name "$P-fh"
ip link add "$P-m" type veth peer name "$P-fm"
ip link set "$P-h" netns "$P-ha"
ip link set "$P-fh" netns "$P-fa"
ip link set "$P-m" netns "$P-mh"
ip link set "$P-fm" netns "$P-fa"
ip -n "$P-ha" addr add 10.203.1.1/24 dev "$P-h"
ip -n "$P-fa" addr add 10.203.1.2/24 dev "$P-fh"
ip -n "$P-fa" addr add 10.203.2.1/24 dev "$P-fm"
ip -n "$P-mh" addr add 10.203.2.2/24 dev "$P-m"
ip -n "$P-ha" link set "$P-h" up
ip -n "$P-fa" link set "$P-fh" up
ip -n "$P-fa" link set "$P-fm" up
ip -n "$P-mh" link set "$P-m" up
ip -n "$P-ha" route add 10.203.2.0/24 via 10.203.1.2
ip -n "$P-mh" route add 10.203.1.0/24 via 10.203.2.1
ip netns exec "$P-fa" sysctl -qw net.ipv4.ip_forward=1

# One pinned mml_csa per node, the shape maps/csa.h fixes (key 4, value 136).
# A fresh machine may have no bpffs mounted yet (mmlctl would mount it).
[[ $(stat -f -c %T /sys/fs/bpf) == bpf_fs ]] || mount -t bpf bpf /sys/fs/bpf
mkdir -m 0700 -p "$ROOT"
for n in ha fa mh; do
	mkdir -m 0700 "$ROOT/$n"
	bpftool map create "$ROOT/$n/mml_csa" type hash key 4 value 136 entries 64 name mml_csa
done

umask 077
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/mh.psk"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/fa.psk"
cat > "$DIR/ha.conf" <<EOC
local = "10.203.1.1";
peers = (
  { name = "mh"; address = "10.203.2.2"; local_id = "fqdn:ha.test"; peer_id = "fqdn:mh.test";
    psk_file = "$DIR/mh.psk"; z1_len = 40; zone2 = "aes256gcm16"; },
  { name = "fa"; address = "10.203.1.2"; local_id = "fqdn:ha.test"; peer_id = "fqdn:fa.test";
    psk_file = "$DIR/fa.psk"; } );
EOC
cat > "$DIR/mh.conf" <<EOC
local = "10.203.2.2";
peers = ( { name = "ha"; address = "10.203.1.1"; local_id = "fqdn:mh.test"; peer_id = "fqdn:ha.test";
            psk_file = "$DIR/mh.psk"; zone2 = "aes256gcm16"; } );
EOC
cat > "$DIR/fa.conf" <<EOC
local = "10.203.1.2";
peers = ( { name = "ha"; address = "10.203.1.1"; local_id = "fqdn:fa.test"; peer_id = "fqdn:ha.test";
            psk_file = "$DIR/fa.psk"; } );
EOC

# The value bytes of every entry of a node's map, one entry per line (hex).
csa_values() {
	bpftool -j map dump pinned "$ROOT/$1/mml_csa" |
		python3 -c 'import json,sys; [print("".join(x[2:] for x in e["value"])) for e in json.load(sys.stdin)]'
}
# mlike (run) -> fields of the JSON timing files
json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }

# Secrets never reach a log: both PSKs and every zone key and salt each node
# wrote to its keys-out file (tests only, mode 0600), searched for in the
# three daemons' logs. The search must find a key planted in a copy first.
check_no_secrets() {
	local r=$1
	{
		for n in mh fa; do echo "psk-$n $(od -An -tx1 "$DIR/$n.psk" | tr -d ' \n')"; done
		awk '$1 == "csa" { print "ha-zone" $3 "-out", $9; print "ha-zone" $3 "-in", $13 }' "$DIR/ha.keys"
		awk '$1 == "csa" { print "mh-zone" $3 "-out", $9; print "mh-zone" $3 "-in", $13 }' "$DIR/mh.keys"
		awk '$1 == "fa" { print "fa-z1-" $3, $5 }' "$DIR/fa.keys"
	} > "$DIR/secrets"
	[[ $(grep -c . "$DIR/secrets") -eq 12 ]] || die "run $r: expected 12 secrets, got $(grep -c . "$DIR/secrets")"
	{ cat "$DIR/ha.log"; awk '$1 == "fa" { print "key", $5 }' "$DIR/fa.keys"; } > "$DIR/planted"
	"$NO_SECRETS" "$DIR/secrets" "$DIR/planted" > /dev/null 2>&1 && die "run $r: the secrets check finds nothing planted"
	"$NO_SECRETS" "$DIR/secrets" "$DIR/ha.log" "$DIR/mh.log" "$DIR/fa.log" > /dev/null ||
		die "run $r: a secret is in a log"
}

run_once() {
	local r=$1
	rm -f "$DIR"/*.keys "$DIR"/*.timing
	nsenter --net=/run/netns/"$P-mh" "$MMLIKE" "${VERBOSE[@]}" conf "$DIR/mh.conf" role mh node mh pin-root "$ROOT" once timeout 10 \
		keys-out "$DIR/mh.keys" timing-out "$DIR/mh.timing" > "$DIR/mh.log" 2>&1 &
	PIDS+=($!)
	local mh_pid=$!
	nsenter --net=/run/netns/"$P-fa" "$MMLIKE" "${VERBOSE[@]}" conf "$DIR/fa.conf" role fa node fa pin-root "$ROOT" once timeout 10 \
		keys-out "$DIR/fa.keys" timing-out "$DIR/fa.timing" > "$DIR/fa.log" 2>&1 &
	PIDS+=($!)
	local fa_pid=$!
	sleep 0.2
	nsenter --net=/run/netns/"$P-ha" "$MMLIKE" "${VERBOSE[@]}" conf "$DIR/ha.conf" role ha mh mh fa fa home 10.203.2.2 \
		node ha pin-root "$ROOT" delete-after 1500 once timeout 10 keys-out "$DIR/ha.keys" \
		timing-out "$DIR/ha.timing" > "$DIR/ha.log" 2>&1 &
	PIDS+=($!)
	local ha_pid=$!
	# While the SAs are up: the three maps.
	for _ in $(seq 100); do
		[[ -s $DIR/fa.keys && -s $DIR/ha.keys && -s $DIR/mh.keys ]] && break
		sleep 0.02
	done
	sleep 0.05
	[[ -s $DIR/fa.keys ]] || die "run $r: FA got no keys"
	local ha_vals mh_vals fa_vals
	ha_vals=$(csa_values ha)
	mh_vals=$(csa_values mh)
	fa_vals=$(csa_values fa)
	[[ $(wc -l <<< "$ha_vals") -eq 2 && $(wc -l <<< "$mh_vals") -eq 2 ]] || die "run $r: HA/MH maps hold $(wc -l <<< "$ha_vals")/$(wc -l <<< "$mh_vals") CSAs"
	[[ $(wc -l <<< "$fa_vals") -eq 2 ]] || { bpftool map dump pinned "$ROOT/fa/mml_csa" >&2; cat "$DIR/fa.keys" >&2; date +%s.%N >&2; die "run $r: FA map holds $(wc -l <<< "$fa_vals") CSAs"; }
	python3 - "$ha_vals" "$mh_vals" "$fa_vals" <<'EOP' || die "run $r: map contents"
import sys
def parse(block):
    out = {}
    for line in block.split():
        b = bytes.fromhex(line)
        spi = int.from_bytes(b[0:4], "little")
        zones = [(b[56 + 40 * z], b[60 + 40 * z:64 + 40 * z], b[64 + 40 * z:96 + 40 * z]) for z in range(2)]
        out[spi] = dict(fmt=b[4], dir=b[5], z1=b[6], zones=zones)
    return out
ha, mh, fa = (parse(x) for x in sys.argv[1:4])
assert set(ha) == set(mh) == set(fa), "the three maps name different SPIs"
for spi in ha:
    h, m, f = ha[spi], mh[spi], fa[spi]
    assert {h["dir"], m["dir"]} == {1, 2}, "HA and MH must be opposite directions"
    assert f["dir"] == 3 and f["z1"] == h["z1"] == m["z1"] == 40
    assert h["zones"] == m["zones"], "HA and MH zone keys differ"
    assert h["zones"][0][0] == 1 and h["zones"][1][0] == 2, "zone algorithms"
    assert f["zones"][0] == h["zones"][0], "FA zone-1 key differs"
    alg, salt, key = f["zones"][1]
    assert alg == 0 and salt == bytes(4) and key == bytes(32), "a zone-2 key reached the FA"
    assert h["zones"][1][2] not in [x["zones"][1][2] for x in fa.values()]
EOP
	# No zone-2 key anywhere in the FA's map bytes either.
	local z2
	for z2 in $(python3 -c 'import sys
for l in sys.argv[1].split(): print(l[192:272])' "$ha_vals"); do
		grep -q "$z2" <<< "$fa_vals" && die "run $r: zone-2 key bytes found in the FA map"
	done
	wait "$ha_pid" || die "run $r: HA"
	wait "$mh_pid" || die "run $r: MH"
	wait "$fa_pid" || die "run $r: FA"
	PIDS=()
	for n in ha mh fa; do
		[[ -z $(csa_values "$n") ]] || die "run $r: $n map not empty after the delete"
	done
	check_no_secrets "$r"
	# Table 2: processing per message, initiator + responder (ns).
	python3 - "$DIR" >> "$DIR/samples" <<'EOP'
import json, sys
d = sys.argv[1]
ha, mh, fa = (json.load(open(f"{d}/{n}.timing")) for n in ("ha", "mh", "fa"))
print(json.dumps({
    "ike_sa_i": ha["build_init_mh_ns"] + ha["ike_sa_init_resp_ns"] + ha["ike_auth_resp_ns"],
    "ike_sa_r": mh["ike_sa_init_req_ns"] + mh["ike_auth_req_ns"],
    "mlike_i": ha["build_mlike_ns"] + ha["mlike_auth_sa_resp_ns"],
    "mlike_r": mh["mlike_auth_sa_req_ns"],
    "kd_i": ha["build_kd_ns"] + ha["key_distribute_resp_ns"],
    "kd_r": fa["key_distribute_req_ns"],
    "init_total": ha["t_fa_done_ns"],
}))
EOP
}

for r in $(seq "$RUNS"); do
	run_once "$r"
done
python3 - "$DIR/samples" "${RESULTS:-}" <<'EOP'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = {k: statistics.median(r[k] for r in rows) / 1e6 for k in rows[0]}
out = {"runs": len(rows), "unit": "ms", **{k: round(v, 3) for k, v in med.items()}}
print(f"mlike: {len(rows)} runs, medians (ms): IKE SA {med['ike_sa_i']:.3f} + {med['ike_sa_r']:.3f}, "
      f"MLIKE_AUTH_SA {med['mlike_i']:.3f} + {med['mlike_r']:.3f}, "
      f"KEY_DISTRIBUTE {med['kd_i']:.3f} + {med['kd_r']:.3f}, "
      f"initialisation (HA start -> FA keys acknowledged) {med['init_total']:.3f}")
if sys.argv[2]:
    json.dump(out, open(sys.argv[2], "w"), indent=1)
EOP
echo "mlike: CSAs in all three maps, FA without zone-2 keys, maps emptied by the deletes, no secret in the logs"
