#!/usr/bin/env bash
# Suite experiments-report: experiments/report.py against fixed inputs
# (experiments/tests/fixtures/: a cut of the committed Fig. 14 paper-profile
# CSV, bench outputs as the benches print them), no bed, a second or two.
# Every parser finds its numbers; the Fig. 14 ratios and targets agree with
# experiments/targets.sh, an independent computation over the same CSV; the
# report has no empty cell and says why a cell has no number; summary.json
# parses and holds what the report shows.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
EXP=$(cd "$HERE/.." && pwd)
. "$HERE/../../tests/lib/check.sh"
T=$(mktemp -d /tmp/exp-report-unit.XXXXXX)
trap 'rm -rf "$T"' EXIT

cp -r "$HERE/fixtures/." "$T/"
echo paper >"$T/profile"
# The runs as a manifest names them; fig15 failed, fig17 was not reached.
cat >"$T/manifest.txt" <<'EOF'
paper codec        none 40 codec       x
paper ep-cost      none 2  ep_cost     x
paper snoop-cost   none 8  snoop_cost  x
paper functions    none 20 functions   x
paper functions-xsk bed 3  functions   x
paper fa           bed 40  fa          x
paper mlike        bed 30  mlike       x
paper fig14        bed 9000 fig14      x
paper fig15        bed 900 fig15       x
paper fig17        self 2700 fig17     x
paper handoff      bed 240 handoff     x
paper rekey        bed 180 rekey       x
paper mip-handoff  bed 40  mip_handoff x
paper scale        bed 120 scale       x
paper tunnel       bed 300 tunnel      x
paper reno-ref-before bed 700 fig14    x
paper snoop-handoff bed 600 snoop_handoff x
paper fig14-keyed  bed 6000 fig14      x
EOF
mkdir -p "$T/fig15"
printf 'rc=1\nseconds=3\n' >"$T/fig15/meta"

# extract: every parser, at least the numbers below.
declare -A MIN=([codec]=72 [ep-cost]=9 [snoop-cost]=6 [functions]=31 [functions-xsk]=3 [fa]=13 [fig14]=80
	[handoff]=30 [rekey]=7 [mip-handoff]=4 [scale]=4 [tunnel]=10 [mlike]=11 [reno-ref-before]=16
	[snoop-handoff]=36 [fig14-keyed]=12)
while read -r _ id _ _ parser _; do
	[[ -n ${MIN[$id]:-} ]] || continue
	python3 "$EXP/report.py" extract "$parser" "$T/$id" >/dev/null 2>&1
	n=$(($(wc -l <"$T/$id/metrics.csv") - 1))
	[[ $n -ge ${MIN[$id]} ]] && ok "extract $parser: $n numbers" || bad "extract $parser: $n numbers, expected >= ${MIN[$id]}"
	printf 'rc=0\nseconds=1\n' >"$T/$id/meta"
	touch "$T/$id/done"
done <"$T/manifest.txt"
check "extract: a log without numbers fails" \
	bash -c "mkdir -p '$T/empty' && echo nothing >'$T/empty/raw.log' && ! python3 '$EXP/report.py' extract codec '$T/empty' >/dev/null 2>&1"

check "report runs" python3 "$EXP/report.py" report "$T" --paper "$EXP/paper.json"
check "summary.json parses" python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$T/summary.json"

# summary.json NAME: one number of it ('numbers', 'paper' or 'targets').
get() {
	python3 - "$T/summary.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = d
for k in sys.argv[2:]:
    v = v[k]
print(v if not isinstance(v, float) else "%.4f" % v)
EOF
}
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 0.01 * (b < 0 ? -b : b) + 1e-9) }'; }

