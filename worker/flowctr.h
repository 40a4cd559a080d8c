/* Dynamic MML-IPsec's every-n-th counting, per flow entry and shared by
 * every worker thread (issue 19): each thread has its own copy of the flow
 * table (tables.h), so a counter in that copy would protect every n-th
 * packet of each thread, i.e. up to one packet in n/threads. The counters
 * live here instead, one slot per flow key, found once when a thread loads
 * its table and bumped with one atomic add per packet. */
#ifndef MML_WORKER_FLOWCTR_H
#define MML_WORKER_FLOWCTR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "maps/ep.h"

struct ep_flowctr_slot {
	struct mml_flow_key key;
	_Atomic uint64_t packets; /* packets of the entry sent so far */
	uint8_t used;
};

struct ep_flowctr {
	struct ep_flowctr_slot *slots;
	uint32_t mask;
	uint32_t count;
	pthread_mutex_t lock;		       /* insertions only; the counters are atomic */
	_Atomic uint64_t dscp[MML_FLOW_DSCPS]; /* the mml_flow_dscp entries' */
};

/* Room for cap keys (rounded up to a power of two, twice that many slots). */
int ep_flowctr_init(struct ep_flowctr *c, uint32_t cap);
void ep_flowctr_free(struct ep_flowctr *c);

/* The counter of key, created at 0 on first use. A slot is never given
 * back (a key that comes back continues its count); once cap keys have
 * been seen, NULL: the caller counts in its own table (per thread). */
_Atomic uint64_t *ep_flowctr_get(struct ep_flowctr *c, const struct mml_flow_key *k);

/* The counter of the class entry of dscp (maps/ep.h mml_flow_dscp); NULL
 * without c. */
_Atomic uint64_t *ep_flowctr_dscp(struct ep_flowctr *c, uint8_t dscp);

#endif
