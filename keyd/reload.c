/* SIGHUP: the configuration read again, applied where a setting may change
 * while traffic flows (keyd.h, keyd_reload). Everything else (addresses,
 * interfaces, roles, peers, keys) is fixed into sockets, maps and SAs at
 * start, so a reload that changes it is refused as a whole and the daemon
 * goes on with what it runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keyd/keyd.h"
#include "lib/log.h"

/* Top-level settings a reload may change; the caller applies them
 * (flows: keyd/flows.h). */
static const char *const top_reloadable[] = { "log_level", "flows", NULL };

struct diff {
	const struct keyd_module *const *mods;
	size_t n_mods;
	char path[256]; /* the first difference, for the message */
	const char *what;
};

static bool in_list(const char *const *list, const char *path)
{
	for (; list && *list; list++)
		if (!strcmp(*list, path))
			return true;
	return false;
}

/* path is "section.rest" below a module's section, or a top-level name. */
static bool reloadable(const struct diff *d, const char *path)
{
	const char *dot = strchr(path, '.');

	if (!dot)
		return in_list(top_reloadable, path);
	for (size_t i = 0; i < d->n_mods; i++) {
		size_t len = strlen(d->mods[i]->name);

		if ((size_t)(dot - path) == len && !strncmp(path, d->mods[i]->name, len))
			return in_list(d->mods[i]->reloadable, dot + 1);
	}
	return false;
}

static void child_path(char *out, size_t len, const char *parent, const config_setting_t *s)
{
	const char *name = config_setting_name(s);

	if (!name)
		snprintf(out, len, "%s%s*", parent, parent[0] ? "." : "");
	else
		snprintf(out, len, "%s%s%s", parent, parent[0] ? "." : "", name);
}

static bool differs(struct diff *d, const char *path, const char *what)
{
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->what = what;
	return false;
}

static bool same(struct diff *d, const config_setting_t *a, const config_setting_t *b,
		 const char *path);

/* Members of a group by name, each side's unlisted ones present on the other. */
static bool same_group(struct diff *d, const config_setting_t *a, const config_setting_t *b,
		       const char *path)
{
	char sub[256];

	for (int i = 0; i < config_setting_length(a); i++) {
		const config_setting_t *m = config_setting_get_elem(a, (unsigned int)i);
		const config_setting_t *o = config_setting_get_member(b, config_setting_name(m));

		child_path(sub, sizeof(sub), path, m);
		if (reloadable(d, sub))
			continue;
		if (!o)
			return differs(d, sub, "removed");
		if (!same(d, m, o, sub))
			return false;
	}
	for (int i = 0; i < config_setting_length(b); i++) {
		const config_setting_t *m = config_setting_get_elem(b, (unsigned int)i);

		child_path(sub, sizeof(sub), path, m);
		if (!reloadable(d, sub) && !config_setting_get_member(a, config_setting_name(m)))
			return differs(d, sub, "added");
	}
	return true;
}

static bool same(struct diff *d, const config_setting_t *a, const config_setting_t *b,
		 const char *path)
{
	int type = config_setting_type(a);
	const char *name = config_setting_name(a);
	char sub[256];

	if (type != config_setting_type(b))
		return differs(d, path, "changed type");
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return same_group(d, a, b, path);
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		if (config_setting_length(a) != config_setting_length(b))
			return differs(d, path, "changed length");
		for (int i = 0; i < config_setting_length(a); i++) {
			const config_setting_t *x = config_setting_get_elem(a, (unsigned int)i);

			child_path(sub, sizeof(sub), path, x);
			if (!same(d, x, config_setting_get_elem(b, (unsigned int)i), sub))
				return false;
		}
		return true;
	case CONFIG_TYPE_INT:
		return config_setting_get_int(a) == config_setting_get_int(b) ||
		       differs(d, path, "changed");
	case CONFIG_TYPE_INT64:
		return config_setting_get_int64(a) == config_setting_get_int64(b) ||
		       differs(d, path, "changed");
	case CONFIG_TYPE_FLOAT:
		return config_setting_get_float(a) == config_setting_get_float(b) ||
		       differs(d, path, "changed");
	case CONFIG_TYPE_BOOL:
		return config_setting_get_bool(a) == config_setting_get_bool(b) ||
		       differs(d, path, "changed");
	case CONFIG_TYPE_STRING:
		/* The running one's inline keys are wiped: the digest compares them. */
		if (name && !strcmp(name, "key"))
			return true;
		return !strcmp(config_setting_get_string(a), config_setting_get_string(b)) ||
		       differs(d, path, "changed");
	}
	return true;
}

static void digest_keys(EVP_MD_CTX *ctx, const config_setting_t *s, const char *path)
{
	const char *name = config_setting_name(s);
	char sub[256];

	if (config_setting_is_aggregate(s)) {
		for (int i = 0; i < config_setting_length(s); i++) {
			const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);

			child_path(sub, sizeof(sub), path, m);
			digest_keys(ctx, m, sub);
		}
		return;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING && name && !strcmp(name, "key")) {
		const char *v = config_setting_get_string(s);

		EVP_DigestUpdate(ctx, path, strlen(path) + 1);
		EVP_DigestUpdate(ctx, v, strlen(v) + 1);
	}
}

void keyd_keys_digest(const config_t *cfg, unsigned char out[KEYD_KEYS_DIGEST_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = KEYD_KEYS_DIGEST_LEN;

	memset(out, 0, KEYD_KEYS_DIGEST_LEN);
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		/* All zeros never matches a real digest: every reload is refused. */
		EVP_MD_CTX_free(ctx);
		return;
	}
	digest_keys(ctx, config_root_setting(cfg), "");
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

int keyd_reload(struct keyd *kd, const config_t *next,
		const unsigned char keys_digest[KEYD_KEYS_DIGEST_LEN],
		const struct keyd_module *const *mods, void *const *states, size_t n_mods)
{
	struct diff d = { .mods = mods, .n_mods = n_mods };
	unsigned char digest[KEYD_KEYS_DIGEST_LEN];
	int err;

	if (!same(&d, config_root_setting(&kd->config), config_root_setting(next), "")) {
		log_err("reload: \"%s\" %s: that needs a restart; the running configuration is kept",
			d.path, d.what);
		return -EBUSY;
	}
	keyd_keys_digest(next, digest);
	if (CRYPTO_memcmp(digest, keys_digest, sizeof(digest))) {
		log_err("reload: an inline key changed: that needs a restart; the running "
			"configuration is kept");
		return -EBUSY;
	}
	for (int apply = 0; apply < 2; apply++) {
		for (size_t i = 0; i < n_mods; i++) {
			if (!states[i] || !mods[i]->reload)
				continue;
			err = mods[i]->reload(states[i], config_lookup(next, mods[i]->name), apply);
			if (err) {
				log_err("reload: section \"%s\": %s; the running configuration is "
					"kept",
					mods[i]->name, strerror(-err));
				return err;
			}
		}
	}
	return 0;
}
