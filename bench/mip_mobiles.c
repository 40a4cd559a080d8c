#include "bench/mip_mobiles.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

uint32_t bench_mip_home(unsigned int i)
{
	return htonl(BENCH_MIP_HOME_BASE + i);
}

void bench_mip_secret(unsigned int i, uint8_t secret[16])
{
	for (int b = 0; b < 16; b++)
		secret[b] = (uint8_t)(i * 31 + (unsigned int)b * 7 + 1);
}

int bench_mip_write_config(const char *path, const char *ha, unsigned int n)
{
	FILE *f = fopen(path, "w");
	uint8_t secret[16];
	char home[16];

	if (!f)
		return -errno;
	fprintf(f,
		"mip = {\n  role = \"ha\";\n  address = \"%s\";\n  max_lifetime = 600;\n"
		"  max_bindings = %u;\n  mobiles = (\n",
		ha, n);
	for (unsigned int i = 0; i < n; i++) {
		struct in_addr a = { .s_addr = bench_mip_home(i) };

		bench_mip_secret(i, secret);
		inet_ntop(AF_INET, &a, home, sizeof(home));
		fprintf(f, "    { home = \"%s\"; keys = ( { spi = %d; key = \"", home,
			BENCH_MIP_SPI);
		for (int b = 0; b < 16; b++)
			fprintf(f, "%02x", secret[b]);
		fprintf(f, "\"; } ); }%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "  );\n};\n");
	return fclose(f) ? -errno : 0;
}

uint64_t bench_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bench_mip_key(unsigned int i, struct mip_key *key)
{
	uint8_t secret[16];

	bench_mip_secret(i, secret);
	return mip_key_init(key, BENCH_MIP_SPI, MIP_ALG_HMAC_MD5, secret, sizeof(secret));
}

int bench_mip_sign_request(const struct mip_key *key, uint64_t *last_ident,
			   struct mip_reg_request *req, uint8_t *buf, size_t cap)
{
	int len;

	req->ident = mip_ntp_from_ns(bench_now_ns(CLOCK_REALTIME));
	if (req->ident <= *last_ident)
		req->ident = *last_ident + 1;
	*last_ident = req->ident;
	len = mip_build_request(req, buf, cap);
	if (len < 0)
		return len;
	return mip_auth_append(key, MIP_EXT_MH_AUTH, buf, cap, (size_t)len);
}

int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}
