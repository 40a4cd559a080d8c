#include "lib/seq.h"

#include <errno.h>

#include "lib/err.h"
#include "maps/csa.h"

int mml_seq_init(struct mml_seq *s, uint64_t soft, uint64_t hard)
{
	if (!soft)
		soft = MML_SEQ_SOFT_DEFAULT;
	if (!hard)
		hard = MML_SEQ_HARD_DEFAULT;
	if (hard > MML_SEQ_HARD_DEFAULT || soft > hard)
		return -EINVAL;
	atomic_init(&s->last, 0);
	s->soft = soft;
	s->hard = hard;
	return 0;
}

void mml_seq_resume(struct mml_seq *s, uint64_t last)
{
	atomic_store(&s->last, last);
}

int mml_seq_next(struct mml_seq *s, uint32_t *seq)
{
	uint64_t n = atomic_fetch_add_explicit(&s->last, 1, memory_order_relaxed) + 1;

	if (n > s->hard) {
		/* Park the counter at the limit so it can never creep to a wrap,
		 * however many callers keep trying. */
		atomic_store_explicit(&s->last, s->hard, memory_order_relaxed);
		return -MML_E_SEQ_EXHAUSTED;
	}
	*seq = (uint32_t)n;
	return n > s->soft ? MML_SEQ_REKEY : 0;
}
