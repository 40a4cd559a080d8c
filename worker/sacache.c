#include "worker/sacache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <openssl/crypto.h>

#include "lib/err.h"
#include "lib/log.h"
#include "maps/ep.h"

int ep_seqstore_init(struct ep_seqstore *s, int hwm_fd)
{
	memset(s, 0, sizeof(*s));
	s->hwm_fd = hwm_fd;
	return -pthread_mutex_init(&s->lock, NULL);
}

void ep_seqstore_free(struct ep_seqstore *s)
{
	pthread_mutex_destroy(&s->lock);
}

/* The shared counter of one installation of an outbound SPI: found, or
 * started above its persisted high-water mark. */
static struct ep_outseq *outseq_get(struct ep_seqstore *s, const struct mml_csa *csa)
{
	struct ep_outseq *o = NULL, *free_slot = NULL;
	struct mml_seq_hwm hwm;
	uint64_t start = 0;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < EP_OUTSEQ_MAX; i++) {
		struct ep_outseq *e = &s->out[i];

		if (e->refs && e->spi == csa->spi && e->add_time_ns == csa->add_time_ns) {
			o = e;
			break;
		}
		if (!e->refs && !free_slot)
			free_slot = e;
	}
	if (!o && free_slot) {
		o = free_slot;
		if (s->hwm_fd >= 0 && !bpf_map_lookup_elem(s->hwm_fd, &csa->spi, &hwm) &&
		    hwm.add_time_ns == csa->add_time_ns)
			start = hwm.reserved;
		o->store = s;
		o->spi = csa->spi;
		o->add_time_ns = csa->add_time_ns;
		o->hard = csa->hard_packets ? csa->hard_packets : MML_SEQ_HARD_DEFAULT;
		atomic_store(&o->last, start);
		atomic_store(&o->reserved, start);
	}
	if (o)
		o->refs++;
	pthread_mutex_unlock(&s->lock);
	return o;
}

static void outseq_put(struct ep_seqstore *s, struct ep_outseq *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&s->lock);
	o->refs--;
	pthread_mutex_unlock(&s->lock);
}

static int outseq_reserve(struct ep_outseq *o, uint64_t n)
{
	struct ep_seqstore *s = o->store;
	struct mml_seq_hwm hwm = { .add_time_ns = o->add_time_ns };
	int err = 0;

	pthread_mutex_lock(&s->lock);
	if (n > atomic_load(&o->reserved)) {
		hwm.reserved = n + EP_SEQ_BLOCK - 1 < o->hard ? n + EP_SEQ_BLOCK - 1 : o->hard;
		if (s->hwm_fd >= 0 && bpf_map_update_elem(s->hwm_fd, &o->spi, &hwm, BPF_ANY))
			err = -EIO;
		else
			atomic_store(&o->reserved, hwm.reserved);
		s->reservations++;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

int ep_sa_next_seq(struct ep_sa *s, uint32_t *seq)
{
	struct ep_outseq *o = s->out;
	uint64_t n = atomic_fetch_add_explicit(&o->last, 1, memory_order_relaxed) + 1;
	int err;

	if (n > o->hard) {
		atomic_store_explicit(&o->last, o->hard, memory_order_relaxed);
		return -MML_E_SEQ_EXHAUSTED;
	}
	if (n > atomic_load_explicit(&o->reserved, memory_order_acquire)) {
		err = outseq_reserve(o, n);
		if (err)
			return err;
	}
	if (n > (s->sa.csa.soft_packets ? s->sa.csa.soft_packets : MML_SEQ_SOFT_DEFAULT))
		atomic_store_explicit(&s->sa.rekey_wanted, true, memory_order_relaxed);
	*seq = (uint32_t)n;
	return 0;
}

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
	outseq_put(c->store, s->out);
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
	dst->out = NULL;
	if (csa->dir == MML_DIR_OUT) {
		dst->out = outseq_get(c->store, csa);
		if (!dst->out) {
			mml_sa_free(&dst->sa);
			return -ENOSPC;
		}
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
