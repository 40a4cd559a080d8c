/* A CSA ready for packets: its zone keys loaded into OpenSSL contexts once,
 * the outbound sequence counter or the inbound replay window. Built from a
 * validated struct mml_csa; freeing wipes every copy of the keys. */
#ifndef MML_LIB_SA_H
#define MML_LIB_SA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/aead.h"
#include "lib/replay.h"
#include "lib/seq.h"
#include "maps/csa.h"

struct mml_sa {
	struct mml_csa csa;
	struct mml_aead zone[MML_ZONES]; /* encrypting (dir out) or decrypting */
	struct mml_seq seq;		 /* dir out */
	struct mml_replay replay;	 /* dir in, unless shared_win */
	struct mml_replay *shared_win;	 /* dir in: a window kept elsewhere, or NULL */
	atomic_bool rekey_wanted;	 /* set once the soft limit is passed */
};

/* The inbound window: the SA's own, or the one shared by the threads that
 * hold a copy of the SA (worker/sacache.c). */
static inline struct mml_replay *mml_sa_replay(struct mml_sa *sa)
{
	return sa->shared_win ? sa->shared_win : &sa->replay;
}

/* Validates csa and sets sa up; on -EINVAL why says which field is wrong. */
int mml_sa_init(struct mml_sa *sa, const struct mml_csa *csa, char *why, size_t why_len);
void mml_sa_free(struct mml_sa *sa);

/* Hands out the next outbound sequence number (lib/seq.h), raising
 * rekey_wanted past the soft limit. */
int mml_sa_next_seq(struct mml_sa *sa, uint32_t *seq);

/* RFC 4303 trailer: pad bytes 1, 2, 3, ..., pad length, next header 4 (IPv4),
 * so that inner + trailer is a multiple of 4. */
#define MML_NEXT_HDR_IPV4 4
static inline size_t mml_trailer_len(size_t inner_len)
{
	return 2 + (4 - (inner_len + 2) % 4) % 4;
}
void mml_trailer_write(uint8_t *p, size_t inner_len);
/* Validates the trailer at the end of p[0, len); returns the inner length or
 * -MML_E_MALFORMED. */
long mml_trailer_strip(const uint8_t *p, size_t len);

/* Smallest inner packet the codecs accept: an IPv4 header. */
#define MML_INNER_MIN 20

#endif
