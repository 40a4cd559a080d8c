/* Foreign-Home Authentication (RFC 5944 3.5.4, extension type 34): the
 * mobility security associations between a foreign agent and the home
 * agents it relays to. Each side keeps a table "peer address -> keys"; when
 * a peer has keys, every registration message exchanged with it must carry
 * a valid Foreign-Home Authentication Extension, and every one sent to it
 * gets one (keyed by the peer's first key). A peer without keys is served
 * as before, with only the address checks. */
#ifndef MML_KEYD_MIP_FH_H
#define MML_KEYD_MIP_FH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "keyd/mip.h"

struct mip_fh_peer {
	uint32_t addr; /* network order */
	struct mip_key keys[MIP_MAX_KEYS];
	size_t n_keys;
};

/* Adds a peer to the table (addr -> struct mip_fh_peer *). The key contexts
 * move into the table (keys[] is zeroed); -EEXIST for a peer given twice. */
int mip_fh_add(struct u32map *peers, uint32_t addr, struct mip_key *keys, size_t n_keys);
/* Frees every peer and its keys; the table itself stays for u32map_free. */
void mip_fh_free_all(struct u32map *peers);
/* Reads ( { address = "A.B.C.D"; keys = ( { spi = ...; key = ...; } ); }, ...)
 * from the setting `name` of sec (optional) into peers. */
int mip_fh_from_config(const config_setting_t *sec, const char *name, struct u32map *peers);

/* Appends the extension keyed by the peer's first key to msg[0, len);
 * returns the new length or a negative errno. */
int mip_fh_append(const struct mip_fh_peer *peer, uint8_t *msg, size_t size, size_t len);
/* NULL when the message (parsed: has, ext) carries a valid extension from
 * peer, else why it does not. */
const char *mip_fh_check(const struct mip_fh_peer *peer, const uint8_t *msg, size_t len, bool has,
			 const struct mip_auth_ext *ext);

#endif
