#!/usr/bin/env bash
# Issue 19 on the endpoint bed (static keys through mmlctl, BER 0, 20 Mbit/s):
#   1. forged plaintext: UDP datagrams with the 5-tuple of a protected flow
#      (CN:SPORT -> MH:DPORT, ML-ESP), sent plaintext in the Mobile IP tunnel
#      from the wired side (the HA's namespace, outer source the HA, as any
#      box on the HA-FA wire could), never reach the MH's application and
#      are each counted (ep_drop_downgrade); a genuine datagram of the same
#      5-tuple through the HA does arrive, and with the flow configured
#      `accept plain` the same forgeries do (the check can fail);
#   2. a 48 MB CN -> MH transfer switched ML-ESP -> ESP -> ML-ESP every 10th
#      -> ML-ESP while it runs, each switch in the configured order (both
#      receivers accept the weaker mode first, docs/endpoints.md "Switching
#      modes"): SHA-256 equal, each mode seen in its phase, in the every-10th
#      phase exactly one downlink packet in ten (+-1) protected, and the FA's
#      zone-1 verifications bounded by the ML-ESP packets sent; the
#      every-10th flow's plaintext delivered by the workers at both ends
#      (one receive path), and tshark on the air side of FA1's link shows
#      each phase's mix of ML-ESP, ESP and plaintext frames per direction.
#   3. the default entry's counters in `mmlctl -j flow list` (mml_flow_ctr):
#      at the HA sent per mode grows in each phase as the stats do, one in
#      ten protected in the every-10th phase; at the MH received per mode.
# Runtime about 40 s. Exit 77 when the bed is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
BED=$TOP/tests/netns/bed.sh
CTL=$BUILD/mmlctl

SUITE=ep-modes
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # ok, bad, check, has, skip; pass, fail
[[ $(id -u) -eq 0 ]] || skip "needs root"
[[ -x $BED ]] || skip "no test bed (tests/netns/bed.sh)"
for f in "$CTL" "$BUILD/mmlworker" "$BUILD/mml-xfer"; do
	[[ -x $f ]] || skip "missing $f (run make)"
done

. "$TOP/tests/ep/common.sh"
ep_bed_start ep-modes --rate 20000
mode mlesp

# ---------------------------------------------------------------- 1. forged plaintext

SPORT=40001 DPORT=9001
drops0=$(counter mh ep_drop_downgrade)
got=$(forge_round ha $HA_ADDR $COA $SPORT $DPORT 20)
drops1=$(counter mh ep_drop_downgrade)
echo "ep-modes: protected flow, the application got: ${got:-nothing}"
check "a genuine datagram of the protected flow arrives" has "genuine=1" echo "$got"
check "no forged plaintext datagram reaches the application" test "${got/forged/}" == "$got"
check "each forgery counted at the MH: ep_drop_downgrade +20 ($((drops1 - drops0)))" \
	test $((drops1 - drops0)) -eq 20

# The control: the same flow configured to accept plaintext lets them in.
ctl mh flow add proto udp home-port $DPORT mode mlesp accept plain ||
	bad "flow add ... accept plain at the MH"
got=$(forge_round ha $HA_ADDR $COA $SPORT $DPORT 20)
echo "ep-modes: flow accepting plaintext, the application got: ${got:-nothing}"
check "with accept plain the forgeries do arrive (the check can fail)" has "forged=20" echo "$got"
check "  and are not counted" test "$(counter mh ep_drop_downgrade)" -eq "$drops1"
ctl mh flow del proto udp home-port $DPORT || bad "flow del at the MH"

# ---------------------------------------------------------------- 2. switches

