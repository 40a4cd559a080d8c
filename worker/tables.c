#include "worker/tables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

static uint32_t flow_hash(const struct mml_flow_key *k)
{
	uint64_t h = (uint64_t)k->home_addr * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)k->peer_addr << 32 | (uint32_t)k->home_port << 16 | k->peer_port) *
	     0xc2b2ae3d27d4eb4full;
	h ^= (uint64_t)k->proto * 0x165667b19e3779f9ull;
	return (uint32_t)(h ^ h >> 29);
}

static bool key_eq(const struct mml_flow_key *a, const struct mml_flow_key *b)
{
	return a->home_addr == b->home_addr && a->peer_addr == b->peer_addr &&
	       a->home_port == b->home_port && a->peer_port == b->peer_port && a->proto == b->proto;
}

static uint32_t table_cap(uint32_t n)
{
	uint32_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

static struct ep_flow_ent *flow_find(const struct ep_flowtab *t, const struct mml_flow_key *k);

void ep_flowtab_free(struct ep_flowtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int ep_flowtab_load(struct ep_flowtab *t, const struct mml_flow_key *keys,
		    const struct mml_flow *flows, uint32_t n)
{
	uint32_t cap = table_cap(n), shapes = 0, count = 0;
	struct ep_flow_ent *slots = calloc(cap, sizeof(*slots)), *old;

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct mml_flow_key k = keys[i];
		uint32_t j;

		memset(k.pad, 0, sizeof(k.pad));
		for (j = flow_hash(&k) & (cap - 1); slots[j].used && !key_eq(&slots[j].key, &k);
		     j = (j + 1) & (cap - 1))
			;
		if (slots[j].used)
			continue;
		slots[j].used = true;
		slots[j].key = k;
		slots[j].flow = flows[i];
		slots[j].ctr = mml_flow_ctr_claim(t->ctrs, &k);
		/* An unchanged entry keeps its age, a new or changed one starts
		 * settling now. */
		old = t->slots ? flow_find(t, &k) : NULL;
		slots[j].since_ns = old && !memcmp(&old->flow, &flows[i], sizeof(old->flow)) ?
					    old->since_ns :
					    t->now_ns;
		count++;
		shapes |= 1u << mml_flow_key_shape(&k);
	}
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
	t->count = count;
	t->shapes = shapes;
	return (int)count;
}

static struct ep_flow_ent *flow_find(const struct ep_flowtab *t, const struct mml_flow_key *k)
{
	uint32_t j;

	for (j = flow_hash(k) & t->mask; t->slots[j].used; j = (j + 1) & t->mask)
		if (key_eq(&t->slots[j].key, k))
			return &t->slots[j];
	return NULL;
}

void ep_flowtab_load_dscp(struct ep_flowtab *t, const struct mml_flow *classes)
{
	for (uint32_t d = 0; d < MML_FLOW_DSCPS; d++) {
		struct ep_flow_ent *e = &t->dscp[d];
		bool same = e->used && !memcmp(&e->flow, &classes[d], sizeof(e->flow));

		if (!(classes[d].flags & MML_FLOW_F_DSCP)) {
			memset(e, 0, sizeof(*e));
			continue;
		}
		if (!same) {
			e->flow = classes[d];
			e->since_ns = t->now_ns;
			e->packets = 0;
		}
		e->used = true;
		e->key = mml_flow_dscp_ctr_key(d);
		e->ctr = mml_flow_ctr_claim(t->ctrs, &e->key);
	}
}

int ep_flowtab_refresh_dscp(struct ep_flowtab *t, int dscp_fd)
{
	struct mml_flow classes[MML_FLOW_DSCPS];

	for (__u32 d = 0; d < MML_FLOW_DSCPS; d++)
		if (bpf_map_lookup_elem(dscp_fd, &d, &classes[d]))
			return -errno;
	ep_flowtab_load_dscp(t, classes);
	return 0;
}

/* Tuple-space search: one probe per wildcard shape that some entry has,
 * fewer wildcards first (a shape's bits are the fields it ignores), so
 * the most specific entry wins and a table of exact keys costs one probe.
 * The packet's class entry comes between the last wildcard shape and the
 * all-zero default (maps/ep.h mml_flow_dscp). */
struct ep_flow_ent *ep_flow_lookup(const struct ep_flowtab *t, const struct mml_flow_key *k,
				   uint8_t dscp)
{
	static const uint8_t by_specificity[MML_FLOW_SHAPES] = MML_FLOW_SHAPE_ORDER;
	const uint32_t deflt = MML_FLOW_SHAPES - 1;
	struct ep_flow_ent *e;
	struct mml_flow_key probe;

	for (uint32_t i = 0; t->slots && t->count && i < MML_FLOW_SHAPES; i++) {
		uint32_t shape = by_specificity[i];

		if (!(t->shapes & (1u << shape)) || shape == deflt)
			continue;
		probe = *k;
		memset(probe.pad, 0, sizeof(probe.pad));
		mml_flow_key_mask(&probe, shape);
		e = flow_find(t, &probe);
		if (e)
			return e;
	}
	e = (struct ep_flow_ent *)&t->dscp[dscp & (MML_FLOW_DSCPS - 1)];
	if (e->used)
		return e;
	if (!t->slots || !(t->shapes & (1u << deflt)))
		return NULL;
	memset(&probe, 0, sizeof(probe));
	return flow_find(t, &probe);
}

uint8_t ep_flow_mode(const struct ep_flowtab *t, const struct mml_flow_key *k, uint8_t dscp,
		     const struct mml_binding *b, uint32_t *spi)
{
	struct ep_flow_ent *e;

	return ep_flow_mode_ent(t, k, dscp, b, spi, &e);
}

uint8_t ep_flow_mode_ent(const struct ep_flowtab *t, const struct mml_flow_key *k, uint8_t dscp,
			 const struct mml_binding *b, uint32_t *spi, struct ep_flow_ent **ent)
{
	struct ep_flow_ent *e = *ent = ep_flow_lookup(t, k, dscp);
	uint8_t mode;

	if (!e) {
		mode = b->spi_out[MML_MODE_MLESP] ? MML_MODE_MLESP :
		       b->spi_out[MML_MODE_ESP]	  ? MML_MODE_ESP :
						    MML_MODE_PLAIN;
		*spi = b->spi_out[mode];
		return mode;
	}
	mode = e->flow.mode < MML_MODE_MAX ? e->flow.mode : MML_MODE_MLESP;
	/* Dynamic MML-IPsec: packets 0, n, 2n, ... of the entry protected, the
	 * rest plain, counted over every thread (one atomic add). */
	if (e->flow.every_n > 1 && mode != MML_MODE_PLAIN) {
		uint64_t i = e->ctr ? mml_flow_ctr_inc(&e->ctr->every) : e->packets++;

		if (i % e->flow.every_n)
			mode = MML_MODE_PLAIN;
	}
	*spi = mode == MML_MODE_PLAIN ? 0 : e->flow.spi ? e->flow.spi : b->spi_out[mode];
	return mode;
}

enum ep_flow_rx ep_flow_rx_check(const struct ep_flowtab *t, const struct mml_flow_key *k,
				 uint8_t dscp, uint8_t mode, uint64_t now_ns,
				 struct mml_flow *learned)
{
	const struct ep_flow_ent *e = ep_flow_lookup(t, k, dscp);
	uint8_t sends;

	if (!e)
		return EP_FLOW_RX_OK;
	if (mode < mml_flow_rx_floor(&e->flow)) {
		if (e->ctr)
			mml_flow_ctr_inc(&e->ctr->refused);
		return EP_FLOW_RX_DOWNGRADE;
	}
	if (e->ctr && mode < MML_MODE_MAX)
		mml_flow_ctr_inc(&e->ctr->recv[mode]);
	sends = e->flow.mode < MML_MODE_MAX ? e->flow.mode : MML_MODE_MLESP;
	if (mode <= sends)
		return EP_FLOW_RX_OK;
	/* Just switched down (both ends together): the peer's packets of
	 * the old, stronger mode are still arriving and are no upgrade. */
	if (e->since_ns && now_ns - e->since_ns < EP_FLOW_SETTLE_NS)
		return EP_FLOW_RX_OK;
	/* The peer went stronger: our replies follow, and what we accept
	 * rises with them, down to what was agreed before (the interval and
	 * the accept flags stay: a weaker mode configured or negotiated for
	 * the flow is still agreed); anything else weaker must be agreed
	 * anew. An SPI override was for the old mode. */
	memset(learned, 0, sizeof(*learned));
	learned->mode = mode;
	learned->every_n = e->flow.every_n;
	learned->flags =
		(uint8_t)(MML_FLOW_F_LEARNED |
			  (e->flow.flags & (MML_FLOW_F_ACCEPT_ESP | MML_FLOW_F_ACCEPT_PLAIN)));
	return EP_FLOW_RX_UPGRADE;
}

int ep_flowtab_learn(struct ep_flowtab *t, const struct mml_flow_key *k, const struct mml_flow *f)
{
	uint32_t n = 0, cap = t->count + 1;
	struct mml_flow_key *keys = malloc(cap * sizeof(*keys));
	struct mml_flow *flows = malloc(cap * sizeof(*flows));
	int ret = -ENOMEM;

	if (!keys || !flows)
		goto out;
	/* The new entry first: the loader keeps the first of equal keys. */
	keys[n] = *k;
	flows[n++] = *f;
	for (uint32_t i = 0; t->slots && i <= t->mask; i++)
		if (t->slots[i].used) {
			keys[n] = t->slots[i].key;
			flows[n++] = t->slots[i].flow;
		}
	ret = ep_flowtab_load(t, keys, flows, n);
out:
	free(keys);
	free(flows);
	return ret;
}

int ep_flowtab_refresh(struct ep_flowtab *t, int flow_fd)
{
	uint32_t n = 0, cap = 64;
	struct mml_flow_key *keys = malloc(cap * sizeof(*keys)), key, *prev = NULL;
	struct mml_flow *flows = malloc(cap * sizeof(*flows));
	int ret = -ENOMEM;

	if (!keys || !flows)
		goto out;
	while (!bpf_map_get_next_key(flow_fd, prev, &keys[n])) {
		key = keys[n];
		prev = &key;
		if (bpf_map_lookup_elem(flow_fd, &key, &flows[n]))
			continue;
		if (++n == cap) {
			void *k2 = realloc(keys, 2 * cap * sizeof(*keys));
			void *f2 = k2 ? realloc(flows, 2 * cap * sizeof(*flows)) : NULL;

			if (k2)
				keys = k2;
			if (!f2)
				goto out;
			flows = f2;
			cap *= 2;
		}
	}
	ret = ep_flowtab_load(t, keys, flows, n);
out:
	free(keys);
	free(flows);
	return ret;
}

void ep_bindtab_free(struct ep_bindtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int ep_bindtab_load(struct ep_bindtab *t, const uint32_t *homes, const struct mml_binding *bs,
		    uint32_t n)
{
	uint32_t cap = table_cap(n), count = 0;
	struct ep_bind_ent *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j;

		if (!homes[i])
			continue;
		for (j = ep_home_hash(homes[i]) & (cap - 1);
		     slots[j].home && slots[j].home != homes[i]; j = (j + 1) & (cap - 1))
			;
		if (slots[j].home)
			continue;
		slots[j].home = homes[i];
		slots[j].b = bs[i];
		count++;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
	t->count = count;
	return (int)count;
}

int ep_bindtab_refresh(struct ep_bindtab *t, int binding_fd)
{
	uint32_t n = 0, cap = 64, key, *prev = NULL;
	uint32_t *homes = malloc(cap * sizeof(*homes));
	struct mml_binding *bs = malloc(cap * sizeof(*bs));
	int ret = -ENOMEM;

	if (!homes || !bs)
		goto out;
	while (!bpf_map_get_next_key(binding_fd, prev, &homes[n])) {
		key = homes[n];
		prev = &key;
		if (bpf_map_lookup_elem(binding_fd, &key, &bs[n]))
			continue;
		if (++n == cap) {
			void *h2 = realloc(homes, 2 * cap * sizeof(*homes));
			void *b2 = h2 ? realloc(bs, 2 * cap * sizeof(*bs)) : NULL;

			if (h2)
				homes = h2;
			if (!b2)
				goto out;
			bs = b2;
			cap *= 2;
		}
	}
	ret = ep_bindtab_load(t, homes, bs, n);
out:
	free(homes);
	free(bs);
	return ret;
}
