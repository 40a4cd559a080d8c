/* A peer template for the mobile hosts of a prefix (docs/protocol.md
 * "Mobile hosts by template"): the HA holds one master key; each mobile
 * host's PSK is derived from it and the mobile's identity, ipv4:<home>,
 * so every key still has one owner: a mobile host knows its own PSK and
 * nobody else's, and can authenticate only as the home address it was
 * given. */
#ifndef MML_KEYD_IKE_MH_TMPL_H
#define MML_KEYD_IKE_MH_TMPL_H

#include <stddef.h>
#include <stdint.h>

#include "keyd/ike/ike.h"

/* HKDF-SHA-256 (RFC 5869) of the master key, salt "mmlipsec mobile host
 * psk v1", info the identity's text "ipv4:A.B.C.D", 32 bytes, written as
 * 64 lowercase hex digits (the PSK the mobile host's psk_file holds, a
 * newline after it). home in network order. -EIO if OpenSSL fails. */
#define MH_PSK_HEX_LEN 64
int mh_tmpl_psk(const uint8_t *master, size_t master_len, uint32_t home,
		char out[MH_PSK_HEX_LEN + 1]);
/* The first template of peers[0..n) whose prefix holds home, or NULL. */
const struct ike_peer_cfg *mh_tmpl_match(const struct ike_peer_cfg *peers, unsigned int n,
					 uint32_t home);
/* home's configuration from the template t: the template's settings,
 * address home, peer identity ipv4:<home>, the derived PSK; derived,
 * one reference (the caller's). NULL on failure (logged). */
struct ike_peer_cfg *mh_tmpl_derive(const struct ike_peer_cfg *t, uint32_t home);
/* One reference fewer; the last wipes and frees it. */
void mh_tmpl_put(const struct ike_peer_cfg *cfg);

#endif
