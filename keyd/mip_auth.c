/* Registration authenticators through EVP_MAC. See mip_auth.h. */
#include "keyd/mip_auth.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static const struct {
	const char *name;
	const char *digest;
	unsigned int len;
} algs[] = {
	[MIP_ALG_HMAC_MD5] = { "hmac-md5", "MD5", 16 },
	[MIP_ALG_HMAC_SHA1] = { "hmac-sha1", "SHA1", 20 },
	[MIP_ALG_HMAC_SHA256] = { "hmac-sha256", "SHA256", 32 },
};

static bool alg_valid(enum mip_auth_alg alg)
{
	return alg >= MIP_ALG_HMAC_MD5 && alg <= MIP_ALG_HMAC_SHA256;
}

int mip_alg_parse(const char *name, enum mip_auth_alg *alg)
{
	for (int a = MIP_ALG_HMAC_MD5; a <= MIP_ALG_HMAC_SHA256; a++) {
		if (!strcmp(name, algs[a].name)) {
			*alg = (enum mip_auth_alg)a;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mip_alg_str(enum mip_auth_alg alg)
{
	return alg_valid(alg) ? algs[alg].name : "?";
}

unsigned int mip_alg_auth_len(enum mip_auth_alg alg)
{
	return alg_valid(alg) ? algs[alg].len : 0;
}

int mip_key_init(struct mip_key *k, uint32_t spi, enum mip_auth_alg alg, const uint8_t *secret,
		 size_t secret_len)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	int err = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (!alg_valid(alg) || !secret_len || secret_len > MIP_KEY_MAX)
		goto out;
	err = -EIO;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)algs[alg].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, secret, secret_len, params))
		goto out;
	k->spi = spi;
	k->alg = alg;
	k->mac_ctx = ctx;
	ctx = NULL;
	err = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return err;
}

void mip_key_free(struct mip_key *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->mac_ctx);
	k->mac_ctx = NULL;
}

static int compute(const struct mip_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	EVP_MAC_CTX *ctx = k->mac_ctx;
	size_t out_len = 0;

	/* A NULL key restarts HMAC with the key set in mip_key_init. */
	if (!ctx || !EVP_MAC_init(ctx, NULL, 0, NULL) || !EVP_MAC_update(ctx, data, len) ||
	    !EVP_MAC_final(ctx, out, &out_len, EVP_MAX_MD_SIZE) ||
	    out_len != mip_alg_auth_len(k->alg))
		return -EIO;
	return 0;
}

int mip_auth_append(const struct mip_key *k, uint8_t type, uint8_t *msg, size_t size, size_t len)
{
	unsigned int auth_len = mip_alg_auth_len(k->alg);
	uint8_t mac[EVP_MAX_MD_SIZE];
	int off, err;

	off = mip_put_auth_hdr(msg, size, len, type, k->spi, (uint8_t)auth_len);
	if (off < 0)
		return off;
	err = compute(k, msg, (size_t)off, mac);
	if (err)
		return err;
	memcpy(msg + off, mac, auth_len);
	return off + (int)auth_len;
}

bool mip_auth_verify(const struct mip_key *k, const uint8_t *msg, size_t len,
		     const struct mip_auth_ext *ext)
{
	uint8_t mac[EVP_MAX_MD_SIZE];

	if (ext->spi != k->spi || ext->auth_len != mip_alg_auth_len(k->alg) || ext->covered > len ||
	    compute(k, msg, ext->covered, mac))
		return false;
	return CRYPTO_memcmp(mac, ext->auth, ext->auth_len) == 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mip_hex_decode(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;
	int hi = -1, v;

	if (!strncmp(hex, "0x", 2))
		hex += 2;
	for (; *hex; hex++) {
		if (isspace((unsigned char)*hex) || *hex == ':')
			continue;
		v = hex_nibble(*hex);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == size)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -EINVAL;
}
