/* The worker's SPI -> SA cache. Each thread owns one (OpenSSL contexts are
 * not shared between threads); it is rebuilt from the pinned mml_csa map
 * when the configuration generation moves, keeping the SA (its contexts)
 * of every CSA whose bytes did not change.
 *
 * What must hold across threads, reinstalls and restarts lives in the
 * node-wide store and follows the key (its fingerprint, worker/keyfp.h),
 * not the SPI or the install time:
 * - outbound sequence numbers (struct ep_outseq): one atomic counter per
 *   key, persisted ahead in mml_seq_hwm (a block is reserved in the map
 *   before any number from it is sent), so a restarted worker, a replaced
 *   or re-added CSA, or another SPI with the same key resumes above
 *   everything that key may have used: a nonce never repeats under a key;
 * - inbound replay windows (struct ep_inwin): one window per key for all
 *   threads, its top stored through mmap in mml_rx_mark with every packet
 *   that moves it, so a restarted worker refuses what was accepted. */
#ifndef MML_WORKER_SACACHE_H
#define MML_WORKER_SACACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/sa.h"
#include "maps/ep.h"

#ifndef EP_SEQ_BLOCK
#define EP_SEQ_BLOCK 65536 /* numbers reserved per write to mml_seq_hwm */
#endif
/* Keys the store holds per direction unless told (ep_seqstore_init_cap):
 * the worker sizes it from mml_csa's capacity, every CSA a key of its
 * own (issue 20: 10,000 mobiles are 10,000 outbound and 10,000 inbound
 * keys at the HA). */
#define EP_KEYS_DEFAULT 1024

struct ep_seqstore;

/* The last installation (SPI, install time) that took a key's state: a
 * new one that finds state in use is counted as continued. */
struct ep_install {
	uint32_t spi;
	uint64_t add_time_ns;
};

struct ep_outseq {
	struct mml_key_fp fp;
	bool used; /* fp valid; kept (refs 0) until the slot is needed */
	struct ep_install inst;
	_Atomic uint64_t last;	   /* last number handed out */
	_Atomic uint64_t reserved; /* persisted in mml_seq_hwm */
	atomic_bool rekey_posted;  /* mml_rekey told (once per key, all threads) */
	int refs;		   /* thread caches using it (under store lock) */
	uint32_t hnext;		   /* the index's chain: next slot + 1, 0 = end */
	struct ep_seqstore *store;
};

struct ep_inwin {
	struct mml_key_fp fp;
	bool used;
	struct ep_install inst;
	int refs;
	struct mml_replay win;	  /* win.mark: &mark->top */
	struct mml_rx_mark *mark; /* its slot of mml_rx_mark, or NULL */
	uint32_t hnext;		  /* the index's chain, as ep_outseq's */
};

/* Node-wide sequence and replay state. */
struct ep_seqstore {
	pthread_mutex_t lock;
	int hwm_fd;		   /* mml_seq_hwm, -1: nothing persisted (tests) */
	int rekey_fd;		   /* mml_rekey, -1: nobody told (tests) */
	uint64_t rekeys_wanted;	   /* SAs past their soft packet limit, posted */
	struct mml_rx_mark *marks; /* mml_rx_mark through mmap, NULL: none */
	uint32_t nmarks;
	uint64_t reservations;
	uint64_t seq_continued; /* installs that continued a key's sequence */
	uint64_t rx_resumed;	/* installs whose window started above a mark */
	/* cap slots each, never moved (SAs point at them); found by key
	 * through a chained hash index (head: bucket -> slot + 1); fresh: the
	 * slots below it have been used. */
	uint32_t cap, mask, out_fresh, in_fresh;
	struct ep_outseq *out;
	struct ep_inwin *in;
	uint32_t *out_head, *in_head;
};

struct ep_sa {
	uint32_t spi; /* 0 = empty slot (SPI 0 is reserved, RFC 4303) */
	struct mml_sa sa;
	struct ep_outseq *out; /* dir out */
	struct ep_inwin *in;   /* dir in: sa.shared_win is its window */
	bool moved;	       /* refresh: taken over by the new table */
};

struct ep_sacache {
	struct ep_sa *slots;
	uint32_t mask; /* capacity - 1, a power of two */
	uint32_t count;
	struct ep_seqstore *store;
};

/* marks: nmarks slots of the mapped mml_rx_mark (or NULL, 0). */
int ep_seqstore_init(struct ep_seqstore *s, int hwm_fd, struct mml_rx_mark *marks, uint32_t nmarks);
/* The same with room for cap keys per direction (0: EP_KEYS_DEFAULT). */
int ep_seqstore_init_cap(struct ep_seqstore *s, uint32_t cap, int hwm_fd, struct mml_rx_mark *marks,
			 uint32_t nmarks);
void ep_seqstore_free(struct ep_seqstore *s);

int ep_sacache_init(struct ep_sacache *c, struct ep_seqstore *store);
void ep_sacache_free(struct ep_sacache *c);

/* The store's per-key state for an SA being loaded (a reference each,
 * dropped with _put): NULL when every slot is held. */
struct ep_outseq *ep_outseq_get(struct ep_seqstore *s, const struct mml_csa *csa,
				const struct mml_key_fp *fp);
void ep_outseq_put(struct ep_seqstore *s, struct ep_outseq *o);
struct ep_inwin *ep_inwin_get(struct ep_seqstore *s, const struct mml_csa *csa,
			      const struct mml_key_fp *fp);
void ep_inwin_put(struct ep_seqstore *s, struct ep_inwin *w);

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
/* Past the soft packet limit: rekey_wanted raised, and mmlkeyd told once
 * per SA through mml_rekey (maps/ep.h). */

#endif
