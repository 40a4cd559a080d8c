#!/usr/bin/env bash
# make install / uninstall and the systemd units (docs/operations.md,
# "Installing and running under systemd"), without systemd as PID 1:
#   - make install-only DESTDIR=... PREFIX=/usr: exactly the expected files
#     (binaries, units, examples 0600, docs, /etc/mmlipsec 0700, man pages
#     and the bash completion when the tree has them); each binary's
#     --version; PREFIX=/usr/local rewrites the units' paths; make uninstall
#     leaves no file;
#   - systemd-analyze verify on both units, systemd-analyze security below
#     EXPOSURE_MAX for each;
#   - the units' own command lines (ExecStart=, ExecStartPre=, ExecReload=
#     parsed from the installed files) run the way the unit runs them: its
#     CapabilityBoundingSet=, NoNewPrivileges=, LimitMEMLOCK=, with
#     NOTIFY_SOCKET a socket this test listens on (notify.py), in a
#     namespace of this test:
#       mmlkeyd (a home agent on loopback): READY=1 with a STATUS=; SIGHUP
#       (ExecReload=) -> RELOADING=1 then READY=1, and the new
#       mip.max_lifetime and log_level in effect; a changed address and a
#       changed inline key refused (logged, the old values kept, READY=1
#       again, still serving);
#       mmlworker@ (an MH on a veth): ExecStartPre= attaches, READY=1; a
#       restart (attach over its own programs, worker again) READY=1 again.
# Root; bpffs pins and namespaces named mmlti-PID: run under
# flock /tmp/mml-netns.lock. About 10 s.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
EXPOSURE_MAX=${EXPOSURE_MAX:-3.5}
SUITE=install
. "$TOP/tests/lib/check.sh"
need_root
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (mk/deps.sh test)"

id=mmlti$$
TMP=$(mktemp -d "/tmp/$id.XXXXXX")
DEST=$TMP/root
ns=$id node=$id
PIDS=()
install_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[[ -d /run/netns && -e /run/netns/$ns ]] &&
		nsenter --net="/run/netns/$ns" "$BUILD/mmlctl" -n "$node" mh detach >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
	rm -rf "/sys/fs/bpf/mmlipsec/$node" "$TMP"
}
trap install_cleanup EXIT
DIE_LOGS="$TMP/*.log"
mk() { make -s -C "$TOP" BUILD="$BUILD" "$@"; }

# ---------------------------------------------------------------- install
mk install-only DESTDIR="$DEST" PREFIX=/usr >"$TMP/install.log" 2>&1 || die "make install-only failed"
want=(etc/mmlipsec/ usr/sbin/mmlctl usr/sbin/mmlkeyd usr/sbin/mmlworker
	usr/lib/systemd/system/mmlkeyd.service "usr/lib/systemd/system/mmlworker@.service")
for f in "$TOP"/dist/examples/*; do want+=("usr/share/doc/mmlipsec/examples/${f##*/}"); done
for f in README.md docs/operations.md docs/mobileip.md docs/endpoints.md docs/protocol.md \
	docs/security.md docs/snoop.md; do want+=("usr/share/doc/mmlipsec/${f##*/}"); done
for f in "$TOP"/man/*.[58]; do [[ -e $f ]] && want+=("usr/share/man/man${f##*.}/${f##*/}"); done
[[ -e $TOP/dist/bash-completion/mmlctl ]] && want+=(usr/share/bash-completion/completions/mmlctl)
# The Wireshark plugin, when the tree built it (mk/install.mk).
[[ -e $BUILD/wireshark/mmlipsec.so ]] &&
	want+=("$(pkg-config --variable=plugindir wireshark | sed 's|^/||')/epan/mmlipsec.so")
got=$(cd "$DEST" && { find . -type f -printf '%P\n'; find . -type d -empty -printf '%P/\n'; } | sort)
exp=$(printf '%s\n' "${want[@]}" | sort)
[[ $got == "$exp" ]] && ok "make install: the ${#want[@]} expected paths, nothing else" ||
	bad "make install: $(diff <(echo "$exp") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
