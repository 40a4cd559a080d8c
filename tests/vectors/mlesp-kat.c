#include "tests/vectors/mlesp-kat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/aead.h"
#include "lib/err.h"
#include "lib/mlesp.h"

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

static int hex_exact(const char *hex, unsigned char *out, long want)
{
	long n;
	unsigned char *buf = hex ? OPENSSL_hexstr2buf(hex, &n) : NULL;

	if (!buf)
		return -EINVAL;
	if (n != want) {
		OPENSSL_free(buf);
		return -EINVAL;
	}
	memcpy(out, buf, (size_t)n);
	OPENSSL_clear_free(buf, (size_t)n);
	return 0;
}

static int parse_zone(json_object *v, const char *name, struct mml_zone_sa *z, char *why,
		      size_t why_len)
{
	json_object *zo;

	if (!json_object_object_get_ex(v, name, &zo) ||
	    mml_alg_parse(str_field(zo, "alg") ? str_field(zo, "alg") : "", &z->alg) ||
	    hex_exact(str_field(zo, "key"), z->key, MML_KEY_LEN) ||
	    hex_exact(str_field(zo, "salt"), z->salt, MML_SALT_LEN)) {
		snprintf(why, why_len, "%s: needs alg, a 32-byte key and a 4-byte salt", name);
		return -EINVAL;
	}
	return 0;
}

int mlesp_kat_parse(json_object *v, struct mlesp_kat_vector *vec, char *why, size_t why_len)
{
	json_object *num;
	const char *spi = str_field(v, "spi");
	unsigned char spi_bytes[4];

	memset(vec, 0, sizeof(*vec));
	vec->description = str_field(v, "description");
	if (!vec->description)
		vec->description = "(no description)";
	if (hex_exact(spi, spi_bytes, 4)) {
		snprintf(why, why_len, "spi: need 4 bytes of hex");
		return -EINVAL;
	}
	vec->csa.spi = (uint32_t)spi_bytes[0] << 24 | spi_bytes[1] << 16 | spi_bytes[2] << 8 |
		       spi_bytes[3];
	if (!json_object_object_get_ex(v, "seq", &num) ||
	    !json_object_is_type(num, json_type_int) || json_object_get_int64(num) < 1 ||
	    json_object_get_int64(num) > 0xffffffffLL) {
		snprintf(why, why_len, "seq: need an integer 1..2^32-1");
		return -EINVAL;
	}
	vec->seq = (uint32_t)json_object_get_int64(num);
	if (!json_object_object_get_ex(v, "z1_len", &num) ||
	    !json_object_is_type(num, json_type_int) || json_object_get_int(num) < 0 ||
	    json_object_get_int(num) > 255) {
		snprintf(why, why_len, "z1_len: need an integer");
		return -EINVAL;
	}
	vec->csa.z1_len = (uint8_t)json_object_get_int(num);
	vec->csa.format = MML_FMT_MLESP;
	if (parse_zone(v, "zone1", &vec->csa.zone[0], why, why_len) ||
	    parse_zone(v, "zone2", &vec->csa.zone[1], why, why_len))
		return -EINVAL;
	vec->inner = str_field(v, "inner_packet") ?
			     OPENSSL_hexstr2buf(str_field(v, "inner_packet"), &vec->inner_len) :
			     NULL;
	vec->esp =
		str_field(v, "esp") ? OPENSSL_hexstr2buf(str_field(v, "esp"), &vec->esp_len) : NULL;
	if (!vec->inner || !vec->esp) {
		snprintf(why, why_len, "inner_packet/esp: need hex strings");
		return -EINVAL;
	}
	return 0;
}

void mlesp_kat_free(struct mlesp_kat_vector *vec)
{
	OPENSSL_free(vec->inner);
	OPENSSL_free(vec->esp);
	OPENSSL_cleanse(&vec->csa, sizeof(vec->csa));
}

static struct mml_csa with_dir(const struct mml_csa *csa, uint8_t dir)
{
	struct mml_csa c = *csa;

	c.dir = dir;
	if (dir == MML_DIR_FWD)
		memset(&c.zone[1], 0, sizeof(c.zone[1]));
	return c;
}

/* One SA per role, as each node would hold it. */
int mlesp_kat_check(const struct mlesp_kat_vector *vec, char *why, size_t why_len)
{
	static unsigned char buf[MLESP_KAT_MAX_PKT], hdr[MML_Z1_MAX];
	struct mml_sa out = { 0 }, in = { 0 }, fa = { 0 };
	struct mml_csa c_out = with_dir(&vec->csa, MML_DIR_OUT),
		       c_in = with_dir(&vec->csa, MML_DIR_IN),
		       c_fa = with_dir(&vec->csa, MML_DIR_FWD);
	unsigned char *inner;
	size_t p_len, l1;
	ssize_t n;
	int err = -EINVAL;

	if (mml_sa_init(&out, &c_out, why, why_len) || mml_sa_init(&in, &c_in, why, why_len) ||
	    mml_sa_init(&fa, &c_fa, why, why_len))
		goto out;

	n = mml_mlesp_seal(&out, vec->seq, vec->inner, (size_t)vec->inner_len, buf, sizeof(buf));
	if (n < 0) {
		snprintf(why, why_len, "encap: %s", mml_strerror((int)n));
		goto out;
	}
	if (n != vec->esp_len || memcmp(buf, vec->esp, (size_t)n)) {
		snprintf(why, why_len, "encap: output differs from esp (%zd vs %ld bytes)", n,
			 vec->esp_len);
		goto out;
	}

	p_len = (size_t)vec->esp_len - MML_MLESP_OVERHEAD;
	l1 = vec->csa.z1_len < p_len ? vec->csa.z1_len : p_len;
	n = mml_mlesp_fa_view(&fa, vec->esp, (size_t)vec->esp_len, hdr, sizeof(hdr));
	if (n < 0 || (size_t)n != l1) {
		snprintf(why, why_len, "fa view: %s", n < 0 ? mml_strerror((int)n) : "wrong L1");
		goto out;
	}
	if (memcmp(hdr, vec->inner, l1 < (size_t)vec->inner_len ? l1 : (size_t)vec->inner_len)) {
		snprintf(why, why_len, "fa view: zone 1 plaintext differs from the payload");
		goto out;
	}

	memcpy(buf, vec->esp, (size_t)vec->esp_len);
	n = mml_mlesp_decap(&in, buf, (size_t)vec->esp_len, &inner);
	if (n < 0) {
		snprintf(why, why_len, "decap: %s", mml_strerror((int)n));
		goto out;
	}
	if (n != vec->inner_len || memcmp(inner, vec->inner, (size_t)n)) {
		snprintf(why, why_len, "decap: inner packet differs");
		goto out;
	}
	err = 0;
out:
	mml_sa_free(&out);
	mml_sa_free(&in);
	mml_sa_free(&fa);
	return err;
}
