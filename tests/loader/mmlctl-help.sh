#!/usr/bin/env bash
# mmlctl's help, as ip and bpftool give it: "mmlctl help", "--help", "-h"
# print the whole usage on stdout and exit 0; "mmlctl OBJECT help" prints
# that object's verbs only; an object given without a verb, when it has no
# default verb ("mmlctl fa"), prints its help on stderr and exits 2 instead
# of running a command chosen from uninitialised state. And --version on
# mmlctl, mmlkeyd and mmlworker. Needs no maps.
set -uo pipefail

MMLCTL=${MMLCTL:-build/mmlctl}
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail

# run ARGS...: rc, out (stdout) and err (stderr) of one mmlctl run.
run() {
	local e
	e=$(mktemp)
	out=$("$MMLCTL" -n mmlt-help "$@" 2>"$e")
	rc=$?
	err=$(<"$e")
	rm -f "$e"
}

for words in "help" "--help" "-h"; do
	run $words
	[[ $rc -eq 0 && $out == *"mmlctl csa add"* && $out == *"mmlctl fa attach"* && -z $err ]] &&
		ok "mmlctl $words: whole usage on stdout, status 0" ||
		bad "mmlctl $words: rc=$rc out='${out:0:80}' err='$err'"
done

# Every object the usage names.
objects=$(run help; awk '$1 == "mmlctl" && $2 ~ /^[a-z]+$/ && $2 != "help" {print $2}' <<<"$out" | sort -u)
[[ $(wc -w <<<"$objects") -ge 10 ]] && ok "usage names $(wc -w <<<"$objects") objects" ||
	bad "usage names too few objects: $objects"
for obj in $objects; do
	run "$obj" help
	others=$(grep -c "^  mmlctl " <<<"$out")
	mine=$(grep -c "^  mmlctl $obj " <<<"$out")
	[[ $rc -eq 0 && $mine -ge 2 && $mine -eq $others ]] &&
		ok "mmlctl $obj help: its $mine lines only" || bad "mmlctl $obj help: rc=$rc '$out' '$err'"
	run "$obj" --help
	[[ $rc -eq 0 && $out == *"mmlctl $obj help"* ]] && ok "mmlctl $obj --help" ||
		bad "mmlctl $obj --help: rc=$rc"
done

# Objects without a default verb: help on stderr, status 2, nothing run.
for obj in fa ha mh ike; do
	run "$obj"
	[[ $rc -eq 2 && $err == *"mmlctl $obj "* && $err != *"unknown object"* && -z $out ]] &&
		ok "mmlctl $obj (no verb): its help, status 2" ||
		bad "mmlctl $obj (no verb): rc=$rc out='$out' err='$err'"
done
run fa frobnicate
[[ $rc -eq 2 && $err == *'"frobnicate": unknown verb'* && $err == *"mmlctl fa attach"* ]] &&
	ok "mmlctl fa frobnicate: unknown verb and the help" || bad "fa frobnicate: rc=$rc '$err'"
run frob help
[[ $rc -eq 2 && $err == *'"frob": unknown object'* ]] && ok "mmlctl frob help: unknown object" ||
	bad "frob help: rc=$rc '$err'"
run
[[ $rc -eq 2 && $err == *"usage: mmlctl"* ]] && ok "mmlctl alone: usage, status 2" ||
	bad "mmlctl alone: rc=$rc"

# --version (and -V) on every binary: "NAME VERSION" on stdout, status 0,
# the version of the tree (VERSION) whatever else the build adds.
want=$(<"$(dirname "${BASH_SOURCE[0]}")/../../VERSION")
for bin in "$MMLCTL" "$(dirname "$MMLCTL")/mmlkeyd" "$(dirname "$MMLCTL")/mmlworker"; do
	name=$(basename "$bin")
	for flag in --version -V; do
		v=$("$bin" $flag 2>&1)
		rc=$?
		[[ $rc -eq 0 && $v == "$name $want"* && $v != *$'\n'* ]] && ok "$name $flag: $v" ||
			bad "$name $flag: rc=$rc '$v' (want '$name $want...')"
	done
done

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