modes=$(stat -c '%a %n' "$DEST"/usr/share/doc/mmlipsec/examples/* | awk '$1 != 600' | wc -l)
[[ $modes -eq 0 && $(stat -c %a "$DEST/etc/mmlipsec") == 700 ]] &&
	ok "examples mode 0600, /etc/mmlipsec 0700" ||
	bad "modes: $(stat -c '%a %n' "$DEST/etc/mmlipsec" "$DEST"/usr/share/doc/mmlipsec/examples/*)"
version=$(cat "$TOP/VERSION")
for b in mmlctl mmlkeyd mmlworker; do
	v=$("$DEST/usr/sbin/$b" --version 2>&1)
	[[ $v == "$b $version"* ]] && ok "installed $b --version: $v" || bad "$b --version: $v"
done
grep -q '^ExecStart=/usr/sbin/mmlkeyd ' "$DEST/usr/lib/systemd/system/mmlkeyd.service" &&
	ok "PREFIX=/usr: ExecStart=/usr/sbin/mmlkeyd" || bad "PREFIX=/usr: $(grep ExecStart= "$DEST"/usr/lib/systemd/system/*)"
mk install-only DESTDIR="$TMP/local" >>"$TMP/install.log" 2>&1 || die "make install-only (PREFIX default) failed"
u=$TMP/local/usr/local/lib/systemd/system
if grep -q '^ExecStart=/usr/local/sbin/mmlkeyd ' "$u/mmlkeyd.service" &&
	grep -q '^ExecStart=/usr/local/sbin/mmlworker ' "$u/mmlworker@.service" && ! grep -q '/usr/sbin' "$u"/*; then
	ok "PREFIX=/usr/local: units name /usr/local/sbin"
else
	bad "PREFIX=/usr/local: $(grep -h '/usr/' "$u"/* | tr '\n' ' ')"
fi
mk uninstall DESTDIR="$TMP/local" >>"$TMP/install.log" 2>&1 || bad "make uninstall failed"
left=$(find "$TMP/local" -type f | wc -l)
[[ $left -eq 0 && ! -e $TMP/local/usr/local/share/doc/mmlipsec && ! -e $TMP/local/etc/mmlipsec ]] &&
	ok "make uninstall: no file left, our directories gone" ||
	bad "make uninstall left: $(find "$TMP/local" -type f -o -name mmlipsec | tr '\n' ' ')"

# ------------------------------------------------------------- the units
units=$DEST/usr/lib/systemd/system
# Copies naming the binaries where they are installed (verify runs them).
mkdir -p "$TMP/units"
sed "s|/usr/sbin/|$DEST/usr/sbin/|g" "$units/mmlkeyd.service" >"$TMP/units/mmlkeyd.service"
sed "s|/usr/sbin/|$DEST/usr/sbin/|g" "$units/mmlworker@.service" >"$TMP/units/mmlworker@t.service"
man=--man=no
ls "$DEST"/usr/share/man/man8/*.8 >/dev/null 2>&1 && man=--man=yes
for u in mmlkeyd.service mmlworker@t.service; do
	if MANPATH=$DEST/usr/share/man systemd-analyze verify "$man" "$TMP/units/$u" >"$TMP/verify.log" 2>&1 &&
		[[ ! -s $TMP/verify.log ]]; then
		ok "systemd-analyze verify $man $u: clean"
	else
		bad "systemd-analyze verify $u: $(tr '\n' ' ' <"$TMP/verify.log")"
	fi
	score=$(systemd-analyze security --offline=true "$TMP/units/$u" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	if [[ -n $score ]] && awk -v s="$score" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(s <= m) }'; then
		ok "systemd-analyze security $u: exposure $score <= $EXPOSURE_MAX"
	else
		bad "systemd-analyze security $u: exposure '${score:-?}' above $EXPOSURE_MAX"
	fi
done

# unit_value UNIT KEY: the value of KEY= (the last one).
unit_value() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
# as_unit UNIT: AS_UNIT, the command prefix that gives what follows the
# unit's privileges: its capability bounding set (root's permitted set
# follows it across exec), no_new_privs, its memlock limit; in the test's
# namespace. Each of nsenter, prlimit and setpriv execs the next: a command
# run with it in the background has $! as its pid.
as_unit() {
	local unit=$1 caps c memlock
	caps=-all
	for c in $(unit_value "$unit" CapabilityBoundingSet); do
		caps+=",+$(tr '[:upper:]' '[:lower:]' <<<"${c#CAP_}")"
	done
	memlock=$(unit_value "$unit" LimitMEMLOCK)
	[[ $memlock == infinity ]] && memlock=unlimited
	[[ $(unit_value "$unit" NoNewPrivileges) == yes ]] || bad "$unit: no NoNewPrivileges=yes"
	AS_UNIT=(nsenter --net="/run/netns/$ns")
	# Raising the limit needs CAP_SYS_RESOURCE, which a container may not
	# give us; both units keep CAP_IPC_LOCK, which lifts the limit anyway.
	if prlimit --memlock="${memlock:-8388608}" true 2>/dev/null; then
		AS_UNIT+=(prlimit --memlock="${memlock:-8388608}")
	else
		echo "  (LimitMEMLOCK=$memlock not emulated: no CAP_SYS_RESOURCE here; memlock $(ulimit -l) kB)"
	fi
	AS_UNIT+=(setpriv --bounding-set="$caps" --inh-caps=-all --no-new-privs --)
}
# The unit's command line, its installed paths moved into $DEST, config
# and environment words expanded as systemd would ($VAR: split at blanks).
# unit_cmd UNIT KEY: in WORDS, quotes honoured, $VAR expanded and split.
unit_cmd() {
	local line
	line=$(unit_value "$1" "$2" | sed "s|/usr/sbin/|$DEST/usr/sbin/|g")
	eval "WORDS=($line)"
}
NOTES=$TMP/notify.txt
: >"$NOTES"
python3 "$TOP/tests/install/notify.py" "$TMP/notify.sock" "$NOTES" &
PIDS+=($!)
for _ in $(seq 50); do [[ -S $TMP/notify.sock ]] && break; sleep 0.05; done
[[ -S $TMP/notify.sock ]] || die "no notify socket"
export NOTIFY_SOCKET=$TMP/notify.sock
# wait_note PATTERN FROM: a message matching PATTERN after line FROM of
# $NOTES within 5 s; prints its line number.
wait_note() {
	local n
	for _ in $(seq 100); do
		n=$(awk -v from="$2" -v pat="$1" 'NR > from && $0 ~ pat { print NR; exit }' "$NOTES")
		[[ -n $n ]] && { echo "$n"; return 0; }
		sleep 0.05
	done
	return 1
}
notes() { wc -l <"$NOTES"; }

ip netns add "$ns" || die "no namespace"
ip -n "$ns" link set lo up
ip -n "$ns" link add w0 type veth peer name w1
ip -n "$ns" link set w0 up && ip -n "$ns" link set w1 up

# mmlkeyd: a home agent on loopback, its configuration where the unit's
# -f names one.
"$BUILD/bench-mip" -n 1 -w 1 -c "$TMP/mip.conf" || die "bench-mip -c failed"
conf=$TMP/mmlkeyd.conf
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/mh.psk"
chmod 600 "$TMP/mh.psk"
write_conf() { # LOG_LEVEL MAX_LIFETIME ADDRESS KEY PKD_THRESHOLD CSA_SOFT_LIFETIME
	{
		echo "node = \"$node\"; control_socket = \"$TMP/keyd.sock\"; pin_root = \"$TMP/nopins\";"
		echo "log_level = \"$1\";"
		sed -e "s/max_lifetime = [0-9]*/max_lifetime = $2/" -e "s/address = \"127.0.0.1\"/address = \"$3\"/" \
			-e "s/key = \"[0-9a-f]*\"/key = \"$4\"/" "$TMP/mip.conf"
		echo "ike = { role = \"ha\"; local = \"127.0.0.1\"; pkd_threshold = $5; peers = ("
		echo "  { name = \"mh\"; address = \"10.200.0.1\"; local_id = \"fqdn:ha.test\";"
		echo "    peer_id = \"fqdn:mh.test\"; psk_file = \"$TMP/mh.psk\"; csa_soft_lifetime = $6; } ); };"
	} >"$conf.new"
	chmod 600 "$conf.new" && mv "$conf.new" "$conf"
}
key=$(grep -o 'key = "[0-9a-f]*"' "$TMP/mip.conf" | cut -d'"' -f2)
write_conf info 600 127.0.0.1 "$key" 0 600
kunit=$units/mmlkeyd.service
unit_cmd "$kunit" ExecStart
[[ ${WORDS[*]} == "$DEST/usr/sbin/mmlkeyd -F -f /etc/mmlipsec/mmlkeyd.conf" ]] ||
	bad "mmlkeyd ExecStart: ${WORDS[*]}"
