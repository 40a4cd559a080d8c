#include "lib/mlesp.h"

#include <errno.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/err.h"

/* Implicit IV of RFC 8750: the nonce's last 8 bytes are 0^4 || Seq. */
static inline void implicit_iv(uint8_t iv[8], const uint8_t *seq_be)
{
	memset(iv, 0, 4);
	memcpy(iv + 4, seq_be, 4);
}

size_t mml_mlesp_layout(const struct mml_sa *sa, const uint8_t *inner, size_t inner_len,
			uint8_t *out)
{
	size_t p_len = inner_len + mml_trailer_len(inner_len);
	size_t l1 = sa->csa.z1_len < p_len ? sa->csa.z1_len : p_len;
	uint8_t *c1 = out + MML_MLESP_HDR_LEN;

	/* Lay P out where zone 2 starts after a T1-sized gap, then move zone 1
	 * (at most 128 bytes) back over the gap: one copy of the inner packet,
	 * both zones then sealed in place. */
	memcpy(c1 + MML_TAG_LEN, inner, inner_len);
	mml_trailer_write(c1 + MML_TAG_LEN + inner_len, inner_len);
	memmove(c1, c1 + MML_TAG_LEN, l1);
	return l1;
}

ssize_t mml_mlesp_seal(struct mml_sa *sa, uint32_t seq, const uint8_t *inner, size_t inner_len,
		       uint8_t *out, size_t out_cap)
{
	size_t p_len = inner_len + mml_trailer_len(inner_len);
	size_t esp_len = MML_MLESP_OVERHEAD + p_len;
	size_t l1 = sa->csa.z1_len < p_len ? sa->csa.z1_len : p_len;
	uint8_t *c1 = out + MML_MLESP_HDR_LEN;
	uint8_t *c2 = c1 + l1 + MML_TAG_LEN;
	uint8_t iv[8];
	int err;

	if (inner_len < MML_INNER_MIN || sa->csa.format != MML_FMT_MLESP ||
	    sa->csa.dir != MML_DIR_OUT)
		return -EINVAL;
	if (out_cap < esp_len)
		return -ENOSPC;
	put_be32(out, sa->csa.spi);
	put_be32(out + 4, seq);
	implicit_iv(iv, out + 4);
	mml_mlesp_layout(sa, inner, inner_len, out);
	err = mml_aead_seal(&sa->zone[0], iv, out, MML_MLESP_HDR_LEN, c1, c1, l1, c1 + l1);
	if (!err)
		err = mml_aead_seal(&sa->zone[1], iv, out, MML_MLESP_HDR_LEN, c2, c2, p_len - l1,
				    c2 + p_len - l1);
	return err ? err : (ssize_t)esp_len;
}

ssize_t mml_mlesp_encap(struct mml_sa *sa, const uint8_t *inner, size_t inner_len, uint8_t *out,
			size_t out_cap)
{
	uint32_t seq;
	int err;

	if (sa->csa.dir != MML_DIR_OUT || sa->csa.format != MML_FMT_MLESP)
		return -EINVAL;
	if (out_cap < mml_mlesp_len(inner_len))
		return -ENOSPC;
	err = mml_sa_next_seq(sa, &seq);
	if (err)
		return err;
	return mml_mlesp_seal(sa, seq, inner, inner_len, out, out_cap);
}

/* Lengths only, nothing decrypted: |P| and L1 follow from the ESP length. */
static int parse_header(const struct mml_sa *sa, const uint8_t *esp, size_t len, size_t *p_len,
			size_t *l1)
{
	if (len < MML_MLESP_MIN_LEN)
		return -MML_E_TRUNCATED;
	*p_len = len - MML_MLESP_OVERHEAD;
	if (*p_len % 4)
		return -MML_E_MALFORMED;
	if (get_be32(esp) != sa->csa.spi)
		return -MML_E_SPI;
	*l1 = sa->csa.z1_len < *p_len ? sa->csa.z1_len : *p_len;
	return 0;
}

long mml_mlesp_join(uint8_t *esp, size_t l1, size_t p_len)
{
	uint8_t *c1 = esp + MML_MLESP_HDR_LEN, *p = c1 + MML_TAG_LEN;

	/* Close the T1 gap by moving zone 1 forward: P becomes contiguous. */
	memmove(p, c1, l1);
	return mml_trailer_strip(p, p_len);
}

ssize_t mml_mlesp_decap(struct mml_sa *sa, uint8_t *esp, size_t len, uint8_t **inner)
{
	size_t p_len, l1;
	uint8_t *c1 = esp + MML_MLESP_HDR_LEN, *c2, *p;
	uint8_t iv[8];
	int err, bad1, bad2;
	long inner_len;

	if (sa->csa.dir != MML_DIR_IN || sa->csa.format != MML_FMT_MLESP)
		return -EINVAL;
	err = parse_header(sa, esp, len, &p_len, &l1);
	if (err)
		return err;
	err = mml_replay_check(mml_sa_replay(sa), get_be32(esp + 4));
	if (err)
		return err;
	implicit_iv(iv, esp + 4);
	c2 = c1 + l1 + MML_TAG_LEN;

	/* Both zones are always checked, so that a failure can be told apart:
	 * the AAD (SPI, Seq) is common to both zones, so an altered header fails
	 * both tags while damage inside a zone fails only that zone's. */
	bad1 = mml_aead_open(&sa->zone[0], iv, esp, MML_MLESP_HDR_LEN, c1, c1, l1, c1 + l1);
	bad2 = mml_aead_open(&sa->zone[1], iv, esp, MML_MLESP_HDR_LEN, c2, c2, p_len - l1,
			     c2 + p_len - l1);
	if (bad1 && bad2)
		return -MML_E_AUTH_HDR;
	if (bad1)
		return -MML_E_AUTH_ZONE1;
	if (bad2)
		return -MML_E_AUTH_ZONE2;

	inner_len = mml_mlesp_join(esp, l1, p_len);
	if (inner_len < 0)
		return inner_len;
	p = c1 + MML_TAG_LEN;
	err = mml_replay_update(mml_sa_replay(sa), get_be32(esp + 4));
	if (err)
		return err; /* another thread accepted the same number meanwhile */
	*inner = p;
	return inner_len;
}

ssize_t mml_mlesp_fa_view(struct mml_sa *sa, const uint8_t *esp, size_t len, uint8_t *hdr,
			  size_t hdr_cap)
{
	size_t p_len, l1;
	const uint8_t *c1 = esp + MML_MLESP_HDR_LEN;
	uint8_t iv[8];
	int err;

	if (sa->csa.dir == MML_DIR_OUT || sa->csa.format != MML_FMT_MLESP)
		return -EINVAL;
	err = parse_header(sa, esp, len, &p_len, &l1);
	if (err)
		return err;
	if (hdr_cap < l1)
		return -ENOSPC;
	implicit_iv(iv, esp + 4);
	if (mml_aead_open(&sa->zone[0], iv, esp, MML_MLESP_HDR_LEN, c1, hdr, l1, c1 + l1))
		return -MML_E_AUTH_ZONE1;
	return (ssize_t)l1;
}
