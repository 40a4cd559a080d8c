#!/usr/bin/env bash
# IKEv2 interop with strongSwan's charon, both ways, in two throwaway network
# namespaces: mmlike initiates to charon, then charon initiates to mmlike;
# each time IKE_SA_INIT + IKE_AUTH + a CHILD_SA + a Delete must complete,
# both sides must derive the same CHILD_SA keys (charon prints them at log
# level 4), and the capture must decode as IKEv2 in tshark without malformed
# or warning-level expert items. charon runs with kernel-libipsec (no kernel
# ESP here), which needs UDP encapsulation: encap = yes on its side, NAT
# detection on ours. In between, the side that initiated rekeys the CHILD_SA
# and then the IKE SA by CREATE_CHILD_SA (the CHILD_SA with PFS when
# ESP_PROPOSALS names a group) and deletes the old ones: part 1 checks
# charon's list of SAs against ours. Runtime about 4 s. Exit 77 when charon
# is missing.
set -euo pipefail

BUILD=${BUILD:-build}
MMLIKE=$(realpath "$BUILD/mmlike")
CHARON=/usr/lib/ipsec/charon
[[ $(id -u) -eq 0 ]] || { echo "interop: needs root (skipped)"; exit 77; }
[[ -x $CHARON ]] && command -v swanctl >/dev/null || { echo "interop: strongSwan missing (skipped)"; exit 77; }

P=mi$$
NA=${P}a NB=${P}b
DIR=$(mktemp -d /tmp/mml-interop.XXXXXX)
CHARON_PID= MML_PID= CAP_PID=

interop_cleanup() {
	set +e
	for pid in $MML_PID $CAP_PID $CHARON_PID; do
		kill "$pid" 2>/dev/null && { for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; }
	done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	[[ ${KEEP:-0} == 1 ]] && echo "interop: kept $DIR" || rm -rf "$DIR"
}
trap interop_cleanup EXIT
trap 'exit 130' INT TERM

SUITE=interop DIE_LOGS="$DIR/*.log"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh" # die (DIE_LOGS)

ip netns add "$NA"
ip netns add "$NB"
ip link add "${P}va" type veth peer name "${P}vb"
ip link set "${P}va" netns "$NA"
ip link set "${P}vb" netns "$NB"
ip -n "$NA" addr add 10.201.0.1/24 dev "${P}va"
ip -n "$NB" addr add 10.201.0.2/24 dev "${P}vb"
# Inner (tunnelled) addresses, so that the CHILD_SA does not capture IKE.
ip -n "$NA" addr add 10.202.0.1/32 dev lo
ip -n "$NB" addr add 10.202.0.2/32 dev lo
for ns in "$NA" "$NB"; do
	ip -n "$ns" link set lo up
done
ip -n "$NA" link set "${P}va" up
ip -n "$NB" link set "${P}vb" up

umask 077
# PFS for our CREATE_CHILD_SA when charon's ESP proposals name a group.
PFS=false
[[ ${ESP_PROPOSALS:-} == *x25519* ]] && PFS=true
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/psk"
PSK=$(cat "$DIR/psk")

cat > "$DIR/mml.conf" <<EOC
local = "10.201.0.1";
nat_detection = true;
retransmit_ms = 300;
peers = ( { name = "charon"; address = "10.201.0.2"; local_id = "fqdn:mml.test";
            peer_id = "fqdn:charon.test"; psk_file = "$DIR/psk"; child = true; pfs = $PFS;
            ike = "${IKE_ALG:-aes256gcm16}"; esp = "${ESP_ALG:-aes256gcm16}";
            local_ts = "10.202.0.1/32"; remote_ts = "10.202.0.2/32"; } );