WORDS[3]=$conf
as_unit "$kunit"
"${AS_UNIT[@]}" "${WORDS[@]}" >"$TMP/keyd.log" 2>&1 &
kpid=$!
PIDS+=($kpid)
if n=$(wait_note 'READY=1' 0); then
	ok "mmlkeyd under the unit's capabilities: $(sed -n "${n}p" "$NOTES")"
else
	die "mmlkeyd: no READY=1 ($(tr '\n' ' ' <"$NOTES"))"
fi
mip_show() { "$BUILD/mmlctl" -j mip show sock "$TMP/keyd.sock" 2>&1 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["max_lifetime"])' 2>&1; }
[[ $(mip_show) == 600 ]] || bad "mip show before the reload: $(mip_show)"
# At info, a registration's debug line (the binding kept in memory only:
# no pinned maps here) is not logged; at debug it is.
register() {
	nsenter --net="/run/netns/$ns" "$BUILD/bench-mip" -n 1 -w 1 -t 1 >"$TMP/bench.log" 2>&1 ||
		{ echo "bench-mip: $(tail -1 "$TMP/bench.log")"; return 1; }
	sleep 0.2
}
debug_lines() { grep -c 'mml_binding not pinned' "$TMP/keyd.log"; }
register || bad "registration before the reload"
[[ $(debug_lines) -eq 0 ]] || bad "log_level info logs debug lines"
reload() { # runs the unit's ExecReload= for the daemon
	MAINPID=$kpid unit_cmd "$kunit" ExecReload
	"${WORDS[@]}"
}
# reloaded FROM: RELOADING=1 then READY=1 after the messages so far;
# prints the READY=1 line.
reloaded() {
	local from=$1 r1 r2
	r1=$(wait_note 'RELOADING=1' "$from") || { echo "no RELOADING=1"; return 1; }
	r2=$(wait_note 'READY=1' "$r1") || { echo "no READY=1 after RELOADING=1"; return 1; }
	sed -n "${r2}p" "$NOTES"
}

