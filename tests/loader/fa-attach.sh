#!/usr/bin/env bash
# mmlctl fa attach/detach on real veths in a namespace of this test: maps
# created and pinned with BTF (mode 0700), programs attached natively, a
# second attach refused, visitors and a zone-1-only CSA through the pinned
# maps, detach removing exactly what attach created, and never another
# node's FA program: one named on the command line, or one that sits at an
# ifindex of ours in another namespace.
set -uo pipefail

MMLCTL=${MMLCTL:-build/mmlctl}
ns="mmlt-fa-$$" ns2="mmlt-fa2-$$"
node="mmlt-fa-$$" node2="mmlt-fb-$$" node3="mmlt-fc-$$"
dir="/sys/fs/bpf/mmlipsec/$node"
tmp=$(mktemp -d)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail

fa_attach_cleanup() {
	ip netns del "$ns" 2>/dev/null
	ip netns del "$ns2" 2>/dev/null
	rm -rf "$dir" "${dir%/*}/$node2" "${dir%/*}/$node3" "$tmp"
}
trap fa_attach_cleanup EXIT INT TERM

# nsenter keeps our mount namespace: bpffs pins stay visible (ip netns exec
# would give a private /sys without the shared bpffs).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/node.sh" # in_ns
ctl_ns() { in_ns "$MMLCTL" -n "$node" "$@"; }
# ctl_node_in NODE NS ARGS...: mmlctl of another node, in namespace NS.
ctl_node_in() {
	local n=$1 where=$2
	shift 2
	nsenter --net="/run/netns/$where" "$MMLCTL" -n "$n" "$@"
}
# runs NS IF PROG: the interface runs XDP program PROG.
runs() { has "prog/xdp .*name $3" ip -n "$1" link show "$2"; }

# The same links in both namespaces, made in the same order: the same
# ifindexes, so our mml_ports names the other namespace's interfaces too.
for n in "$ns" "$ns2"; do
	ip netns add "$n" || exit 1
	ip -n "$n" link add wired0 type veth peer name wired1
	ip -n "$n" link add wl0 type veth peer name wl1
	ip -n "$n" link add wired2 type veth peer name wired3
	ip -n "$n" link add wl2 type veth peer name wl3
	for l in wired0 wired1 wl0 wl1 wired2 wired3 wl2 wl3; do ip -n "$n" link set "$l" up; done
	ip -n "$n" addr add 10.0.2.2/24 dev wired0
done

ctl_ns fa attach coa 10.0.2.2 wired wired0 wireless wl0 && ok "attach" || bad "attach"
has 'prog/xdp .*name mml_fa_down' ip -n "$ns" link show wired0 &&
	ok "mml_fa_down on the wired side" || bad "no program on wired0"
has 'prog/xdp .*name mml_fa_up' ip -n "$ns" link show wl0 &&
	ok "mml_fa_up on the wireless side" || bad "no program on wl0"
[[ $(stat -c %a "$dir") == 700 ]] && ok "pin directory mode 0700" || bad "pin dir mode"
for m in mml_csa mml_visitor mml_stats mml_ports; do
	[[ -e $dir/$m ]] || bad "$m not pinned"
done
out=$(ctl_ns fa attach coa 10.0.2.2 wired wired0 wireless wl0 2>&1) &&
	bad "second attach should be refused" || { [[ $out == *busy* ]] && ok "second attach refused"; }

ctl_ns visitor add home 10.1.0.10 ha 10.0.2.1 dev wl0 mac 02:00:00:00:00:01 && ok "visitor add" ||
	bad "visitor add"
[[ $(ctl_ns visitor) == "home 10.1.0.10 ha 10.0.2.1 dev wl0 "* ]] && ok "visitor list" ||
	bad "visitor list: $(ctl_ns visitor)"
# bpftool prints typed values: the map carries the BTF of struct mml_visitor.
has '"mh_mac"' bpftool map dump pinned "$dir/mml_visitor" && ok "bpftool shows typed values" ||
	bad "bpftool dump not typed"
umask 077
printf '%s\n' "$(printf '1%.0s' {1..64})a1a2a3a4" > "$tmp/z1"
ctl_ns csa add spi 0x4000 format mlesp dir fwd keys "$tmp/z1" && ok "zone-1-only CSA" || bad "csa fwd"
has '"z1_len": 40' bpftool map dump pinned "$dir/mml_csa" && ok "CSA typed in bpftool" ||
	bad "CSA dump"
has '^rx_down' ctl_ns stats && ok "stats" || bad "stats"

# Other nodes' FA programs, with the same names as ours.
check "another node attaches beside us" \
	ctl_node_in "$node2" "$ns" fa attach coa 10.0.2.3 wired wired2 wireless wl2
check "a third node attaches in another namespace" \
	ctl_node_in "$node3" "$ns2" fa attach coa 10.0.2.2 wired wired0 wireless wl0
out=$(ctl_ns fa detach dev wired2 2>&1)
[[ $? -ne 0 && $out == *"not one of this node's fa programs"* ]] &&
	ok "detach of another node's program refused" || bad "detach dev wired2: '$out'"
check "  wired2 keeps the other node's mml_fa_down" runs "$ns" wired2 mml_fa_down
ctl_node_in "$node" "$ns2" fa detach >/dev/null 2>&1
check "detach in the wrong namespace leaves that namespace's FA programs" \
	runs "$ns2" wired0 mml_fa_down
check "  and the wireless one" runs "$ns2" wl0 mml_fa_up
check "  our program stays" runs "$ns" wired0 mml_fa_down
check "  and so do our pins" test -e "$dir/mml_ports"

ctl_ns fa detach && ok "detach" || bad "detach"
has prog/xdp ip -n "$ns" link show wired0 && bad "program left on wired0" ||
	ok "programs removed"
[[ ! -e $dir ]] && ok "pins and directory removed" || bad "left behind: $(ls "$dir")"
check "the other node's program survived it" runs "$ns" wired2 mml_fa_down
check "so did the third node's" runs "$ns2" wl0 mml_fa_up
check "the other node detaches" ctl_node_in "$node2" "$ns" fa detach
check "the third node detaches" ctl_node_in "$node3" "$ns2" fa detach
check "  nothing is left attached" \
	test -z "$(ip -n "$ns" link show | grep prog/xdp)$(ip -n "$ns2" link show | grep prog/xdp)"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
