/* ML-ESP codec: round trips over every inner length and zone map, the FA's
 * zone-1 view, and rejection of every tampered, truncated or mutated packet. */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/mlesp.h"
#include "tests/unit/fixtures.h"

#define BUF 2048

static const uint8_t z1_lens[] = { 20, 40, 60, 128 };
static const uint8_t zone2_algs[] = { MML_ALG_CHACHA20_POLY1305, MML_ALG_AES256_GCM };

static size_t payload_len(size_t inner_len)
{
	return inner_len + mml_trailer_len(inner_len);
}

static size_t min_len(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t zone1_len(uint8_t z1, size_t inner_len)
{
	return min_len(z1, payload_len(inner_len));
}

static void roundtrip_every_length(void **state)
{
	uint8_t inner[BUF], esp[BUF], hdr[MML_Z1_MAX], *out;

	for (size_t a = 0; a < sizeof(zone2_algs); a++) {
		for (size_t z = 0; z < sizeof(z1_lens); z++) {
			struct csa_spec spec = { MML_FMT_MLESP, z1_lens[z], zone2_algs[a], 0 };
			struct sa_set s;

			fixture_sas(&s, &spec);
			for (size_t len = 20; len <= 1500; len++) {
				size_t l1 = zone1_len(z1_lens[z], len);
				ssize_t n;

				fixture_inner(inner, len, (uint32_t)len);
				n = mml_mlesp_encap(&s.out, inner, len, esp, sizeof(esp));
				assert_int_equal(n, mml_mlesp_len(len));
				assert_int_equal(n, 40 + payload_len(len));

				/* The FA reads exactly P[0, L1) with zone 1's key. */
				assert_int_equal(
					mml_mlesp_fa_view(&s.fa, esp, (size_t)n, hdr, sizeof(hdr)),
					l1);
				assert_memory_equal(hdr, inner, l1 < len ? l1 : len);

				n = mml_mlesp_decap(&s.in, esp, (size_t)n, &out);
				assert_int_equal(n, len);
				assert_memory_equal(out, inner, len);
			}
			fixture_sas_free(&s);
		}
	}
}

/* A short packet's trailer falls into zone 1 and zone 2 is empty, but T2 is
 * still there and still checked. */
static void short_packet_empty_zone2(void **state)
{
	struct csa_spec spec = { MML_FMT_MLESP, 60, MML_ALG_CHACHA20_POLY1305, 0 };
	uint8_t inner[40], esp[BUF], *out;
	struct sa_set s;
	ssize_t n;

	fixture_sas(&s, &spec);
	fixture_inner(inner, sizeof(inner), 1);
	n = mml_mlesp_encap(&s.out, inner, sizeof(inner), esp, sizeof(esp));
	assert_int_equal(n, 8 + 44 + 16 + 16); /* P = 40 + 2 pad + 2 = 44 <= 60 */
	esp[n - 1] ^= 0x80;		       /* T2 of the empty zone 2 */
	assert_int_equal(mml_mlesp_decap(&s.in, esp, (size_t)n, &out), -MML_E_AUTH_ZONE2);
	fixture_sas_free(&s);
}

enum region { R_SPI, R_SEQ, R_C1, R_T1, R_C2, R_T2 };

static enum region region_of(size_t i, size_t l1, size_t p)
{
	if (i < 4)
		return R_SPI;
	if (i < 8)
		return R_SEQ;
	if (i < 8 + l1)
		return R_C1;
	if (i < 24 + l1)
		return R_T1;
	if (i < 24 + p)
		return R_C2;
	return R_T2;
}

static const int decap_error[] = {
	[R_SPI] = -MML_E_SPI,	    [R_SEQ] = -MML_E_AUTH_HDR,	[R_C1] = -MML_E_AUTH_ZONE1,
	[R_T1] = -MML_E_AUTH_ZONE1, [R_C2] = -MML_E_AUTH_ZONE2, [R_T2] = -MML_E_AUTH_ZONE2,
};

static void tamper_one(struct sa_set *s, const uint8_t *pkt, size_t n, size_t l1, size_t p,
		       uint8_t mask)
{
	uint8_t esp[BUF], hdr[MML_Z1_MAX], *out;

	for (size_t i = 0; i < n; i++) {
		enum region r = region_of(i, l1, p);
		bool fa_may_see = r == R_C2 || r == R_T2;

		memcpy(esp, pkt, n);
		esp[i] ^= mask;
		assert_int_equal(mml_mlesp_fa_view(&s->fa, esp, n, hdr, sizeof(hdr)),
				 fa_may_see ? (ssize_t)l1 :
					      (r == R_SPI ? -MML_E_SPI : -MML_E_AUTH_ZONE1));
		assert_int_equal(mml_mlesp_decap(&s->in, esp, n, &out), decap_error[r]);
	}
}

/* Flip each byte of a valid packet: the error names the part that was hit;
 * the FA rejects exactly the packets whose header or zone 1 was touched. */
static void tamper_every_byte(void **state)
{
	static const size_t lens[] = { 20, 44, 100, 1400 };
	uint8_t inner[BUF], pkt[BUF], *out;

	for (size_t a = 0; a < sizeof(zone2_algs); a++) {
		struct csa_spec spec = { MML_FMT_MLESP, 40, zone2_algs[a], 0 };

		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			struct sa_set s;
			ssize_t n;

			fixture_sas(&s, &spec);
			/* Sequence 1000: no single-byte flip can turn it into 0. */
			mml_seq_resume(&s.out.seq, 999);
			fixture_inner(inner, lens[k], 7);
			n = mml_mlesp_encap(&s.out, inner, lens[k], pkt, sizeof(pkt));
			assert_true(n > 0);
			tamper_one(&s, pkt, (size_t)n, zone1_len(40, lens[k]), payload_len(lens[k]),
				   0xff);
			tamper_one(&s, pkt, (size_t)n, zone1_len(40, lens[k]), payload_len(lens[k]),
				   0x01);
			/* Nothing authenticated, so the window never moved. */
			assert_int_equal(mml_mlesp_decap(&s.in, pkt, (size_t)n, &out), lens[k]);
			fixture_sas_free(&s);
		}
	}
}

