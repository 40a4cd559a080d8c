/* The responder's cookies (RFC 7296 2.6): Cookie = version | prf(secret,
 * Ni | IPi | SPIi). The secret is replaced every cookie_rotate_ms; a cookie
 * made with the one before is taken for cookie_grace_ms after the change,
 * older ones never, so a cookie collected once cannot be used for long.
 * The change happens when a cookie is next made or checked: a secret
 * nobody used needs no replacing, and a late change gives the previous
 * secret its grace from when the change was due, not from when it
 * happened. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_sa.h"
#include "lib/bytes.h"
#include "lib/log.h"

int ike_cookie_init(struct ike_engine *eng)
{
	if (!eng->cfg.cookie_rotate_ms)
		eng->cfg.cookie_rotate_ms = 60000;
	if (!eng->cfg.cookie_grace_ms)
		eng->cfg.cookie_grace_ms = 10000;
	eng->cookie_rotate_at_ms = ike_now_ms() + eng->cfg.cookie_rotate_ms;
	eng->cookie_prev_until_ms = 0; /* no previous secret yet */
	return ike_random(eng->cookie_secret, sizeof(eng->cookie_secret));
}

static void rotate(struct ike_engine *eng)
{
	uint64_t now = ike_now_ms();
	uint8_t fresh[IKE_PRF_LEN];

	if (now < eng->cookie_rotate_at_ms)
		return;
	/* No randomness: keep the secret, try again at the next use. */
	if (ike_random(fresh, sizeof(fresh))) {
		log_warn("cookie secret: no random bytes, not replaced");
		return;
	}
	memcpy(eng->cookie_prev, eng->cookie_secret, sizeof(eng->cookie_prev));
	memcpy(eng->cookie_secret, fresh, sizeof(eng->cookie_secret));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	eng->cookie_prev_until_ms = eng->cookie_rotate_at_ms + eng->cfg.cookie_grace_ms;
	eng->cookie_version++;
	eng->cookie_rotate_at_ms = now + eng->cfg.cookie_rotate_ms;
}

static void cookie_value(const uint8_t secret[IKE_PRF_LEN], uint32_t version,
			 const uint8_t spi_i[IKE_SPI_LEN], const uint8_t *ni, size_t ni_len,
			 uint32_t addr, uint8_t out[IKE_COOKIE_LEN])
{
	struct ike_iov parts[] = { { ni, ni_len },
				   { &addr, sizeof(addr) },
				   { spi_i, IKE_SPI_LEN } };

	put_be32(out, version);
	ike_prf(secret, IKE_PRF_LEN, parts, 3, out + 4);
}

void ike_cookie_make(struct ike_engine *eng, const uint8_t spi_i[IKE_SPI_LEN], const uint8_t *ni,
		     size_t ni_len, uint32_t addr, uint8_t out[IKE_COOKIE_LEN])
{
	rotate(eng);
	cookie_value(eng->cookie_secret, eng->cookie_version, spi_i, ni, ni_len, addr, out);
}

int ike_cookie_check(struct ike_engine *eng, const uint8_t spi_i[IKE_SPI_LEN], const uint8_t *ni,
		     size_t ni_len, uint32_t addr, const uint8_t *cookie, size_t len)
{
	uint8_t want[IKE_COOKIE_LEN];
	const uint8_t *secret;
	uint32_t version;
	bool ok;

	if (len != IKE_COOKIE_LEN) {
		ike_count(eng, IKE_C_BAD_COOKIE, "IKE_SA_INIT with a %zu-byte cookie, want %u", len,
			  IKE_COOKIE_LEN);
		return -EINVAL;
	}
	rotate(eng);
	version = get_be32(cookie);
	if (version == eng->cookie_version) {
		secret = eng->cookie_secret;
	} else if (version == eng->cookie_version - 1 && ike_now_ms() < eng->cookie_prev_until_ms) {
		secret = eng->cookie_prev;
	} else {
		ike_count(eng, IKE_C_COOKIE_STALE,
			  "IKE_SA_INIT with a cookie of secret %u (now %u), answered anew", version,
			  eng->cookie_version);
		return -ESTALE;
	}
	cookie_value(secret, version, spi_i, ni, ni_len, addr, want);
	ok = ike_memeq(want, cookie, IKE_COOKIE_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	if (ok)
		return 0;
	ike_count(eng, IKE_C_BAD_COOKIE, "IKE_SA_INIT with a wrong cookie, answered anew");
	return -EINVAL;
}
