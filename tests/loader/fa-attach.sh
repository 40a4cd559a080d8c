#!/usr/bin/env bash
# mmlctl fa attach/detach on real veths in a namespace of this test: maps
# created and pinned with BTF (mode 0700), programs attached natively, a
# second attach refused, visitors and a zone-1-only CSA through the pinned
# maps, and detach removing exactly what attach created.
set -uo pipefail

MMLCTL=${MMLCTL:-build/mmlctl}
ns="mmlt-fa-$$"
node="mmlt-fa-$$"
dir="/sys/fs/bpf/mmlipsec/$node"
tmp=$(mktemp -d)
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail

fa_attach_cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$dir" "$tmp"
}
trap fa_attach_cleanup EXIT INT TERM

# nsenter keeps our mount namespace: bpffs pins stay visible (ip netns exec
# would give a private /sys without the shared bpffs).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/node.sh" # in_ns
ctl_ns() { in_ns "$MMLCTL" -n "$node" "$@"; }

ip netns add "$ns" || exit 1
ip -n "$ns" link add wired0 type veth peer name wired1
ip -n "$ns" link add wl0 type veth peer name wl1
for l in wired0 wired1 wl0 wl1; do ip -n "$ns" link set "$l" up; done
ip -n "$ns" addr add 10.0.2.2/24 dev wired0

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

ctl_ns fa detach && ok "detach" || bad "detach"
has prog/xdp ip -n "$ns" link show wired0 && bad "program left on wired0" ||
	ok "programs removed"
[[ ! -e $dir ]] && ok "pins and directory removed" || bad "left behind: $(ls "$dir")"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
