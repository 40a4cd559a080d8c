/* ESP tunnel mode (RFC 4303 + RFC 7634 / RFC 4106): round trips, tampering,
 * truncation, and a receiver that never accepts a forgery. */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/esp.h"
#include "tests/unit/fixtures.h"

#define BUF 2048

static const uint8_t algs[] = { MML_ALG_CHACHA20_POLY1305, MML_ALG_AES256_GCM };

static void roundtrip_every_length(void **state)
{
	uint8_t inner[BUF], esp[BUF], *out;

	for (size_t a = 0; a < sizeof(algs); a++) {
		struct csa_spec spec = { MML_FMT_ESP, 0, algs[a], 0 };
		struct sa_set s;

		fixture_sas(&s, &spec);
		for (size_t len = 20; len <= 1500; len++) {
			ssize_t n;

			fixture_inner(inner, len, (uint32_t)len);
			n = mml_esp_encap(&s.out, inner, len, esp, sizeof(esp));
			assert_int_equal(n, mml_esp_len(len));
			assert_int_equal((n - MML_ESP_OVERHEAD) % 4, 0);
			/* Explicit IV on the wire: the sequence number as 64 bits. */
			assert_int_equal(get_be32(esp + 4), len - 19);
			assert_int_equal(get_be32(esp + 8), 0);
			assert_int_equal(get_be32(esp + 12), len - 19);
			n = mml_esp_decap(&s.in, esp, (size_t)n, &out);
			assert_int_equal(n, len);
			assert_memory_equal(out, inner, len);
		}
		fixture_sas_free(&s);
	}
}

static void tamper_every_byte(void **state)
{
	uint8_t inner[300], pkt[BUF], esp[BUF], *out;

	for (size_t a = 0; a < sizeof(algs); a++) {
		struct csa_spec spec = { MML_FMT_ESP, 0, algs[a], 0 };
		struct sa_set s;
		ssize_t n;

		fixture_sas(&s, &spec);
		mml_seq_resume(&s.out.seq, 999);
		fixture_inner(inner, sizeof(inner), 5);
		n = mml_esp_encap(&s.out, inner, sizeof(inner), pkt, sizeof(pkt));
		for (ssize_t i = 0; i < n; i++) {
			memcpy(esp, pkt, (size_t)n);
			esp[i] ^= 0xff;
			assert_int_equal(mml_esp_decap(&s.in, esp, (size_t)n, &out),
					 i < 4 ? -MML_E_SPI : -MML_E_AUTH);
		}
		assert_int_equal(mml_esp_decap(&s.in, pkt, (size_t)n, &out), sizeof(inner));
		/* The same packet again is a replay. */
		memcpy(esp, pkt, (size_t)n);
		assert_int_equal(mml_esp_decap(&s.in, esp, (size_t)n, &out), -MML_E_REPLAY);
		fixture_sas_free(&s);
	}
}

static void truncate_every_length(void **state)
{
	struct csa_spec spec = { MML_FMT_ESP, 0, MML_ALG_AES256_GCM, 0 };
	uint8_t inner[500], pkt[BUF], esp[BUF], *out;
	struct sa_set s;
	ssize_t n;

	fixture_sas(&s, &spec);
	fixture_inner(inner, sizeof(inner), 9);
	n = mml_esp_encap(&s.out, inner, sizeof(inner), pkt, sizeof(pkt));
	for (ssize_t len = 0; len < n; len++) {
		ssize_t r;

		memcpy(esp, pkt, (size_t)len);
		r = mml_esp_decap(&s.in, esp, (size_t)len, &out);
		if (len < MML_ESP_MIN_LEN)
			assert_int_equal(r, -MML_E_TRUNCATED);
		else
			assert_true(r == -MML_E_MALFORMED || r == -MML_E_AUTH);
	}
	fixture_sas_free(&s);
}

static void trailer_rules(void **state)
{
	uint8_t p[64];

	fixture_inner(p, sizeof(p), 4);
	for (size_t inner = 40; inner < 44; inner++) {
		mml_trailer_write(p + inner, inner);
		assert_int_equal(mml_trailer_strip(p, inner + mml_trailer_len(inner)), inner);
	}
	mml_trailer_write(p + 41, 41); /* 41 + 2 bytes -> one pad byte: 01 01 04 */
	assert_memory_equal(p + 41, "\x01\x01\x04", 3);
	p[43] = 41; /* next header IPv6-in-IPv4 */
	assert_int_equal(mml_trailer_strip(p, 44), -MML_E_MALFORMED);
	p[43] = 4;
	p[41] = 7; /* pad bytes must be 1, 2, 3, ... */
	assert_int_equal(mml_trailer_strip(p, 44), -MML_E_MALFORMED);
	p[41] = 1;
	p[42] = 30; /* pad length beyond the inner packet's minimum */
	assert_int_equal(mml_trailer_strip(p, 44), -MML_E_MALFORMED);
	assert_int_equal(mml_trailer_strip(p, 21), -MML_E_MALFORMED);
}

/* End to end: a sender holding the key but writing a bad trailer (next
 * header 41) is authenticated, then rejected as malformed, and the window
 * does not move. */
static void bad_trailer_rejected(void **state)
{
	struct csa_spec spec = { MML_FMT_ESP, 0, MML_ALG_CHACHA20_POLY1305, 0 };
	struct mml_csa csa = fixture_csa(&spec, MML_DIR_OUT);
	uint8_t esp[MML_ESP_OVERHEAD + 64], iv[8] = { 0 }, *out;
	struct mml_aead aead;
	struct sa_set s;

	fixture_sas(&s, &spec);
	put_be32(esp, csa.spi);
	put_be32(esp + 4, 1);
	put_be32(iv + 4, 1);
	memcpy(esp + 8, iv, 8);
	fixture_inner(esp + 16, 62, 2);
	esp[16 + 62] = 0;
	esp[16 + 63] = 41;
	assert_int_equal(
		mml_aead_init(&aead, csa.zone[0].alg, csa.zone[0].key, csa.zone[0].salt, true), 0);
	assert_int_equal(mml_aead_seal(&aead, iv, esp, 8, esp + 16, esp + 16, 64, esp + 80), 0);
	mml_aead_free(&aead);
	assert_int_equal(mml_esp_decap(&s.in, esp, sizeof(esp), &out), -MML_E_MALFORMED);
	assert_int_equal(mml_replay_check(&s.in.replay, 1), 0);
	fixture_sas_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_every_length), cmocka_unit_test(tamper_every_byte),
		cmocka_unit_test(truncate_every_length),  cmocka_unit_test(trailer_rules),
		cmocka_unit_test(bad_trailer_rejected),
	};

	return cmocka_run_group_tests_name("esp", tests, NULL, NULL);
}
