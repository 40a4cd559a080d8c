/* The worker's copies of mml_flow and mml_binding, rebuilt when the
 * configuration generation moves: per packet a lookup in process memory,
 * never a syscall. */
#ifndef MML_WORKER_TABLES_H
#define MML_WORKER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/ep.h"

struct ep_flow_ent {
	struct mml_flow_key key;
	struct mml_flow flow;
	uint64_t packets; /* for every_n */
	bool used;
};

struct ep_flowtab {
	struct ep_flow_ent *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t shapes; /* bit n: some entry has wildcard shape n (tables.c) */
};

struct ep_bind_ent {
	uint32_t home; /* network order; 0 = empty */
	struct mml_binding b;
};

struct ep_bindtab {
	struct ep_bind_ent *slots;
	uint32_t mask;
	uint32_t count;
};

/* Load from arrays (tests) or from the pinned maps; the old table is
 * replaced only on success. */
int ep_flowtab_load(struct ep_flowtab *t, const struct mml_flow_key *keys,
		    const struct mml_flow *flows, uint32_t n);
int ep_flowtab_refresh(struct ep_flowtab *t, int flow_fd);
void ep_flowtab_free(struct ep_flowtab *t);

/* The most specific entry for the packet's key, or NULL: a 0 field of an
 * entry (address, port, protocol) matches anything; among matching
 * entries the one with the fewest 0 fields wins, the all-zero default key
 * last (maps/ep.h). */
struct ep_flow_ent *ep_flow_lookup(const struct ep_flowtab *t, const struct mml_flow_key *k);

/* The mode for one packet of the flow: the entry's mode (every_n counting
 * applied), or without an entry the strongest mode the binding has SPIs
 * for. *spi is the outbound SPI to use (0 for plaintext). */
uint8_t ep_flow_mode(const struct ep_flowtab *t, const struct mml_flow_key *k,
		     const struct mml_binding *b, uint32_t *spi);

int ep_bindtab_load(struct ep_bindtab *t, const uint32_t *homes, const struct mml_binding *bs,
		    uint32_t n);
int ep_bindtab_refresh(struct ep_bindtab *t, int binding_fd);
void ep_bindtab_free(struct ep_bindtab *t);

/* A home address's first slot. The product's high half folded in: home
 * addresses are in network order, so the bits that differ within a home
 * prefix are the high ones, and the low bits of the product alone put a
 * whole /16 in one slot (issue 20: 10,000 mobiles, each lookup a walk over
 * thousands of entries). */
static inline uint32_t ep_home_hash(uint32_t home)
{
	uint32_t h = home * 2654435761u;

	return h ^ (h >> 16);
}

static inline const struct mml_binding *ep_binding_get(const struct ep_bindtab *t, uint32_t home)
{
	uint32_t i = ep_home_hash(home) & t->mask;

	if (!t->slots || !home)
		return NULL;
	for (;; i = (i + 1) & t->mask) {
		if (t->slots[i].home == home)
			return &t->slots[i].b;
		if (!t->slots[i].home)
			return NULL;
	}
}

#endif