/* Every shorter length fails cleanly at the receiver. The FA cannot see a
 * cut inside zone 2 (it has no zone-2 key); anything else it rejects. */
static void truncate_every_length(void **state)
{
	struct csa_spec spec = { MML_FMT_MLESP, 40, MML_ALG_CHACHA20_POLY1305, 0 };
	uint8_t inner[BUF], pkt[BUF], esp[BUF], hdr[MML_Z1_MAX], *out;
	struct sa_set s;
	ssize_t n;

	fixture_sas(&s, &spec);
	fixture_inner(inner, 600, 3);
	n = mml_mlesp_encap(&s.out, inner, 600, pkt, sizeof(pkt));
	assert_true(n > 0);
	for (size_t len = 0; len < (size_t)n; len++) {
		ssize_t fa;

		memcpy(esp, pkt, len);
		fa = mml_mlesp_fa_view(&s.fa, esp, len, hdr, sizeof(hdr));
		assert_true(mml_mlesp_decap(&s.in, esp, len, &out) < 0);
		if (len >= MML_MLESP_MIN_LEN && (len - MML_MLESP_OVERHEAD) % 4 == 0 &&
		    len - MML_MLESP_OVERHEAD >= 40)
			assert_int_equal(fa, 40);
		else
			assert_true(fa < 0);
	}
	fixture_sas_free(&s);
}

