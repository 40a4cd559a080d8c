/* The per-flow counters of the endpoint workers (issue 19), a table of
 * struct mml_flow_ctr slots in the pinned mmapable array mml_flow_ctr
 * (maps/ep.h): one slot per mml_flow key a worker has loaded, claimed by
 * whichever thread of whichever worker process meets the key first, never
 * given back. Per packet a worker adds to its slot through the mapping (no
 * syscall); mmlctl flow list reads the slots the same way.
 *
 * A slot is claimed with a compare-and-swap of its state from FREE to
 * WRITING, then the key is written and the state released as READY;
 * readers take READY slots only. The slot of a key is the first one of its
 * probe sequence (MML_FLOW_CTR_PROBES slots from its hash) that is FREE or
 * holds it: slots are never freed, so a FREE slot ends a search. */
#ifndef MML_LIB_FLOW_CTR_H
#define MML_LIB_FLOW_CTR_H

#include <stdbool.h>
#include <stdint.h>

#include "maps/ep.h"

/* Slots tried from a key's hash before a claim gives up (the table is
 * sized at twice the flow entries, maps/ep.h). */
#define MML_FLOW_CTR_PROBES 64

struct mml_flow_ctrs {
	struct mml_flow_ctr *slots; /* NULL: no table */
	uint32_t n;
	bool mapped; /* slots is an mmap of the map (mml_flow_ctrs_unmap) */
};

/* Map the table of mml_flow_ctr (fd), as many slots as the map was sized
 * for at attach; writable for the worker, read-only for mmlctl. */
int mml_flow_ctrs_map(struct mml_flow_ctrs *c, int fd, bool writable);
void mml_flow_ctrs_unmap(struct mml_flow_ctrs *c);

/* The slot of k: found, or claimed (its counters 0). NULL when no slot of
 * its probe sequence is left: the caller counts without one (tables.h). */
struct mml_flow_ctr *mml_flow_ctr_claim(const struct mml_flow_ctrs *c,
					const struct mml_flow_key *k);

/* The published slot of k, or NULL. */
const struct mml_flow_ctr *mml_flow_ctr_find(const struct mml_flow_ctrs *c,
					     const struct mml_flow_key *k);

/* One counter of a slot, read while workers add to it. */
static inline uint64_t mml_flow_ctr_read(const __u64 *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

/* Add one to a counter of a slot (shared with other threads and processes). */
static inline uint64_t mml_flow_ctr_inc(__u64 *ctr)
{
	return __atomic_fetch_add(ctr, 1, __ATOMIC_RELAXED);
}

#endif
