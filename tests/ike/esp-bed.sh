#!/usr/bin/env bash
# ESP mode keyed by IKE on the shared test bed (the paper's "MIP with IPsec"
# column), no key typed by hand: the product as in tests/ike/bed-lib.sh,
# with a plain CHILD_SA in the IKE SA between HA and MH (`child = true;` on
# both peers, ESP_ALG: aes256gcm16 or chacha20poly1305) and the HA rekeying
# it every 2 s (child_rekey_time). Then
#   1. MH and HA hold an ESP-format CSA pair from the CHILD_SA, each one's
#      outbound the other's inbound byte for byte, the bindings name it, and
#      no FA holds its SPIs or any of its key bytes;
#   2. with every flow in ESP mode (mmlctl flow add mode esp at both ends),
#      8 MB CN -> MH and 8 MB MH -> CN over a 16 Mbit/s bed (about 4 s
#      each, so CHILD_SA rekeys happen during both) arrive with equal
#      SHA-256; the endpoints sent and received ESP, FA1 forwarded it opaque
#      (no zone-1 verification, no tag drop), and the SPIs changed;
#   3. after the rekeys each end holds exactly one pair again (the old ones
#      removed) and the pairs still mirror each other;
#   4. the MH's deregistration (its IKE SA deleted) removes them at both ends;
# and an FA's configuration with child = true is refused.
# Runtime about 30 s. Exit 77 when the bed or a data-plane piece is missing.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
. "$TOP/tests/ike/bed-lib.sh"
ESP_ALG=${ESP_ALG:-aes256gcm16}
MB8=$((8 * 1024 * 1024))
ike_suite "ike-esp${SUITE_TAG:-}"

IKE_HA_MH_EXTRA="child = true; esp = \"$ESP_ALG\"; local_ts = \"0.0.0.0/0\";
    remote_ts = \"$HOME_ADDR/32\"; child_rekey_time = 2;"
IKE_MH_HA_EXTRA="child = true; esp = \"$ESP_ALG\"; local_ts = \"$HOME_ADDR/32\";
    remote_ts = \"0.0.0.0/0\";"
ALG_ID=$([[ $ESP_ALG == aes256gcm16 ]] && echo 2 || echo 1) # enum mml_alg
ike_setup --rate 16000 || die "setup failed"
ike_mh_start || die "mmlkeyd on the MH"

# The ESP-format CSAs of a node: "spi dir alg key|salt" per line.
esp_csas() {
	bpftool -j map dump pinned "/sys/fs/bpf/mmlipsec/$PREFIX-$1/mml_csa" 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    v = e.get("formatted", e)["value"]
    if v["format"] != 2:
        continue
    z = v["zone"][0]
    h = lambda k: "".join("%02x" % (int(x, 0) if isinstance(x, str) else x) for x in k)
    print(v["spi"], v["dir"], z["alg"], h(z["key"]) + h(z["salt"]))'
}

# One pair at each end, MH's outbound (dir 2) = HA's inbound (dir 1) and the
# reverse, same algorithm: "spi key" of each side with the direction
# swapped on the MH's side.
esp_mirror() {
	local ha mh
	ha=$(esp_csas ha) mh=$(esp_csas mh)
	[[ $(wc -l <<<"$ha") -eq 2 && $(wc -l <<<"$mh") -eq 2 && -n $ha ]] || return 1
	[[ $(awk '{print $3}' <<<"$ha$(printf '\n')$mh" | sort -u) == "$ALG_ID" ]] || return 1
	[[ $(awk '{print $1, $2, $4}' <<<"$ha" | sort) == \
		"$(awk '{print $1, 3 - $2, $4}' <<<"$mh" | sort)" ]]
}
# Checks wait (wait_for, bed-lib.sh): the HA rekeys every 2 s, so a look
# may fall in the middle of one (four CSAs, the binding moving); a lasting
# fault does not go away.

