#include "lib/sa.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/csa.h"
#include "lib/err.h"

_Static_assert(MML_Z1_MAX <= MML_AEAD_SMALL_MAX, "ML-ESP's zone 1 takes lib/aead's short road");

int mml_sa_init(struct mml_sa *sa, const struct mml_csa *csa, char *why, size_t why_len)
{
	bool encrypt = csa->dir == MML_DIR_OUT;
	int err;

	memset(sa, 0, sizeof(*sa));
	err = mml_csa_validate(csa, why, why_len);
	if (err)
		return err;
	sa->csa = *csa;
	for (int z = 0; z < MML_ZONES; z++) {
		if (csa->zone[z].alg == MML_ALG_NULL)
			continue;
		/* ML-ESP's zone 1 is at most MML_Z1_MAX (128) bytes. */
		err = csa->format == MML_FMT_MLESP && z == 0 ?
			      mml_aead_init_small(&sa->zone[z], csa->zone[z].alg, csa->zone[z].key,
						  csa->zone[z].salt, encrypt) :
			      mml_aead_init(&sa->zone[z], csa->zone[z].alg, csa->zone[z].key,
					    csa->zone[z].salt, encrypt);
		if (err)
			goto fail;
	}
	if (csa->dir == MML_DIR_OUT)
		err = mml_seq_init(&sa->seq, csa->soft_packets, csa->hard_packets);
	else if (csa->dir == MML_DIR_IN)
		err = mml_replay_init(&sa->replay, csa->replay_window);
	if (err)
		goto fail;
	return 0;
fail:
	mml_sa_free(sa);
	return err;
}

void mml_sa_free(struct mml_sa *sa)
{
	for (int z = 0; z < MML_ZONES; z++)
		mml_aead_free(&sa->zone[z]);
	mml_replay_free(&sa->replay);
	OPENSSL_cleanse(sa, sizeof(*sa));
}

int mml_sa_next_seq(struct mml_sa *sa, uint32_t *seq)
{
	int ret = mml_seq_next(&sa->seq, seq);

	if (ret == MML_SEQ_REKEY) {
		atomic_store_explicit(&sa->rekey_wanted, true, memory_order_relaxed);
		ret = 0;
	}
	return ret;
}

void mml_trailer_write(uint8_t *p, size_t inner_len)
{
	size_t pad = mml_trailer_len(inner_len) - 2;

	for (size_t i = 0; i < pad; i++)
		p[i] = (uint8_t)(i + 1);
	p[pad] = (uint8_t)pad;
	p[pad + 1] = MML_NEXT_HDR_IPV4;
}

long mml_trailer_strip(const uint8_t *p, size_t len)
{
	size_t pad, inner;

	if (len < MML_INNER_MIN + 2)
		return -MML_E_MALFORMED;
	if (p[len - 1] != MML_NEXT_HDR_IPV4)
		return -MML_E_MALFORMED;
	pad = p[len - 2];
	if (pad + 2 + MML_INNER_MIN > len)
		return -MML_E_MALFORMED;
	inner = len - 2 - pad;
	/* RFC 4303 2.4: the default padding is the byte sequence 1, 2, 3, ... */
	for (size_t i = 0; i < pad; i++)
		if (p[inner + i] != (uint8_t)(i + 1))
			return -MML_E_MALFORMED;
	return (long)inner;
}