static uint32_t rng_state = 0x9e3779b9;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static size_t mutate(uint8_t *esp, size_t n)
{
	switch (rng() % 4) {
	case 0: /* a few bit flips anywhere */
		for (uint32_t k = 1 + rng() % 3; k; k--)
			esp[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
		return n;
	case 1: /* truncate */
		return rng() % n;
	case 2: /* extend with garbage */ {
		size_t extra = 1 + rng() % 64;

		for (size_t i = 0; i < extra; i++)
			esp[n + i] = (uint8_t)rng();
		return n + extra;
	}
	default: /* overwrite a run with random bytes */ {
		size_t at = rng() % n, run = 1 + rng() % 16;

		for (size_t i = at; i < n && i < at + run; i++)
			esp[i] = (uint8_t)rng();
		return n;
	}
	}
}

/* 100 000 random mutations: no crash (ASan/UBSan watch), and nothing but an
 * unmodified packet is ever accepted by the receiver; the FA accepts only
 * when the header and zone 1 are intact. */
static void random_mutations_never_accepted(void **state)
{
	uint8_t inner[BUF], pkt[BUF], esp[BUF + 128], hdr[MML_Z1_MAX], *out;
	int accepted = 0;

	for (int round = 0; round < 100; round++) {
		struct csa_spec spec = { MML_FMT_MLESP, z1_lens[round % 4], zone2_algs[round % 2],
					 0 };
		size_t len = 20 + rng() % 1481;
		size_t l1 = zone1_len(spec.z1_len, len);
		struct sa_set s;
		ssize_t n;

		fixture_sas(&s, &spec);
		fixture_inner(inner, len, (uint32_t)round);
		n = mml_mlesp_encap(&s.out, inner, len, pkt, sizeof(pkt));
		assert_true(n > 0);
		for (int i = 0; i < 1000; i++) {
			size_t m;
			ssize_t r;

			memcpy(esp, pkt, (size_t)n);
			m = mutate(esp, (size_t)n);
			if (m == (size_t)n && !memcmp(esp, pkt, m))
				continue;
			if (mml_mlesp_fa_view(&s.fa, esp, m, hdr, sizeof(hdr)) >= 0) {
				assert_true(m >= 24 + l1 && !memcmp(esp, pkt, 24 + l1));
				assert_int_equal(min_len(spec.z1_len, m - 40), l1);
			}
			r = mml_mlesp_decap(&s.in, esp, m, &out);
			assert_true(r < 0);
			accepted += r >= 0;
		}
		fixture_sas_free(&s);
	}
	assert_int_equal(accepted, 0);
}

static void bad_arguments(void **state)
{
	struct csa_spec spec = { MML_FMT_MLESP, 40, MML_ALG_CHACHA20_POLY1305, 0 };
	uint8_t inner[100], esp[BUF], *out;
	struct sa_set s;
	ssize_t n;

	fixture_sas(&s, &spec);
	fixture_inner(inner, sizeof(inner), 1);
	assert_int_equal(mml_mlesp_encap(&s.out, inner, 19, esp, sizeof(esp)), -EINVAL);
	assert_int_equal(mml_mlesp_encap(&s.out, inner, 100, esp, mml_mlesp_len(100) - 1), -ENOSPC);
	n = mml_mlesp_encap(&s.out, inner, 100, esp, sizeof(esp));
	/* Wrong direction: a sender SA cannot open, a receiver cannot seal. */
	assert_int_equal(mml_mlesp_decap(&s.out, esp, (size_t)n, &out), -EINVAL);
	assert_int_equal(mml_mlesp_encap(&s.in, inner, 100, esp, sizeof(esp)), -EINVAL);
	/* The FA has no zone-2 key and cannot decapsulate. */
	assert_int_equal(mml_mlesp_decap(&s.fa, esp, (size_t)n, &out), -EINVAL);
	fixture_sas_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_every_length),
		cmocka_unit_test(short_packet_empty_zone2),
		cmocka_unit_test(tamper_every_byte),
		cmocka_unit_test(truncate_every_length),
		cmocka_unit_test(random_mutations_never_accepted),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests_name("mlesp", tests, NULL, NULL);
}
