/* Memory discipline of the codec: OpenSSL allocates only when an SA is set
 * up, never per packet (every OpenSSL allocation goes through counting
 * functions installed before OpenSSL's first one), lib/ code allocates
 * only the replay window (checked by reading it, see lib/sa.c), and
 * freeing an SA leaves no byte of its keys behind. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "lib/esp.h"
#include "lib/mlesp.h"
#include "tests/unit/fixtures.h"

#define BUF 2048
#define PACKETS 1000

static unsigned long openssl_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	openssl_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	openssl_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	free(p);
}

typedef ssize_t (*encap_fn)(struct mml_sa *, const uint8_t *, size_t, uint8_t *, size_t);
typedef ssize_t (*decap_fn)(struct mml_sa *, uint8_t *, size_t, uint8_t **);

/* PACKETS round trips of growing length after the SAs exist: no
 * allocation. */
static void no_allocation_per_packet(const struct csa_spec *spec, encap_fn encap, decap_fn decap)
{
	uint8_t inner[BUF], esp[BUF], *out;
	struct sa_set s;
	unsigned long before = openssl_allocs;

	fixture_sas(&s, spec);
	/* The counter is live: setting the contexts up did allocate. */
	assert_true(openssl_allocs > before);
	before = openssl_allocs;
	for (int i = 0; i < PACKETS; i++) {
		size_t len = 20 + (size_t)i % 1400;
		ssize_t n;

		fixture_inner(inner, len, (uint32_t)i);
		n = encap(&s.out, inner, len, esp, sizeof(esp));
		assert_true(n > 0);
		assert_int_equal(decap(&s.in, esp, (size_t)n, &out), (ssize_t)len);
	}
	assert_int_equal(openssl_allocs - before, 0);
	fixture_sas_free(&s);
}

static void mlesp_no_allocation(void **state)
{
	const uint8_t algs[] = { MML_ALG_CHACHA20_POLY1305, MML_ALG_AES256_GCM };

	for (size_t a = 0; a < sizeof(algs); a++) {
		struct csa_spec spec = { MML_FMT_MLESP, 40, algs[a], 1024 };

		no_allocation_per_packet(&spec, mml_mlesp_encap, mml_mlesp_decap);
	}
}

static void esp_no_allocation(void **state)
{
	const uint8_t algs[] = { MML_ALG_CHACHA20_POLY1305, MML_ALG_AES256_GCM };

	for (size_t a = 0; a < sizeof(algs); a++) {
		struct csa_spec spec = { MML_FMT_ESP, 0, algs[a], 1024 };

		no_allocation_per_packet(&spec, mml_esp_encap, mml_esp_decap);
	}
}

/* The struct that held the CSA (keys, salts) is all zero after the free:
 * the caller's copy is the only one left to wipe. */
static void free_wipes_the_keys(void **state)
{
	struct csa_spec spec = { MML_FMT_MLESP, 40, MML_ALG_AES256_GCM, 1024 };
	struct mml_csa csa = fixture_csa(&spec, MML_DIR_OUT);
	struct mml_sa sa, zero;

	assert_int_equal(mml_sa_init(&sa, &csa, NULL, 0), 0);
	assert_memory_equal(sa.csa.zone[1].key, csa.zone[1].key, MML_KEY_LEN);
	mml_sa_free(&sa);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&sa, &zero, sizeof(sa));
	/* A second free of a wiped SA is harmless. */
	mml_sa_free(&sa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mlesp_no_allocation),
		cmocka_unit_test(esp_no_allocation),
		cmocka_unit_test(free_wipes_the_keys),
	};

	/* Before anything calls into OpenSSL. */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
		return 1;
	return cmocka_run_group_tests_name("sa-mem", tests, NULL, NULL);
}
