/* Mobile IPv4 codec: every message and extension against bytes checked by
 * hand (authenticators from an independent HMAC implementation), and every
 * rejection of the parsers with its reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/mip_auth.h"
#include "keyd/mip_wire.h"
#include "lib/inet.h"

static const char key_hex[] = "00112233445566778899aabbccddeeff";

/* Flags T, lifetime 300, home 10.1.0.10, HA 10.1.0.1, COA 10.0.2.2,
 * Identification e9a1b2c3.12345678, previous FA 10.2.1.1 (new COA
 * 10.0.3.2, lifetime 300), MH-HA HMAC-MD5 SPI 0x100. */
static const char request_hex[] = "0102012c0a01000a0a0100010a000202e9a1b2c312345678"
				  "830a012c0a0201010a000302"
				  "201400000100bf91fe23627456b737dde1e6ab24acc5";
static const char reply_hex[] = "0300012c0a01000a0a010001e9a1b2c312345678"
				"2014000001000e6d1ae221ca231e870e680685a276c3";
static const char reply_sha256_hex[] =
	"0300012c0a01000a0a010001e9a1b2c312345678"
	"202400000101"
	"8f2d19c1229ab28f22d8879a53c912c619d7ab96c0bff6ff30210e6bd474a944";
static const char advert_hex[] = "090011b7010200030a02010100000000100a0007012c91000a000202130118";

static size_t unhex(const char *hex, uint8_t *out, size_t size)
{
	int n = mip_hex_decode(hex, out, size);

	assert_true(n > 0);
	return (size_t)n;
}

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static void key_init(struct mip_key *k, uint32_t spi, enum mip_auth_alg alg)
{
	uint8_t secret[16];

	assert_int_equal(mip_hex_decode(key_hex, secret, sizeof(secret)), 16);
	assert_int_equal(mip_key_init(k, spi, alg, secret, sizeof(secret)), 0);
}

static void request_encode(void **state)
{
	struct mip_reg_request req = {
		.flags = MIP_REQ_T,
		.lifetime = 300,
		.home_addr = addr(10, 1, 0, 10),
		.ha_addr = addr(10, 1, 0, 1),
		.coa = addr(10, 0, 2, 2),
		.ident = 0xe9a1b2c312345678ULL,
		.has_prev_fa = true,
		.prev_fa = { .lifetime = 300,
			     .prev_fa = addr(10, 2, 1, 1),
			     .new_coa = addr(10, 0, 3, 2) },
	};
	uint8_t buf[128], want[128];
	size_t want_len = unhex(request_hex, want, sizeof(want));
	struct mip_key k;
	int len;

	key_init(&k, 0x100, MIP_ALG_HMAC_MD5);
	len = mip_build_request(&req, buf, sizeof(buf));
	assert_int_equal(len, 36);
	len = mip_auth_append(&k, MIP_EXT_MH_AUTH, buf, sizeof(buf), (size_t)len);
	assert_int_equal(len, (int)want_len);
	assert_memory_equal(buf, want, want_len);
	/* Too small a buffer at every step. */
	assert_int_equal(mip_build_request(&req, buf, 35), -ENOSPC);
	assert_int_equal(mip_auth_append(&k, MIP_EXT_MH_AUTH, buf, 50, 36), -ENOSPC);
	mip_key_free(&k);
}

