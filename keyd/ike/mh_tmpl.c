/* keyd/ike/mh_tmpl.h: HKDF through OpenSSL's EVP_KDF (no hand-made HMAC
 * chain), the rest a copy of the template with the mobile's own parts. */
#include "keyd/ike/mh_tmpl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "lib/args.h"
#include "lib/log.h"

#define MH_PSK_SALT "mmlipsec mobile host psk v1"

static int hkdf(const uint8_t *key, size_t key_len, const char *info, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)MH_PSK_SALT,
						  strlen(MH_PSK_SALT)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info)),
		OSSL_PARAM_construct_end(),
	};
	int err = ctx && EVP_KDF_derive(ctx, out, out_len, p) == 1 ? 0 : -EIO;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return err;
}

int mh_tmpl_psk(const uint8_t *master, size_t master_len, uint32_t home,
		char out[MH_PSK_HEX_LEN + 1])
{
	uint8_t k[MH_PSK_HEX_LEN / 2];
	char info[32], a[16];
	int err;

	snprintf(info, sizeof(info), "ipv4:%s", mml_ipv4_str(home, a));
	err = hkdf(master, master_len, info, k, sizeof(k));
	for (size_t i = 0; !err && i < sizeof(k); i++)
		snprintf(out + 2 * i, 3, "%02x", k[i]);
	OPENSSL_cleanse(k, sizeof(k));
	return err;
}

const struct ike_peer_cfg *mh_tmpl_match(const struct ike_peer_cfg *peers, unsigned int n,
					 uint32_t home)
{
	for (unsigned int i = 0; i < n; i++)
		if (peers[i].tmpl && (home & peers[i].tmpl_mask) == peers[i].tmpl_net)
			return &peers[i];
	return NULL;
}

struct ike_peer_cfg *mh_tmpl_derive(const struct ike_peer_cfg *t, uint32_t home)
{
	struct ike_peer_cfg *c = malloc(sizeof(*c));
	char psk[MH_PSK_HEX_LEN + 1], a[16];

	if (!c) {
		log_err("mobile %s: %s", mml_ipv4_str(home, a), strerror(ENOMEM));
		return NULL;
	}
	*c = *t;
	c->tmpl = false;
	c->derived = true;
	c->refs = 1;
	c->addr = home;
	snprintf(c->name, sizeof(c->name), "mh-%s", mml_ipv4_str(home, a));
	c->peer_id = (struct ike_identity){ .type = IKE_ID_IPV4_ADDR, .len = 4 };
	memcpy(c->peer_id.data, &home, 4);
	OPENSSL_cleanse(c->psk, sizeof(c->psk));
	if (mh_tmpl_psk(t->psk, t->psk_len, home, psk)) {
		log_err("mobile %s: PSK derivation failed", mml_ipv4_str(home, a));
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
		return NULL;
	}
	memcpy(c->psk, psk, MH_PSK_HEX_LEN);
	c->psk_len = MH_PSK_HEX_LEN;
	OPENSSL_cleanse(psk, sizeof(psk));
	return c;
}

void mh_tmpl_put(const struct ike_peer_cfg *cfg)
{
	struct ike_peer_cfg *c = (struct ike_peer_cfg *)cfg;

	if (!c || !c->derived || --c->refs)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}
