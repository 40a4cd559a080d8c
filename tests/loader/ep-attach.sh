#!/usr/bin/env bash
# mmlctl ha|mh attach/detach, binding and flow on real veths in namespaces of
# this test: programs attached natively and in skb mode, a re-attach
# replacing our own program, a foreign XDP program (and another node's
# program of the same name) neither replaced nor detached, bindings and
# flows added, listed and deleted through the pinned maps (each change
# bumping mml_gen for the worker), and detach removing exactly what attach
# created: per interface, then the rest with the pins and the directory,
# which stay while a program of the node runs in another namespace.
set -uo pipefail

MMLCTL=${MMLCTL:-build/mmlctl}
BUILD=${BUILD:-build}
ns="mmlt-ep-$$" ns2="mmlt-ep2-$$"
ha="mmlt-ha-$$" mh="mmlt-mh-$$" other="mmlt-oth-$$"
root=/sys/fs/bpf/mmlipsec
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail

ep_attach_cleanup() {
	ip netns del "$ns" 2>/dev/null
	ip netns del "$ns2" 2>/dev/null
	rm -rf "${root:?}/$ha" "$root/$mh" "$root/$other"
}
trap ep_attach_cleanup EXIT INT TERM

# nsenter keeps our mount namespace: bpffs pins stay visible.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/node.sh" # in_ns
ctl_as() { # NODE ARGS...
	local node=$1
	shift
	in_ns "$MMLCTL" -n "$node" "$@"
}
# prog IF [NS]: "name id mode" of the interface's XDP program, empty if none.
prog() {
	ip -n "${2:-$ns}" -d -j link show "$1" | python3 -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp", {})
p = x.get("prog") or next((a["prog"] for a in x.get("attached", []) if "prog" in a), None)
mode = {1: "native", 2: "skb", 3: "hw"}.get(x.get("mode"), "?")
print("%s %d %s" % (p["name"], p["id"], mode) if p else "")'
}
# fails TEXT CMD...: the command fails and its stderr contains TEXT.
fails() {
	local text=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "  '$*' succeeded"
		return 1
	fi
	[[ $out == *"$text"* ]] || { echo "  '$*': got '$out'"; return 1; }
}
# says TEXT CMD...: the command succeeds and its output contains TEXT.
says() {
	local text=$1 out
	shift
	out=$("$@" 2>&1) || { echo "  '$*' failed: $out"; return 1; }
	[[ $out == *"$text"* ]] || { echo "  '$*': got '$out'"; return 1; }
}
gen() { bpftool -j map dump pinned "$root/$1/mml_gen" | python3 -c '
import json, sys
v = json.load(sys.stdin)[0]["value"]
print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little"))'; }
pinned() { [[ $(ls "$root/$1" 2>/dev/null | wc -l) -eq 14 ]]; }

ip netns add "$ns" || exit 1
ip netns add "$ns2" || exit 1
for l in cn fa wl ext oth; do
	ip -n "$ns" link add ${l}0 type veth peer name ${l}1
	ip -n "$ns" link set ${l}0 up
	ip -n "$ns" link set ${l}1 up
done
ip -n "$ns2" link add far0 type veth peer name far1
ip -n "$ns2" link set far0 up
ip -n "$ns2" link set far1 up
# Someone else's program, which nothing of ours may touch.
ip -n "$ns" link set dev ext0 xdp obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp || exit 1
foreign=$(prog ext0)
[[ $foreign == "xdp_pass "*" native" ]] || { echo "cannot see XDP programs: '$foreign'"; exit 1; }

# Attach.
check "ha attach" ctl_as "$ha" ha attach addr 10.1.0.1 cn cn0 fa fa0
[[ $(prog cn0) == "mml_ha_cn "*" native" && $(prog fa0) == "mml_ha_fa "*" native" ]] &&
	ok "mml_ha_cn, mml_ha_fa attached natively" || bad "programs: '$(prog cn0)' '$(prog fa0)'"
check "fourteen maps pinned, directory mode 0700" \
	test "$(pinned "$ha" && stat -c %a "$root/$ha")" = 700
before=$(prog cn0)
check "a second attach replaces our program" ctl_as "$ha" ha attach addr 10.1.0.1 cn cn0 fa fa0
[[ $(prog cn0) == "mml_ha_cn "*" native" && $(prog cn0) != "$before" ]] &&
	ok "  a new mml_ha_cn is in place" || bad "after re-attach: '$(prog cn0)' (was '$before')"
check "attach in skb mode over our native program" \
	ctl_as "$ha" ha attach addr 10.1.0.1 cn cn0 fa fa0 skb
[[ $(prog cn0) == "mml_ha_cn "*" skb" ]] && ok "  cn0 runs it in skb mode only" ||
	bad "after skb attach: '$(prog cn0)'"
ctl_as "$ha" ha attach addr 10.1.0.1 cn cn0 fa fa0 >/dev/null 2>&1
check "attach over a foreign XDP program is refused" \
	fails "not replacing it" ctl_as "$ha" ha attach addr 10.1.0.1 cn ext0 fa fa0
check "  the foreign program is still there" test "$(prog ext0)" = "$foreign"
check "mh attach (another node)" ctl_as "$mh" mh attach home 10.1.0.10 dev wl0
check "  mml_mh_wl attached" test "$(prog wl0 | cut -d' ' -f1)" = mml_mh_wl
check "attach over another node's program is refused" \
	fails "not replacing it" ctl_as "$mh" mh attach home 10.1.0.10 dev cn0
check "  cn0 keeps the HA's program" test "$(prog cn0 | cut -d' ' -f1)" = mml_ha_cn
# A third node's HA program: the same name as ours, but not ours.
check "ha attach (a third node)" ctl_as "$other" ha attach addr 10.1.0.2 cn oth0 fa oth1

# Bindings and flows through the pinned maps.
g=$(gen "$ha")
check "binding add" ctl_as "$ha" binding add home 10.1.0.10 ha 10.1.0.1 coa 10.0.2.2 \
	mlesp-out 0x1000 mlesp-in 0x2000 lifetime 100
check "binding add (a second MH)" ctl_as "$ha" binding add home 10.1.0.11 ha 10.1.0.1 coa 10.0.2.3
check "  mml_gen bumped" test "$(gen "$ha")" -ge $((g + 2))
out=$(ctl_as "$ha" -j binding list)
python3 -c '
import json, sys
d = {b["home"]: b for b in json.loads(sys.argv[1])}
assert set(d) == {"10.1.0.10", "10.1.0.11"}, d
b = d["10.1.0.10"]
assert (b["coa"], b["mlesp-out"], b["mlesp-in"], b["esp-out"]) == ("10.0.2.2", 0x1000, 0x2000, 0)
assert 95 <= b["lifetime-left"] <= 100 and "lifetime-left" not in d["10.1.0.11"]' "$out" &&
	ok "binding list (JSON): both, with SPIs and lifetime" || bad "binding list: $out"
g=$(gen "$ha")
check "binding del" ctl_as "$ha" binding del home 10.1.0.11
check "  mml_gen bumped" test "$(gen "$ha")" -gt "$g"
[[ $(ctl_as "$ha" binding list) == "home 10.1.0.10 "* && $(ctl_as "$ha" binding list | wc -l) -eq 1 ]] &&
	ok "  only the other binding is left" || bad "after del: $(ctl_as "$ha" binding list)"
check "binding del of a missing home address" \
	fails "10.1.0.11: no such binding" ctl_as "$ha" binding del home 10.1.0.11

check "flow add (default)" ctl_as "$ha" flow add mode mlesp
check "flow add (exact)" ctl_as "$ha" flow add home 10.1.0.10 proto tcp peer-port 22 mode esp \
	every 4 spi 0x1100
check "flow add (udp)" ctl_as "$ha" flow add home 10.1.0.10 proto udp mode plain
check "flow add (accept)" ctl_as "$ha" flow add home 10.1.0.10 proto tcp peer-port 443 mode mlesp \
	accept esp
out=$(ctl_as "$ha" -j flow list)
python3 -c '
import json, sys
d = {(f["home"], f["proto"], f["peer-port"]): f for f in json.loads(sys.argv[1])}
assert len(d) == 4, d
assert (d[("0.0.0.0", 0, 0)]["mode"], d[("0.0.0.0", 0, 0)]["accept"]) == ("mlesp", "mlesp")
f = d[("10.1.0.10", 6, 22)]
assert (f["mode"], f["every"], f["spi"], f["home-port"]) == ("esp", 4, 0x1100, 0), f
assert f["accept"] == "plain" and f["learned"] is False, f  # every 4: plaintext between
assert d[("10.1.0.10", 17, 0)]["mode"] == "plain"
assert (d[("10.1.0.10", 6, 443)]["mode"], d[("10.1.0.10", 6, 443)]["accept"]) == ("mlesp", "esp")
# No worker has loaded them: no counter slot, every counter 0.
ctrs = ("sent-plain", "sent-esp", "sent-mlesp", "recv-plain", "recv-esp", "recv-mlesp", "refused")
assert all(not f["counted"] and all(f[c] == 0 for c in ctrs) for f in d.values()), d
' "$out" &&
	ok "flow list (JSON): four entries with mode, every, spi, accept, counters 0" ||
	bad "flow list: $out"
check "flow del (accept)" ctl_as "$ha" flow del home 10.1.0.10 proto tcp peer-port 443
# Entries a worker learned (an implicit upgrade, flags 4) give way to a
# configured entry that covers them, and only to such an entry.
learn() { # home-port: 10.1.0.10:PORT <-> 10.2.0.2:80 tcp, mode mlesp, learned
	bpftool map update pinned "$root/$ha/mml_flow" \
		key hex 0a 01 00 0a 0a 02 00 02 $(printf '%02x %02x' $(($1 & 255)) $(($1 >> 8))) 50 00 06 00 00 00 \
		value hex 02 04 00 00 00 00 00 00
}
nflows() { ctl_as "$ha" -j flow list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
learn 5000 && learn 5001 && n0=$(nflows)
[[ $(ctl_as "$ha" -j flow list) == *'"learned":true'* ]] && ok "learned entries listed as such" ||
	bad "learned entries: $(ctl_as "$ha" -j flow list)"
check "flow add (another home address)" ctl_as "$ha" flow add home 10.1.0.11 mode esp
check "  learned entries of 10.1.0.10 kept" test "$(nflows)" -eq $((n0 + 1))
check "flow add (covering them)" ctl_as "$ha" flow add home 10.1.0.10 proto tcp mode esp
check "  learned entries under it gone" test "$(nflows)" -eq $((n0 + 1 - 2 + 1))
check "flow del (cleanup)" ctl_as "$ha" flow del home 10.1.0.10 proto tcp
check "flow del (cleanup)" ctl_as "$ha" flow del home 10.1.0.11
g=$(gen "$ha")
check "flow del (exact key)" ctl_as "$ha" flow del home 10.1.0.10 proto tcp peer-port 22
check "  mml_gen bumped" test "$(gen "$ha")" -gt "$g"
out=$(ctl_as "$ha" flow list)
[[ $(wc -l <<<"$out") -eq 2 && $out != *"mode esp"* ]] && ok "  exactly that flow is gone" ||
	bad "after flow del: $out"
check "flow del of a missing key" \
	fails "no such flow" ctl_as "$ha" flow del home 10.1.0.10 proto tcp peer-port 22
check "flow del of the default" ctl_as "$ha" flow del
[[ $(ctl_as "$ha" flow list) == *"proto 17"* && $(ctl_as "$ha" flow list | wc -l) -eq 1 ]] &&
	ok "  the udp flow is left" || bad "after default del: $(ctl_as "$ha" flow list)"
# Classes by DSCP (mml_flow_dscp): listed after the keys, each once.
g=$(gen "$ha")
check "flow add dscp" ctl_as "$ha" flow add dscp 10 mode mlesp
check "flow add dscp (every 10th)" ctl_as "$ha" flow add dscp 46 mode esp every 10 accept plain
check "  mml_gen bumped" test "$(gen "$ha")" -ge $((g + 2))
out=$(ctl_as "$ha" -j flow list)
python3 -c '
import json, sys
l = json.loads(sys.argv[1])
d = {f["dscp"]: f for f in l if "dscp" in f}
assert sorted(d) == [10, 46] and len(l) == 3, l
assert (d[10]["mode"], d[10]["every"], d[10]["accept"]) == ("mlesp", 0, "mlesp"), d
assert (d[46]["mode"], d[46]["every"], d[46]["accept_flags"]) == ("esp", 10, "plain"), d
' "$out" && ok "flow list (JSON): the dscp entries" || bad "flow list with dscp: $out"
[[ $(ctl_as "$ha" flow list) == *"dscp 10 mode mlesp"* ]] && ok "flow list (text): dscp 10" ||
	bad "flow list text: $(ctl_as "$ha" flow list)"
check "flow add dscp 64 is refused" fails "dscp must be 0 to 63" \
	ctl_as "$ha" flow add dscp 64 mode esp
check "flow add dscp with a key field is refused" fails "no peer-port with it" \
	ctl_as "$ha" flow add dscp 10 peer-port 22 mode esp
check "flow del dscp" ctl_as "$ha" flow del dscp 10
check "flow del dscp of a missing class" fails "no entry for dscp 10" \
	ctl_as "$ha" flow del dscp 10
check "flow del dscp (cleanup)" ctl_as "$ha" flow del dscp 46
check "  only the udp flow is left" test "$(ctl_as "$ha" flow list | wc -l)" -eq 1

# Detach refuses what is not ours.
check "ha detach of a foreign program is refused" \
	fails "not one of this node's ha programs" ctl_as "$ha" ha detach dev ext0
check "  the foreign program is still there" test "$(prog ext0)" = "$foreign"
check "ha detach of another node's mml_ha_cn is refused" \
	fails "not one of this node's ha programs" ctl_as "$ha" ha detach dev oth0
check "  oth0 keeps it" test "$(prog oth0 | cut -d' ' -f1)" = mml_ha_cn
check "mh detach of the HA's program is refused" \
	fails "not one of this node's mh programs" ctl_as "$ha" mh detach dev cn0
check "  cn0 keeps it" test "$(prog cn0 | cut -d' ' -f1)" = mml_ha_cn

# Detach removes what attach created.
check "ha detach dev cn0" ctl_as "$ha" ha detach dev cn0
check "  cn0 is free, fa0 still runs mml_ha_fa" \
	test "$(prog cn0)|$(prog fa0 | cut -d' ' -f1)" = "|mml_ha_fa"
check "  the maps stay pinned while fa0 runs ours" pinned "$ha"
check "  the binding is still there" test "$(ctl_as "$ha" binding list | wc -l)" -eq 1
check "ha detach (all)" ctl_as "$ha" ha detach
check "  fa0 is free" test -z "$(prog fa0)"
check "  the foreign program and the other nodes' stay" \
	test "$(prog ext0)|$(prog oth0 | cut -d' ' -f1)|$(prog wl0 | cut -d' ' -f1)" = \
	"$foreign|mml_ha_cn|mml_mh_wl"
check "  pins and directory removed" test ! -e "$root/$ha"
check "mh detach dev wl0" ctl_as "$mh" mh detach dev wl0
check "  wl0 free, pins and directory removed" test -z "$(prog wl0)" -a ! -e "$root/$mh"
check "detach of a node without a directory fails" \
	fails "nothing attached" ctl_as "$mh" mh detach

# A node with a program in another namespace keeps its maps until that goes.
check "the third node also attaches in a second namespace" \
	nsenter --net="/run/netns/$ns2" "$MMLCTL" -n "$other" ha attach addr 10.1.0.2 cn far0 fa far1
check "ha detach (all) of the third node" says "still attached elsewhere" ctl_as "$other" ha detach
check "  its programs here are gone" test -z "$(prog oth0)$(prog oth1)"
check "  its maps stay pinned" pinned "$other"
check "ha detach in the second namespace" \
	nsenter --net="/run/netns/$ns2" "$MMLCTL" -n "$other" ha detach
check "  programs, pins and directory gone" \
	test -z "$(prog far0 "$ns2")$(prog far1 "$ns2")" -a ! -e "$root/$other"
check "the foreign program survived it all" test "$(prog ext0)" = "$foreign"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
