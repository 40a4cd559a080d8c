/* Shared pieces of the Mobile IPv4 roles: counters and their JSON, the
 * rate-limited rejection log, the u32 hash table, keys from the config. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyd/keyd.h"
#include "keyd/mip.h"
#include "lib/args.h"
#include "lib/log.h"
#include "lib/secret_file.h"

static const char *const ctr_names[] = {
#define MIP_CTR_NAME(id, name) [MIP_C_##id] = name,
	MIP_CTR_LIST(MIP_CTR_NAME)
#undef MIP_CTR_NAME
};

void mip_log_reject(struct mip_stats *st, const char *fmt, ...)
{
	uint64_t second = loop_now() / NS_PER_SEC;
	char msg[512];
	va_list ap;

	if (second != st->log_window) {
		if (st->log_suppressed)
			log_warn("%u more rejected messages not logged in the last second",
				 st->log_suppressed);
		st->log_window = second;
		st->log_lines = 0;
		st->log_suppressed = 0;
	}
	if (st->log_lines >= MIP_LOG_BURST) {
		st->log_suppressed++;
		return;
	}
	st->log_lines++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s", msg);
}

json_object *mip_stats_json(const struct mip_stats *st)
{
	json_object *o = json_object_new_object(), *ctrs = json_object_new_object(),
		    *reasons = json_object_new_object(), *tx = json_object_new_object(),
		    *rx = json_object_new_object();
	char key[12];

	for (int i = 0; i < MIP_C_MAX; i++)
		json_object_object_add(ctrs, ctr_names[i],
				       json_object_new_int64((int64_t)st->ctr[i]));
	for (int i = 1; i < MIP_R_MAX; i++)
		if (st->reason[i])
			json_object_object_add(reasons, mip_reason_str((enum mip_reason)i),
					       json_object_new_int64((int64_t)st->reason[i]));
	for (int c = 0; c < 256; c++) {
		snprintf(key, sizeof(key), "%d", c);
		if (st->code_tx[c])
			json_object_object_add(tx, key,
					       json_object_new_int64((int64_t)st->code_tx[c]));
		if (st->code_rx[c])
			json_object_object_add(rx, key,
					       json_object_new_int64((int64_t)st->code_rx[c]));
	}
	json_object_object_add(o, "counters", ctrs);
	json_object_object_add(o, "malformed_by_reason", reasons);
	json_object_object_add(o, "reply_codes_sent", tx);
	json_object_object_add(o, "reply_codes_received", rx);
	return o;
}

json_object *mip_json_addr(uint32_t addr_be)
{
	char buf[16];

	return json_object_new_string(mml_ipv4_str(addr_be, buf));
}

int64_t mip_secs_left(uint64_t deadline, uint64_t now)
{
	return deadline > now ? (int64_t)((deadline - now) / NS_PER_SEC) : 0;
}

/* u32map: open addressing, linear probing, tombstones; grows at 1/2 load. */

#define U32MAP_TOMB ((void *)1)

static size_t slot_of(uint32_t key, size_t cap)
{
	return (size_t)((key * 2654435761u) ^ (key >> 16)) & (cap - 1);
}

int u32map_init(struct u32map *m, size_t hint)
{
	size_t cap = 16;

	while (cap < 2 * hint)
		cap *= 2;
	memset(m, 0, sizeof(*m));
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		u32map_free(m);
		return -ENOMEM;
	}
	m->cap = cap;
	return 0;
}

