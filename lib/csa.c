#include "lib/csa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/aead.h"

static int reject(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reject(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool alg_known(unsigned int alg)
{
	return alg == MML_ALG_CHACHA20_POLY1305 || alg == MML_ALG_AES256_GCM;
}

/* A null zone carries no key material at all: nothing to leak from a node
 * that may not read the zone. */
static int check_null_zone(const struct mml_zone_sa *z, int n, char *why, size_t why_len)
{
	if (z->alg != MML_ALG_NULL || !all_zero(z, sizeof(*z)))
		return reject(why, why_len, "zone%d: must be a null SA (alg null, no key, no salt)",
			      n);
	return 0;
}

static int check_zone(const struct mml_zone_sa *z, int n, char *why, size_t why_len)
{
	if (!alg_known(z->alg))
		return reject(why, why_len, "zone%d.alg: unknown algorithm %u", n, z->alg);
	if (!all_zero(z->pad, sizeof(z->pad)))
		return reject(why, why_len, "zone%d: reserved bytes must be zero", n);
	return 0;
}

static int check_mlesp(const struct mml_csa *c, char *why, size_t why_len)
{
	int err;

	if (c->z1_len < MML_Z1_MIN || c->z1_len > MML_Z1_MAX)
		return reject(why, why_len, "z1_len: %u is outside %d..%d", c->z1_len, MML_Z1_MIN,
			      MML_Z1_MAX);
	if (c->z1_len % 4)
		return reject(why, why_len, "z1_len: %u is not a multiple of 4", c->z1_len);
	err = check_zone(&c->zone[0], 1, why, why_len);
	if (err)
		return err;
	/* The FA authenticates zone 1 in XDP, which implements only this AEAD. */
	if (c->zone[0].alg != MML_ALG_CHACHA20_POLY1305)
		return reject(why, why_len, "zone1.alg: %s not allowed, zone 1 is always %s",
			      mml_alg_name(c->zone[0].alg), "chacha20poly1305");
	if (c->dir == MML_DIR_FWD)
		return check_null_zone(&c->zone[1], 2, why, why_len);
	err = check_zone(&c->zone[1], 2, why, why_len);
	if (err)
		return err;
	/* The FA holds zone 1's key: the same key in zone 2, whatever its salt
	 * or AEAD, would let it read and forge zone 2; with the same salt too
	 * the two zones would also share a keystream (both use the sequence
	 * number in the nonce). */
	if (!memcmp(c->zone[0].key, c->zone[1].key, MML_KEY_LEN))
		return reject(why, why_len,
			      !memcmp(c->zone[0].salt, c->zone[1].salt, MML_SALT_LEN) ?
				      "zone2: key and salt equal zone 1's (keystream reuse)" :
				      "zone2: key equals zone 1's (the FA could read zone 2)");
	return 0;
}

static int check_esp(const struct mml_csa *c, char *why, size_t why_len)
{
	int err;

	if (c->dir == MML_DIR_FWD)
		return reject(why, why_len, "dir: fwd is for ML-ESP only, an ESP SA is end to end");
	if (c->z1_len)
		return reject(why, why_len, "z1_len: must be 0 for ESP (one zone)");
	err = check_zone(&c->zone[0], 1, why, why_len);
	if (err)
		return err;
	return check_null_zone(&c->zone[1], 2, why, why_len);
}

int mml_csa_validate(const struct mml_csa *c, char *why, size_t why_len)
{
	int err;

	/* RFC 4303 2.1: 0 is never sent, 1..255 are reserved by IANA. */
	if (c->spi < 256)
		return reject(why, why_len, "spi: %u is reserved (must be >= 256)", c->spi);
	if (c->dir != MML_DIR_IN && c->dir != MML_DIR_OUT && c->dir != MML_DIR_FWD)
		return reject(why, why_len, "dir: unknown direction %u", c->dir);
	/* Any owner is a valid one: the store decides who may write (owner). */
	if (c->flags & ~MML_CSA_F_INACTIVE)
		return reject(why, why_len, "flags: reserved bits must be zero");
	if ((c->flags & MML_CSA_F_INACTIVE) && c->dir != MML_DIR_FWD)
		return reject(why, why_len, "flags: inactive only for an FA's CSA (dir fwd)");
	if (c->replay_window &&
	    (c->replay_window < MML_REPLAY_WINDOW_MIN || c->replay_window > MML_REPLAY_WINDOW_MAX))
		return reject(why, why_len, "replay_window: %u is outside %d..%d", c->replay_window,
			      MML_REPLAY_WINDOW_MIN, MML_REPLAY_WINDOW_MAX);
	if (c->hard_packets > MML_SEQ_HARD_DEFAULT)
		return reject(why, why_len, "hard_packets: %llu would wrap the 32-bit sequence",
			      (unsigned long long)c->hard_packets);
	if (c->soft_packets && c->hard_packets && c->soft_packets > c->hard_packets)
		return reject(why, why_len, "soft_packets: %llu is above hard_packets %llu",
			      (unsigned long long)c->soft_packets,
			      (unsigned long long)c->hard_packets);
	if (c->soft_lifetime_s && c->hard_lifetime_s && c->soft_lifetime_s > c->hard_lifetime_s)
		return reject(why, why_len, "soft_lifetime: above hard_lifetime");

	switch (c->format) {
	case MML_FMT_MLESP:
		err = check_mlesp(c, why, why_len);
		break;
	case MML_FMT_ESP:
		err = check_esp(c, why, why_len);
		break;
	default:
		err = reject(why, why_len, "format: unknown format %u", c->format);
	}
	return err;
}

const char *mml_format_name(unsigned int format)
{
	return format == MML_FMT_MLESP ? "mlesp" : format == MML_FMT_ESP ? "esp" : "unknown";
}

const char *mml_dir_name(unsigned int dir)
{
	return dir == MML_DIR_IN  ? "in" :
	       dir == MML_DIR_OUT ? "out" :
	       dir == MML_DIR_FWD ? "fwd" :
				    "unknown";
}

const char *mml_csa_owner_name(uint32_t owner, char buf[16])
{
	struct in_addr a = { .s_addr = owner };

	if (owner == MML_CSA_OWNER_STATIC)
		return strcpy(buf, "static");
	return inet_ntop(AF_INET, &a, buf, 16);
}
