/* ML-IKE's CSAs in the node's mml_csa map: the map layout of a CSA pair
 * agreed in MLIKE_AUTH_SA, of the zone-1 keys KEY_DISTRIBUTE brings an
 * FA and of a plain CHILD_SA MH <-> HA (ESP mode), written through the one
 * CSA store (lib/csa_store.h). Used by mmlkeyd's ike module and by mmlike. */
#ifndef MML_KEYD_IKE_CSA_MAP_H
#define MML_KEYD_IKE_CSA_MAP_H

#include <stdint.h>

#include "keyd/ike/ike.h"
#include "lib/csa_store.h"
#include "maps/csa.h"

/* Validates and writes one entry; csa->owner is the peer writing it (a
 * CSA of that SPI another owner installed is kept: -EPERM). Every failure
 * is logged. */
int csa_map_put(struct mml_csa_store *st, const struct mml_csa *csa);
/* 0 if owner may write each of spis (absent ones included), else -EPERM
 * (logged) or the map's error: a pair goes in whole or not at all. */
int csa_map_may(struct mml_csa_store *st, const uint32_t *spis, unsigned int n, uint32_t owner);
/* Zeroes and deletes one entry owner installed: 0 also when it is gone
 * already; -EPERM (logged) when another owner's. */
int csa_map_del(struct mml_csa_store *st, uint32_t spi, uint32_t owner);

/* The mml_csa map entries of a CSA pair (dir out / in) and of an FA's
 * keys, owned by owner (the IKE peer's address, maps/csa.h). */
void mlike_csa_to_map(const struct mlike_csa *csa, uint32_t owner, uint64_t now_ns,
		      struct mml_csa *out, struct mml_csa *in);
/* The ESP-format pair (dir out / in, zone[0] only) of a plain CHILD_SA:
 * -EINVAL for a transform the data plane does not run. */
int ike_child_to_map(const struct ike_child *c, uint32_t owner, uint64_t now_ns,
		     struct mml_csa *out, struct mml_csa *in);
int mlike_fa_keys_to_map(const struct mlike_fa_keys *keys, uint32_t owner, uint64_t now_ns,
			 struct mml_csa *csas, unsigned int *n);

#endif
