/* The previous FA's memory for DKM (dkm_cache.h). Keys are wiped the
 * moment an entry ends: replaced, expired or cleared. */
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/dkm_cache.h"

static void entry_wipe(struct dkm_entry *e)
{
	OPENSSL_cleanse(e, sizeof(*e));
}

static struct dkm_entry *entry_of(struct dkm_cache *dc, uint32_t home)
{
	for (unsigned int i = 0; i < DKM_CACHE_MAX; i++)
		if (dc->e[i].used && dc->e[i].keys.mh_home == home)
			return &dc->e[i];
	return NULL;
}

static bool holds_spi(const struct dkm_entry *e, uint32_t spi)
{
	for (unsigned int i = 0; i < e->keys.n_secrets; i++)
		if (e->keys.secret[i].spi == spi)
			return true;
	return false;
}

void dkm_cache_put(struct dkm_cache *dc, const struct mlike_fa_keys *keys)
{
	struct dkm_entry *e = entry_of(dc, keys->mh_home);
	uint64_t oldest = UINT64_MAX;

	/* A full cache gives up the entry that departed first, else the
	 * first one (more visitors than entries: the HA redistributes). */
	for (unsigned int i = 0; i < DKM_CACHE_MAX && !e; i++)
		if (!dc->e[i].used)
			e = &dc->e[i];
	for (unsigned int i = 0; i < DKM_CACHE_MAX && !e; i++)
		if (dc->e[i].departed_ns && dc->e[i].departed_ns < oldest)
			oldest = dc->e[i].departed_ns;
	for (unsigned int i = 0; i < DKM_CACHE_MAX && !e; i++)
		if (dc->e[i].departed_ns == oldest)
			e = &dc->e[i];
	if (!e)
		e = &dc->e[0];
	entry_wipe(e);
	e->used = true;
	e->keys = *keys;
}

void dkm_cache_depart(struct dkm_cache *dc, uint32_t spi, uint64_t now)
{
	for (unsigned int i = 0; i < DKM_CACHE_MAX; i++)
		if (dc->e[i].used && !dc->e[i].departed_ns && holds_spi(&dc->e[i], spi))
			dc->e[i].departed_ns = now ? now : 1;
}

uint16_t dkm_cache_take(struct dkm_cache *dc, const struct dkm_mh_pl *req, uint32_t peer,
			uint64_t now, struct mlike_fa_keys *keys)
{
	struct dkm_entry *e = entry_of(dc, req->mh_home);

	if (e && e->departed_ns && now - e->departed_ns > dc->grace_ns) {
		entry_wipe(e);
		e = NULL;
	}
	if (!e)
		return DKM_N_NOT_VISITOR;
	for (unsigned int i = 0; i < req->n_spis; i++)
		if (!holds_spi(e, req->spi[i]))
			return DKM_N_NOT_VISITOR;
	/* Message IDs stop a replayed message; this stops a second request
	 * for CSAs already handed over, from any FA: two FAs must never
	 * both be told they are the MH's. */
	if (e->handed_to)
		return DKM_N_REPLAYED;
	e->handed_to = peer;
	*keys = e->keys;
	return 0;
}

void dkm_cache_forget(struct dkm_cache *dc, uint32_t home)
{
	struct dkm_entry *e = entry_of(dc, home);

	if (e)
		entry_wipe(e);
}

uint32_t dkm_cache_ha_of(const struct dkm_cache *dc, uint32_t home)
{
	for (unsigned int i = 0; i < DKM_CACHE_MAX; i++)
		if (dc->e[i].used && dc->e[i].keys.mh_home == home && !dc->e[i].departed_ns)
			return dc->e[i].keys.ha_addr;
	return 0;
}

void dkm_cache_expire(struct dkm_cache *dc, uint64_t now)
{
	for (unsigned int i = 0; i < DKM_CACHE_MAX; i++)
		if (dc->e[i].used && dc->e[i].departed_ns &&
		    now - dc->e[i].departed_ns > dc->grace_ns)
			entry_wipe(&dc->e[i]);
}

void dkm_cache_clear(struct dkm_cache *dc)
{
	for (unsigned int i = 0; i < DKM_CACHE_MAX; i++)
		entry_wipe(&dc->e[i]);
}
