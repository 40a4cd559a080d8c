#!/usr/bin/env bash
# dist/bash-completion/mmlctl under bash, without the bash-completion
# package: objects, verbs and keywords as the binary's usage gives them,
# values of a keyword (choices, interface lists), nodes for -n from the pin
# root of -r, keywords already given not offered again. No maps, no root.
set -uo pipefail

MMLCTL=${MMLCTL:-build/mmlctl}
here=$(dirname "${BASH_SOURCE[0]}")
. "$here/../lib/check.sh" # ok, bad; pass, fail
. "$here/../../dist/bash-completion/mmlctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect WANT WORDS...: completing the last of WORDS gives exactly WANT
# (sorted, space-separated).
expect() {
	local want=$1 got
	shift
	COMP_WORDS=("$MMLCTL" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_mmlctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
	[[ $got == "$want" ]] && ok "mmlctl $* <TAB> -> $got" || bad "mmlctl $* <TAB>: '$got', want '$want'"
}

[[ $(complete -p mmlctl) == *"-F _mmlctl mmlctl"* ]] && ok "complete -F _mmlctl mmlctl" ||
	bad "mmlctl has no completion"
expect "csa" c
expect "mh mip" m
expect "--help --version" --
# Every object's verbs, as its own help lists them.
for obj in $("$MMLCTL" help | awk '$1 == "mmlctl" && $2 ~ /^[a-z]+$/ && $2 != "help" {print $2}' | sort -u); do
	want=$( ("$MMLCTL" "$obj" help | awk -v o="$obj" '$2 == o && $3 != "help" {print $3}'; echo help) | sort | xargs)
	expect "$want" "$obj" ""
done
mkdir "$tmp/ha" "$tmp/fa1" "$tmp/fa2"
expect "fa1 fa2" -r "$tmp" -n f
expect "csa" -r "$tmp" -n fa1 cs
expect "esp mlesp" csa add spi 1 format ""
expect "fwd in out" csa add spi 1 format mlesp dir ""
expect "alg dir force format hard-lifetime hard-packets keys replay-window soft-lifetime soft-packets z1-len" \
	csa add spi 1 ""
expect "--prometheus prometheus reset sock" stats show ""
expect "lo" fa attach coa 10.0.2.2 wired l
expect "lo,lo" fa attach coa 10.0.2.2 wired lo,l
expect "lo" ha attach addr 10.1.0.1 fa l
expect "drop forward" fa attach unknown-spi ""
expect "enabled" snoop set en
expect "off on" snoop set enabled ""
expect "max_conns max_segs" snoop set enabled on max_
expect "" csa add spi ""
# snoop set's keys are the completion's own list: the same as the code's
# (lib/snoop_cfg.c mml_snoop_cfg_keys).
keys=$(sed -n '/mml_snoop_cfg_keys\[\] =/,/;/p' "$here/../../lib/snoop_cfg.c" | grep -o '"[^"]*"' |
	tr -d '"\n' | grep -oE '[a-z][a-z_]+' | grep -vxE 'on|off' | sort | xargs)
[[ $(wc -w <<<"$keys") -ge 10 ]] && expect "$keys" snoop set "" || bad "snoop keys not found in lib/snoop_cfg.c"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
