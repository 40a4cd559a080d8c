#include "lib/replay.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/err.h"
#include "maps/csa.h"

int mml_replay_init(struct mml_replay *r, uint32_t size)
{
	if (!size)
		size = MML_REPLAY_WINDOW_DEFAULT;
	if (size < MML_REPLAY_WINDOW_MIN || size > MML_REPLAY_WINDOW_MAX)
		return -EINVAL;
	r->size = (size + 63) & ~63u;
	r->nwords = r->size / 64 + 1;
	r->top = 0;
	atomic_flag_clear(&r->lock);
	r->mark = NULL;
	r->bits = calloc(r->nwords, sizeof(*r->bits));
	return r->bits ? 0 : -ENOMEM;
}

void mml_replay_free(struct mml_replay *r)
{
	free(r->bits);
	r->bits = NULL;
}

static inline void win_lock(struct mml_replay *r)
{
	while (atomic_flag_test_and_set_explicit(&r->lock, memory_order_acquire))
		;
}

static inline void win_unlock(struct mml_replay *r)
{
	atomic_flag_clear_explicit(&r->lock, memory_order_release);
}

static inline uint64_t *word_of(const struct mml_replay *r, uint32_t seq)
{
	return &r->bits[(seq / 64) % r->nwords];
}

void mml_replay_start_after(struct mml_replay *r, uint32_t top)
{
	win_lock(r);
	r->top = top;
	if (top) {
		/* Every word of the ring stands for numbers at or below top, or
		 * is cleared before it comes into the window; in top's own word
		 * only the bits up to top count as seen. */
		for (uint32_t i = 0; i < r->nwords; i++)
			r->bits[i] = ~0ULL;
		*word_of(r, top) = top % 64 == 63 ? ~0ULL : (1ULL << (top % 64 + 1)) - 1;
	}
	win_unlock(r);
}

uint32_t mml_replay_top(struct mml_replay *r)
{
	uint32_t top;

	win_lock(r);
	top = r->top;
	win_unlock(r);
	return top;
}

static int check_locked(const struct mml_replay *r, uint32_t seq)
{
	if (seq == 0)
		return -MML_E_REPLAY;
	if (seq > r->top)
		return 0;
	if (r->top - seq >= r->size)
		return -MML_E_REPLAY;
	return *word_of(r, seq) & (1ULL << (seq % 64)) ? -MML_E_REPLAY : 0;
}

int mml_replay_check(struct mml_replay *r, uint32_t seq)
{
	int err;

	win_lock(r);
	err = check_locked(r, seq);
	win_unlock(r);
	return err;
}

int mml_replay_update(struct mml_replay *r, uint32_t seq)
{
	int err;

	win_lock(r);
	err = check_locked(r, seq);
	if (!err && seq > r->top) {
		/* Clear the words that slide into the window: those after top's
		 * word up to seq's word, at most the whole ring. */
		uint32_t first = r->top / 64 + 1, last = seq / 64;
		uint32_t n = last - first + 1;

		if (last >= first) {
			if (n > r->nwords)
				n = r->nwords;
			for (uint32_t i = 0; i < n; i++)
				r->bits[(first + i) % r->nwords] = 0;
		}
		r->top = seq;
		if (r->mark)
			atomic_store_explicit(r->mark, seq, memory_order_relaxed);
	}
	if (!err)
		*word_of(r, seq) |= 1ULL << (seq % 64);
	win_unlock(r);
	return err;
}
