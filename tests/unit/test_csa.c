/* CSA validation: every rejection names its field. */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/csa.h"
#include "lib/sa.h"
#include "tests/unit/fixtures.h"

static const struct csa_spec mlesp = { MML_FMT_MLESP, 40, MML_ALG_AES256_GCM, 0 };
static const struct csa_spec esp = { MML_FMT_ESP, 0, MML_ALG_CHACHA20_POLY1305, 0 };

static void expect_reject(const struct mml_csa *c, const char *field)
{
	char why[160] = "";

	assert_int_equal(mml_csa_validate(c, why, sizeof(why)), -EINVAL);
	if (strncmp(why, field, strlen(field)))
		fail_msg("rejection \"%s\" does not start with \"%s\"", why, field);
}

static void valid_csas_pass(void **state)
{
	static const uint8_t dirs[] = { MML_DIR_IN, MML_DIR_OUT, MML_DIR_FWD };

	for (size_t d = 0; d < sizeof(dirs); d++) {
		struct mml_csa c = fixture_csa(&mlesp, dirs[d]);

		for (unsigned z1 = 20; z1 <= 128; z1 += 4) {
			c.z1_len = (uint8_t)z1;
			assert_int_equal(mml_csa_validate(&c, NULL, 0), 0);
		}
	}
	struct mml_csa c = fixture_csa(&esp, MML_DIR_IN);
	assert_int_equal(mml_csa_validate(&c, NULL, 0), 0);
}

static void zone_map_limits(void **state)
{
	static const uint8_t bad[] = { 0, 16, 18, 19, 21, 42, 130, 132, 255 };

	for (size_t i = 0; i < sizeof(bad); i++) {
		struct mml_csa c = fixture_csa(&mlesp, MML_DIR_IN);

		c.z1_len = bad[i];
		expect_reject(&c, "z1_len");
	}
}

/* Issue 18 item 4: zone 2's key must differ from zone 1's whatever the
 * salts. The FA holds zone 1's key; with the same key in zone 2 it could
 * decrypt (and forge) zone 2, which the design keeps from it. */
static void equal_zone_keys_rejected(void **state)
{
	struct mml_csa c = fixture_csa(&mlesp, MML_DIR_OUT);

	c.zone[1].alg = MML_ALG_CHACHA20_POLY1305;
	memcpy(c.zone[1].key, c.zone[0].key, MML_KEY_LEN);
	expect_reject(&c, "zone2"); /* different salts: still refused */
	memcpy(c.zone[1].salt, c.zone[0].salt, MML_SALT_LEN);
	expect_reject(&c, "zone2");
	c.zone[1].alg = MML_ALG_AES256_GCM; /* another AEAD under the same key */
	expect_reject(&c, "zone2");
	c.dir = MML_DIR_IN;
	expect_reject(&c, "zone2");
	c.zone[1].key[31] ^= 1; /* one bit apart is another key */
	assert_int_equal(mml_csa_validate(&c, NULL, 0), 0);
}

static void algorithms(void **state)
{
	struct mml_csa c = fixture_csa(&mlesp, MML_DIR_IN);

	c.zone[0].alg = MML_ALG_AES256_GCM; /* zone 1 is always ChaCha20-Poly1305 */
	expect_reject(&c, "zone1.alg");
	c = fixture_csa(&mlesp, MML_DIR_IN);
	c.zone[1].alg = 9;
	expect_reject(&c, "zone2.alg");
	c.zone[1].alg = MML_ALG_NULL;
	expect_reject(&c, "zone2.alg");
	c = fixture_csa(&esp, MML_DIR_IN);
	c.zone[0].alg = 3;
	expect_reject(&c, "zone1.alg");
}

/* The FA gets a null SA for zone 2: no key material may sit in it. */
static void fa_never_holds_zone2(void **state)
{
	struct mml_csa c = fixture_csa(&mlesp, MML_DIR_FWD);

	assert_int_equal(mml_csa_validate(&c, NULL, 0), 0);
	c.zone[1].key[5] = 1;
	expect_reject(&c, "zone2");
	c = fixture_csa(&mlesp, MML_DIR_FWD);
	c.zone[1].alg = MML_ALG_CHACHA20_POLY1305;
	expect_reject(&c, "zone2");
	c = fixture_csa(&esp, MML_DIR_FWD);
	expect_reject(&c, "dir");
}

static void header_fields(void **state)
{
	struct mml_csa c = fixture_csa(&mlesp, MML_DIR_IN);

	c.spi = 255;
	expect_reject(&c, "spi");
	c = fixture_csa(&mlesp, MML_DIR_IN);
	c.format = 7;
	expect_reject(&c, "format");
	c = fixture_csa(&mlesp, MML_DIR_IN);
	c.dir = 0;
	expect_reject(&c, "dir");
	c = fixture_csa(&mlesp, MML_DIR_IN);
	c.replay_window = 512;
	expect_reject(&c, "replay_window");
	c = fixture_csa(&mlesp, MML_DIR_OUT);
	c.hard_packets = 0xffffffffULL;
	expect_reject(&c, "hard_packets");
	c.hard_packets = 100;
	c.soft_packets = 200;
	expect_reject(&c, "soft_packets");
	c = fixture_csa(&esp, MML_DIR_IN);
	c.z1_len = 40;
	expect_reject(&c, "z1_len");
	c = fixture_csa(&esp, MML_DIR_IN);
	c.zone[1].alg = MML_ALG_AES256_GCM;
	expect_reject(&c, "zone2");
}

/* mml_sa_init refuses what validation refuses, and frees nothing twice. */
static void sa_init_validates(void **state)
{
	struct mml_csa c = fixture_csa(&mlesp, MML_DIR_IN);
	struct mml_sa sa;
	char why[128];

	c.z1_len = 42;
	assert_int_equal(mml_sa_init(&sa, &c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "multiple of 4"));
	mml_sa_free(&sa);
}

/* PKD: only an FA's CSA may be held inactive; other flag bits stay reserved. */
static void inactive_flag(void **state)
{
	struct mml_csa c = fixture_csa(&mlesp, MML_DIR_FWD);

	c.flags = MML_CSA_F_INACTIVE;
	assert_int_equal(mml_csa_validate(&c, NULL, 0), 0);
	c.flags = MML_CSA_F_INACTIVE | 0x02;
	expect_reject(&c, "flags");
	c = fixture_csa(&mlesp, MML_DIR_IN);
	c.flags = MML_CSA_F_INACTIVE;
	expect_reject(&c, "flags");
	c = fixture_csa(&mlesp, MML_DIR_OUT);
	c.flags = MML_CSA_F_INACTIVE;
	expect_reject(&c, "flags");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_csas_pass),	    cmocka_unit_test(zone_map_limits),
		cmocka_unit_test(equal_zone_keys_rejected), cmocka_unit_test(algorithms),
		cmocka_unit_test(fa_never_holds_zone2),	    cmocka_unit_test(header_fields),
		cmocka_unit_test(sa_init_validates),	    cmocka_unit_test(inactive_flag),
	};

	return cmocka_run_group_tests_name("csa", tests, NULL, NULL);
}
