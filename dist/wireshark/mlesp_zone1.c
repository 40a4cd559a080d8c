/* Zone 1 of an ML-ESP packet opened with libgcrypt, the library Wireshark
 * itself decrypts ESP with: nonce = salt || 0 || sequence (RFC 8750's
 * implicit IV), AAD = SPI || sequence (DESIGN.md 2.1). */
#include <string.h>

#include <wsutil/wsgcrypt.h>

#include "mml_ws.h"

int mlesp_zone1_open(const struct mlesp_key *k, uint32_t seq, const uint8_t aad[MLESP_HDR_LEN],
		     const uint8_t *c1, unsigned int len, const uint8_t tag[MLESP_TAG_LEN],
		     uint8_t *out)
{
	gcry_cipher_hd_t h = NULL;
	uint8_t nonce[12] = { 0 };
	gcry_error_t err;
	int ret = -1;

	memcpy(nonce, k->salt, MLESP_SALT_LEN);
	nonce[8] = (uint8_t)(seq >> 24);
	nonce[9] = (uint8_t)(seq >> 16);
	nonce[10] = (uint8_t)(seq >> 8);
	nonce[11] = (uint8_t)seq;
	if (gcry_cipher_open(&h, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0))
		goto out;
	if (gcry_cipher_setkey(h, k->key, MLESP_KEY_LEN) ||
	    gcry_cipher_setiv(h, nonce, sizeof(nonce)) ||
	    gcry_cipher_authenticate(h, aad, MLESP_HDR_LEN))
		goto out;
	if (gcry_cipher_final(h) || gcry_cipher_decrypt(h, out, len, c1, len))
		goto out;
	err = gcry_cipher_checktag(h, tag, MLESP_TAG_LEN);
	ret = gcry_err_code(err) == GPG_ERR_NO_ERROR ? 1 : 0;
out:
	gcry_cipher_close(h);
	return ret;
}
