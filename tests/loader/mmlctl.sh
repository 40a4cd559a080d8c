#!/usr/bin/env bash
# mmlctl against real pinned maps in a node directory of its own: CSA
# add/replace/show/list/del, key hiding, JSON output, and the errors that
# must quote the bad token. Maps are created with bpftool in the exact shapes
# the data plane pins, so this runs without attaching any program.
set -uo pipefail

MMLCTL=${MMLCTL:-build/mmlctl}
node="mmlt-ctl-$$"
dir="/sys/fs/bpf/mmlipsec/$node"
tmp=$(mktemp -d)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail

mmlctl_cleanup() { rm -rf "$dir" "$tmp"; }
trap mmlctl_cleanup EXIT INT TERM

ctl_here() { "$MMLCTL" -n "$node" "$@"; }
# expect_err TEXT CMD...: the command fails and stderr contains TEXT.
expect_err() {
	local text=$1; shift
	if out=$(ctl_here "$@" 2>&1); then bad "'$*' should fail"; return; fi
	[[ $out == *"$text"* ]] && ok "'$*' -> $text" || bad "'$*': got '$out', want '$text'"
}

mkdir -p "$dir" && chmod 700 "$dir"
bpftool map create "$dir/mml_csa" type hash key 4 value 136 entries 64 name mml_csa flags 1 ||
	{ echo "cannot create maps"; exit 1; }
bpftool map create "$dir/mml_stats" type percpu_array key 4 value 8 entries 96 name mml_stats

umask 077
{
	echo "# zone 1 key||salt"
	printf '%s' 1{0..9}1{0..9}1{0..9}10 2>/dev/null | head -c 64; echo a1a2a3a4
	printf '8%.0s' {1..64}; echo b1b2b3b4
} > "$tmp/keys"
sed -n 2p "$tmp/keys" > "$tmp/zone1"
printf '7%.0s' {1..64} > "$tmp/other"; echo c1c2c3c4 >> "$tmp/other"

ctl_here csa add spi 0x1000 format mlesp dir out keys "$tmp/keys" alg chacha20poly1305 &&
	ok "add mlesp out" || bad "add mlesp out"
ctl_here csa add spi 0x1001 format mlesp dir fwd keys "$tmp/zone1" z1-len 60 &&
	ok "add mlesp fwd (zone 1 key only)" || bad "add mlesp fwd"
ctl_here csa add spi 0x1002 format esp dir in keys - < "$tmp/other" && ok "add esp from stdin" ||
	bad "add esp from stdin"

out=$(ctl_here csa list)
[[ $(wc -l <<<"$out") -eq 3 ]] && ok "list: one line per CSA" || bad "list: $out"
[[ $out != *8888888888* && $out != *a1a2a3a4* ]] && ok "list hides keys" || bad "list shows keys"
out=$(ctl_here csa show spi 0x1000 show-keys)
[[ $out == *88888888888888888888888888888888* && $out == *b1b2b3b4* ]] &&
	ok "show-keys shows them" || bad "show-keys: $out"
out=$(ctl_here -j csa list) && python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==3 and {c["dir"] for c in d}=={"in","out","fwd"}' <<<"$out" &&
	ok "-j list is JSON" || bad "-j list: $out"

# Lifetimes (issue 17): the seconds left to each deadline, and "expired"
# once the hard one has passed (the data plane refuses the CSA then).
ctl_here csa add spi 0x1003 format esp dir in keys "$tmp/other" soft-lifetime 100 hard-lifetime 200 &&
	ctl_here csa add spi 0x1004 format esp dir in keys "$tmp/other" hard-lifetime 1 &&
	sleep 1.1 && out=$(ctl_here -j csa list) && python3 -c '
import json, sys
d = {c["spi"]: c for c in json.load(sys.stdin)}
a, e, n = d["0x00001003"], d["0x00001004"], d["0x00001000"]
assert a["state"] == "active" and 98 <= a["soft-left-s"] <= 100 and 198 <= a["hard-left-s"] <= 200, a
assert e["state"] == "expired" and e["hard-left-s"] == 0 and "soft-left-s" not in e, e
assert n["state"] == "active" and "hard-left-s" not in n, n' <<<"$out" &&
	ok "list: lifetimes left, expired state" || bad "list lifetimes: $out"
ctl_here csa del spi 0x1003 && ctl_here csa del spi 0x1004 || bad "del lifetime CSAs"

# csa list joins what an HA's mmlkeyd knows (`ike holders`) by SPI; without
# a daemon the map alone, and not a word on stderr.
out=$(ctl_here -j csa list 2>"$tmp/err") && [[ ! -s $tmp/err ]] &&
	python3 -c 'import json,sys; assert not any("holders" in c for c in json.load(sys.stdin))' <<<"$out" &&
	ok "list without mmlkeyd: the map alone, quietly" || bad "list without mmlkeyd: $out $(cat "$tmp/err")"