# Fig. 14: the same numbers as experiments/targets.sh over the same CSV.
tgt=$("$EXP/targets.sh" "$T/fig14/results.csv")
want=$(sed -n 's/^| SNOOP+MML >= 3x MML at 1\/64K | \([0-9.]*\)x.*/\1/p' <<<"$tgt")
got=$(get targets "f14-3x@fig14" ours)
close "$got" "$want" && ok "SNOOP+MML / MML at 1/64K: $got, targets.sh $want" || bad "SNOOP+MML / MML at 1/64K: $got, targets.sh $want"
want=$(sed -n 's/^| mean gain of SNOOP+MML over IPsec.*| +\([0-9.]*\) % over 4 BERs.*/\1/p' <<<"$tgt")
got=$(get targets "f14-165@fig14" ours)
close "$got" "$want" && ok "mean gain over IPsec: $got %, targets.sh $want %" || bad "mean gain over IPsec: $got %, targets.sh $want %"
# SNOOP / Reno at 1/64K from the table targets.sh prints.
want=$(awk -F'|' '$2 == " 1/64K " { gsub(/[ x]/, "", $8); print $8 }' <<<"$tgt")
got=$(get paper "f14-snoop-reno-64k@fig14" ours)
close "$got" "$want" && ok "SNOOP / Reno at 1/64K: $got, targets.sh ${want}x" || bad "SNOOP / Reno at 1/64K: $got, targets.sh ${want}x"
v=$(get targets "f14-95@fig14" verdict)
[[ $v == met || $v == "NOT met" ]] && ok "a verdict for MML >= 95 % of plaintext ($v)" || bad "no verdict for MML >= 95 % of plaintext ($v)"

# The parsers' numbers, as the fixtures print them.
for want in "handoff:table3:pkd:handoff_ms 0.6500" "handoff:table3:dkm:init_ms 8.1600" "handoff:table2:nn:responder_ms 0.0110" \
	"handoff:table2:dkm:sum_ms 0.1160" "mlike:ike_sa_sum_ms 0.6990" "handoff:messages_worst_ms 0.0700" "rekey:sum_ms 0.2750" "rekey:lost 0.0000" \
	"scale:ike_inits_per_s 5389.0000" "scale:fa_zone1_ratio 1.0010" "fa:1400:mlesp_zone1_ns 431.0000" \
	"fa:openssl_seal_ns 380.0000" "mip-handoff:l3_handoff_ms 0.9200" "tunnel:mlesp:down_mbps 4000.0000" \
	"snoop-cost:snoop_64conn_ns 197.3000" "ep-cost:ml-esp_z2_aes256gcm:mh_decap_ns 1096.0000" \
	"functions:snoop_done_ns 42.8000" "functions:decap_join_ns 7.0000" "functions:load 2.3200"; do
	set -- $want
	got=$(get numbers "$1" 2>/dev/null)
	[[ $got == "$2" ]] && ok "$1 = $got" || bad "$1 = ${got:-missing}, expected $2"
done
got=$(get paper t2-csa-responder ours)
[[ $got == 0.1210 ]] && ok "Table 2 MLIKE CSA establish, responder: $got ms" || bad "Table 2 MLIKE CSA establish, responder: $got, expected 0.1210"
# Table 6's encryption: zone 2's raw seal (1e9 / 368174 per s) + zone 1's Nettle seal (673 ns), in µs.
got=$(get paper t6-encrypt ours)
[[ $got == 3.3891 ]] && ok "Table 6 encryption*: $got µs" || bad "Table 6 encryption*: $got, expected 3.3891"
# Table 6 from bench-functions: ep_unprotect's own work, a remainder of two
# timings each without its copy: (1139.4 - 22.2) - (1025.0 - 23.4) ns in µs.
got=$(get paper t6-rcv-others ours)
[[ $got == 0.1156 ]] && ok "Table 6 ipsec_rcv others: $got µs" || bad "Table 6 ipsec_rcv others: $got, expected 0.1156"
# The encapsulation's others: 983.5 - (25.4 + 317.1 + 620.6) ns.
got=$(get paper t6-enc-others ours)
[[ $got == 0.0204 ]] && ok "Table 6 encapsulation others: $got µs" || bad "Table 6 encapsulation others: $got, expected 0.0204"
# The worker's AF_XDP transmit beside the paper's ip_send, in µs.
got=$(get paper t6-ipsend ours)
[[ $got == 1.8216 ]] && ok "Table 6 ip_send: $got µs" || bad "Table 6 ip_send: $got, expected 1.8216"
got=$(get paper t7-snoop-garbage-timeout ours)
[[ $got == 0.0224 ]] && ok "Table 7 snoop_garbage_timeout: $got µs" || bad "Table 7 snoop_garbage_timeout: $got, expected 0.0224"
check "report.md: a function without a counterpart says why" grep -q "no counterpart: an AEAD" "$T/report.md"
# Table 7: bench-snoop-cost's ns in the paper's µs.
got=$(get paper t7-snoop-ctrl-64 ours)
[[ $got == 0.1973 ]] && ok "snoop_ctrl (64 connections) in µs: $got" || bad "snoop_ctrl (64 connections) in µs: $got, expected 0.1973"

