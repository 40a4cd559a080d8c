#!/usr/bin/env bash
# The bed's own link switch under TCP: the reference for the handoff walk's
# gaps (tests/ike/handoff-walk.sh). The bed alone (no product, plain kernel
# forwarding, `routing static`: `bed.sh handoff` rewrites the routes itself),
# four cells of 10 Mbit/s in a line, BER $WALK_BER (0), a 20 MB TCP
# transfer CN -> MH while the MH walks $WALK_PATH (the walk's default path,
# "none": stay), one handoff every $WALK_STEP_S seconds. Prints per handoff
# the bed's link-down -> routes time and the receiver's longest silence, and
# the same `tcp:` line as the walk (total time, median/max gap, the CN's
# retransmission timeouts). A measurement, not a suite: it checks only that
# the transfer arrived.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/lib/bed.sh"
need_root
read -ra WALK <<<"${WALK_PATH:-fa2 fa3 fa4 fa3 fa2}"
[[ ${WALK[*]} != none ]] || WALK=()
STEP_S=${WALK_STEP_S:-2.5}
BYTES=$((20 * 1024 * 1024))
TMP=$(mktemp -d /tmp/walk-link.XXXXXX)

bed_start --fas 4 --rate 10000 --ber "${WALK_BER:-0}" --routing static
cn_tcp() {
	on cn nstat -asz TcpExtTCPTimeouts TcpRetransSegs TcpExtTCPLossProbes | awk '
		$1 == "TcpExtTCPTimeouts" {t = $2} $1 == "TcpRetransSegs" {r = $2} $1 == "TcpExtTCPLossProbes" {p = $2}
		END {print t + 0, r + 0, p + 0}'
}
read -r rto0 rtx0 tlp0 <<<"$(cn_tcp)"
bg_on mh "$BUILD/mml-xfer" recv -p 7500 -t 20 -g "$TMP/gaps" >"$TMP/recv.out" 2>&1
on cn "$BUILD/mml-xfer" send -c 10.1.0.10 -p 7500 -n $BYTES -R 5 -t 20 >"$TMP/send.out" 2>&1 &
send=$!
t0=$(date +%s.%N)
: >"$TMP/walk"
for i in "${!WALK[@]}"; do
	sleep "$(awk -v t0="$t0" -v i="$i" -v s="$STEP_S" -v now="$(date +%s.%N)" \
		'BEGIN { d = t0 + s * (i + 0.8) - now; print (d > 0 ? d : 0) }')"
	bed handoff "${WALK[i]}" | awk -v fa="${WALK[i]}" '
		/handoff link-down/ {d = $2} /handoff link-up/ {u = $2} /handoff routes/ {r = $2}
		END {print fa, d, r, u}' >>"$TMP/walk"
done
wait "$send"
wait "${BG_PIDS[@]}"
read -r rto1 rtx1 tlp1 <<<"$(cn_tcp)"
secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$TMP/recv.out")
check "20 MB CN -> MH arrived (${secs:-?} s)" test "$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/recv.out")" = \
	"$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/send.out")"
python3 -c '
import statistics, sys
gaps = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
rows = [l.split() for l in open(sys.argv[2])]
longest = []
for i, (fa, th, tr, tu) in enumerate(rows):
    th, tr, tu = float(th), float(tr), float(tu)
    end = float(rows[i + 1][1]) if i + 1 < len(rows) else float("inf")
    longest.append(max([g for t, _, g in gaps if th < t < end], default=0) * 1e3)
    print("walk-link: handoff %d to %s: link-down -> link-up %.1f ms -> routes %.1f ms, "
          "longest gap %.1f ms" % (i + 1, fa, (tu - th) * 1e3, (tr - tu) * 1e3, longest[-1]))
print("walk-link: tcp: %d handoffs, %s s, longest gap per handoff median %.1f ms max %.1f ms, "
      "CN retransmission timeouts %d, loss probes %d, retransmitted segments %d" %
      (len(rows), sys.argv[3], statistics.median(longest) if longest else 0,
       max(longest, default=0), int(sys.argv[4]), int(sys.argv[6]), int(sys.argv[5])))
' "$TMP/gaps" "$TMP/walk" "${secs:-0}" $((rto1 - rto0)) $((rtx1 - rtx0)) $((tlp1 - tlp0))
rm -rf "$TMP"
summary
