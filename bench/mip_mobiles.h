/* The synthetic mobile nodes of bench-mip and bench-scale-mip: home
 * addresses counted up from 10.200.0.1, one HMAC-MD5 key each derived from
 * the index, and the home agent's configuration that knows them all. */
#ifndef MML_BENCH_MIP_MOBILES_H
#define MML_BENCH_MIP_MOBILES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyd/mip_auth.h"
#include "keyd/mip_wire.h"

#define BENCH_MIP_SPI 1000
#define BENCH_MIP_HOME_BASE 0x0ac80001u /* 10.200.0.1 */

/* Network order. */
uint32_t bench_mip_home(unsigned int i);
void bench_mip_secret(unsigned int i, uint8_t secret[16]);
/* The HA's mip section for n mobiles at address ha; 0 or -errno. */
int bench_mip_write_config(const char *path, const char *ha, unsigned int n);
uint64_t bench_now_ns(clockid_t clk);
/* Mobile i's Mobile-Home key; 0 or -errno. */
int bench_mip_key(unsigned int i, struct mip_key *key);
/* req with a fresh Identification (the clock's, above *last_ident, which
 * it updates) built into buf and authenticated with key: its length or
 * -errno. */
int bench_mip_sign_request(const struct mip_key *key, uint64_t *last_ident,
			   struct mip_reg_request *req, uint8_t *buf, size_t cap);
/* qsort's comparison of uint64_t (latencies). */
int bench_cmp_u64(const void *a, const void *b);

#endif
