#include "keyd/ike/ike_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/bytes.h"

int ike_dh_generate(struct ike_dh *dh)
{
	size_t len = IKE_X25519_LEN;

	dh->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (!dh->pkey)
		return -ENOMEM;
	if (!EVP_PKEY_get_raw_public_key(dh->pkey, dh->pub, &len) || len != IKE_X25519_LEN) {
		ike_dh_free(dh);
		return -EIO;
	}
	return 0;
}

int ike_dh_from_private(struct ike_dh *dh, const uint8_t priv[IKE_X25519_LEN])
{
	size_t len = IKE_X25519_LEN;

	dh->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, IKE_X25519_LEN);
	if (!dh->pkey)
		return -EINVAL;
	if (!EVP_PKEY_get_raw_public_key(dh->pkey, dh->pub, &len)) {
		ike_dh_free(dh);
		return -EIO;
	}
	return 0;
}

int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer_pub, size_t len,
		  uint8_t out[IKE_X25519_LEN])
{
	static const uint8_t zero[IKE_X25519_LEN];
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t out_len = IKE_X25519_LEN;
	int err = -EINVAL;

	if (len != IKE_X25519_LEN || !dh->pkey)
		return -EINVAL;
	peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, len);
	ctx = EVP_PKEY_CTX_new(dh->pkey, NULL);
	if (!peer || !ctx) {
		err = -ENOMEM;
		goto out;
	}
	if (EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &out_len) <= 0 || out_len != IKE_X25519_LEN)
		goto out;
	/* A low-order peer point yields zero: refuse it (RFC 7748 6.1). */
	if (CRYPTO_memcmp(out, zero, IKE_X25519_LEN) == 0)
		goto out;
	err = 0;
out:
	if (err)
		OPENSSL_cleanse(out, IKE_X25519_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return err;
}

void ike_dh_free(struct ike_dh *dh)
{
	EVP_PKEY_free(dh->pkey);
	dh->pkey = NULL;
}

int ike_prf(const uint8_t *key, size_t key_len, const struct ike_iov *parts, unsigned int n,
	    uint8_t out[IKE_PRF_LEN])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_END,
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t out_len = 0;
	int err = -EIO;

	if (!ctx) {
		err = -ENOMEM;
		goto out;
	}
	if (!EVP_MAC_init(ctx, key, key_len, params))
		goto out;
	for (unsigned int i = 0; i < n; i++)
		if (parts[i].len && !EVP_MAC_update(ctx, parts[i].p, parts[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, &out_len, IKE_PRF_LEN) || out_len != IKE_PRF_LEN)
		goto out;
	err = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return err;
}

#define PRF_PLUS_SEED_MAX 8

int ike_prf_plus(const uint8_t *key, size_t key_len, const struct ike_iov *seed, unsigned int n,
		 uint8_t *out, size_t out_len)
{
	struct ike_iov parts[PRF_PLUS_SEED_MAX + 2];
	uint8_t t[IKE_PRF_LEN];
	size_t done = 0;
	uint8_t counter = 1;
	int err = 0;

	if (n > PRF_PLUS_SEED_MAX || out_len > 255 * IKE_PRF_LEN)
		return -EINVAL;
	while (done < out_len) {
		unsigned int k = 0;
		size_t take;

		/* T(i) = prf(K, T(i-1) | S | i), T(0) empty. */
		if (counter > 1)
			parts[k++] = (struct ike_iov){ t, IKE_PRF_LEN };
		for (unsigned int i = 0; i < n; i++)
			parts[k++] = seed[i];
		parts[k++] = (struct ike_iov){ &counter, 1 };
		err = ike_prf(key, key_len, parts, k, t);
		if (err)
			break;
		take = out_len - done < IKE_PRF_LEN ? out_len - done : IKE_PRF_LEN;
		memcpy(out + done, t, take);
		done += take;
		counter++;
	}
	OPENSSL_cleanse(t, sizeof(t));
	if (err)
		OPENSSL_cleanse(out, out_len);
	return err;
}

int ike_derive_keys(const uint8_t *old_sk_d, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		    size_t nr_len, const uint8_t *g_ir, size_t g_ir_len,
		    const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
		    struct ike_keys *k)
{
	uint8_t nonces[2 * IKE_NONCE_MAX];
	uint8_t skeyseed[IKE_PRF_LEN];
	uint8_t stream[sizeof(struct ike_keys)];
	struct ike_iov seed[] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, IKE_SPI_LEN }, { spi_r, IKE_SPI_LEN }
	};
	int err;

	if (ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX)
		return -EINVAL;
	if (old_sk_d) {
		struct ike_iov parts[] = { { g_ir, g_ir_len }, { ni, ni_len }, { nr, nr_len } };

		err = ike_prf(old_sk_d, IKE_PRF_LEN, parts, 3, skeyseed);
	} else {
		struct ike_iov parts[] = { { g_ir, g_ir_len } };

		/* The PRF key is Ni | Nr (HMAC takes any key length). */
		memcpy(nonces, ni, ni_len);
		memcpy(nonces + ni_len, nr, nr_len);
		err = ike_prf(nonces, ni_len + nr_len, parts, 1, skeyseed);
	}
	if (err)
		goto out;
	/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr; the integrity
	 * keys are empty with an AEAD. */
	err = ike_prf_plus(skeyseed, IKE_PRF_LEN, seed, 4, stream, sizeof(stream));
	if (err)
		goto out;
	memcpy(k->sk_d, stream, IKE_PRF_LEN);
	memcpy(k->sk_ei, stream + 32, IKE_AEAD_KEYMAT_LEN);
	memcpy(k->sk_er, stream + 68, IKE_AEAD_KEYMAT_LEN);
	memcpy(k->sk_pi, stream + 104, IKE_PRF_LEN);
	memcpy(k->sk_pr, stream + 136, IKE_PRF_LEN);
