#include "tests/unit/fixtures.h"

#include <stdarg.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "lib/bytes.h"

struct mml_csa fixture_csa(const struct csa_spec *spec, uint8_t dir)
{
	struct mml_csa c;

	memset(&c, 0, sizeof(c));
	c.spi = 0xc0de;
	c.format = spec->format;
	c.dir = dir;
	c.replay_window = spec->replay_window;
	c.z1_len = spec->format == MML_FMT_MLESP ? spec->z1_len : 0;
	if (spec->format == MML_FMT_ESP) {
		c.zone[0].alg = spec->zone2_alg;
		for (int i = 0; i < MML_KEY_LEN; i++)
			c.zone[0].key[i] = (uint8_t)(0x80 + i);
		memcpy(c.zone[0].salt, "\xb1\xb2\xb3\xb4", 4);
		return c;
	}
	c.zone[0].alg = MML_ALG_CHACHA20_POLY1305;
	for (int i = 0; i < MML_KEY_LEN; i++)
		c.zone[0].key[i] = (uint8_t)(0x10 + i);
	memcpy(c.zone[0].salt, "\xa1\xa2\xa3\xa4", 4);
	if (dir == MML_DIR_FWD)
		return c;
	c.zone[1].alg = spec->zone2_alg;
	for (int i = 0; i < MML_KEY_LEN; i++)
		c.zone[1].key[i] = (uint8_t)(0x80 + i);
	memcpy(c.zone[1].salt, "\xb1\xb2\xb3\xb4", 4);
	return c;
}

void fixture_sas(struct sa_set *s, const struct csa_spec *spec)
{
	struct mml_csa c;
	char why[128];

	memset(s, 0, sizeof(*s));
	c = fixture_csa(spec, MML_DIR_OUT);
	assert_int_equal(mml_sa_init(&s->out, &c, why, sizeof(why)), 0);
	c = fixture_csa(spec, MML_DIR_IN);
	assert_int_equal(mml_sa_init(&s->in, &c, why, sizeof(why)), 0);
	if (spec->format == MML_FMT_MLESP) {
		c = fixture_csa(spec, MML_DIR_FWD);
		assert_int_equal(mml_sa_init(&s->fa, &c, why, sizeof(why)), 0);
	}
}

void fixture_sas_free(struct sa_set *s)
{
	mml_sa_free(&s->out);
	mml_sa_free(&s->in);
	mml_sa_free(&s->fa);
}

void fixture_inner(uint8_t *buf, size_t len, uint32_t seed)
{
	static const uint8_t hdr[40] = {
		0x45, 0x00, 0x00, 0x00, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00,
		0x00, 0x0a, 0x00, 0x01, 0x01, 0x0a, 0x01, 0x00, 0x0a, /* 10.0.1.1 -> 10.1.0.10 */
		0x13, 0x89, 0x9c, 0x40, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07,
		0xd0, 0x50, 0x10, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	};

	memcpy(buf, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
	put_be16(buf + 2, (uint16_t)len);
	for (size_t i = sizeof(hdr); i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7);
}
