/* IKEv2 key schedule and primitives (RFC 7296 2.13-2.17, 2.15), all through
 * OpenSSL 3 EVP: X25519 (group 31) with EVP_PKEY, PRF_HMAC_SHA2_256 with
 * EVP_MAC, the SK payload's AEAD (RFC 5282 AES-GCM-16, RFC 7634
 * ChaCha20-Poly1305) with lib/aead. Every buffer holding a secret is wiped
 * by the function that owns it. */
#ifndef MML_KEYD_IKE_CRYPTO_H
#define MML_KEYD_IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "keyd/ike/ike_const.h"
#include "keyd/ike/ike_wire.h"
#include "lib/aead.h"

/* Keying material of an AEAD transform: key || salt. */
#define IKE_AEAD_KEYMAT_LEN (IKE_AEAD_KEY_LEN + IKE_AEAD_SALT_LEN)

struct ike_dh {
	EVP_PKEY *pkey;
	uint8_t pub[IKE_X25519_LEN];
};

int ike_dh_generate(struct ike_dh *dh);
/* For known-answer tests: a fixed private key. */
int ike_dh_from_private(struct ike_dh *dh, const uint8_t priv[IKE_X25519_LEN]);
/* g^ir; -EINVAL for a peer value of the wrong length or a low-order point
 * (all-zero result, RFC 7748 6.1). */
int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer_pub, size_t len,
		  uint8_t out[IKE_X25519_LEN]);
void ike_dh_free(struct ike_dh *dh);

struct ike_iov {
	const void *p;
	size_t len;
};

/* prf(key, parts...) with HMAC-SHA2-256. */
int ike_prf(const uint8_t *key, size_t key_len, const struct ike_iov *parts, unsigned int n,
	    uint8_t out[IKE_PRF_LEN]);
/* prf+ (RFC 7296 2.13): T1 | T2 | ... truncated to out_len (at most 255
 * blocks). */
int ike_prf_plus(const uint8_t *key, size_t key_len, const struct ike_iov *seed, unsigned int n,
		 uint8_t *out, size_t out_len);

/* The seven keys of an IKE SA for an AEAD suite (SK_ai/SK_ar are empty). */
struct ike_keys {
	uint8_t sk_d[IKE_PRF_LEN];
	uint8_t sk_ei[IKE_AEAD_KEYMAT_LEN];
	uint8_t sk_er[IKE_AEAD_KEYMAT_LEN];
	uint8_t sk_pi[IKE_PRF_LEN];
	uint8_t sk_pr[IKE_PRF_LEN];
};

/* SKEYSEED = prf(Ni | Nr, g^ir), or for a rekey prf(SK_d(old), g^ir | Ni | Nr)
 * when old_sk_d is not NULL; then the keys = prf+(SKEYSEED, Ni|Nr|SPIi|SPIr). */
int ike_derive_keys(const uint8_t *old_sk_d, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		    size_t nr_len, const uint8_t *g_ir, size_t g_ir_len,
		    const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
		    struct ike_keys *k);

/* AUTH for a pre-shared key (RFC 7296 2.15):
 * prf(prf(PSK, "Key Pad for IKEv2"), msg | nonce | prf(SK_p, id_body)),
 * where msg is the signer's first message, nonce the peer's nonce, id_body
 * the signer's ID payload body. */
int ike_psk_auth(const uint8_t *psk, size_t psk_len, const uint8_t *msg, size_t msg_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t sk_p[IKE_PRF_LEN],
		 const uint8_t *id_body, size_t id_len, uint8_t out[IKE_PRF_LEN]);

int ike_random(void *buf, size_t len);
/* Constant-time comparison. */
int ike_memeq(const void *a, const void *b, size_t len);

/* The SK payload of one IKE SA: an AEAD context per direction and the
 * counter that makes every explicit IV unique under its key. */
struct ike_sk {
	struct mml_aead out;
	struct mml_aead in;
	uint64_t iv_next;
};

/* encr: IKE_ENCR_AES_GCM_16 (256-bit key) or IKE_ENCR_CHACHA20_POLY1305. */
int ike_sk_init(struct ike_sk *sk, uint16_t encr, const uint8_t k_out[IKE_AEAD_KEYMAT_LEN],
		const uint8_t k_in[IKE_AEAD_KEYMAT_LEN]);
void ike_sk_free(struct ike_sk *sk);

/* Appends an SK payload holding the inner chain (first payload type
 * first_inner, inner_len bytes) to the message being written in wb, finishes
 * the message length and encrypts: AAD = header .. SK generic header. */
int ike_sk_seal(struct ike_sk *sk, struct ike_wbuf *wb, uint8_t first_inner, const uint8_t *inner,
		size_t inner_len);
/* Verifies and decrypts the SK payload sk_pl of msg in place; *plain and
 * *plain_len then describe the inner chain without padding. -EBADMSG when
 * authentication fails, -EINVAL for a malformed payload. */
int ike_sk_open(struct ike_sk *sk, uint8_t *msg, size_t msg_len, const struct ike_pl *sk_pl,
		uint8_t **plain, size_t *plain_len);

/* Maps an IKE ENCR id to the lib/aead algorithm (0 when unsupported). */
uint8_t ike_encr_to_alg(uint16_t encr);

#endif