out:
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	OPENSSL_cleanse(stream, sizeof(stream));
	OPENSSL_cleanse(nonces, sizeof(nonces));
	return err;
}

int ike_psk_auth(const uint8_t *psk, size_t psk_len, const uint8_t *msg, size_t msg_len,
		 const uint8_t *nonce, size_t nonce_len, const uint8_t sk_p[IKE_PRF_LEN],
		 const uint8_t *id_body, size_t id_len, uint8_t out[IKE_PRF_LEN])
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t maced_id[IKE_PRF_LEN], key[IKE_PRF_LEN];
	struct ike_iov id_part = { id_body, id_len };
	struct ike_iov pad_part = { pad, sizeof(pad) - 1 };
	struct ike_iov octets[] = { { msg, msg_len },
				    { nonce, nonce_len },
				    { maced_id, IKE_PRF_LEN } };
	int err;

	err = ike_prf(sk_p, IKE_PRF_LEN, &id_part, 1, maced_id);
	if (!err)
		err = ike_prf(psk, psk_len, &pad_part, 1, key);
	if (!err)
		err = ike_prf(key, IKE_PRF_LEN, octets, 3, out);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(maced_id, sizeof(maced_id));
	return err;
}

int ike_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

int ike_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

uint8_t ike_encr_to_alg(uint16_t encr)
{
	switch (encr) {
	case IKE_ENCR_AES_GCM_16:
		return MML_ALG_AES256_GCM;
	case IKE_ENCR_CHACHA20_POLY1305:
		return MML_ALG_CHACHA20_POLY1305;
	default:
		return 0;
	}
}

int ike_sk_init(struct ike_sk *sk, uint16_t encr, const uint8_t k_out[IKE_AEAD_KEYMAT_LEN],
		const uint8_t k_in[IKE_AEAD_KEYMAT_LEN])
{
	uint8_t alg = ike_encr_to_alg(encr);
	int err;

	memset(sk, 0, sizeof(*sk));
	if (!alg)
		return -EINVAL;
	err = mml_aead_init(&sk->out, alg, k_out, k_out + IKE_AEAD_KEY_LEN, true);
	if (!err)
		err = mml_aead_init(&sk->in, alg, k_in, k_in + IKE_AEAD_KEY_LEN, false);
	if (err)
		ike_sk_free(sk);
	return err;
}

void ike_sk_free(struct ike_sk *sk)
{
	mml_aead_free(&sk->out);
	mml_aead_free(&sk->in);
	sk->iv_next = 0;
}

int ike_sk_seal(struct ike_sk *sk, struct ike_wbuf *wb, uint8_t first_inner, const uint8_t *inner,
		size_t inner_len)
{
	static const uint8_t icv[IKE_AEAD_ICV_LEN];
	size_t start, ct_off;
	uint8_t iv[IKE_AEAD_IV_LEN];
	uint8_t *ct;
	int err;

	start = ike_wb_pl_begin(wb, IKE_PL_SK, false);
	put_be32(iv, (uint32_t)(sk->iv_next >> 32));
	put_be32(iv + 4, (uint32_t)sk->iv_next);
	sk->iv_next++;
	ike_wb_put(wb, iv, sizeof(iv));
	ct_off = wb->len;
	/* No padding: an AEAD needs no block alignment (RFC 5282 3). */
	ike_wb_put(wb, inner, inner_len);
	ike_wb_put8(wb, 0);
	ike_wb_put(wb, icv, sizeof(icv));
	ike_wb_pl_end(wb, start);
	if (ike_wb_finish_msg(wb))
		return -EMSGSIZE;
	/* The SK header's next-payload names the first inner payload. */
	wb->buf[start] = first_inner;
	ct = wb->buf + ct_off;
	err = mml_aead_seal(&sk->out, iv, wb->buf, start + IKE_GEN_HDR_LEN, ct, ct, inner_len + 1,
			    ct + inner_len + 1);
	return err;
}

int ike_sk_open(struct ike_sk *sk, uint8_t *msg, size_t msg_len, const struct ike_pl *sk_pl,
		uint8_t **plain, size_t *plain_len)
{
	size_t aad_len = (size_t)(sk_pl->body - msg);
	size_t ct_len;
	uint8_t *ct;
	uint8_t pad;
	int err;

	if (aad_len > msg_len || sk_pl->len < IKE_AEAD_IV_LEN + 1 + IKE_AEAD_ICV_LEN)
		return -EINVAL;
	ct = msg + aad_len + IKE_AEAD_IV_LEN;
	ct_len = sk_pl->len - IKE_AEAD_IV_LEN - IKE_AEAD_ICV_LEN;
	err = mml_aead_open(&sk->in, msg + aad_len, msg, aad_len, ct, ct, ct_len, ct + ct_len);
	if (err)
		return err == -EBADMSG ? -EBADMSG : err;
	pad = ct[ct_len - 1];
	if ((size_t)pad + 1 > ct_len)
		return -EINVAL;
	*plain = ct;
	*plain_len = ct_len - 1 - pad;
	return 0;
}