EOC
cat > "$DIR/strongswan.conf" <<EOC
charon {
  port = 500
  port_nat_t = 4500
  retransmit_timeout = 1
  retransmit_tries = 2
  load = random nonce openssl curve25519 aes sha2 hmac kdf gcm chapoly kernel-libipsec kernel-netlink socket-default vici
  filelog {
    mml {
      path = $DIR/charon.log
      default = 1
      ike = 4
      chd = 4
      enc = 1
      flush_line = yes
    }
  }
  plugins {
    vici { socket = unix://$DIR/charon.vici }
  }
}
swanctl { socket = unix://$DIR/charon.vici }
EOC
cat > "$DIR/swanctl.conf" <<EOC
connections {
  mml {
    local_addrs = 10.201.0.2
    remote_addrs = 10.201.0.1
    version = 2
    mobike = no
    encap = yes
    proposals = aes256gcm16-chacha20poly1305-prfsha256-curve25519
    local { auth = psk
            id = charon.test }
    remote { auth = psk
             id = mml.test }
    children {
      c { local_ts = 10.202.0.2/32
          remote_ts = 10.202.0.1/32
          esp_proposals = ${ESP_PROPOSALS:-aes256gcm16-chacha20poly1305}
          mode = tunnel }
    }
  }
}
secrets { ike-1 { id-a = mml.test
                  id-b = charon.test
                  secret = "$PSK" } }
EOC

ip netns exec "$NA" dumpcap -q -i "${P}va" -f udp -w "$DIR/ike.pcapng" > "$DIR/dumpcap.log" 2>&1 &
CAP_PID=$!

# charon with its own config and a private /run (its pid file) inside the
# namespace's own mount namespace; nothing global is touched.
ip netns exec "$NB" sh -c "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$DIR/strongswan.conf exec $CHARON" \
	> "$DIR/charon-stdout.log" 2>&1 &
CHARON_PID=$!
swan() { ip netns exec "$NB" env STRONGSWAN_CONF="$DIR/strongswan.conf" swanctl "$@"; }
for _ in $(seq 50); do
	[[ -S $DIR/charon.vici ]] && break
	sleep 0.1
done
swan --load-all --file "$DIR/swanctl.conf" > "$DIR/swanctl.log" 2>&1 || die "swanctl --load-all"
for _ in $(seq 30); do
	[[ -s $DIR/ike.pcapng ]] && break
	sleep 0.1
done

# charon's level-4 dump "encryption initiator key => 36 bytes" followed by
# hex lines; prints the Nth one as a hex string.
charon_key() {
	awk -v what="$1" -v nth="$2" '
		index($0, "encryption " what " key =>") { n++; grab = (n == nth); hex = ""; next }
		grab && /\[CHD\] +[0-9]+: / {
			sub(/.*\[CHD\] +[0-9]+: /, ""); line = substr($0, 1, 47); gsub(/ /, "", line)
			hex = hex tolower(line); if (length(hex) >= 72) { print hex; grab = 0 } }
	' "$DIR/charon.log"
}
field_in() { tr ' ' '\n' < "$1" | grep -A1 -x "$2" | tail -1; }
# The state swanctl --list-sas (file $3) gives the CHILD_SA with inbound SPI
# $1 and outbound SPI $2 (charon's view), empty when it lists none.
child_state() {
	awk -v in_spi="$1" -v out_spi="$2" '
		/^  [^ ].*: #[0-9]+, reqid/ { split($0, f, ", "); state = f[3]; hit = 0 }
		$1 == "in" { hit = ($2 == in_spi ",") }
		$1 == "out" && hit && $2 == out_spi "," { print state }' "$3"
}

# 1. mmlike initiates; 100 ms after the CHILD_SA it rekeys it, 300 ms
# after the IKE SA that one (CREATE_CHILD_SA from our side), deleting the
# old ones; 1.5 s after the last of these it deletes the IKE SA.
ip netns exec "$NA" "$MMLIKE" conf "$DIR/mml.conf" initiate charon rekey-child-after 100 \
	rekey-ike-after 300 delete-after 1500 once timeout 10 keys-out "$DIR/keys1" \
	> "$DIR/mmlike1.log" 2>&1 &
MML_PID=$!
rekeyed() {
	[[ $(grep -sc '^child' "$DIR/keys1") -eq 2 ]] && grep -q '^ike charon rekeyed' "$DIR/keys1" &&
		grep -q 'rekeyed (old) IKE SA deleted' "$DIR/mmlike1.log" &&
		grep -q 'CHILD_SA .* deleted$' "$DIR/mmlike1.log"
}
for _ in $(seq 100); do
	rekeyed && break
	sleep 0.02
done
rekeyed || die "mmlike did not rekey the CHILD_SA and the IKE SA"
grep '^child' "$DIR/keys1" | head -1 > "$DIR/keys1a"
grep '^child' "$DIR/keys1" | tail -1 > "$DIR/keys1b"
grep '^ike charon up' "$DIR/keys1" > "$DIR/ike1a"
grep '^ike charon rekeyed' "$DIR/keys1" > "$DIR/ike1b"
# charon's view: only the new IKE SA, holding only the new CHILD_SA (its
# inbound SPI is our outbound one).
swan --list-sas > "$DIR/list1.log" 2>&1
grep -q "ESTABLISHED, IKEv2, $(field_in "$DIR/ike1b" spi_i)_i $(field_in "$DIR/ike1b" spi_r)_r\*" "$DIR/list1.log" ||
	die "charon does not list the new IKE SA"
grep -q "$(field_in "$DIR/ike1a" spi_i)_i" "$DIR/list1.log" && die "charon still lists the old IKE SA"
[[ $(child_state "$(field_in "$DIR/keys1b" spi_out)" "$(field_in "$DIR/keys1b" spi_in)" "$DIR/list1.log") == INSTALLED ]] ||
	die "charon does not list the rekeyed CHILD_SA as installed"
# charon keeps an inbound SA a few seconds after a rekey, marked DELETED.
old_state=$(child_state "$(field_in "$DIR/keys1a" spi_out)" "$(field_in "$DIR/keys1a" spi_in)" "$DIR/list1.log")
[[ -z $old_state || $old_state == DELETED ]] || die "charon lists the old CHILD_SA as $old_state"
[[ $(grep -c "INSTALLED" "$DIR/list1.log") -eq 1 ]] || die "charon lists other CHILD_SAs"
wait "$MML_PID" || die "mmlike as initiator"
MML_PID=
grep -q "IKE_SA deleted" "$DIR/charon.log" || die "charon did not see the Delete"
[[ $(charon_key initiator 1) == "$(field_in "$DIR/keys1a" key_out)" ]] || die "initiator->responder key differs"
[[ $(charon_key responder 1) == "$(field_in "$DIR/keys1a" key_in)" ]] || die "responder->initiator key differs"
grep -q "CHILD_SA c{1} established with SPIs $(field_in "$DIR/keys1a" spi_out)_i $(field_in "$DIR/keys1a" spi_in)_o" \
	"$DIR/charon.log" || die "CHILD_SA SPIs differ"
[[ $(charon_key initiator 2) == "$(field_in "$DIR/keys1b" key_out)" ]] || die "rekeyed initiator->responder key differs (1)"
[[ $(charon_key responder 2) == "$(field_in "$DIR/keys1b" key_in)" ]] || die "rekeyed responder->initiator key differs (1)"
echo "interop: mmlike -> charon: IKE SA, CHILD_SA, our CHILD_SA and IKE SA rekeys (CREATE_CHILD_SA$([[ $PFS == true ]] && echo ", PFS")), keys equal, deleted"

# 2. charon initiates, then terminates.
ip netns exec "$NA" "$MMLIKE" conf "$DIR/mml.conf" once timeout 10 keys-out "$DIR/keys2" \
	> "$DIR/mmlike2.log" 2>&1 &
MML_PID=$!
sleep 0.2
swan --initiate --child c --timeout 5 > "$DIR/initiate.log" 2>&1 || die "charon could not initiate"
swan --list-sas > "$DIR/list.log" 2>&1
grep -q "INSTALLED, TUNNEL-in-UDP" "$DIR/list.log" || die "charon lists no installed CHILD_SA"
# CREATE_CHILD_SA: charon rekeys the CHILD_SA (REKEY_SA notify), then
# deletes the old one with an INFORMATIONAL.
swan --rekey --child c > "$DIR/rekey.log" 2>&1 || die "charon could not rekey the CHILD_SA"
for _ in $(seq 50); do
	[[ $(grep -c '^child' "$DIR/keys2") -ge 2 ]] && grep -q "CHILD_SA .* deleted by the peer" "$DIR/mmlike2.log" && break
	sleep 0.1
done
[[ $(grep -c '^child' "$DIR/keys2") -eq 2 ]] || die "no rekeyed CHILD_SA on our side"
grep -q "CHILD_SA .* deleted by the peer" "$DIR/mmlike2.log" || die "the old CHILD_SA was not deleted"
# ...and the IKE SA itself (CREATE_CHILD_SA with an IKE proposal); charon
# then deletes the old one, and the Delete below travels on the new one.
swan --rekey --ike mml > "$DIR/rekey-ike.log" 2>&1 || die "charon could not rekey the IKE SA"
for _ in $(seq 50); do
	grep -q "IKE SA rekeyed" "$DIR/mmlike2.log" && grep -q "IKE_SA mml\[.*\] rekeyed\|rekeyed between" "$DIR/charon.log" && break
	sleep 0.1
done
grep -q "IKE SA rekeyed" "$DIR/mmlike2.log" || die "IKE SA not rekeyed on our side"
swan --list-sas > "$DIR/list2.log" 2>&1
grep -q "INSTALLED" "$DIR/list2.log" || die "the CHILD_SA did not survive the IKE SA rekey"
swan --terminate --ike mml --timeout 5 > "$DIR/terminate.log" 2>&1 || die "terminate"
wait "$MML_PID" || die "mmlike as responder"
MML_PID=
[[ -s $DIR/keys2 ]] || die "no CHILD_SA on our side (responder)"
grep '^child' "$DIR/keys2" | head -1 > "$DIR/keys2a"
grep '^child' "$DIR/keys2" | tail -1 > "$DIR/keys2b"
# charon's log holds part 1's two CHILD_SAs first.
[[ $(charon_key initiator 3) == "$(field_in "$DIR/keys2a" key_in)" ]] || die "initiator->responder key differs (2)"
[[ $(charon_key responder 3) == "$(field_in "$DIR/keys2a" key_out)" ]] || die "responder->initiator key differs (2)"
# The rekeyed CHILD_SA: charon initiated the CREATE_CHILD_SA too.
[[ $(charon_key initiator 4) == "$(field_in "$DIR/keys2b" key_in)" ]] || die "rekeyed initiator->responder key differs"
[[ $(charon_key responder 4) == "$(field_in "$DIR/keys2b" key_out)" ]] || die "rekeyed responder->initiator key differs"
grep -q "IKE SA deleted by the peer" "$DIR/mmlike2.log" || die "mmlike did not process the Delete"
echo "interop: charon -> mmlike: IKE SA, CHILD_SA, CHILD_SA and IKE SA rekeys (CREATE_CHILD_SA), keys equal, deleted"

# 3. The capture: every IKE message decodes, nothing malformed.
sleep 0.3
kill "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true
CAP_PID=
n_ike=$(tshark -r "$DIR/ike.pcapng" -Y isakmp 2>/dev/null | wc -l)
n_bad=$(tshark -r "$DIR/ike.pcapng" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null | wc -l)
n_v2=$(tshark -r "$DIR/ike.pcapng" -Y 'isakmp.version == 0x20' 2>/dev/null | wc -l)
[[ $n_ike -ge 28 && $n_v2 -eq $n_ike ]] || die "capture: $n_ike IKE messages, $n_v2 IKEv2"
[[ $n_bad -eq 0 ]] || { tshark -r "$DIR/ike.pcapng" -Y '_ws.malformed || _ws.expert.severity >= warning' >&2; die "capture: $n_bad malformed/warning packets"; }
echo "interop: capture: $n_ike IKEv2 messages decoded by tshark, none malformed"
