/* The worker's copies of mml_flow and mml_binding, rebuilt when the
 * configuration generation moves: per packet a lookup in process memory,
 * never a syscall. */
#ifndef MML_WORKER_TABLES_H
#define MML_WORKER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/ep.h"
#include "lib/flow_ctr.h"

struct ep_flow_ent {
	struct mml_flow_key key;
	struct mml_flow flow;
	/* The entry's counters in mml_flow_ctr, shared by every thread and
	 * worker (lib/flow_ctr.h), or NULL: every_n counted in packets. */
	struct mml_flow_ctr *ctr;
	uint64_t packets;  /* every_n counter when ctr is NULL */
	uint64_t since_ns; /* the entry's content appeared (now_ns of that load) */
	bool used;
};

struct ep_flowtab {
	struct ep_flow_ent *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t shapes;		  /* bit n: some entry has wildcard shape n (tables.c) */
	const struct mml_flow_ctrs *ctrs; /* the node's counters; NULL: per table */
	uint64_t now_ns;		  /* set by the owner before a load (since_ns) */
	/* mml_flow_dscp: the class entries, used = the slot has one */
	struct ep_flow_ent dscp[MML_FLOW_DSCPS];
};

/* An entry changed less than this long ago learns no upgrade: packets
 * of the mode it replaced are still in flight (an agreed downgrade). */
#define EP_FLOW_SETTLE_NS 2000000000ull

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
/* The class entries, from classes[MML_FLOW_DSCPS] (those with
 * MML_FLOW_F_DSCP) or from the pinned mml_flow_dscp. */
void ep_flowtab_load_dscp(struct ep_flowtab *t, const struct mml_flow *classes);
int ep_flowtab_refresh_dscp(struct ep_flowtab *t, int dscp_fd);

/* The most specific entry for the packet's key, or NULL: a 0 field of an
 * entry (address, port, protocol) matches anything; among matching
 * entries the one with the fewest 0 fields wins; then the class entry of
 * the packet's DSCP (0-63, the inner header's); the all-zero default key
 * last (maps/ep.h). */
struct ep_flow_ent *ep_flow_lookup(const struct ep_flowtab *t, const struct mml_flow_key *k,
				   uint8_t dscp);

/* The mode for one packet of the flow: the entry's mode (every_n counting
 * applied), or without an entry the strongest mode the binding has SPIs
 * for. *spi is the outbound SPI to use (0 for plaintext). */
uint8_t ep_flow_mode(const struct ep_flowtab *t, const struct mml_flow_key *k, uint8_t dscp,
		     const struct mml_binding *b, uint32_t *spi);
/* The same, and *e the entry it followed (NULL: none), for ep_flow_sent. */
uint8_t ep_flow_mode_ent(const struct ep_flowtab *t, const struct mml_flow_key *k, uint8_t dscp,
			 const struct mml_binding *b, uint32_t *spi, struct ep_flow_ent **e);

/* A packet of entry e (may be NULL) went out in mode: its counter in
 * mml_flow_ctr, one atomic add. */
static inline void ep_flow_sent(const struct ep_flow_ent *e, uint8_t mode)
{
	if (e && e->ctr && mode < MML_MODE_MAX)
		mml_flow_ctr_inc(&e->ctr->sent[mode]);
}

/* What a receiver does with a packet of flow k that arrived in mode. */
enum ep_flow_rx {
	EP_FLOW_RX_OK,
	EP_FLOW_RX_DOWNGRADE, /* weaker than the entry accepts: drop */
	EP_FLOW_RX_UPGRADE,   /* stronger than the entry sends: *learned is the
			       * exact entry that switches the replies */
};

/* The receiver's policy (docs/endpoints.md, "Switching modes"): without an
 * entry anything goes; a mode below mml_flow_rx_floor() is refused; a mode
 * above the entry's is an implicit upgrade of this 5-tuple, unless the
 * entry changed less than EP_FLOW_SETTLE_NS before now_ns. The verdict is
 * counted in the entry's slot of mml_flow_ctr (recv[mode] or refused). */
enum ep_flow_rx ep_flow_rx_check(const struct ep_flowtab *t, const struct mml_flow_key *k,
				 uint8_t dscp, uint8_t mode, uint64_t now_ns,
				 struct mml_flow *learned);

/* Put (or replace) the exact entry k -> f into t at once, so that this
 * thread's replies switch before the next reload brings it from the map. */
int ep_flowtab_learn(struct ep_flowtab *t, const struct mml_flow_key *k, const struct mml_flow *f);

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