# A stand-in for the HA's daemon on a socket of its own, two requests.
python3 - "$tmp/keyd.sock" <<'EOP' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(2)
s.settimeout(10)  # an mmlctl that never asks must not hang the suite
held = [{"fa": "10.0.3.1", "state": "held", "active": True},
        {"fa": "10.0.4.1", "state": "held", "active": False}]
for _ in range(2):
    c, _ = s.accept()
    req = b""
    while not req.endswith(b"\n"):
        req += c.recv(4096)
    req = json.loads(req)
    ok = req["module"] == "ike" and req["verb"] == "holders"
    c.sendall(json.dumps({"ok": ok, "result": [
        {"spi": "0x00001000", "home": "10.1.0.2", "holders": held},
        {"spi": "0x00004444", "home": "10.1.0.2", "holders": held}]}).encode())
    c.close()
EOP
standin=$!
for ((i = 0; i < 50; i++)); do [[ -S $tmp/keyd.sock ]] && break; sleep 0.05; done
out=$(ctl_here -j csa list sock "$tmp/keyd.sock")
python3 -c '
import json, sys
d = {c["spi"]: c for c in json.load(sys.stdin)}
h = d["0x00001000"]["holders"]
assert [(x["fa"], x["active"]) for x in h] == [("10.0.3.1", True), ("10.0.4.1", False)], h
assert d["0x00001000"]["home"] == "10.1.0.2"
assert d["0x00001001"]["holders"] == [] and d["0x00001002"]["holders"] == []' <<<"$out" &&
	ok "-j list: each CSA with the FAs holding it and whether active there" || bad "-j list with holders: $out"
out=$(ctl_here csa list sock "$tmp/keyd.sock")
[[ $(wc -l <<<"$out") -eq 3 && $(grep 0x00001000 <<<"$out") == *"holders 10.0.3.1 active, 10.0.4.1 inactive"* &&
	$(grep 0x00001001 <<<"$out") == *"holders none"* ]] &&
	ok "list: holders on the CSA's line" || bad "list with holders: $out"
wait "$standin"

out=$(ctl_here -j csa show spi 0x1001)
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["z1-len"]==60 and d["zone2"]=="null"' <<<"$out" &&
	ok "fwd CSA has a null zone 2" || bad "fwd CSA: $out"
# bpftool prints typed values from BTF-less maps as bytes; the FA never
# holds zone 2's key: the 0x1001 value must not contain the 0x88 key bytes.
has '0x88' bpftool map lookup pinned "$dir/mml_csa" key 0x01 0x10 0x00 0x00 &&
	bad "fwd CSA carries zone-2 key bytes" || ok "fwd CSA carries no zone-2 key bytes"

expect_err 'z1_len: 42 is not a multiple of 4' csa add spi 0x2000 format mlesp dir in keys "$tmp/keys" z1-len 42
expect_err 'z1_len: 18 is outside 20..128' csa add spi 0x2000 format mlesp dir in keys "$tmp/keys" z1-len 18
expect_err 'z1_len: 130 is outside 20..128' csa add spi 0x2000 format mlesp dir in keys "$tmp/keys" z1-len 130
expect_err '"mlsp": format must be one of: mlesp, esp' csa add spi 0x2000 format mlsp dir in keys "$tmp/keys"
expect_err '"0x1g": spi must be a number' csa add spi 0x1g format esp dir in keys "$tmp/zone1"
expect_err 'spi 0x1000 exists' csa add spi 0x1000 format mlesp dir out keys "$tmp/keys"
expect_err '"spi": given twice' csa add spi 1000 spi 1001 format esp dir in keys "$tmp/zone1"
expect_err '"keys" is required' csa add spi 0x2000 format esp dir in
expect_err 'needs 2' csa add spi 0x2000 format mlesp dir in keys "$tmp/zone1"
expect_err 'more key lines' csa add spi 0x2000 format esp dir in keys "$tmp/keys"
expect_err 'spi: 255 is reserved' csa add spi 255 format esp dir in keys "$tmp/zone1"
printf '%s\n%s\n' "$(sed -n 2p "$tmp/keys")" "$(sed -n 2p "$tmp/keys")" > "$tmp/same"
expect_err 'keystream reuse' csa add spi 0x2000 format mlesp dir in keys "$tmp/same" alg chacha20poly1305
# Issue 18 item 4: the same zone key with another salt is refused too.
printf '%s%s\n%s%s\n' "$(sed -n 2p "$tmp/keys" | head -c 64)" a1a2a3a4 \
	"$(sed -n 2p "$tmp/keys" | head -c 64)" c1c2c3c4 > "$tmp/samekey"
