/* The worker's SPI -> SA cache. Each thread owns one (OpenSSL contexts are
 * not shared between threads); it is rebuilt from the pinned mml_csa map
 * when the configuration generation moves, keeping the SA (its replay
 * window, its contexts) of every CSA whose bytes did not change.
 *
 * Outbound sequence numbers are node-wide (struct ep_outseq, shared by the
 * threads) and persisted ahead in mml_seq_hwm: a block is reserved in the
 * map before any number from it is sent, so a restarted worker resumes
 * above everything it may have used and never reuses a nonce. */
#ifndef MML_WORKER_SACACHE_H
#define MML_WORKER_SACACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/sa.h"

#ifndef EP_SEQ_BLOCK
#define EP_SEQ_BLOCK 65536 /* numbers reserved per write to mml_seq_hwm */
#endif
#define EP_OUTSEQ_MAX 1024

struct ep_seqstore;

struct ep_outseq {
	uint32_t spi;
	uint64_t add_time_ns;
	_Atomic uint64_t last;	   /* last number handed out */
	_Atomic uint64_t reserved; /* persisted in mml_seq_hwm */
	uint64_t hard;
	int refs; /* thread caches using it; 0 = free slot (under store lock) */
	struct ep_seqstore *store;
};

/* Node-wide outbound sequence state. */
struct ep_seqstore {
	pthread_mutex_t lock;
	int hwm_fd; /* mml_seq_hwm, -1: nothing persisted (tests) */
	uint64_t reservations;
	struct ep_outseq out[EP_OUTSEQ_MAX];
};

struct ep_sa {
	uint32_t spi; /* 0 = empty slot (SPI 0 is reserved, RFC 4303) */
	struct mml_sa sa;
	struct ep_outseq *out; /* dir out */
	bool moved;	       /* refresh: taken over by the new table */
};

struct ep_sacache {
	struct ep_sa *slots;
	uint32_t mask; /* capacity - 1, a power of two */
	uint32_t count;
	struct ep_seqstore *store;
};

int ep_seqstore_init(struct ep_seqstore *s, int hwm_fd);
void ep_seqstore_free(struct ep_seqstore *s);

int ep_sacache_init(struct ep_sacache *c, struct ep_seqstore *store);
void ep_sacache_free(struct ep_sacache *c);

/* Reload from the mml_csa map at csa_fd; returns the number of SAs or
 * -errno (the old cache stays then). */
int ep_sacache_refresh(struct ep_sacache *c, int csa_fd);
/* Same from an array (unit tests, and the map walk above). */
int ep_sacache_load(struct ep_sacache *c, const struct mml_csa *csas, uint32_t n);

static inline struct ep_sa *ep_sacache_get(const struct ep_sacache *c, uint32_t spi)
{
	uint32_t i = (spi * 2654435761u) & c->mask;

	if (!c->slots || !spi)
		return NULL;
	for (;; i = (i + 1) & c->mask) {
		if (c->slots[i].spi == spi)
			return c->slots[i].moved ? NULL : &c->slots[i];
		if (!c->slots[i].spi)
			return NULL;
	}
}

/* The next outbound sequence number of an SA with dir out: 0, or
 * -MML_E_SEQ_EXHAUSTED, or -EIO if the high-water mark could not be
 * persisted (then nothing may be sent). */
int ep_sa_next_seq(struct ep_sa *s, uint32_t *seq);

#endif