void u32map_free(struct u32map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct u32map *m, uint32_t key)
{
	size_t i = slot_of(key, m->cap);

	while (m->vals[i]) {
		if (m->vals[i] != U32MAP_TOMB && m->keys[i] == key)
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return SIZE_MAX;
}

void *u32map_get(const struct u32map *m, uint32_t key)
{
	size_t i = m->cap ? find(m, key) : SIZE_MAX;

	return i == SIZE_MAX ? NULL : m->vals[i];
}

static int grow(struct u32map *m)
{
	struct u32map bigger;
	size_t it = 0;
	uint32_t key;
	void *v;
	int err = u32map_init(&bigger, m->len * 2 + 8);

	if (err)
		return err;
	while ((v = u32map_next(m, &it, &key)))
		u32map_put(&bigger, key, v);
	u32map_free(m);
	*m = bigger;
	return 0;
}

int u32map_put(struct u32map *m, uint32_t key, void *val)
{
	size_t i;

	if (!val || val == U32MAP_TOMB)
		return -EINVAL;
	i = find(m, key);
	if (i != SIZE_MAX) {
		m->vals[i] = val;
		return 0;
	}
	if (2 * (m->used + 1) > m->cap) {
		int err = grow(m);

		if (err)
			return err;
	}
	i = slot_of(key, m->cap);
	while (m->vals[i] && m->vals[i] != U32MAP_TOMB)
		i = (i + 1) & (m->cap - 1);
	if (!m->vals[i])
		m->used++;
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return 0;
}

void *u32map_del(struct u32map *m, uint32_t key)
{
	size_t i = m->cap ? find(m, key) : SIZE_MAX;
	void *v;

	if (i == SIZE_MAX)
		return NULL;
	v = m->vals[i];
	m->vals[i] = U32MAP_TOMB;
	m->len--;
	return v;
}

void *u32map_next(const struct u32map *m, size_t *iter, uint32_t *key)
{
	for (; *iter < m->cap; (*iter)++) {
		void *v = m->vals[*iter];

		if (v && v != U32MAP_TOMB) {
			*key = m->keys[*iter];
			(*iter)++;
			return v;
		}
	}
	return NULL;
}

/* Keys: hex in the (0600) config, or in a file of their own held to the
 * same rules (lib/secret_file.h); a file longer than any key's hex is an
 * error, not cut. */
static int read_key_file(const char *path, char *hex, size_t size)
{
	size_t n;
	int err = mml_secret_file_read("key_file", path, hex, size - 1, 1, &n);

	if (!err)
		hex[n] = '\0';
	return err;
}

static int key_from_config(const config_setting_t *e, struct mip_key *k)
{
	const char *alg_name = "hmac-md5", *hex = NULL, *path = NULL;
	enum mip_auth_alg alg;
	uint8_t secret[MIP_KEY_MAX];
	char buf[512], where[300];
	uint32_t spi;
	int n, err;

	err = cfg_u32(e, "spi", true, 256, UINT32_MAX, &spi);
	if (!err)
		err = cfg_str(e, "algorithm", false, &alg_name);
	if (!err)
		err = cfg_str(e, "key", false, &hex);
	if (!err)
		err = cfg_str(e, "key_file", false, &path);
	if (err)
		return err;
	cfg_where(e, where, sizeof(where));
	if (mip_alg_parse(alg_name, &alg)) {
		log_err("%s: algorithm \"%s\": not one of hmac-md5, hmac-sha1, hmac-sha256", where,
			alg_name);
		return -EINVAL;
	}
	if (!hex == !path) {
		log_err("%s: SPI %u needs exactly one of key (hex) and key_file", where, spi);
		return -EINVAL;
	}
	if (path) {
		err = read_key_file(path, buf, sizeof(buf));
		if (err) {
			log_err("%s: SPI %u: key_file refused", where, spi);
			return err;
		}
		hex = buf;
	}
	n = mip_hex_decode(hex, secret, sizeof(secret));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (n < 16) {
		log_err("%s: SPI %u: key must be 16 to %d bytes of hex", where, spi, MIP_KEY_MAX);
		OPENSSL_cleanse(secret, sizeof(secret));
		return -EINVAL;
	}
	err = mip_key_init(k, spi, alg, secret, (size_t)n);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (err)
		log_err("%s: SPI %u: setting up %s failed", where, spi, alg_name);
	return err;
}

int mip_keys_from_config(const config_setting_t *list, struct mip_key *keys, size_t max, size_t *n)
{
	char where[300];
	int count, err;

	*n = 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list) &&
	    !config_setting_is_group(list)) {
		log_err("%s: \"%s\" must be a list of ( { spi = ...; key = ...; }, ... )",
			cfg_where(list, where, sizeof(where)), config_setting_name(list));
		return -EINVAL;
	}
	if (config_setting_is_group(list)) {
		err = key_from_config(list, &keys[0]);
		if (!err)
			*n = 1;
		return err;
	}
	count = config_setting_length(list);
	if (count < 1 || (size_t)count > max) {
		log_err("%s: between 1 and %zu keys per peer",
			cfg_where(list, where, sizeof(where)), max);
		return -EINVAL;
	}
	for (int i = 0; i < count; i++) {
		err = key_from_config(config_setting_get_elem(list, (unsigned int)i), &keys[i]);
		if (err)
			goto out;
		*n = (size_t)i + 1;
		for (int j = 0; j < i; j++) {
			if (keys[j].spi == keys[i].spi) {
				log_err("%s: SPI %u given twice",
					cfg_where(list, where, sizeof(where)), keys[i].spi);
				err = -EINVAL;
				goto out;
			}
		}
	}
	return 0;
out:
	for (size_t i = 0; i < *n; i++)
		mip_key_free(&keys[i]);
	*n = 0;
	return err;
}

const struct mip_key *mip_key_find(const struct mip_key *keys, size_t n, uint32_t spi)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].spi == spi)
			return &keys[i];
	return NULL;
}