# both ARGS: the same flow entry (the default key) at both ends.
both() { ctl ha flow add "$@" && ctl mh flow add "$@"; }
# switch FROM-ARGS -- TO-ARGS ACCEPT: receivers accept ACCEPT (the weaker of
# the two) first, then senders switch, then the acceptance goes.
switch() {
	local from=() to=() acc
	while [[ $1 != -- ]]; do
		from+=("$1")
		shift
	done
	shift
	acc=${*: -1}
	to=("${@:1:$#-1}")
	both "${from[@]}" accept "$acc" && sleep 0.3 &&
		both "${to[@]}" accept "$acc" && sleep 0.3 &&
		both "${to[@]}"
}
snap() { # NAME: the counters compared below, one stats read per node
	local n
	for n in ha mh; do
		eval "$(ctl "$n" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in ("ep_encap_plain", "ep_encap_esp", "ep_encap_mlesp", "ep_deliver_plain"):
    print("snap_%s_%s_%s=%d" % (sys.argv[1], sys.argv[2], c, d[c]))' "$1" "$n")"
	done
	eval "snap_$1_fa=$(counter fa1 fwd_mlesp)"
	# The default entry's counters (mml_flow_ctr), 0 when not shown.
	for n in ha mh; do
		eval "$(ctl "$n" -j flow list | python3 -c '
import json, sys
e = [f for f in json.load(sys.stdin) if f["home"] == f["peer"] == "0.0.0.0"
     and not f["proto"] and not f["home-port"] and not f["peer-port"]]
for c in ("sent-plain", "sent-esp", "sent-mlesp", "recv-plain", "recv-esp", "recv-mlesp",
          "refused"):
    print("snap_%s_%s_flow_%s=%d" % (sys.argv[1], sys.argv[2], c.replace("-", "_"),
                                    e[0].get(c, 0) if e else 0))' "$1" "$n")"
	done
	eval "snap_$1_t=$(date +%s.%N)" # the capture's phases (below)
}
d() { # NODE COUNTER FROM TO
	local a b
	eval "a=\$snap_$3_$1_$2 b=\$snap_$4_$1_$2"
	echo $((b - a))
}

port=7100
MB=$((48 * 1024 * 1024)) # about 20 s at 20 Mbit/s: longer than the switches and snapshots on a loaded machine
# The air side of FA1's wireless link, headers only: what the transfer's
# packets look like there (tshark below).
CAP=""
if command -v tshark >/dev/null; then
	CAP=$TMP/modes.pcap
	x air timeout 90 tshark -q -B 64 -s 128 -i c1-fa -w "$CAP" \
		-f "ip proto 50 or tcp port $port" >"$TMP/tshark.log" 2>&1 &
	cpid=$!
	sleep 1.5
fi
x mh timeout 90 "$BUILD/mml-xfer" recv -p $port -t 30 >"$TMP/recv.out" 2>&1 &
rpid=$!
sleep 0.3
x cn timeout 90 "$BUILD/mml-xfer" send -c $HOME_ADDR -p $port -n $MB -s $port -R 5 -t 30 \
	>"$TMP/send.out" 2>&1 &
spid=$!
sleep 0.5
snap a0
sleep 0.5
snap a
switch mode mlesp -- mode esp esp || bad "switch to ESP"
snap b0
sleep 1
snap b1
switch mode esp -- mode mlesp every 10 plain || bad "switch to every 10th"
snap c0
sleep 1.5
snap c1
switch mode mlesp every 10 -- mode mlesp plain || bad "switch back to ML-ESP"
snap d0
sleep 1
snap d1
check "the transfer was still running after the last switch" kill -0 $spid
wait $spid
wait $rpid
if [[ -n $CAP ]]; then
	sleep 0.5
	kill -INT $cpid 2>/dev/null
	wait $cpid
fi
sent=$(grep -o 'sha256=[0-9a-f]*' "$TMP/send.out")
rcvd=$(grep -o 'sha256=[0-9a-f]*' "$TMP/recv.out")
same_sha "48 MB CN -> MH through ML-ESP, ESP, every 10th, ML-ESP" "${sent#sha256=} ${rcvd#sha256=}"

phase() { echo "$(d ha ep_encap_plain "$1" "$2")/$(d ha ep_encap_esp "$1" "$2")/$(d ha ep_encap_mlesp "$1" "$2")"; }
echo "ep-modes: HA downlink plain/esp/mlesp: ESP phase $(phase b0 b1), every-10th phase" \
	"$(phase c0 c1), ML-ESP phase $(phase d0 d1)"
check "ESP phase: ESP only ($(phase b0 b1))" \
	test "$(d ha ep_encap_esp b0 b1)" -gt 100 -a "$(d ha ep_encap_plain b0 b1)" -eq 0 \
	-a "$(d ha ep_encap_mlesp b0 b1)" -eq 0
p=$(d ha ep_encap_plain c0 c1) m=$(d ha ep_encap_mlesp c0 c1)
check "every-10th phase: plaintext and ML-ESP, no ESP ($(phase c0 c1))" \
	test "$p" -gt 100 -a "$m" -gt 10 -a "$(d ha ep_encap_esp c0 c1)" -eq 0
# The entry's one counter over the HA's threads: exactly one packet in ten,
# up to where in the cycle the phase's first and last packets fall.
check "every-10th phase: one in ten protected ($m of $((p + m)))" \
	test $((10 * m - (p + m))) -le 10 -a $((10 * m - (p + m))) -ge -10
check "ML-ESP phase: ML-ESP only ($(phase d0 d1))" \
	test "$(d ha ep_encap_mlesp d0 d1)" -gt 100 -a "$(d ha ep_encap_plain d0 d1)" -eq 0 \
	-a "$(d ha ep_encap_esp d0 d1)" -eq 0

