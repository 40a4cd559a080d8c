/* Outbound sequence numbers of an SA (RFC 4303 3.3.3 without ESN): the first
 * packet carries 1, the counter never wraps. Past the soft limit every packet
 * asks for a rekey; past the hard limit nothing more is sent. Lock-free, so
 * the worker threads of one node can share an SA. */
#ifndef MML_LIB_SEQ_H
#define MML_LIB_SEQ_H

#include <stdatomic.h>
#include <stdint.h>

struct mml_seq {
	_Atomic uint64_t last; /* last number handed out; 0 = none yet */
	uint64_t soft;
	uint64_t hard;
};

/* soft/hard 0 select the defaults of maps/csa.h; -EINVAL if soft > hard or
 * hard does not fit 32 bits minus the reserved all-ones value. */
int mml_seq_init(struct mml_seq *s, uint64_t soft, uint64_t hard);

/* Start after `last` (a restarted sender resumes above its high-water mark). */
void mml_seq_resume(struct mml_seq *s, uint64_t last);

#define MML_SEQ_REKEY 1
/* Stores the next number in *seq. Returns 0, MML_SEQ_REKEY when the soft limit
 * is passed, or -MML_E_SEQ_EXHAUSTED (and no number) at the hard limit. */
int mml_seq_next(struct mml_seq *s, uint32_t *seq);

#endif
