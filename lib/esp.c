#include "lib/esp.h"

#include <errno.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/err.h"

ssize_t mml_esp_seal(struct mml_sa *sa, uint32_t seq, const uint8_t iv[MML_ESP_IV_LEN],
		     const uint8_t *inner, size_t inner_len, uint8_t *out, size_t out_cap)
{
	size_t p_len = inner_len + mml_trailer_len(inner_len);
	size_t esp_len = MML_ESP_OVERHEAD + p_len;
	uint8_t *c = out + MML_ESP_HDR_LEN + MML_ESP_IV_LEN;
	int err;

	if (inner_len < MML_INNER_MIN || sa->csa.format != MML_FMT_ESP ||
	    sa->csa.dir != MML_DIR_OUT)
		return -EINVAL;
	if (out_cap < esp_len)
		return -ENOSPC;
	put_be32(out, sa->csa.spi);
	put_be32(out + 4, seq);
	memcpy(out + MML_ESP_HDR_LEN, iv, MML_ESP_IV_LEN);
	memcpy(c, inner, inner_len);
	mml_trailer_write(c + inner_len, inner_len);
	err = mml_aead_seal(&sa->zone[0], iv, out, MML_ESP_HDR_LEN, c, c, p_len, c + p_len);
	return err ? err : (ssize_t)esp_len;
}

ssize_t mml_esp_encap(struct mml_sa *sa, const uint8_t *inner, size_t inner_len, uint8_t *out,
		      size_t out_cap)
{
	uint8_t iv[MML_ESP_IV_LEN] = { 0 };
	uint32_t seq;
	int err;

	if (sa->csa.dir != MML_DIR_OUT || sa->csa.format != MML_FMT_ESP)
		return -EINVAL;
	if (out_cap < mml_esp_len(inner_len))
		return -ENOSPC;
	err = mml_sa_next_seq(sa, &seq);
	if (err)
		return err;
	put_be32(iv + 4, seq);
	return mml_esp_seal(sa, seq, iv, inner, inner_len, out, out_cap);
}

ssize_t mml_esp_decap(struct mml_sa *sa, uint8_t *esp, size_t len, uint8_t **inner)
{
	uint8_t *iv = esp + MML_ESP_HDR_LEN, *c = iv + MML_ESP_IV_LEN;
	size_t p_len;
	long inner_len;
	int err;

	if (sa->csa.dir != MML_DIR_IN || sa->csa.format != MML_FMT_ESP)
		return -EINVAL;
	if (len < MML_ESP_MIN_LEN)
		return -MML_E_TRUNCATED;
	p_len = len - MML_ESP_OVERHEAD;
	if (p_len % 4)
		return -MML_E_MALFORMED;
	if (get_be32(esp) != sa->csa.spi)
		return -MML_E_SPI;
	err = mml_replay_check(mml_sa_replay(sa), get_be32(esp + 4));
	if (err)
		return err;
	if (mml_aead_open(&sa->zone[0], iv, esp, MML_ESP_HDR_LEN, c, c, p_len, c + p_len))
		return -MML_E_AUTH;
	inner_len = mml_trailer_strip(c, p_len);
	if (inner_len < 0)
		return inner_len;
	err = mml_replay_update(mml_sa_replay(sa), get_be32(esp + 4));
	if (err)
		return err; /* another thread accepted the same number meanwhile */
	*inner = c;
	return inner_len;
}