static void request_decode(void **state)
{
	uint8_t msg[128];
	size_t len = unhex(request_hex, msg, sizeof(msg));
	struct mip_reg_request req;
	struct mip_err err;
	struct mip_key k;

	assert_int_equal(mip_parse_request(msg, len, &req, &err), 0);
	assert_int_equal(req.flags, MIP_REQ_T);
	assert_int_equal(req.lifetime, 300);
	assert_int_equal(req.home_addr, addr(10, 1, 0, 10));
	assert_int_equal(req.ha_addr, addr(10, 1, 0, 1));
	assert_int_equal(req.coa, addr(10, 0, 2, 2));
	assert_true(req.ident == 0xe9a1b2c312345678ULL);
	assert_true(req.has_prev_fa);
	assert_int_equal(req.prev_fa.lifetime, 300);
	assert_int_equal(req.prev_fa.prev_fa, addr(10, 2, 1, 1));
	assert_int_equal(req.prev_fa.new_coa, addr(10, 0, 3, 2));
	assert_true(req.has_mh_auth);
	assert_false(req.has_mf_auth || req.has_fh_auth);
	assert_int_equal(req.mh_auth.spi, 0x100);
	assert_int_equal(req.mh_auth.auth_len, 16);
	assert_int_equal(req.mh_auth.covered, 42);
	assert_int_equal(req.mh_auth_end, len);
	key_init(&k, 0x100, MIP_ALG_HMAC_MD5);
	assert_true(mip_auth_verify(&k, msg, len, &req.mh_auth));
	/* Any changed byte before the authenticator breaks it. */
	for (size_t i = 0; i < req.mh_auth.covered; i++) {
		struct mip_reg_request r2;

		msg[i] ^= 0x01;
		if (!mip_parse_request(msg, len, &r2, &err))
			assert_false(mip_auth_verify(&k, msg, len, &r2.mh_auth));
		msg[i] ^= 0x01;
	}
	/* A changed authenticator (verification reads the parsed copy). */
	msg[len - 1] ^= 0x80;
	assert_int_equal(mip_parse_request(msg, len, &req, &err), 0);
	assert_false(mip_auth_verify(&k, msg, len, &req.mh_auth));
	mip_key_free(&k);
	/* Another SPI's key does not verify it. */
	key_init(&k, 0x101, MIP_ALG_HMAC_MD5);
	/* A changed authenticator (verification reads the parsed copy). */
	msg[len - 1] ^= 0x80;
	assert_int_equal(mip_parse_request(msg, len, &req, &err), 0);
	assert_false(mip_auth_verify(&k, msg, len, &req.mh_auth));
	mip_key_free(&k);
}

