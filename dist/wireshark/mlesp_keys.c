/* Which SPIs are ML-ESP, and their zone-1 keys: the "mlesp_keys" table
 * (a UAT, like Wireshark's ESP SA table) and the "ML-ESP SPIs" preference.
 * Entries are parsed once when the table changes, not per packet. */
#include <stdlib.h>
#include <string.h>

#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/uat.h>

#include "mml_ws.h"

/* A row as the user typed it. */
struct key_row {
	char *spi;
	char *z1_len;
	char *key;
	char *salt;
};

static struct key_row *rows;
static guint n_rows;
static struct mlesp_key *keys; /* parsed rows, n_keys of them */
static guint n_keys;

static const char *spi_list_pref = "";
static uint32_t *listed;
static guint n_listed;
static guint z1_len_pref = MLESP_Z1_DEFAULT;
static gboolean heuristic_pref;

UAT_CSTRING_CB_DEF(mlesp_keys, spi, struct key_row)
UAT_CSTRING_CB_DEF(mlesp_keys, z1_len, struct key_row)
UAT_CSTRING_CB_DEF(mlesp_keys, key, struct key_row)
UAT_CSTRING_CB_DEF(mlesp_keys, salt, struct key_row)

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	if (!s || !*s)
		return false;
	x = strtoul(s, &end, 0);
	if (*end || x > 0xffffffffUL)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* Hex with an optional 0x, colons or spaces between bytes; *n bytes out. */
