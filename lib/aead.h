/* One AEAD key (ChaCha20-Poly1305 or AES-256-GCM) with its OpenSSL context,
 * set up once per SA: per packet only the nonce changes, so sealing or
 * opening allocates nothing. Nonce = salt(4) || iv(8) for both algorithms
 * (RFC 4106 / RFC 7634 with an explicit IV, RFC 8750 style implicit IV).
 *
 * ChaCha20-Poly1305 up to MML_AEAD_SMALL_MAX bytes goes through Nettle
 * instead: OpenSSL's per-call machinery (provider dispatch, parameters)
 * costs more than the cipher on ML-ESP's 40-byte zone 1 (docs/endpoints.md,
 * "Zone 1 through Nettle"); above it OpenSSL's wide SIMD code is faster. */
#ifndef MML_LIB_AEAD_H
#define MML_LIB_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "maps/csa.h"

#define MML_AEAD_SMALL_MAX 128

struct chacha_poly1305_ctx;

struct mml_aead {
	EVP_CIPHER_CTX *ctx;
	struct chacha_poly1305_ctx *small; /* ChaCha20-Poly1305 only: Nettle's context */
	uint8_t salt[MML_SALT_LEN];
	uint8_t alg;
	bool encrypt;
};

int mml_aead_init(struct mml_aead *a, uint8_t alg, const uint8_t key[MML_KEY_LEN],
		  const uint8_t salt[MML_SALT_LEN], bool encrypt);
/* For messages of at most MML_AEAD_SMALL_MAX bytes (ML-ESP's zone 1):
 * ChaCha20-Poly1305 gets Nettle's context alone, no OpenSSL one (about 1 KB
 * less per SA, and less to bring into the cache per packet); a longer
 * message is refused with -EMSGSIZE. Other algorithms as mml_aead_init. */
int mml_aead_init_small(struct mml_aead *a, uint8_t alg, const uint8_t key[MML_KEY_LEN],
			const uint8_t salt[MML_SALT_LEN], bool encrypt);
/* Frees the contexts (OpenSSL cleanses its key schedule, Nettle's is wiped
 * here) and wipes the salt; safe on a zeroed or already freed struct. */
void mml_aead_free(struct mml_aead *a);

/* OpenSSL for every length from now on (Nettle's context wiped): the
 * benchmarks' one raw OpenSSL pass, and tests of both roads. */
void mml_aead_openssl_only(struct mml_aead *a);

/* Encrypt len bytes from in to out (may be equal) and write the 16-byte tag. */
int mml_aead_seal(struct mml_aead *a, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag);
/* Decrypt and verify; returns 0, or -EBADMSG when the tag does not match
 * (out then holds garbage the caller must drop). */
int mml_aead_open(struct mml_aead *a, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag);

const char *mml_alg_name(uint8_t alg);
/* Parses "chacha20poly1305" / "aes256gcm" (and "null"); -EINVAL otherwise. */
int mml_alg_parse(const char *name, uint8_t *alg);

#endif