static void reply_codec(void **state)
{
	struct mip_reg_reply rep = {
		.code = 0,
		.lifetime = 300,
		.home_addr = addr(10, 1, 0, 10),
		.ha_addr = addr(10, 1, 0, 1),
		.ident = 0xe9a1b2c312345678ULL,
	}, got;
	uint8_t buf[128], want[128];
	size_t want_len = unhex(reply_hex, want, sizeof(want));
	struct mip_err err;
	struct mip_key k;
	int len;

	key_init(&k, 0x100, MIP_ALG_HMAC_MD5);
	len = mip_build_reply(&rep, buf, sizeof(buf));
	assert_int_equal(len, MIP_REP_FIXED_LEN);
	len = mip_auth_append(&k, MIP_EXT_MH_AUTH, buf, sizeof(buf), (size_t)len);
	assert_int_equal(len, (int)want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(mip_parse_reply(buf, (size_t)len, &got, &err), 0);
	assert_int_equal(got.code, 0);
	assert_int_equal(got.lifetime, 300);
	assert_int_equal(got.home_addr, rep.home_addr);
	assert_int_equal(got.ha_addr, rep.ha_addr);
	assert_true(got.ident == rep.ident);
	assert_true(got.has_mh_auth);
	assert_true(mip_auth_verify(&k, buf, (size_t)len, &got.mh_auth));
	assert_int_equal(mip_build_reply(&rep, buf, 19), -ENOSPC);
	mip_key_free(&k);
}

static void reply_sha256(void **state)
{
	struct mip_reg_reply rep = {
		.lifetime = 300,
		.home_addr = addr(10, 1, 0, 10),
		.ha_addr = addr(10, 1, 0, 1),
		.ident = 0xe9a1b2c312345678ULL,
	};
	uint8_t buf[128], want[128];
	size_t want_len = unhex(reply_sha256_hex, want, sizeof(want));
	struct mip_key k;
	int len;

	key_init(&k, 0x101, MIP_ALG_HMAC_SHA256);
	assert_int_equal(mip_alg_auth_len(MIP_ALG_HMAC_SHA256), 32);
	len = mip_build_reply(&rep, buf, sizeof(buf));
	len = mip_auth_append(&k, MIP_EXT_MH_AUTH, buf, sizeof(buf), (size_t)len);
	assert_int_equal(len, (int)want_len);
	assert_memory_equal(buf, want, want_len);
	mip_key_free(&k);
}

static void advert_codec(void **state)
{
	struct mip_advert adv = {
		.n_addrs = 1,
		.icmp_lifetime = 3,
		.seq = 7,
		.reg_lifetime = 300,
		.flags = MIP_MAA_R | MIP_MAA_F | MIP_MAA_T,
		.n_coas = 1,
		.has_prefix_lens = true,
		.n_prefix_lens = 1,
	}, got;
	uint8_t buf[128], want[128];
	size_t want_len = unhex(advert_hex, want, sizeof(want));
	struct mip_err err;
	int len;

	adv.addrs[0] = addr(10, 2, 1, 1);
	adv.coas[0] = addr(10, 0, 2, 2);
	adv.prefix_lens[0] = 24;
	len = mip_build_advert(&adv, buf, sizeof(buf));
	assert_int_equal(len, (int)want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(mip_parse_advert(buf, (size_t)len, &got, &err), 0);
	assert_int_equal(got.n_addrs, 1);
	assert_int_equal(got.addrs[0], adv.addrs[0]);
	assert_int_equal(got.icmp_lifetime, 3);
	assert_int_equal(got.seq, 7);
	assert_int_equal(got.reg_lifetime, 300);
	assert_int_equal(got.flags, MIP_MAA_R | MIP_MAA_F | MIP_MAA_T);
	assert_int_equal(got.n_coas, 1);
	assert_int_equal(got.coas[0], adv.coas[0]);
	assert_true(got.has_prefix_lens);
	assert_int_equal(got.prefix_lens[0], 24);
	assert_int_equal(mip_build_advert(&adv, buf, want_len - 1), -ENOSPC);
}

static void solicit_codec(void **state)
{
	const uint8_t want[8] = { 0x0a, 0, 0xf5, 0xff, 0, 0, 0, 0 };
	uint8_t buf[8];
	struct mip_err err;

	assert_int_equal(mip_build_solicit(buf, sizeof(buf)), 8);
	assert_memory_equal(buf, want, 8);
	assert_int_equal(mip_parse_solicit(buf, 8, &err), 0);
	buf[7] = 1;
	assert_int_equal(mip_parse_solicit(buf, 8, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_BAD_CHECKSUM);
	assert_int_equal(mip_parse_solicit(buf, 7, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_TRUNCATED);
	buf[0] = 9;
	buf[7] = 0;
	assert_int_equal(mip_parse_solicit(buf, 8, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_BAD_TYPE);
}

/* Request rejections: the reason, and where the fixed part parsed, its
 * fields (so that an agent can address the denial). */
static void expect_request(const uint8_t *msg, size_t len, enum mip_reason reason)
{
	struct mip_reg_request req;
	struct mip_err err;
	char text[160];

	assert_int_equal(mip_parse_request(msg, len, &req, &err), -EBADMSG);
	assert_int_equal(err.reason, reason);
	assert_non_null(mip_err_str(&err, text, sizeof(text)));
	assert_true(strlen(text) > 5);
	if (reason != MIP_R_TRUNCATED && reason != MIP_R_TOO_LONG && reason != MIP_R_BAD_TYPE)
		assert_int_equal(req.home_addr, addr(10, 1, 0, 10));
}

static size_t fixed_request(uint8_t *msg)
{
	uint8_t full[128];
	size_t len = unhex(request_hex, full, sizeof(full));

	memcpy(msg, full, 24);
	return len;
}

static void request_rejections(void **state)
{
	uint8_t msg[MIP_MSG_MAX + 8];
	size_t len;

	memset(msg, 0, sizeof(msg));
	len = unhex(request_hex, msg, sizeof(msg));
	for (size_t l = 0; l < MIP_REQ_FIXED_LEN; l++)
		expect_request(msg, l, MIP_R_TRUNCATED);
	/* One byte of extension header. */
	expect_request(msg, 25, MIP_R_EXT_TRUNCATED);
	/* Prev-FA extension cut anywhere inside. */
	for (size_t l = 26; l < 36; l++)
		expect_request(msg, l, MIP_R_EXT_LENGTH);
	/* Auth extension cut inside its authenticator. */
	expect_request(msg, len - 1, MIP_R_EXT_LENGTH);
	expect_request(msg, MIP_MSG_MAX + 1, MIP_R_TOO_LONG);
	msg[0] = 3;
	expect_request(msg, len, MIP_R_BAD_TYPE);
	msg[0] = 1;

	/* Unknown non-skippable extension: refused; skippable: ignored. */
	len = fixed_request(msg);
	msg[24] = 5;
	msg[25] = 2;
	expect_request(msg, 28, MIP_R_EXT_UNKNOWN);
	{
		struct mip_reg_request req;
		struct mip_err err;

		msg[24] = 200;
		assert_int_equal(mip_parse_request(msg, 28, &req, &err), 0);
		assert_int_equal(req.skipped, 1);
		assert_int_equal(req.skipped_type, 200);
		assert_false(req.has_mh_auth);
		/* Zero-length skippable extension at the very end. */
		msg[24] = 255;
		msg[25] = 0;
		assert_int_equal(mip_parse_request(msg, 26, &req, &err), 0);
	}
	/* Previous-FA extension of the wrong length. */
	msg[24] = MIP_EXT_PREV_FA;
	msg[25] = 8;
	expect_request(msg, 34, MIP_R_EXT_LENGTH);
	/* Authentication extension with a 15-byte and a 65-byte authenticator. */
	msg[24] = MIP_EXT_MH_AUTH;
	msg[25] = 4 + 15;
	expect_request(msg, 26 + 19, MIP_R_EXT_LENGTH);
	msg[25] = 4 + 65;
	expect_request(msg, 26 + 69, MIP_R_EXT_LENGTH);
	/* Two Mobile-Home Authentication Extensions. */
	msg[25] = 20;
	memcpy(msg + 46, msg + 24, 22);
	expect_request(msg, 68, MIP_R_EXT_DUPLICATE);
	/* Two previous-FA extensions. */
	msg[24] = msg[36] = MIP_EXT_PREV_FA;
	msg[25] = msg[37] = MIP_PREV_FA_LEN;
	expect_request(msg, 48, MIP_R_EXT_DUPLICATE);
	(void)len;
}

static void reply_rejections(void **state)
{
	uint8_t msg[128];
	size_t len = unhex(reply_hex, msg, sizeof(msg));
	struct mip_reg_reply rep;
	struct mip_err err;

	for (size_t l = 0; l < MIP_REP_FIXED_LEN; l++) {
		assert_int_equal(mip_parse_reply(msg, l, &rep, &err), -EBADMSG);
		assert_int_equal(err.reason, MIP_R_TRUNCATED);
	}
	assert_int_equal(mip_parse_reply(msg, len - 3, &rep, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_EXT_LENGTH);
	assert_int_equal(err.have - err.want, 3); /* "runs 3 bytes past the end" */
	msg[20] = 99;				  /* unknown, non-skippable */
	assert_int_equal(mip_parse_reply(msg, len, &rep, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_EXT_UNKNOWN);
	assert_int_equal(err.ext_type, 99);
	assert_int_equal(err.offset, 20);
	/* In a reply, type 131 is just an unknown skippable extension. */
	msg[20] = MIP_EXT_PREV_FA;
	assert_int_equal(mip_parse_reply(msg, len, &rep, &err), 0);
	assert_int_equal(rep.skipped, 1);
	msg[0] = 1;
	assert_int_equal(mip_parse_reply(msg, len, &rep, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_BAD_TYPE);
}

static void advert_rejections(void **state)
{
	uint8_t msg[128], copy[128];
	size_t len = unhex(advert_hex, msg, sizeof(msg));
	struct mip_advert adv;
	struct mip_err err;

	memcpy(copy, msg, len);
	/* Changing any byte breaks the checksum. */
	for (size_t i = 0; i < len; i++) {
		msg[i] ^= 0x10;
		assert_int_equal(mip_parse_advert(msg, len, &adv, &err), -EBADMSG);
		msg[i] ^= 0x10;
	}
	assert_int_equal(mip_parse_advert(msg, 7, &adv, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_TRUNCATED);

	/* Rebuild variants with a correct checksum each. */
#define REPAIR(buf, n)                          \
	do {                                    \
		(buf)[2] = (buf)[3] = 0;        \
		uint16_t c = inet_csum(buf, n); \
		(buf)[2] = (uint8_t)(c >> 8);   \
		(buf)[3] = (uint8_t)c;          \
	} while (0)
	msg[5] = 3; /* address entry size */
	REPAIR(msg, len);
	assert_int_equal(mip_parse_advert(msg, len, &adv, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_BAD_ADDR_ENTRY);
	memcpy(msg, copy, len);
	msg[4] = 9; /* more addresses than bytes */
	REPAIR(msg, len);
	assert_int_equal(mip_parse_advert(msg, len, &adv, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_TRUNCATED);
	memcpy(msg, copy, len);
	/* Without its agent extension it is a plain router advertisement. */
	REPAIR(msg, 16);
	assert_int_equal(mip_parse_advert(msg, 16, &adv, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_NO_MAA);
	memcpy(msg, copy, len);
	msg[17] = 9; /* MAA length not 6 + 4n */
	REPAIR(msg, len);
	assert_int_equal(mip_parse_advert(msg, len, &adv, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_EXT_LENGTH);
	memcpy(msg, copy, len);
	msg[28] = 7; /* unknown non-skippable instead of prefix lengths */
	REPAIR(msg, len);
	assert_int_equal(mip_parse_advert(msg, len, &adv, &err), -EBADMSG);
	assert_int_equal(err.reason, MIP_R_EXT_UNKNOWN);
	msg[28] = 150; /* skippable */
	REPAIR(msg, len);
	assert_int_equal(mip_parse_advert(msg, len, &adv, &err), 0);
	assert_int_equal(adv.skipped, 1);
	/* One-byte padding extensions are fine. */
	memcpy(msg, copy, len);
	msg[len] = 0;
	msg[len + 1] = 0;
	REPAIR(msg, len + 2);
	assert_int_equal(mip_parse_advert(msg, len + 2, &adv, &err), 0);
#undef REPAIR
}

static void misc(void **state)
{
	uint8_t out[8];
	enum mip_auth_alg alg;

	/* 2026-01-01T00:00:00.5Z */
	assert_true(mip_ntp_from_ns(1767225600500000000ULL) ==
		    ((1767225600ULL + 2208988800ULL) << 32 | 0x80000000ULL));
	assert_int_equal(mip_hex_decode("0x0a:0B 0c", out, sizeof(out)), 3);
	assert_int_equal(out[1], 0x0b);
	assert_int_equal(mip_hex_decode("abc", out, sizeof(out)), -EINVAL);
	assert_int_equal(mip_hex_decode("zz", out, sizeof(out)), -EINVAL);
	assert_int_equal(mip_hex_decode("001122", out, 2), -EINVAL);
	assert_int_equal(mip_alg_parse("hmac-sha1", &alg), 0);
	assert_int_equal(alg, MIP_ALG_HMAC_SHA1);
	assert_int_equal(mip_alg_parse("md5", &alg), -EINVAL);
	assert_string_equal(mip_code_str(133), "HA: registration identification mismatch");
	assert_string_equal(mip_reason_str(MIP_R_EXT_UNKNOWN), "ext_unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_encode),     cmocka_unit_test(request_decode),
		cmocka_unit_test(reply_codec),	      cmocka_unit_test(reply_sha256),
		cmocka_unit_test(advert_codec),	      cmocka_unit_test(solicit_codec),
		cmocka_unit_test(request_rejections), cmocka_unit_test(reply_rejections),
		cmocka_unit_test(advert_rejections),  cmocka_unit_test(misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
