#include "worker/keyfp.h"

#include <errno.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define EP_KEY_FP_LABEL "mmlipsec key fingerprint v1"

int ep_key_fp(const struct mml_csa *csa, struct mml_key_fp *fp)
{
	unsigned char keys[MML_ZONES * MML_KEY_LEN], mac[EVP_MAX_MD_SIZE];
	size_t n = 0, mac_len = 0;
	int err = 0;

	for (int z = 0; z < MML_ZONES; z++) {
		if (csa->zone[z].alg == MML_ALG_NULL)
			continue;
		memcpy(keys + n, csa->zone[z].key, MML_KEY_LEN);
		n += MML_KEY_LEN;
	}
	if (!n ||
	    !EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, keys, n,
		       (const unsigned char *)EP_KEY_FP_LABEL, sizeof(EP_KEY_FP_LABEL) - 1, mac,
		       sizeof(mac), &mac_len) ||
	    mac_len < sizeof(fp->b))
		err = -EIO;
	else
		memcpy(fp->b, mac, sizeof(fp->b));
	OPENSSL_cleanse(keys, sizeof(keys));
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}
