#include "worker/sacache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <openssl/crypto.h>

#include "lib/err.h"
#include "lib/log.h"
#include "maps/ep.h"
#include "worker/keyfp.h"

int ep_sacache_init(struct ep_sacache *c, struct ep_seqstore *store)
{
	memset(c, 0, sizeof(*c));
	c->store = store;
	return 0;
}

static void sa_slot_free(struct ep_sacache *c, struct ep_sa *s)
{
	if (!s->spi || s->moved)
		return;
	ep_outseq_put(c->store, s->out);
	ep_inwin_put(c->store, s->in);
	mml_sa_free(&s->sa);
	s->spi = 0;
}

void ep_sacache_free(struct ep_sacache *c)
{
	if (c->slots)
		for (uint32_t i = 0; i <= c->mask; i++)
			sa_slot_free(c, &c->slots[i]);
	free(c->slots);
	c->slots = NULL;
	c->count = 0;
}

static struct ep_sa *slot_for(struct ep_sa *slots, uint32_t mask, uint32_t spi)
{
	uint32_t i = (spi * 2654435761u) & mask;

	while (slots[i].spi && slots[i].spi != spi)
		i = (i + 1) & mask;
	return &slots[i];
}

/* The node-wide state of the key: the shared counter (dir out) or the
 * shared window (dir in), in place of the SA's own. */
static int attach_key_state(struct ep_sacache *c, struct ep_sa *dst, const struct mml_csa *csa)
{
	struct mml_key_fp fp;

	dst->out = NULL;
	dst->in = NULL;
	if (csa->dir != MML_DIR_OUT && csa->dir != MML_DIR_IN)
		return 0;
	if (ep_key_fp(csa, &fp))
		return -EIO;
	if (csa->dir == MML_DIR_OUT) {
		dst->out = ep_outseq_get(c->store, csa, &fp);
		return dst->out ? 0 : -ENOSPC;
	}
	dst->in = ep_inwin_get(c->store, csa, &fp);
	if (!dst->in)
		return -ENOSPC;
	mml_replay_free(&dst->sa.replay);
	dst->sa.shared_win = &dst->in->win;
	return 0;
}

/* Move the unchanged SA over from the old table, or build it. */
static int load_one(struct ep_sacache *c, struct ep_sa *dst, const struct mml_csa *csa)
{
	struct ep_sa *old = ep_sacache_get(c, csa->spi);
	char why[128];
	int err;

	if (old && !memcmp(&old->sa.csa, csa, sizeof(*csa))) {
		*dst = *old;
		old->moved = true; /* owned by dst now; the old table keeps its chain */
		return 0;
	}
	err = mml_sa_init(&dst->sa, csa, why, sizeof(why));
	if (err) {
		log_warn("SPI 0x%08x: unusable CSA (%s), ignored", csa->spi, why);
		return err;
	}
	err = attach_key_state(c, dst, csa);
	if (err) {
		log_warn("SPI 0x%08x: no sequence/replay state (%s), ignored", csa->spi,
			 strerror(-err));
		mml_sa_free(&dst->sa);
		return err;
	}
	dst->spi = csa->spi;
	return 0;
}

int ep_sacache_load(struct ep_sacache *c, const struct mml_csa *csas, uint32_t n)
{
	uint32_t cap = 16, count = 0;
	struct ep_sa *slots;

	while (cap < 2 * n)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct ep_sa *dst;

		if (!csas[i].spi || (csas[i].dir != MML_DIR_IN && csas[i].dir != MML_DIR_OUT))
			continue;
		dst = slot_for(slots, cap - 1, csas[i].spi);
		if (dst->spi)
			continue; /* duplicate SPI in the input */
		if (!load_one(c, dst, &csas[i]))
			count++;
	}
	/* What was not moved over is gone or changed: wipe it. */
	ep_sacache_free(c);
	c->slots = slots;
	c->mask = cap - 1;
	c->count = count;
	return (int)count;
}

int ep_sacache_refresh(struct ep_sacache *c, int csa_fd)
{
	uint32_t key, next, n = 0, cap = 64;
	struct mml_csa *csas = malloc(cap * sizeof(*csas)), *grown;
	void *prev = NULL;
	int ret;

	if (!csas)
		return -ENOMEM;
	while (!bpf_map_get_next_key(csa_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (n == cap) {
			grown = realloc(csas, 2 * cap * sizeof(*csas));
			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			csas = grown;
			cap *= 2;
		}
		if (!bpf_map_lookup_elem(csa_fd, &key, &csas[n]) && csas[n].spi == key)
			n++;
	}
	ret = ep_sacache_load(c, csas, n);
out:
	OPENSSL_cleanse(csas, cap * sizeof(*csas));
	free(csas);
	return ret;
}
