#include "lib/aead.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/chacha-poly1305.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

/* Explicit fetches, once per process: OpenSSL 3 otherwise looks the
 * implementation up again on every context initialisation. */
static EVP_CIPHER *cipher_chacha;
static EVP_CIPHER *cipher_gcm;
static pthread_once_t ciphers_once = PTHREAD_ONCE_INIT;

static void fetch_ciphers(void)
{
	cipher_chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	cipher_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *cipher_for(uint8_t alg)
{
	pthread_once(&ciphers_once, fetch_ciphers);
	switch (alg) {
	case MML_ALG_CHACHA20_POLY1305:
		return cipher_chacha;
	case MML_ALG_AES256_GCM:
		return cipher_gcm;
	default:
		return NULL;
	}
}

/* The rest of an init: Nettle's context for ChaCha20-Poly1305 (freed with
 * whatever a holds already on failure), the salt, the direction. */
static int small_init(struct mml_aead *a, uint8_t alg, const uint8_t key[MML_KEY_LEN],
		      const uint8_t salt[MML_SALT_LEN], bool encrypt)
{
	if (alg == MML_ALG_CHACHA20_POLY1305) {
		a->small = malloc(sizeof(*a->small));
		if (!a->small) {
			mml_aead_free(a);
			return -ENOMEM;
		}
		chacha_poly1305_set_key(a->small, key);
	}
	memcpy(a->salt, salt, MML_SALT_LEN);
	a->alg = alg;
	a->encrypt = encrypt;
	return 0;
}

int mml_aead_init(struct mml_aead *a, uint8_t alg, const uint8_t key[MML_KEY_LEN],
		  const uint8_t salt[MML_SALT_LEN], bool encrypt)
{
	const EVP_CIPHER *cipher = cipher_for(alg);

	memset(a, 0, sizeof(*a));
	if (!cipher)
		return alg == MML_ALG_CHACHA20_POLY1305 || alg == MML_ALG_AES256_GCM ? -ENOSYS :
										       -EINVAL;
	a->ctx = EVP_CIPHER_CTX_new();
	if (!a->ctx)
		return -ENOMEM;
	if (!EVP_CipherInit_ex2(a->ctx, cipher, key, NULL, encrypt, NULL)) {
		mml_aead_free(a);
		return -EINVAL;
	}
	return small_init(a, alg, key, salt, encrypt);
}

int mml_aead_init_small(struct mml_aead *a, uint8_t alg, const uint8_t key[MML_KEY_LEN],
			const uint8_t salt[MML_SALT_LEN], bool encrypt)
{
	if (alg != MML_ALG_CHACHA20_POLY1305)
		return mml_aead_init(a, alg, key, salt, encrypt);
	memset(a, 0, sizeof(*a));
	return small_init(a, alg, key, salt, encrypt);
}

void mml_aead_openssl_only(struct mml_aead *a)
{
	if (a->small) {
		OPENSSL_cleanse(a->small, sizeof(*a->small)); /* the ChaCha20 key */
		free(a->small);
		a->small = NULL;
	}
}

void mml_aead_free(struct mml_aead *a)
{
	EVP_CIPHER_CTX_free(a->ctx);
	mml_aead_openssl_only(a);
	OPENSSL_cleanse(a, sizeof(*a));
}

static bool small_path(const struct mml_aead *a, size_t len)
{
	return a->small && len <= MML_AEAD_SMALL_MAX;
}

static void small_start(struct mml_aead *a, const uint8_t iv[8], const uint8_t *aad, size_t aad_len)
{
	uint8_t nonce[CHACHA_POLY1305_NONCE_SIZE];

	memcpy(nonce, a->salt, 4);
	memcpy(nonce + 4, iv, 8);
	chacha_poly1305_set_nonce(a->small, nonce);
	if (aad_len)
		chacha_poly1305_update(a->small, aad_len, aad);
}

static int aead_start(struct mml_aead *a, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		      size_t len)
{
	uint8_t nonce[12];
	int outl;

	if (!a->ctx || len > INT_MAX || aad_len > INT_MAX)
		return -EMSGSIZE; /* !ctx: made for short messages only */
	memcpy(nonce, a->salt, 4);
	memcpy(nonce + 4, iv, 8);
	if (!EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, -1, NULL))
		return -EIO;
	if (aad_len && !EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aad_len))
		return -EIO;
	return 0;
}

/* The tag through the provider's parameters directly: EVP_CIPHER_CTX_ctrl
 * would translate to the same call, at a measurable cost per packet. */
static int aead_tag_param(struct mml_aead *a, uint8_t *tag, bool set)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, MML_TAG_LEN),
		OSSL_PARAM_END,
	};
	int ok = set ? EVP_CIPHER_CTX_set_params(a->ctx, params) :
		       EVP_CIPHER_CTX_get_params(a->ctx, params);

	return ok ? 0 : -EIO;
}

int mml_aead_seal(struct mml_aead *a, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
	int outl, finl, err;

	if (small_path(a, len)) {
		small_start(a, iv, aad, aad_len);
		chacha_poly1305_encrypt(a->small, len, out, in);
		chacha_poly1305_digest(a->small, MML_TAG_LEN, tag);
		return 0;
	}
	err = aead_start(a, iv, aad, aad_len, len);
	if (err)
		return err;
	outl = 0;
	if (len && !EVP_CipherUpdate(a->ctx, out, &outl, in, (int)len))
		return -EIO;
	if (!EVP_CipherFinal_ex(a->ctx, out + outl, &finl))
		return -EIO;
	return aead_tag_param(a, tag, false);
}

int mml_aead_open(struct mml_aead *a, const uint8_t iv[8], const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag)
{
	uint8_t want[MML_TAG_LEN];
	int outl, finl, err;

	if (small_path(a, len)) {
		small_start(a, iv, aad, aad_len);
		chacha_poly1305_decrypt(a->small, len, out, in);
		chacha_poly1305_digest(a->small, MML_TAG_LEN, want);
		err = CRYPTO_memcmp(want, tag, MML_TAG_LEN) ? -EBADMSG : 0;
		OPENSSL_cleanse(want, sizeof(want));
		return err;
	}
	err = aead_start(a, iv, aad, aad_len, len);
	if (err)
		return err;
	outl = 0;
	if (len && !EVP_CipherUpdate(a->ctx, out, &outl, in, (int)len))
		return -EIO;
	err = aead_tag_param(a, (uint8_t *)tag, true);
	if (err)
		return err;
	if (EVP_CipherFinal_ex(a->ctx, out + outl, &finl) <= 0)
		return -EBADMSG;
	return 0;
}

static const struct {
	uint8_t alg;
	const char *name;
} alg_names[] = {
	{ MML_ALG_NULL, "null" },
	{ MML_ALG_CHACHA20_POLY1305, "chacha20poly1305" },
	{ MML_ALG_AES256_GCM, "aes256gcm" },
};

const char *mml_alg_name(uint8_t alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "unknown";
}

int mml_alg_parse(const char *name, uint8_t *alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++) {
		if (!strcmp(alg_names[i].name, name)) {
			*alg = alg_names[i].alg;
			return 0;
		}
	}
	return -EINVAL;
}
