/* The synthetic mobile nodes of bench-mip and bench-scale-mip: home
 * addresses counted up from 10.200.0.1, one HMAC-MD5 key each derived from
 * the index, and the home agent's configuration that knows them all. */
#ifndef MML_BENCH_MIP_MOBILES_H
#define MML_BENCH_MIP_MOBILES_H

#include <stdint.h>
#include <time.h>

#define BENCH_MIP_SPI 1000
#define BENCH_MIP_HOME_BASE 0x0ac80001u /* 10.200.0.1 */

/* Network order. */
uint32_t bench_mip_home(unsigned int i);
void bench_mip_secret(unsigned int i, uint8_t secret[16]);
/* The HA's mip section for n mobiles at address ha; 0 or -errno. */
int bench_mip_write_config(const char *path, const char *ha, unsigned int n);
uint64_t bench_now_ns(clockid_t clk);

#endif