ike_settings() { "$BUILD/mmlctl" -j ike show sock "$TMP/keyd.sock" 2>&1 | python3 -c '
import json, sys
s = json.load(sys.stdin)["settings"]
print(s["pkd_threshold"], s["peers"][0]["csa_soft_lifetime"])' 2>&1; }
[[ $(ike_settings) == "0 600" ]] || bad "ike show settings before the reload: $(ike_settings)"

# 1. Changes a reload applies: mip.max_lifetime, log_level,
# ike.pkd_threshold, a peer's csa_soft_lifetime.
write_conf debug 120 127.0.0.1 "$key" 3 30
from=$(notes)
reload
if r=$(reloaded "$from"); then ok "ExecReload: RELOADING=1, then $r"; else bad "reload: $r"; fi
[[ $(mip_show) == 120 ]] && ok "mip.max_lifetime 600 -> 120 in effect (mip show)" ||
	bad "max_lifetime after the reload: $(mip_show)"
[[ $(ike_settings) == "3 30" ]] && ok "ike.pkd_threshold 0 -> 3, peer mh csa_soft_lifetime 600 -> 30 in effect (ike show)" ||
	bad "ike settings after the reload: $(ike_settings)"
grep -q 'reload: home agent: max lifetime 120 s' "$TMP/keyd.log" &&
	grep -q 'reload: peer mh: CSA lifetime 30/0 s' "$TMP/keyd.log" && grep -q 'reload: pkd_threshold 3' "$TMP/keyd.log" &&
	ok "the daemon logs the new values" || bad "reload lines: $(grep 'reload:' "$TMP/keyd.log" | tr '\n' ' ')"
register || bad "registration after the reload"
[[ $(debug_lines) -gt 0 ]] && ok "log_level info -> debug in effect (a registration's debug line)" ||
	bad "no debug line after log_level = debug"

# 2. Changes that need a restart: refused, the running values kept.
for change in address key; do
	if [[ $change == address ]]; then
		write_conf debug 60 127.0.0.2 "$key" 5 40
	else
		write_conf debug 60 127.0.0.1 "00112233445566778899aabbccddeeff" 5 40
	fi
	from=$(notes)
	reload
	if r=$(reloaded "$from"); then
		[[ $r == *"reload refused"* ]] && ok "a changed $change: RELOADING=1, then $r" ||
			bad "a changed $change: not reported refused: $r"
	else
		bad "a changed $change: $r"
	fi
	[[ $(mip_show) == 120 && $(ike_settings) == "3 30" ]] && kill -0 "$kpid" 2>/dev/null &&
		ok "  still running with max_lifetime 120, pkd_threshold 3, csa_soft_lifetime 30 (none of the new applied)" ||
		bad "  after a refused reload: max_lifetime $(mip_show), ike $(ike_settings)"
done
grep -q 'reload: "mip.address" changed: that needs a restart' "$TMP/keyd.log" &&
	grep -q 'reload: an inline key changed: that needs a restart' "$TMP/keyd.log" &&
	ok "each refusal logged with the setting" || bad "refusals: $(grep 'reload:' "$TMP/keyd.log" | tr '\n' ' ')"
r=$(register) && ok "registrations still served with the old key" || bad "after the refusals: $r"
kill "$kpid"
wait "$kpid"
st=$?
[[ $st -eq 0 ]] && ok "SIGTERM: mmlkeyd exits 0" || bad "mmlkeyd exit status $st"

# mmlworker@: an MH on a veth; the instance's environment file as the unit
# reads it (EnvironmentFile=), MMLCTL_ATTACH by ExecStartPre=.
wunit=$units/mmlworker@.service
cat >"$TMP/worker.env" <<EOF
MMLCTL_ATTACH="-n $node mh attach home 10.200.0.1 dev w0"
MMLWORKER_ARGS="--role mh --node $node --port w0 --tun mmlt0 --home 10.200.0.1"
EOF
[[ $(unit_value "$wunit" EnvironmentFile) == "/etc/mmlipsec/mmlworker-%i.env" ]] ||
	bad "EnvironmentFile=$(unit_value "$wunit" EnvironmentFile)"
set -a
. "$TMP/worker.env"
set +a
unit_cmd "$wunit" ExecStartPre
pre=("${WORDS[@]}")
unit_cmd "$wunit" ExecStart
start=("${WORDS[@]}")
as_unit "$wunit"
for round in start restart; do
	"${AS_UNIT[@]}" "${pre[@]}" >"$TMP/attach-$round.log" 2>&1 ||
		bad "$round: ExecStartPre (attach) failed: $(tail -1 "$TMP/attach-$round.log")"
	from=$(notes)
	"${AS_UNIT[@]}" "${start[@]}" >"$TMP/worker-$round.log" 2>&1 &
	wpid=$!
	PIDS+=($wpid)
	if n=$(wait_note 'READY=1' "$from"); then
		ok "mmlworker@ $round under the unit's capabilities: $(sed -n "${n}p" "$NOTES")"
	else
		bad "mmlworker@ $round: no READY=1: $(tail -2 "$TMP/worker-$round.log" | tr '\n' ' ')"
	fi
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
done

summary
