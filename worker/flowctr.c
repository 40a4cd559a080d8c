#include "worker/flowctr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint32_t key_hash(const struct mml_flow_key *k)
{
	uint64_t h = ((uint64_t)k->home_addr << 32 | k->peer_addr) * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)k->home_port << 24 | (uint64_t)k->peer_port << 8 | k->proto) *
	     0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h ^ h >> 31);
}

static bool key_eq(const struct mml_flow_key *a, const struct mml_flow_key *b)
{
	return a->home_addr == b->home_addr && a->peer_addr == b->peer_addr &&
	       a->home_port == b->home_port && a->peer_port == b->peer_port && a->proto == b->proto;
}

int ep_flowctr_init(struct ep_flowctr *c, uint32_t cap)
{
	uint32_t slots = 16;

	memset(c, 0, sizeof(*c));
	while (slots < 2 * cap)
		slots *= 2;
	c->slots = calloc(slots, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	c->mask = slots - 1;
	pthread_mutex_init(&c->lock, NULL);
	return 0;
}

void ep_flowctr_free(struct ep_flowctr *c)
{
	if (c->slots)
		pthread_mutex_destroy(&c->lock);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

_Atomic uint64_t *ep_flowctr_get(struct ep_flowctr *c, const struct mml_flow_key *k)
{
	_Atomic uint64_t *ret = NULL;
	uint32_t j;

	if (!c || !c->slots)
		return NULL;
	pthread_mutex_lock(&c->lock);
	for (j = key_hash(k) & c->mask; c->slots[j].used; j = (j + 1) & c->mask)
		if (key_eq(&c->slots[j].key, k)) {
			ret = &c->slots[j].packets;
			goto out;
		}
	/* Keep the table at most half full: probes stay short. */
	if (c->count >= (c->mask + 1) / 2)
		goto out;
	c->slots[j].key = *k;
	memset(c->slots[j].key.pad, 0, sizeof(c->slots[j].key.pad));
	atomic_init(&c->slots[j].packets, 0);
	c->slots[j].used = 1;
	c->count++;
	ret = &c->slots[j].packets;
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

_Atomic uint64_t *ep_flowctr_dscp(struct ep_flowctr *c, uint8_t dscp)
{
	return c && c->slots ? &c->dscp[dscp & (MML_FLOW_DSCPS - 1)] : NULL;
}