# The binding's ESP SPIs ("out in") name the node's own pair.
binding_esp() {
	ctl "$1" -j binding list | python3 -c "
import json, sys
for b in json.load(sys.stdin):
    if b['home'] == '$HOME_ADDR':
        print('%08x %08x' % (b['esp-out'], b['esp-in']))"
}
binding_names_pair() {
	local n=$1 c
	c=$(esp_csas "$n")
	[[ $(wc -l <<<"$c") -eq 2 &&
		$(binding_esp "$n") == "$(awk '$2 == 2 {printf "%08x ", $1}' <<<"$c")$(awk '$2 == 1 {printf "%08x", $1}' <<<"$c")" ]]
}
bindings_ok() { binding_names_pair ha && binding_names_pair mh; }

# Neither the SPIs nor the first 16 bytes of any ESP key in FA's maps.
# shellcheck disable=SC2046 # one word per key
fa_blind() {
	[[ -z $(awk 'NR == FNR {s[$1]; next} $1 in s' <(esp_csas ha) <(csas "$1")) ]] &&
		! ike_maps_hold "$1" $(awk '{print substr($4, 1, 32)}' <<<"$(esp_csas ha)")
}

n_rekeys() { grep -c "peer mh: CHILD_SA .* rekeyed by our CREATE_CHILD_SA" "$TMP/keyd-ha.log"; }

# xfer FROM RECEIVER-NODE RECEIVER-ADDR BYTES: one TCP transfer; sets S, R
# (sha256 of each side, "none" when missing).
xfer() {
	IKE_PORT=$((IKE_PORT + 1))
	x "$2" timeout 120 "$BUILD/mml-xfer" recv -p $IKE_PORT -t 20 >"$TMP/recv.out" 2>&1 &
	PIDS+=("$!")
	x "$1" timeout --foreground 120 "$BUILD/mml-xfer" send -c "$3" -p $IKE_PORT -n "$4" \
		-s $IKE_PORT -R 5 -t 20 >"$TMP/send.out" 2>&1
	wait "${PIDS[-1]}"
	unset 'PIDS[-1]'
	S=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/send.out")
	R=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$TMP/recv.out")
}

# ------------------------------------------------ 1: the pair from the CHILD_SA
for _ in $(seq 200); do
	[[ $(n_init) -ge 1 && $(esp_csas mh | wc -l) -ge 2 ]] && break
	sleep 0.05
done
check "ML-IKE initialisation done and the MH holds ESP CSAs" test "$(n_init)" -ge 1 -a "$(esp_csas mh | wc -l)" -ge 2
check "MH and HA hold one ESP pair ($ESP_ALG), each outbound the other's inbound byte for byte" wait_for 3 esp_mirror
check "the HA's and the MH's bindings name their ESP pair" wait_for 3 bindings_ok
fas_blind() { fa_blind fa1 && fa_blind fa2; }
check "FA1 and FA2 hold neither its SPIs nor a byte string of its keys" fas_blind
check "no ESP CSA at FA1 or FA2" test -z "$(esp_csas fa1)$(esp_csas fa2)"
check "mmlctl ike show counts the ESP CHILD_SA" test "$(ike_json ha "d['esp_child_sas']")" -ge 1
# An FA configured for a CHILD_SA is refused when its ike section is read,
# before anything is bound or installed (the ike section alone: FA1's whole
# file would meet FA1's running daemon first; a node name of its own, or
# FA1's daemon's lock refuses it before its configuration is read).
cat >"$TMP/fa-child.conf" <<EOC
node = "$PREFIX-fa1x";
$(ike_config fa1 | sed 's|\(psk_file = "[^"]*"; \)}|\1child = true; local_ts = "0.0.0.0/0"; remote_ts = "0.0.0.0/0"; }|')
EOC
chmod 0600 "$TMP/fa-child.conf" # a file naming keys must be (mmlkeyd checks that first)
check "an FA with child = true is refused" has "child = true (ESP mode) is for MH and HA, not an FA" \
	x fa1 timeout 5 "$KEYD" -F -f "$TMP/fa-child.conf"