# What tshark shows on the air in each phase (the windows between the
# snapshots, when both ends had switched): per direction the ESP frames by
# SPI (ML-ESP 0x1000 down / 0x2000 up, ESP 0x1100 / 0x2100) and the
# plaintext TCP frames of the transfer.
if [[ -z $CAP ]]; then
	echo "ep-modes: no tshark: the capture's checks not run"
else
	# "PHASE DIR mlesp esp plain" lines for the phases
	tshark -r "$CAP" -T fields -E separator=, -e frame.time_epoch -e ip.dst -e esp.spi \
		-e tcp.srcport -e tcp.dstport 2>/dev/null >"$TMP/modes.csv"
	python3 - "$TMP/modes.csv" $HOME_ADDR $port "mlesp1 $snap_a0_t $snap_a_t" \
		"esp $snap_b0_t $snap_b1_t" "every10 $snap_c0_t $snap_c1_t" \
		"mlesp2 $snap_d0_t $snap_d1_t" >"$TMP/mix" <<'PY'
import sys
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[1])]
home, port = sys.argv[2], sys.argv[3]
kinds = {0x1000: "mlesp", 0x2000: "mlesp", 0x1100: "esp", 0x2100: "esp"}
for ph in sys.argv[4:]:
    name, t0, t1 = ph.split()
    n = {d: {"mlesp": 0, "esp": 0, "other": 0, "plain": 0} for d in ("down", "up")}
    for t, dst, spi, sp, dp in rows:
        if not float(t0) <= float(t) <= float(t1):
            continue
        d = "down" if dst == home else "up"
        if spi:
            n[d][kinds.get(int(spi, 0), "other")] += 1
        elif port in (sp, dp):
            n[d]["plain"] += 1
    for d in ("down", "up"):
        print(name, d, n[d]["mlesp"], n[d]["esp"], n[d]["plain"], n[d]["other"])
PY
	# mix PHASE DIR -> "mlesp esp plain other"
	mix() { awk -v p="$1" -v d="$2" '$1 == p && $2 == d { print $3, $4, $5, $6 }' "$TMP/mix"; }
	echo "ep-modes: tshark on the air, ML-ESP/ESP/plaintext/other frames per phase:" \
		"$(awk '{ printf "%s %s %s/%s/%s/%s; ", $1, $2, $3, $4, $5, $6 }' "$TMP/mix")"
	# only PHASE DIR KIND: KIND frames (more than MIN), no other kind.
	only() {
		local m e p o
		read -r m e p o <<<"$(mix "$1" "$2")"
		case $3 in
		mlesp) [[ ${m:-0} -gt $4 && $e -eq 0 && $p -eq 0 && $o -eq 0 ]] ;;
		esp) [[ ${e:-0} -gt $4 && $m -eq 0 && $p -eq 0 && $o -eq 0 ]] ;;
		esac
	}
	for ph in mlesp1 esp mlesp2; do
		k=${ph%[12]}
		check "tshark, $ph phase: the downlink all $k ($(mix $ph down))" only $ph down "$k" 50
		check "tshark, $ph phase: the uplink all $k ($(mix $ph up))" only $ph up "$k" 5
	done
	# Every 10th: ML-ESP and plaintext only, a contiguous run of the
	# sender's packets of which one in ten (+-1) is protected.
	tenth() {
		local m e p o
		read -r m e p o <<<"$(mix every10 "$1")"
		[[ ${p:-0} -gt $2 && $e -eq 0 && $o -eq 0 ]] &&
			((10 * m - (p + m) <= 10 && 10 * m - (p + m) >= -10))
	}
	check "tshark, every-10th phase: the downlink one in ten ML-ESP, the rest plaintext ($(mix every10 down))" \
		tenth down 100
	check "tshark, every-10th phase: the uplink one in ten ML-ESP, the rest plaintext ($(mix every10 up))" \
		tenth up 10
fi

# One receive path (docs/endpoints.md): the every-10th flow's plaintext
# went through the workers at both ends, and only then (the bounds allow
# for the two nodes' counters being read a few tens of ms apart).
dp=$(d mh ep_deliver_plain c0 c1) hp=$(d ha ep_deliver_plain c0 c1)
check "every-10th phase: the MH's worker delivered the plaintext ($dp, HA sent $p)" \
	test "$dp" -gt 100 -a "$dp" -le "$((p * 5 / 4 + 50))"
check "  the HA's worker too ($hp, MH sent $(d mh ep_encap_plain c0 c1))" \
	test "$hp" -gt 10 -a "$hp" -le "$(($(d mh ep_encap_plain c0 c1) * 5 / 4 + 50))"
