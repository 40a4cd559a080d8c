#!/usr/bin/env bash
# mmlkeyd's process hygiene (docs/security.md, "Daemon hygiene"), a home
# agent on loopback in a throwaway namespace:
#   - a second mmlkeyd for the same node (another namespace, so that its
#     UDP port is free) refuses to start, naming the first one's pid, and the
#     first one's control socket stays the same file and keeps answering;
#   - the running daemon keeps only CAP_NET_ADMIN, CAP_IPC_LOCK and CAP_BPF (effective,
#     permitted, bounding), has no_new_privs, a core size limit of 0, locked
#     memory, and says it is not dumpable;
#   - the inline hex key of its configuration is nowhere in its memory
#     (read through /proc/PID/mem), while other strings of the configuration
#     are (the search works);
#   - registrations are still served after the drop, and the lock is free
#     again once the daemon has stopped.
# ~3 s, root.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
KEYD=$BUILD/mmlkeyd CTL=$BUILD/mmlctl
[[ $(id -u) -eq 0 ]] || { echo "keyd-hygiene: skipped: needs root"; exit 77; }
for f in "$KEYD" "$CTL" "$BUILD/bench-mip"; do
	[[ -x $f ]] || { echo "keyd-hygiene: missing $f"; exit 1; }
done
id=mmlkh$$
TMP=$(mktemp -d /tmp/$id.XXXXXX)
pid=
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has; pass, fail
hygiene_cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$id" 2>/dev/null
	ip netns del "$id-b" 2>/dev/null
	rm -rf "$TMP"
}
trap hygiene_cleanup EXIT

for ns in "$id" "$id-b"; do
	ip netns add "$ns" && ip -n "$ns" link set lo up || { echo "keyd-hygiene: no namespace"; exit 1; }
done
"$BUILD/bench-mip" -n 1 -w 1 -c "$TMP/mip.conf"
key=$(grep -o 'key = "[0-9a-f]*"' "$TMP/mip.conf" | cut -d'"' -f2)
[[ ${#key} -ge 32 ]] || { echo "keyd-hygiene: no inline key in bench-mip's config"; exit 1; }
{ echo "node = \"$id\"; control_socket = \"$TMP/ha.sock\"; pin_root = \"$TMP/nopins\";"
  cat "$TMP/mip.conf"; } >"$TMP/ha.conf"
chmod 600 "$TMP/ha.conf"

start() { # NS LOG: mmlkeyd in NS, pid in $!
	nsenter --net="/run/netns/$1" "$KEYD" -F -f "$TMP/ha.conf" 2>"$2" &
}
start "$id" "$TMP/ha.log"
pid=$!
for _ in $(seq 100); do [[ -S $TMP/ha.sock ]] && break; sleep 0.05; done
[[ -S $TMP/ha.sock ]] || { cat "$TMP/ha.log"; echo "keyd-hygiene: the daemon did not start"; exit 1; }
sleep 0.2 # past the drop of capabilities (after the socket is bound)
inode=$(stat -c %i "$TMP/ha.sock")

# 1. A second daemon for the node.
if timeout 5 nsenter --net="/run/netns/$id-b" "$KEYD" -F -f "$TMP/ha.conf" 2>"$TMP/second.log"; then
	bad "a second mmlkeyd for the node started"
else
	grep -q "another mmlkeyd (pid $pid) serves node $id" "$TMP/second.log" &&
		ok "a second mmlkeyd refuses: $(grep -o 'another mmlkeyd.*' "$TMP/second.log")" ||
		bad "second mmlkeyd: $(cat "$TMP/second.log")"
fi
[[ -S $TMP/ha.sock && $(stat -c %i "$TMP/ha.sock") == "$inode" ]] &&
	ok "the first one's control socket is the same file" || bad "the control socket was replaced"
role=$("$CTL" -j mip show sock "$TMP/ha.sock" 2>&1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])' 2>&1)
[[ $role == ha ]] && ok "the first one still answers on it" || bad "mip show: $role"

# 2. Capabilities, no_new_privs, core limit, locked memory, dumpable.
status=/proc/$pid/status
want=0000008000005000 # CAP_BPF (39) | CAP_IPC_LOCK (14) | CAP_NET_ADMIN (12)
for f in CapEff CapPrm CapBnd; do
	v=$(awk -v f="$f:" '$1 == f {print $2}' "$status")
	[[ $v == "$want" ]] && ok "$f = $v (net_admin, ipc_lock, bpf)" || bad "$f = $v, want $want"
done
[[ $(awk '$1 == "NoNewPrivs:" {print $2}' "$status") == 1 ]] && ok "no_new_privs" || bad "no_new_privs not set"
[[ $(awk '/^Max core file size/ {print $5}' "/proc/$pid/limits") == 0 ]] && ok "core size limit 0" ||
	bad "core limit: $(grep 'core' "/proc/$pid/limits")"
lck=$(awk '$1 == "VmLck:" {print $2}' "$status")
[[ ${lck:-0} -gt 0 ]] && ok "locked memory: $lck kB" || bad "no locked memory (VmLck ${lck:-?})"
grep -q "hardening: not dumpable, memory locked, 1 inline keys wiped" "$TMP/ha.log" &&
	! grep -q "some steps failed" "$TMP/ha.log" && ok "the daemon reports every hardening step" ||
	bad "hardening: $(grep -i harden "$TMP/ha.log")"

# 3. The inline key is nowhere in memory; the node name (a kept string) is.
search_mem() { # PID TEXT: prints the count of occurrences in PID's memory
	python3 - "$1" "$2" <<'PY'
import re, sys
pid, text = sys.argv[1], sys.argv[2].encode()
count = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        f = line.split()
        if "r" not in f[1] or (len(f) > 5 and f[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")):
            continue
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        try:
            mem.seek(lo)
            count += mem.read(hi - lo).count(text)
        except OSError:
            pass
print(count)
PY
}
n_node=$(search_mem "$pid" "$id")
n_key=$(search_mem "$pid" "$key")
[[ $n_node -gt 0 ]] && ok "the memory search finds the node name ($n_node times)" ||
	bad "the memory search finds nothing (node name)"
[[ $n_key == 0 ]] && ok "the inline key's hex is not in the daemon's memory" ||
	bad "the inline key's hex is in the daemon's memory $n_key times"

# 4. Still serving after the drop; the lock is free once it has stopped.
if nsenter --net="/run/netns/$id" "$BUILD/bench-mip" -n 1 -w 1 -t 1 >"$TMP/bench.out" 2>&1; then
	ok "registrations served: $(grep -o 'accepted=[0-9]*' "$TMP/bench.out")"
else
	bad "bench-mip: $(cat "$TMP/bench.out")"
fi
kill "$pid" && wait "$pid" 2>/dev/null
pid=
start "$id" "$TMP/ha2.log"
pid=$!
for _ in $(seq 100); do [[ -S $TMP/ha.sock ]] && break; sleep 0.05; done
[[ -S $TMP/ha.sock ]] && kill -0 "$pid" 2>/dev/null && ok "restarted after a clean stop" ||
	bad "restart: $(cat "$TMP/ha2.log")"

echo "keyd-hygiene: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
