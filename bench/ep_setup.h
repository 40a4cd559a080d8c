/* The endpoint set-up the benchmarks share (bench-ep-cost, bench-functions):
 * a CSA with fixed keys, one side's tables (SA cache, one binding, a
 * catch-all flow entry of a mode) as the worker holds them, and a TCP inner
 * packet. */
#ifndef MML_BENCH_EP_SETUP_H
#define MML_BENCH_EP_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "worker/proto.h"

/* ML-ESP: zone 1 ChaCha20-Poly1305 over 40 bytes, zone 2 alg; ESP: alg. */
struct mml_csa bench_csa(uint8_t format, uint8_t alg, uint8_t dir, uint32_t spi);

struct bench_side {
	struct ep_seqstore store;
	struct ep_tables t;
};

/* c NULL: plaintext, no SA. home: the binding's home address. */
void bench_side_init(struct bench_side *s, const struct mml_csa *c, uint8_t mode, uint32_t home);
void bench_side_free(struct bench_side *s);

/* A len-byte IPv4/TCP packet src -> dst (ports 5001 -> 40000). */
void bench_inner_packet(uint8_t *p, size_t len, uint32_t src, uint32_t dst);

#endif
