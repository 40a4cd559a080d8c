/* The ML-ESP known-answer check shared by build/mlesp-vectors and the cmocka
 * suite unit-kat: parse one vector of the format of shared/vectors/mlesp.json
 * and run it through the codec (encapsulate, the FA's zone-1 view,
 * decapsulate), each compared byte for byte. */
#ifndef MML_TESTS_MLESP_KAT_H
#define MML_TESTS_MLESP_KAT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "maps/csa.h"

#define MLESP_KAT_MAX_PKT 65536

struct mlesp_kat_vector {
	const char *description;
	struct mml_csa csa;
	uint32_t seq;
	unsigned char *inner, *esp;
	long inner_len, esp_len;
};

/* 0, or -EINVAL with the reason in why. */
int mlesp_kat_parse(json_object *v, struct mlesp_kat_vector *vec, char *why, size_t why_len);
/* 0 when encapsulation, the FA view and decapsulation all match. */
int mlesp_kat_check(const struct mlesp_kat_vector *vec, char *why, size_t why_len);
void mlesp_kat_free(struct mlesp_kat_vector *vec);

#endif
