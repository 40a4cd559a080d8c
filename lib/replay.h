/* Receiver anti-replay window (RFC 4303 3.4.3, 32-bit sequence numbers): a
 * bitmap of the last `size` numbers ending at the highest authenticated one.
 * check() before the ICV is verified (cheap rejection), update() only after
 * the packet authenticated, so forgeries cannot move the window. The bitmap
 * is a ring of 64-bit words with one spare word (RFC 6479), so sliding costs
 * at most one pass over the words and nothing is allocated per packet. */
#ifndef MML_LIB_REPLAY_H
#define MML_LIB_REPLAY_H

#include <stdatomic.h>
#include <stdint.h>

/* A window may be shared by threads (the endpoint worker keeps one per key
 * for all its threads, worker/sacache.c): check and update take its lock,
 * a spin flag held for a few word operations, and update re-checks, so two
 * threads that both passed check() with the same number cannot both
 * accept it. */
struct mml_replay {
	uint32_t top;	 /* highest accepted sequence number, 0 = none yet */
	uint32_t size;	 /* window in packets, a multiple of 64 */
	uint32_t nwords; /* size / 64 + 1 */
	atomic_flag lock;
	uint64_t *bits;
	_Atomic uint64_t *mark; /* top is also stored here when it moves, or NULL */
};

/* size 0 selects MML_REPLAY_WINDOW_DEFAULT; sizes are rounded up to 64. */
int mml_replay_init(struct mml_replay *r, uint32_t size);
void mml_replay_free(struct mml_replay *r);

/* Start as if every number up to top had been accepted (a restart: top is
 * the persisted mark). */
void mml_replay_start_after(struct mml_replay *r, uint32_t top);

/* The highest accepted number (under the lock). */
uint32_t mml_replay_top(struct mml_replay *r);

/* 0 if seq may be accepted, -MML_E_REPLAY if it is 0, a duplicate, or older
 * than the window. */
int mml_replay_check(struct mml_replay *r, uint32_t seq);
/* Record an authenticated seq: 0, or -MML_E_REPLAY if meanwhile another
 * thread accepted it (or the window moved past it); nothing is recorded
 * then. */
int mml_replay_update(struct mml_replay *r, uint32_t seq);

#endif