# ------------------------------------------------ 2: transfers in ESP mode, rekeys
ctl ha flow add mode esp || die "flow add at the HA"
ctl mh flow add mode esp || die "flow add at the MH"
for dir in down up; do
	declare -A c0=()
	for k in ha.ep_encap_esp ha.ep_deliver_esp mh.ep_encap_esp mh.ep_deliver_esp \
		ha.ep_drop_tag_esp mh.ep_drop_tag_esp ha.ep_drop_unknown_spi mh.ep_drop_unknown_spi \
		ha.ep_drop_spoof mh.ep_drop_spoof fa1.fwd_mlesp fa1.fwd_esp fa1.fwd_unknown_spi \
		fa1.drop_bad_tag; do
		c0[$k]=$(counter "${k%%.*}" "${k#*.}")
	done
	d() { echo $(($(counter "${1%%.*}" "${1#*.}") - c0[$1])); }
	spis0=$(esp_csas ha | awk '{print $1}' | sort | tr '\n' ' ')
	r0=$(n_rekeys)
	if [[ $dir == down ]]; then
		xfer cn mh $HOME_ADDR $MB8
		what="8 MB CN -> MH in ESP mode" snd=ha rcv=mh
	else
		xfer mh cn $CN_ADDR $MB8
		what="8 MB MH -> CN in ESP mode" snd=mh rcv=ha
	fi
	same_sha "$what" "${S:-none} ${R:-none}"
	check "$dir: $snd sent in ESP mode ($(d $snd.ep_encap_esp) packets), $rcv delivered ESP ($(d $rcv.ep_deliver_esp))" \
		test "$(d $snd.ep_encap_esp)" -gt 5000 -a "$(d $rcv.ep_deliver_esp)" -gt 5000
	check "$dir: no ESP ICV failure at either end" test "$(d ha.ep_drop_tag_esp)$(d mh.ep_drop_tag_esp)" = 00
	check "$dir: FA1 forwarded the ESP opaque ($(d fa1.fwd_unknown_spi) packets), verified no zone 1 ($(d fa1.fwd_mlesp)), dropped no tag" \
		test "$(d fa1.fwd_unknown_spi)" -ge "$(d $snd.ep_encap_esp)" -a "$(d fa1.fwd_mlesp)" -eq 0 \
		-a "$(d fa1.fwd_esp)" -eq 0 -a "$(d fa1.drop_bad_tag)" -eq 0
	# What the SPI switches cost (TCP resends it): for the report, no bound.
	echo "info: $dir: dropped across the rekeys: unknown SPI HA $(d ha.ep_drop_unknown_spi) MH $(d mh.ep_drop_unknown_spi), spoof (old SPI after the binding moved) HA $(d ha.ep_drop_spoof) MH $(d mh.ep_drop_spoof)"
	check "$dir: the HA rekeyed the CHILD_SA during the transfer ($(($(n_rekeys) - r0)) times) and the SPIs changed" \
		test $(($(n_rekeys) - r0)) -ge 1 -a "$(esp_csas ha | awk '{print $1}' | sort | tr '\n' ' ')" != "$spis0"
done

# ------------------------------------------------ 3: after the rekeys
check "after $(n_rekeys) rekeys: one ESP pair at each end, mirrored" wait_for 3 esp_mirror
check "the bindings name the current pair" wait_for 3 bindings_ok
check "FA1 still blind to the ESP keys" fa_blind fa1

# ------------------------------------------------ 4: deregistration
ike_mh_stop
gone() {
	for _ in $(seq 100); do
		[[ -z $(esp_csas ha)$(esp_csas mh) ]] && return 0
		sleep 0.05
	done
	return 1
}
check "the IKE SA's end removed the ESP CSAs at HA and MH" gone
no_esp_spis() { [[ $(binding_esp ha) == "" || $(binding_esp ha) == "00000000 00000000" ]]; }
check "the HA's binding no longer names ESP SPIs (or is gone)" no_esp_spis

echo "$SUITE: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
