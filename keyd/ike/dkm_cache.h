/* DKM at the previous FA: the zone-1 CSAs of its visitors, kept while
 * they are installed and for a grace period after they are removed (the HA
 * revokes them at a handoff, usually before the new FA asks), each handed
 * over at most once. Plain data: no clock, no I/O (times are passed in). */
#ifndef MML_KEYD_IKE_DKM_CACHE_H
#define MML_KEYD_IKE_DKM_CACHE_H

#include <stdint.h>

#include "keyd/ike/ike.h"

#define DKM_CACHE_MAX 64

struct dkm_entry {
	bool used;
	struct mlike_fa_keys keys; /* zone 1 only, as installed */
	uint64_t departed_ns;	   /* its CSAs removed here then; 0 = installed */
	uint32_t handed_to;	   /* the FA it was handed over to, 0 = none */
};

struct dkm_cache {
	uint64_t grace_ns;
	struct dkm_entry e[DKM_CACHE_MAX];
};

/* CSAs installed for an MH (KEY_DISTRIBUTE or DKM): a fresh entry. */
void dkm_cache_put(struct dkm_cache *dc, const struct mlike_fa_keys *keys);
/* The CSA spi was removed at now: its MH's grace period starts. */
void dkm_cache_depart(struct dkm_cache *dc, uint32_t spi, uint64_t now);
/* A neighbour (peer) asks: the keys and 0, or the refusal notify
 * (DKM_N_NOT_VISITOR: unknown MH, other SPIs, grace over; DKM_N_REPLAYED:
 * handed over already). */
uint16_t dkm_cache_take(struct dkm_cache *dc, const struct dkm_mh_pl *req, uint32_t peer,
			uint64_t now, struct mlike_fa_keys *keys);
/* The MH's entry is wiped at once: its CSAs were not ours to keep (the
 * HA refused our DKM install report), so they are handed over to no one. */
void dkm_cache_forget(struct dkm_cache *dc, uint32_t home);
/* The HA whose CSAs for home are installed here (0: none, or only in
 * their grace period): one HA's at a time (docs/security.md item 3). */
uint32_t dkm_cache_ha_of(const struct dkm_cache *dc, uint32_t home);
/* Wipes the entries whose grace period is over. */
void dkm_cache_expire(struct dkm_cache *dc, uint64_t now);
void dkm_cache_clear(struct dkm_cache *dc);

#endif
