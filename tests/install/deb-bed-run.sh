#!/usr/bin/env bash
# The product bed run from the installed package (tests/install/deb-bed.sh
# calls it with BUILD an overlay whose mmlctl, mmlkeyd and mmlworker are
# the package's /usr/sbin binaries): mmlkeyd started as its unit starts it
# (-F -f CONFIG), the MH's registration and ML-IKE, a transfer in ML-ESP,
# the counters read in Prometheus' format from the installed mmlctl.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/tests/ike/bed-lib.sh"

ike_suite deb-bed
ike_setup --rate 1000000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"
wait_init 1 || die "initialisation not complete"

exe_of() { readlink "/proc/$1/exe"; }
for n in ha fa1 mh; do
	check "$n: mmlkeyd is the installed binary ($(exe_of "${KEYD_PID[$n]}"))" \
		test "$(exe_of "${KEYD_PID[$n]}")" = /usr/sbin/mmlkeyd
done
workers=$(for p in "${PIDS[@]}"; do [[ $(exe_of "$p") == /usr/sbin/mmlworker ]] && echo "$p"; done | wc -l)
check "the workers are the installed binary ($workers)" test "$workers" -ge 2

ike_transfer $((4 * 1024 * 1024))
check "4 MB CN -> MH in ML-ESP through the installed data plane" ike_sha_ok "$XFER_SENT" "$XFER_RCVD"

prom() { x "$1" /usr/sbin/mmlctl -n "$PREFIX-$1" stats --prometheus; }
prom ha >"$TMP/ha.prom" 2>&1
prom fa1 >"$TMP/fa1.prom" 2>&1
check "HA: its counters in Prometheus' format, labelled with node and role" \
	grep -qE "^mmlipsec_[a-z0-9_]+_total\\{node=\"$PREFIX-ha\",role=\"ha\"\\} [0-9]+$" "$TMP/ha.prom"
check "HA: the worker's ML-ESP packets counted (ep_encap_mlesp > 0)" \
	grep -qE "^mmlipsec_ep_encap_mlesp_total\\{[^}]*\\} [1-9][0-9]*$" "$TMP/ha.prom"
check "HA: mmlkeyd's ML-IKE counters" grep -qE "^mmlipsec_ike_[a-z0-9_]+" "$TMP/ha.prom"
check "FA1: zone 1 verified (fwd_mlesp > 0)" \
	grep -qE "^mmlipsec_fwd_mlesp_total\\{node=\"$PREFIX-fa1\",role=\"fa\"\\} [1-9][0-9]*$" "$TMP/fa1.prom"
check "every line a HELP, a TYPE or a sample" \
	test "$(grep -cvE '^(# (HELP|TYPE) mmlipsec_|mmlipsec_[a-z0-9_]+(\{[^}]*\})? [0-9]+$)' "$TMP/ha.prom")" -eq 0
summary
