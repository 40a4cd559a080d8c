/* Mobility security associations (RFC 5944 3.5, 5.1): SPI-indexed keys and
 * the authenticators of the Mobile-Home, Mobile-Foreign and Foreign-Home
 * Authentication Extensions. HMAC-MD5 (RFC 2104, RFC 5944's default) and
 * HMAC-SHA-1/SHA-256 through OpenSSL's EVP_MAC. */
#ifndef MML_KEYD_MIP_AUTH_H
#define MML_KEYD_MIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyd/mip_wire.h"

#define MIP_KEY_MAX 64

enum mip_auth_alg {
	MIP_ALG_HMAC_MD5 = 1,
	MIP_ALG_HMAC_SHA1 = 2,
	MIP_ALG_HMAC_SHA256 = 3,
};

struct mip_key {
	uint32_t spi;
	enum mip_auth_alg alg;
	void *mac_ctx; /* EVP_MAC_CTX keyed once, re-initialised per message */
};

/* "hmac-md5", "hmac-sha1", "hmac-sha256" -> alg; -EINVAL otherwise. */
int mip_alg_parse(const char *name, enum mip_auth_alg *alg);
const char *mip_alg_str(enum mip_auth_alg alg);
/* Authenticator length in bytes. */
unsigned int mip_alg_auth_len(enum mip_auth_alg alg);

/* Keys the context; the caller wipes its copy of the secret afterwards. */
int mip_key_init(struct mip_key *k, uint32_t spi, enum mip_auth_alg alg, const uint8_t *secret,
		 size_t secret_len);
/* Frees the context (OpenSSL wipes the key). NULL-safe, idempotent. */
void mip_key_free(struct mip_key *k);

/* Appends an authentication extension of `type` keyed by k at msg + len:
 * header, then the MAC over everything before the authenticator. Returns
 * the new length or -ENOSPC/-EIO. */
int mip_auth_append(const struct mip_key *k, uint8_t type, uint8_t *msg, size_t size, size_t len);
/* True when ext (parsed from msg) carries k's SPI and a correct
 * authenticator (constant-time comparison). */
bool mip_auth_verify(const struct mip_key *k, const uint8_t *msg, size_t len,
		     const struct mip_auth_ext *ext);

/* Parses hex (whitespace ignored) into out; returns the byte count or
 * -EINVAL. */
int mip_hex_decode(const char *hex, uint8_t *out, size_t size);

#endif