# Issue 23's cells (fixtures cut from the quick runs of docs/results.md):
# the pure-TCP reference with the loss before the rate limiter, SNOOP
# across handoffs, Fig. 14 keyed by ML-IKE.
want=$(awk -F, '$5 == "1/64K" {g = $10} $5 == "0" {z = $10} END {printf "%.4f", 100 * g / z}' "$T/reno-ref-before/results.csv")
got=$(get paper ref-before-64k ours)
close "$got" "$want" && ok "pure Reno at 1/64K, loss before the limiter: $got % of error-free (CSV: $want)" ||
	bad "pure Reno at 1/64K, loss before the limiter: $got, CSV $want"
want=$(awk -F, '$1 == "dkm" && $2 == "snoop-mmlipsec" {printf "%.4f", $5 / 1e6}' "$T/snoop-handoff/results.csv")
got=$(get paper "f14-snoop-handoff@dkm" ours)
close "$got" "$want" && ok "SNOOP+MML across DKM handoffs: $got Mbit/s (CSV: $want)" ||
	bad "SNOOP+MML across DKM handoffs: $got, CSV $want"
want=$(awk -F, '$1 == "pkd" && $2 == "ipsec" {printf "%.4f", $8}' "$T/snoop-handoff/results.csv")
got=$(get paper "f14-snoop-handoff-stall-ipsec@pkd" ours)
close "$got" "$want" && ok "IPsec stall per PKD handoff: $got ms (CSV: $want)" || bad "IPsec stall per PKD handoff: $got, CSV $want"
got=$(get numbers "snoop-handoff:pkd:snoop-mmlipsec:old_fa_cached_segs_mean" 2>/dev/null)
[[ -n $got ]] && ok "the old FA's SNOOP cache at the handoffs: $got segments on average" ||
	bad "no number for the old FA's SNOOP cache at the handoffs"
want=$(awk -F, '$1 == "mmlipsec" && $5 == "0" {printf "%.4f", $10 / 1e6}' "$T/fig14-keyed/results.csv")
got=$(get numbers "fig14-keyed:mmlipsec:0:goodput_mbps" 2>/dev/null)
close "$got" "$want" && ok "Fig. 14 keyed by ML-IKE, MML at BER 0: $got Mbit/s (CSV: $want)" ||
	bad "Fig. 14 keyed by ML-IKE, MML at BER 0: ${got:-missing}, CSV $want"
# keyed / static per BER both fixtures have (0 and 1/64K), then their mean.
want=$(awk -F, 'FNR == 1 {f++} $1 != "mmlipsec" || FNR == 1 {next}
	f == 1 {k[$5] = $10} f == 2 {s[$5] += $10; n[$5]++}
	END {for (b in k) if (b in n) {r += k[b] / (s[b] / n[b]); m++} printf "%.4f", r / m}' \
	"$T/fig14-keyed/results.csv" "$T/fig14/results.csv")
got=$(get paper f14-keyed ours)
close "$got" "$want" && ok "f14-keyed: MML keyed / static $got (CSVs: $want)" || bad "f14-keyed: $got, CSVs $want"

# The report: no empty cell; a failed run, a run not in the profile and a
# number not measured yet each say so.
empty=$(grep -n '^|' "$T/report.md" | grep -E '\|\s*\|' | head -3)
[[ -z $empty ]] && ok "report.md: no empty cell" || bad "report.md: empty cells: $empty"
check "report.md: the failed run's cells say so" grep -q "run fig15: failed (rc 1)" "$T/report.md"
check "report.md: a run outside the profile says so" grep -q "not in this profile (run fig14-modern)" "$T/report.md"
n=$(grep -c "not measured yet: " "$T/report.md")
# As many as paper.json has cells marked missing (one per run they name).
want=$(python3 -c 'import json, sys
print(sum(len(e.get("runs", [0])) for e in json.load(open(sys.argv[1]))["values"] if e.get("missing")))' "$EXP/paper.json")
[[ $n -ge 1 && $n -eq $want ]] && ok "report.md: $n cells not measured yet, each with its reason" ||
	bad "report.md: $n cells not measured yet, paper.json marks $want"
check "report.md: the list of cells more than 2x from the paper" grep -q "^## More than 2× from the paper" "$T/report.md"
summary