expect_err 'zone2: key equals zone 1' csa add spi 0x2000 format mlesp dir in keys "$tmp/samekey" alg aes256gcm
# Issue 18 item 1: one counter per key set keeps nonces unique, so a key in
# use may not come back in the other direction or in another key set.
expect_err 'already used by SPI 0x1000 (dir out) in the other direction' \
	csa add spi 0x2001 format esp dir in keys "$tmp/zone1"
expect_err 'already used by SPI 0x1000 (dir out) with other keys' \
	csa add spi 0x2001 format esp dir out keys "$tmp/zone1"
expect_err 'already used by SPI 0x1002 (dir in) in the other direction' \
	csa add spi 0x2001 format esp dir out keys "$tmp/other"
ctl_here csa add spi 0x2001 format mlesp dir out keys "$tmp/keys" alg chacha20poly1305 &&
	ctl_here csa del spi 0x2001 && ok "the same key set and direction under another SPI" ||
	bad "the same key set and direction under another SPI"
chmod 644 "$tmp/keys"
expect_err 'readable by group or others' csa add spi 0x2000 format mlesp dir in keys "$tmp/keys"
chmod 600 "$tmp/keys"
expect_err '"frob": unknown object' frob
expect_err 'no such CSA' csa del spi 0x7777

ctl_here csa replace spi 0x1000 format mlesp dir out keys "$tmp/keys" z1-len 60 &&
	[[ $(ctl_here -j csa show spi 0x1000) == *'"z1-len":60'* ]] && ok "replace" || bad "replace"
ctl_here csa del spi 0x1000 && ! ctl_here csa show spi 0x1000 2>/dev/null && ok "del" || bad "del"
ctl_here stats >/dev/null && ok "stats reads the counters" || bad "stats"

# stats --prometheus (docs/operations.md "Metrics"): every counter of -j
# stats, same value, as mmlipsec_<name>_total{node,role} with HELP and TYPE;
# no program uses these maps, so the role is "none". fwd_esp counted on
# every CPU: the sum, as -j gives it.
bpftool map update pinned "$dir/mml_stats" key 3 0 0 0 value 5 0 0 0 0 0 0 0
ctl_here -j stats > "$tmp/stats.json" && ctl_here stats --prometheus > "$tmp/stats.prom" &&
	python3 "$(dirname "${BASH_SOURCE[0]}")/promtext.py" "$tmp/stats.prom" \
		--labels "node=$node,role=none" --json "$tmp/stats.json" &&
	grep -qE "^mmlipsec_fwd_esp_total\\{node=\"$node\",role=\"none\"\\} [1-9][0-9]*$" "$tmp/stats.prom" &&
	grep -qx '# HELP mmlipsec_fwd_esp_total ESP packets of a known SPI without a zone key, forwarded opaque' "$tmp/stats.prom" &&
	ok "stats --prometheus: every counter of -j stats, labelled, HELP and TYPE" ||
	bad "stats --prometheus: $(head -3 "$tmp/stats.prom")"
ctl_here stats show prometheus | cmp -s - "$tmp/stats.prom" && ok "stats show prometheus: the same" ||
	bad "stats show prometheus differs"
# With mmlkeyd (a stand-in on a socket of its own): its counters after the
# data plane's, mip_ and ike_ prefixed, replies by code and refusals by
# reason as labels; its states and gauges (role, esp_child_sas) left out.
python3 - "$tmp/keyd-stats.sock" <<'EOP' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(2)
s.settimeout(10)
replies = {
    "mip": {"role": "ha", "state": "up", "bindings": 1,
            "counters": {"rx_request": 7, "denied": 2, "binding_add": 1},
            "malformed_by_reason": {"short": 3, "bad extension": 1},
            "reply_codes_sent": {"0": 5, "131": 2}, "reply_codes_received": {}},
    "ike": {"role": "ha", "counters": {"rx": 11, "sa_up": 2},
            "csas_installed": 4, "csas_removed": 0, "csas_refused_owner": 0,
            "csas_refused_full": 1, "initialisations": 1, "esp_child_sas": 1,
            "dkm": {"handoff": "dkm", "requested": 6}, "mobiles": []},
}
for _ in range(2):
    c, _ = s.accept()
    req = b""
    while not req.endswith(b"\n"):
        req += c.recv(4096)
    req = json.loads(req)
    c.sendall(json.dumps({"ok": req["verb"] == "show", "result": replies[req["module"]]}).encode())
    c.close()
