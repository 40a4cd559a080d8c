/* Foreign-Home Authentication: the per-peer key table, its configuration,
 * and the extension's check and append. See mip_fh.h. */
#include "keyd/mip_fh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyd/keyd.h"
#include "lib/log.h"

int mip_fh_add(struct u32map *peers, uint32_t addr, struct mip_key *keys, size_t n_keys)
{
	struct mip_fh_peer *p;
	int err;

	if (u32map_get(peers, addr))
		return -EEXIST;
	if (!n_keys || n_keys > MIP_MAX_KEYS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->addr = addr;
	memcpy(p->keys, keys, n_keys * sizeof(*keys));
	p->n_keys = n_keys;
	err = u32map_put(peers, addr, p);
	if (err) {
		free(p);
		return err;
	}
	memset(keys, 0, n_keys * sizeof(*keys)); /* the contexts are the table's now */
	return 0;
}

void mip_fh_free_all(struct u32map *peers)
{
	struct mip_fh_peer *p;
	size_t it = 0;
	uint32_t key;

	if (!peers->cap)
		return;
	while ((p = u32map_next(peers, &it, &key))) {
		for (size_t i = 0; i < p->n_keys; i++)
			mip_key_free(&p->keys[i]);
		free(p);
	}
}

static int peer_from_config(const config_setting_t *e, struct u32map *peers)
{
	const config_setting_t *kl = config_setting_get_member(e, "keys");
	struct mip_key keys[MIP_MAX_KEYS];
	char where[300];
	size_t n_keys;
	uint32_t addr;
	int err;

	err = cfg_ipv4(e, "address", true, &addr);
	if (err)
		return err;
	if (!kl) {
		log_err("%s: peer without \"keys\"", cfg_where(e, where, sizeof(where)));
		return -EINVAL;
	}
	err = mip_keys_from_config(kl, keys, MIP_MAX_KEYS, &n_keys);
	if (err)
		return err;
	err = mip_fh_add(peers, addr, keys, n_keys);
	if (err) {
		for (size_t k = 0; k < n_keys; k++)
			mip_key_free(&keys[k]);
		log_err("%s: address given twice", cfg_where(e, where, sizeof(where)));
	}
	return err;
}

int mip_fh_from_config(const config_setting_t *sec, const char *name, struct u32map *peers)
{
	const config_setting_t *list = config_setting_get_member(sec, name);
	char where[300];
	int err;

	if (!list)
		return 0;
	if (!config_setting_is_list(list)) {
		log_err("%s: \"%s\" must be a list: ( { address = \"...\"; keys = (...); }, ... )",
			cfg_where(list, where, sizeof(where)), name);
		return -EINVAL;
	}
	for (int i = 0; i < config_setting_length(list); i++) {
		err = peer_from_config(config_setting_get_elem(list, (unsigned int)i), peers);
		if (err)
			return err;
	}
	return 0;
}

int mip_fh_append(const struct mip_fh_peer *peer, uint8_t *msg, size_t size, size_t len)
{
	return mip_auth_append(&peer->keys[0], MIP_EXT_FH_AUTH, msg, size, len);
}

const char *mip_fh_check(const struct mip_fh_peer *peer, const uint8_t *msg, size_t len, bool has,
			 const struct mip_auth_ext *ext)
{
	const struct mip_key *k;

	if (!has)
		return "no Foreign-Home Authentication Extension";
	k = mip_key_find(peer->keys, peer->n_keys, ext->spi);
	if (!k)
		return "Foreign-Home Authentication Extension with an unknown SPI";
	if (!mip_auth_verify(k, msg, len, ext))
		return "Foreign-Home authenticator mismatch";
	return NULL;
}
