/* The fingerprint that ties sequence marks to a key (maps/ep.h struct
 * mml_key_fp): HMAC-SHA-256 keyed with the CSA's zone keys, in zone order,
 * over a fixed label, cut to 16 bytes. A PRF output under the key itself:
 * it identifies the key without storing any of its bytes in a new place,
 * and tells nothing about it to whoever reads the marks. */
#ifndef MML_WORKER_KEYFP_H
#define MML_WORKER_KEYFP_H

#include <stdbool.h>
#include <string.h>

#include "maps/csa.h"
#include "maps/ep.h"

/* 0, or -EIO if OpenSSL failed (then no mark may be trusted). */
int ep_key_fp(const struct mml_csa *csa, struct mml_key_fp *fp);

static inline bool ep_key_fp_eq(const struct mml_key_fp *a, const struct mml_key_fp *b)
{
	return !memcmp(a->b, b->b, sizeof(a->b));
}

#endif