static bool parse_hex(const char *s, uint8_t *out, size_t max, size_t *n)
{
	size_t i = 0;
	int hi = -1;

	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s && *s; s++) {
		int d = g_ascii_xdigit_value(*s);

		if (d < 0) {
			if ((*s == ':' || *s == ' ') && hi < 0)
				continue;
			return false;
		}
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (i == max)
			return false;
		out[i++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	*n = i;
	return hi < 0;
}

/* key: 32 bytes, or 36 = key || salt as in mmlctl's key files (then salt
 * stays empty). */
static bool parse_row(const struct key_row *r, struct mlesp_key *k, char **err)
{
	uint8_t buf[MLESP_KEY_LEN + MLESP_SALT_LEN];
	size_t n = 0, ns = 0;
	uint32_t z1 = 0;

	memset(k, 0, sizeof(*k));
	if (!parse_u32(r->spi, &k->spi) || k->spi < 256) {
		*err = g_strdup_printf("SPI \"%s\": a number of 256 or more", r->spi ? r->spi : "");
		return false;
	}
	k->z1_len = z1_len_pref;
	if (r->z1_len && *r->z1_len) {
		if (!parse_u32(r->z1_len, &z1) || z1 < 20 || z1 > 128 || z1 % 4) {
			*err = g_strdup_printf("zone-1 length \"%s\": 20..128, a multiple of 4",
					       r->z1_len);
			return false;
		}
		k->z1_len = z1;
	}
	if (!r->key || !*r->key)
		return true; /* SPI marked ML-ESP, no key */
	if (!parse_hex(r->key, buf, sizeof(buf), &n) || (n != 32 && n != 36)) {
		*err = g_strdup("key: 32 bytes in hex, or 36 (key || salt)");
		return false;
	}
	memcpy(k->key, buf, MLESP_KEY_LEN);
	if (n == 36) {
		memcpy(k->salt, buf + MLESP_KEY_LEN, MLESP_SALT_LEN);
	} else if (!parse_hex(r->salt, k->salt, MLESP_SALT_LEN, &ns) || ns != MLESP_SALT_LEN) {
		*err = g_strdup("salt: 4 bytes in hex (or give a 36-byte key)");
		return false;
	}
	k->have_key = true;
	return true;
}

static gboolean key_row_check(void *rec, char **err)
{
	struct mlesp_key k;
	bool ok = parse_row(rec, &k, err);

	memset(&k, 0, sizeof(k));
	return ok;
}

static void *key_row_copy(void *dst, const void *src, size_t len)
{
	const struct key_row *s = src;
	struct key_row *d = dst;

	d->spi = g_strdup(s->spi);
	d->z1_len = g_strdup(s->z1_len);
	d->key = g_strdup(s->key);
	d->salt = g_strdup(s->salt);
	return d;
}

static void key_row_free(void *rec)
{
	struct key_row *r = rec;

	g_free(r->spi);
	g_free(r->z1_len);
	if (r->key)
		memset(r->key, 0, strlen(r->key));
	g_free(r->key);
	g_free(r->salt);
}

static void keys_clear(void)
{
	if (keys)
		memset(keys, 0, n_keys * sizeof(*keys));
	g_free(keys);
	keys = NULL;
	n_keys = 0;
}

static void keys_reparse(void)
{
	char *err = NULL;
	guint i;

	keys_clear();
	keys = g_new0(struct mlesp_key, n_rows ? n_rows : 1);
	for (i = 0; i < n_rows; i++) {
		if (parse_row(&rows[i], &keys[n_keys], &err))
			n_keys++;
		g_free(err);
		err = NULL;
	}
}

static void spis_reparse(void)
{
	gchar **tok = g_strsplit_set(spi_list_pref ? spi_list_pref : "", ", ;", -1);
	guint i, n = g_strv_length(tok);
	uint32_t v;

	g_free(listed);
	listed = g_new0(uint32_t, n ? n : 1);
	n_listed = 0;
	for (i = 0; i < n; i++)
		if (parse_u32(tok[i], &v))
			listed[n_listed++] = v;
	g_strfreev(tok);
}

static void prefs_changed(void)
{
	spis_reparse();
	keys_reparse(); /* the default zone-1 length may have changed */
}

const struct mlesp_key *mlesp_key_find(uint32_t spi)
{
	guint i;

	for (i = 0; i < n_keys; i++)
		if (keys[i].spi == spi)
			return &keys[i];
	return NULL;
}

bool mlesp_spi_listed(uint32_t spi)
{
	guint i;

	for (i = 0; i < n_listed; i++)
		if (listed[i] == spi)
			return true;
	return mlesp_key_find(spi) != NULL;
}

unsigned int mlesp_default_z1_len(void)
{
	return z1_len_pref;
}

bool mlesp_heuristic(void)
{
	return heuristic_pref;
}

static void mlesp_keys_changed(void)
{
	keys_reparse();
}

void mlesp_keys_register(int proto)
{
	static uat_field_t fields[] = {
		UAT_FLD_CSTRING(mlesp_keys, spi, "SPI", "CSA SPI, e.g. 0x1000"),
		UAT_FLD_CSTRING(mlesp_keys, z1_len, "Zone-1 length",
				"the zone map's z1_len (20..128); empty = the default preference"),
		UAT_FLD_CSTRING_OTHER(mlesp_keys, key, "Zone-1 key", uat_fld_chk_str,
				      "ChaCha20-Poly1305 key, 32 bytes hex (or 36: key || salt, "
				      "as in mmlctl key files); empty: mark the SPI ML-ESP only"),
		UAT_FLD_CSTRING(mlesp_keys, salt, "Zone-1 salt", "4 bytes hex"), UAT_END_FIELDS
	};
	module_t *m = prefs_register_protocol(proto, prefs_changed);
	uat_t *u;

	u = uat_new("ML-ESP zone-1 keys", sizeof(struct key_row), "mlesp_keys", TRUE, &rows,
		    &n_rows, UAT_AFFECTS_DISSECTION, NULL, key_row_copy, key_row_check,
		    key_row_free, mlesp_keys_changed, NULL, fields);
	prefs_register_uat_preference(m, "keys", "Zone-1 keys",
				      "SPIs carrying ML-ESP and the zone-1 key of each; zone 1 is "
				      "always ChaCha20-Poly1305",
				      u);
	prefs_register_string_preference(
		m, "spis", "ML-ESP SPIs",
		"more SPIs to dissect as ML-ESP without a key (comma-separated, 0x for hex); "
		"every other SPI goes to the ESP dissector",
		&spi_list_pref);
	prefs_register_uint_preference(
		m, "z1_len", "Default zone-1 length",
		"z1_len of SPIs without their own (the default zone map: 40)", 10, &z1_len_pref);
	prefs_register_bool_preference(
		m, "heuristic", "Tell mmlipsec's ESP from ML-ESP by the IV",
		"mmlipsec's ESP sends the sequence number as its 8-byte IV: a packet of an "
		"unlisted SPI whose bytes 8..15 are not 0 || sequence is taken as ML-ESP. "
		"Only for captures of mmlipsec alone: other ESP implementations send other IVs",
		&heuristic_pref);
}