check "  and no plaintext through the workers in the other phases" \
	test "$(($(d mh ep_deliver_plain b0 b1) + $(d mh ep_deliver_plain d0 d1) + $(d ha ep_deliver_plain b0 b1) + $(d ha ep_deliver_plain d0 d1)))" -eq 0

snap z
fa=$((snap_z_fa - snap_a_fa))

# ---------------------------------------------------------------- 3. per-flow counters
fphase() { echo "$(d "$3" flow_sent_plain "$1" "$2")/$(d "$3" flow_sent_esp "$1" "$2")/$(d "$3" flow_sent_mlesp "$1" "$2")"; }
echo "ep-modes: flow list at the HA, sent plain/esp/mlesp: ESP phase $(fphase b0 b1 ha)," \
	"every-10th phase $(fphase c0 c1 ha), ML-ESP phase $(fphase d0 d1 ha)"
check "flow list, ESP phase: the entry's sent-esp grows, nothing else ($(fphase b0 b1 ha))" \
	test "$(d ha flow_sent_esp b0 b1)" -gt 100 -a "$(d ha flow_sent_plain b0 b1)" -eq 0 \
	-a "$(d ha flow_sent_mlesp b0 b1)" -eq 0
fp=$(d ha flow_sent_plain c0 c1) fm=$(d ha flow_sent_mlesp c0 c1)
check "flow list, every-10th phase: one in ten sent protected ($fm of $((fp + fm)))" \
	test "$fp" -gt 100 -a $((10 * fm - (fp + fm))) -le 10 -a $((10 * fm - (fp + fm))) -ge -10
check "flow list, ML-ESP phase: sent-mlesp grows, nothing else ($(fphase d0 d1 ha))" \
	test "$(d ha flow_sent_mlesp d0 d1)" -gt 100 -a "$(d ha flow_sent_plain d0 d1)" -eq 0 \
	-a "$(d ha flow_sent_esp d0 d1)" -eq 0
# The counters continue across the switches (the entry keeps its slot):
# at the end they hold at least what the phases added.
check "flow list: the HA's counters grew across the phases" \
	test "$snap_z_ha_flow_sent_esp" -ge "$(d ha flow_sent_esp b0 b1)" \
	-a "$snap_z_ha_flow_sent_plain" -ge "$fp" \
	-a "$snap_z_ha_flow_sent_mlesp" -gt "$(($(d ha flow_sent_mlesp d0 d1) + fm))"
# The same packets as the node's stats count: ESP from before the switch
# to ESP until into the every-10th phase, where no ESP goes out at either
# end of the span (a snapshot's reads of stats and flow list are not at
# one instant; while ESP flows they differ by some hundred packets).
sd=$(d ha ep_encap_esp a c1) fd=$(d ha flow_sent_esp a c1)
check "flow list: the HA's sent-esp = its ep_encap_esp over the ESP phase ($fd, $sd)" \
	test $((fd - sd)) -le 2 -a $((sd - fd)) -le 2 -a "$fd" -gt 100
check "flow list at the MH: ESP and ML-ESP received under the entry" \
	test "$(d mh flow_recv_esp b0 b1)" -gt 10 -a "$(d mh flow_recv_mlesp d0 d1)" -gt 10
# (Stats and flow list are read some tens of ms apart: about a hundred
# packets at this rate.)
rp=$(d mh flow_recv_plain c0 c1)
check "flow list at the MH: the every-10th plaintext received under the entry ($rp, delivered $dp)" \
	test "$rp" -gt 100 -a "$rp" -ge "$((dp * 9 / 10 - 50))" -a "$rp" -le "$((dp * 11 / 10 + 50))" \
	-a "$(($(d mh flow_recv_plain b0 b1) + $(d mh flow_recv_plain d0 d1)))" -eq 0
check "flow list at the MH: no protected packet refused ($snap_z_mh_flow_refused)" \
	test "$snap_z_mh_flow_refused" -eq 0

sent_ml=$(($(d ha ep_encap_mlesp a z) + $(d mh ep_encap_mlesp a z)))
check "the FA verified zone 1 of ML-ESP packets only ($fa <= $sent_ml)" \
	test "$fa" -gt 0 -a "$fa" -le "$sent_ml"
check "no refused downgrade during the agreed switches (HA $(counter ha ep_drop_downgrade), MH $(counter mh ep_drop_downgrade) - 20)" \
	test "$(counter ha ep_drop_downgrade)" -eq 0 -a "$(counter mh ep_drop_downgrade)" -eq 20

summary
