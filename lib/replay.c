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
	r->bits = calloc(r->nwords, sizeof(*r->bits));
	return r->bits ? 0 : -ENOMEM;
}

void mml_replay_free(struct mml_replay *r)
{
	free(r->bits);
	r->bits = NULL;
}

static inline uint64_t *word_of(const struct mml_replay *r, uint32_t seq)
{
	return &r->bits[(seq / 64) % r->nwords];
}

int mml_replay_check(const struct mml_replay *r, uint32_t seq)
{
	if (seq == 0)
		return -MML_E_REPLAY;
	if (seq > r->top)
		return 0;
	if (r->top - seq >= r->size)
		return -MML_E_REPLAY;
	return *word_of(r, seq) & (1ULL << (seq % 64)) ? -MML_E_REPLAY : 0;
}

void mml_replay_update(struct mml_replay *r, uint32_t seq)
{
	if (seq > r->top) {
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
	}
	*word_of(r, seq) |= 1ULL << (seq % 64);
}
