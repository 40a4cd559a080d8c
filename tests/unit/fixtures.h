/* Shared fixtures for the codec unit tests: CSAs with fixed keys, inner IPv4
 * packets of any length, and SA pairs (sender, receiver, FA). */
#ifndef MML_TESTS_UNIT_FIXTURES_H
#define MML_TESTS_UNIT_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sa.h"

struct csa_spec {
	uint8_t format;
	uint8_t z1_len;
	uint8_t zone2_alg; /* ML-ESP zone 2, or ESP's only zone */
	uint32_t replay_window;
};

/* A valid CSA of the given shape with deterministic keys (zone 1 0x10..,
 * zone 2 0x80..) for direction dir. */
struct mml_csa fixture_csa(const struct csa_spec *spec, uint8_t dir);

/* The three SAs a CSA gives the nodes: HA/MH sender, MH/HA receiver, FA. */
struct sa_set {
	struct mml_sa out, in, fa;
};
void fixture_sas(struct sa_set *s, const struct csa_spec *spec);
void fixture_sas_free(struct sa_set *s);

/* A plausible inner IPv4/TCP packet of len bytes (len >= 20) whose payload
 * bytes follow a pattern seeded by seed. */
void fixture_inner(uint8_t *buf, size_t len, uint32_t seed);

#endif