EOP
standin=$!
for ((i = 0; i < 50; i++)); do [[ -S $tmp/keyd-stats.sock ]] && break; sleep 0.05; done
ctl_here stats --prometheus sock "$tmp/keyd-stats.sock" > "$tmp/keyd.prom"
wait "$standin"
want='mmlipsec_mip_rx_request_total{node="N",role="none"} 7
mmlipsec_mip_denied_total{node="N",role="none"} 2
mmlipsec_mip_binding_add_total{node="N",role="none"} 1
mmlipsec_mip_malformed_by_reason_total{node="N",role="none",reason="short"} 3
mmlipsec_mip_malformed_by_reason_total{node="N",role="none",reason="bad extension"} 1
mmlipsec_mip_reply_codes_sent_total{node="N",role="none",code="0"} 5
mmlipsec_mip_reply_codes_sent_total{node="N",role="none",code="131"} 2
mmlipsec_ike_rx_total{node="N",role="none"} 11
mmlipsec_ike_sa_up_total{node="N",role="none"} 2
mmlipsec_ike_csas_installed_total{node="N",role="none"} 4
mmlipsec_ike_csas_removed_total{node="N",role="none"} 0
mmlipsec_ike_csas_refused_owner_total{node="N",role="none"} 0
mmlipsec_ike_csas_refused_full_total{node="N",role="none"} 1
mmlipsec_ike_initialisations_total{node="N",role="none"} 1
mmlipsec_ike_dkm_requested_total{node="N",role="none"} 6'
got=$(grep -E '^mmlipsec_(mip|ike)_' "$tmp/keyd.prom")
[[ $got == "${want//\"N\"/\"$node\"}" ]] && ok "stats --prometheus with mmlkeyd: its counters, labelled" ||
	bad "stats --prometheus with mmlkeyd: $got"
python3 "$(dirname "${BASH_SOURCE[0]}")/promtext.py" "$tmp/keyd.prom" \
	--labels "node=$node,role=none" --extra reason,code &&
	[[ $(grep -c '^# TYPE mmlipsec_mip_reply_codes_sent_total counter$' "$tmp/keyd.prom") -eq 1 ]] &&
	head -n "$(wc -l < "$tmp/stats.prom")" "$tmp/keyd.prom" | cmp -s - "$tmp/stats.prom" &&
	ok "with mmlkeyd: strict format, one TYPE per family, the data plane's first" ||
	bad "with mmlkeyd: format"
if command -v promtool >/dev/null; then
	promtool check metrics < "$tmp/stats.prom" && promtool check metrics < "$tmp/keyd.prom" &&
		ok "promtool check metrics" || bad "promtool check metrics"
fi

# Issue 18 item 3: who owns a CSA. Everything above is static (mmlctl's).
# A CSA mmlkeyd installed for an IKE peer carries the peer's address as its
# owner (mml_csa bytes 12..15, network order); written here as the store
# writes it. Without force, the operator neither replaces nor deletes it.
csa_bytes() { bpftool -j map lookup pinned "$dir/mml_csa" key 0x01 0x10 0x00 0x00; }
[[ $(ctl_here -j csa show spi 0x1001) == *'"owner":"static"'* ]] &&
	ok "an added CSA is static" || bad "owner of an added CSA: $(ctl_here -j csa show spi 0x1001)"
give_to_peer() {
	bpftool map update pinned "$dir/mml_csa" key 0x01 0x10 0x00 0x00 value $(csa_bytes |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; v[12:16]=["0x0a","0x00","0x00","0x01"]; print(*v)')
}
give_to_peer
before=$(csa_bytes)
[[ $(ctl_here csa list | grep 0x00001001) == *"owner 10.0.0.1"* ]] &&
	ok "list: the IKE peer owning a CSA" || bad "list owner: $(ctl_here csa list)"
expect_err "spi 0x1001 is IKE peer 10.0.0.1's, not the operator (static)'s (force" \
	csa replace spi 0x1001 format mlesp dir fwd keys "$tmp/zone1" z1-len 40
expect_err "spi 0x1001 is IKE peer 10.0.0.1's" csa del spi 0x1001
[[ $(csa_bytes) == "$before" ]] && ok "the peer's CSA unchanged" || bad "the peer's CSA changed"
ctl_here csa replace spi 0x1001 format mlesp dir fwd keys "$tmp/zone1" z1-len 40 force &&
	[[ $(ctl_here -j csa show spi 0x1001) == *'"owner":"static"'* ]] &&
	ok "replace force: taken over, static now" || bad "replace force"
give_to_peer
ctl_here csa del spi 0x1001 force && ! ctl_here csa show spi 0x1001 2>/dev/null &&
	ok "del force" || bad "del force"

rm -rf "$dir"
expect_err 'is not pinned: attach a role' csa list

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
