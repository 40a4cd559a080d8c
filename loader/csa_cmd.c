/* mmlctl csa add|replace|del|list|show: static keying of the pinned mml_csa
 * map, like `ip xfrm state`. Keys come from a file or stdin, never argv, and
 * are printed only when asked (show-keys). What we install is static (owner
 * "static"); a CSA mmlkeyd installed for an IKE peer is replaced or deleted
 * only with `force` (lib/csa_store.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/aead.h"
#include "lib/args.h"
#include "lib/csa.h"
#include "lib/csa_store.h"
#include "lib/node_maps.h"
#include "lib/log.h"
#include "loader/ctl.h"
#include "loader/keyfile.h"

static const char *const formats[] = { "mlesp", "esp", NULL };
static const uint8_t format_of[] = { MML_FMT_MLESP, MML_FMT_ESP };
static const char *const dirs[] = { "in", "out", "fwd", NULL };
static const uint8_t dir_of[] = { MML_DIR_IN, MML_DIR_OUT, MML_DIR_FWD };
static const char *const algs[] = { "aes256gcm", "chacha20poly1305", NULL };
static const uint8_t alg_of[] = { MML_ALG_AES256_GCM, MML_ALG_CHACHA20_POLY1305 };

static int open_csa_map(struct ctl *ctl)
{
	return ctl_open_map(ctl, MML_MAP_CSA, sizeof(__u32), sizeof(struct mml_csa));
}

/* Builds the CSA from keywords and the key file; the store validates it
 * with the shared validator, so the map only ever holds CSAs every node
 * accepts. */
static int build_csa(const char *ctx, int argc, char **argv, struct mml_csa *csa, bool *force)
{
	int format = 0, dir = 0, alg = 0;
	uint32_t spi = 0, z1_len = MML_Z1_DEFAULT, window = 0;
	uint64_t soft = 0, hard = 0, soft_s = 0, hard_s = 0;
	const char *keys = NULL;
	struct keymat km[MML_ZONES];
	struct mml_opt opts[] = {
		{ "spi", MML_OPT_U32, &spi, NULL, true, false },
		{ "format", MML_OPT_CHOICE, &format, formats, true, false },
		{ "dir", MML_OPT_CHOICE, &dir, dirs, true, false },
		{ "z1-len", MML_OPT_U32, &z1_len, NULL, false, false },
		{ "alg", MML_OPT_CHOICE, &alg, algs, false, false },
		{ "keys", MML_OPT_STR, &keys, NULL, true, false },
		{ "replay-window", MML_OPT_U32, &window, NULL, false, false },
		{ "soft-packets", MML_OPT_U64, &soft, NULL, false, false },
		{ "hard-packets", MML_OPT_U64, &hard, NULL, false, false },
		{ "soft-lifetime", MML_OPT_U64, &soft_s, NULL, false, false },
		{ "hard-lifetime", MML_OPT_U64, &hard_s, NULL, false, false },
		{ "force", MML_OPT_FLAG, force, NULL, false, false },
	};
	size_t zones;
	int err;

	err = mml_opts_parse(ctx, argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (err)
		return err;
	memset(csa, 0, sizeof(*csa));
	csa->spi = spi;
	csa->owner = MML_CSA_OWNER_STATIC;
	csa->format = format_of[format];
	csa->dir = dir_of[dir];
	if (csa->format == MML_FMT_MLESP) {
		csa->z1_len = z1_len > 255 ? 255 : (uint8_t)z1_len;
		csa->zone[0].alg = MML_ALG_CHACHA20_POLY1305;
		/* "alg" picks zone 2's AEAD; zone 1 is fixed by the format. */
		if (csa->dir != MML_DIR_FWD)
			csa->zone[1].alg = alg_of[alg];
	} else {
		csa->zone[0].alg = alg_of[alg];
	}
	csa->replay_window = window;
	csa->soft_packets = soft;
	csa->hard_packets = hard;
	csa->soft_lifetime_s = soft_s;
	csa->hard_lifetime_s = hard_s;
	csa->add_time_ns = mml_csa_store_now_ns();

	zones = csa->zone[1].alg == MML_ALG_NULL ? 1 : 2;
	err = keyfile_read(keys, km, zones);
	for (size_t z = 0; !err && z < zones; z++) {
		memcpy(csa->zone[z].key, km[z].key, MML_KEY_LEN);
		memcpy(csa->zone[z].salt, km[z].salt, MML_SALT_LEN);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return err;
}

static int csa_install(struct ctl *ctl, int argc, char **argv, const char *ctx, __u64 flags)
{
	struct mml_csa_store st;
	struct mml_csa csa;
	bool force = false;
	char why[160];
	int err;

	mml_csa_store_init(&st, &ctl->dir);
	err = build_csa(ctx, argc, argv, &csa, &force);
	if (err)
		goto out;
	err = mml_csa_store_put(&st, &csa, flags | (force ? MML_CSA_FORCE : 0), why, sizeof(why));
	if (err == -EPERM)
		log_err("%s: %s (force takes it over)", ctx, why);
	else if (err && why[0])
		log_err("%s: %s", ctx, why);
	else if (err == -EEXIST)
		log_err("%s: spi 0x%x exists (use csa replace)", ctx, csa.spi);
	else if (err == -ENOENT && st.fd >= 0)
		log_err("%s: spi 0x%x does not exist (use csa add)", ctx, csa.spi);
	else if (err && st.fd >= 0)
		log_err("%s: updating %s: %s", ctx, MML_MAP_CSA, strerror(-err));
	/* Running endpoint workers reload before their next batch. */
	if (!err)
		mml_gen_bump(ctl->dir.path);
out:
	mml_csa_store_close(&st);
	OPENSSL_cleanse(&csa, sizeof(csa));
	return err;
}

static int csa_add(struct ctl *ctl, int argc, char **argv)
{
	return csa_install(ctl, argc, argv, "csa add", BPF_NOEXIST);
}

static int csa_replace(struct ctl *ctl, int argc, char **argv)
{
	return csa_install(ctl, argc, argv, "csa replace", BPF_EXIST);
}

/* Revocation goes through the store, which zeroes the element before
 * deleting it (lib/csa_store.h). */
static int csa_del(struct ctl *ctl, int argc, char **argv)
{
	uint32_t spi;
	bool force = false;
	struct mml_csa_store st;
	struct mml_opt opts[] = { { "spi", MML_OPT_U32, &spi, NULL, true, false },
				  { "force", MML_OPT_FLAG, &force, NULL, false, false } };
	char why[160];
	int err;

	err = mml_opts_parse("csa del", argc, argv, opts, 2);
	if (err)
		return err;
	mml_csa_store_init(&st, &ctl->dir);
	err = mml_csa_store_del(&st, spi, MML_CSA_OWNER_STATIC, force ? MML_CSA_FORCE : 0, why,
				sizeof(why));
	if (err == -EPERM)
		log_err("csa del: %s (force deletes it)", why);
	else if (err && st.fd >= 0)
		log_err("csa del: spi 0x%x: %s", spi,
			err == -ENOENT ? "no such CSA" : strerror(-err));
	mml_csa_store_close(&st);
	if (!err)
		mml_gen_bump(ctl->dir.path);
	return err;
}

static json_object *hex_json(const uint8_t *p, size_t n)
{
	char buf[2 * MML_KEY_LEN + 1];

	for (size_t i = 0; i < n && i < MML_KEY_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = '\0';
	return json_object_new_string(buf);
}

/* "expired" past the hard lifetime (the data plane refuses it, maps/csa.h);
 * an FA's CSA held for a mobile not here yet (PKD) is "inactive". */
static const char *csa_state(const struct mml_csa *c, uint64_t now)
{
	if (mml_csa_time_expired(c, now))
		return "expired";
	return c->flags & MML_CSA_F_INACTIVE ? "inactive" : "active";
}

/* Whole seconds to a lifetime's deadline (0 once passed), only when set. */
static void add_time_left(json_object *o, const char *name, uint64_t deadline, uint64_t now)
{
	if (deadline)
		json_object_object_add(
			o, name,
			json_object_new_int64(
				(int64_t)(deadline > now ? (deadline - now) / MML_NS_PER_S : 0)));
}

static json_object *csa_json(const struct mml_csa *c, bool show_keys)
{
	json_object *o = json_object_new_object();
	uint64_t now = mml_csa_store_now_ns();
	char spi[16], owner[16];

	snprintf(spi, sizeof(spi), "0x%08x", c->spi);
	json_object_object_add(o, "spi", json_object_new_string(spi));
	/* "static" (mmlctl's), or the IKE peer mmlkeyd installed it for. */
	json_object_object_add(o, "owner",
			       json_object_new_string(mml_csa_owner_name(c->owner, owner)));
	json_object_object_add(o, "format", json_object_new_string(mml_format_name(c->format)));
	json_object_object_add(o, "dir", json_object_new_string(mml_dir_name(c->dir)));
	if (c->format == MML_FMT_MLESP)
		json_object_object_add(o, "z1-len", json_object_new_int(c->z1_len));
	json_object_object_add(o, "state", json_object_new_string(csa_state(c, now)));
	for (int z = 0; z < MML_ZONES; z++) {
		char name[16];

		if (c->format == MML_FMT_ESP && z > 0)
			break;
		snprintf(name, sizeof(name), "zone%d", z + 1);
		json_object_object_add(o, name,
				       json_object_new_string(mml_alg_name(c->zone[z].alg)));
		if (show_keys && c->zone[z].alg != MML_ALG_NULL) {
			snprintf(name, sizeof(name), "zone%d-key", z + 1);
			json_object_object_add(o, name, hex_json(c->zone[z].key, MML_KEY_LEN));
			snprintf(name, sizeof(name), "zone%d-salt", z + 1);
			json_object_object_add(o, name, hex_json(c->zone[z].salt, MML_SALT_LEN));
		}
	}
	json_object_object_add(o, "replay-window",
			       json_object_new_int64(c->replay_window ? c->replay_window :
									MML_REPLAY_WINDOW_DEFAULT));
	json_object_object_add(
		o, "soft-packets",
		json_object_new_int64(
			(int64_t)(c->soft_packets ? c->soft_packets : MML_SEQ_SOFT_DEFAULT)));
	json_object_object_add(
		o, "hard-packets",
		json_object_new_int64(
			(int64_t)(c->hard_packets ? c->hard_packets : MML_SEQ_HARD_DEFAULT)));
	json_object_object_add(
		o, "age-s",
		json_object_new_int64((int64_t)((now - c->add_time_ns) / MML_NS_PER_S)));
	add_time_left(o, "soft-left-s", mml_csa_deadline_ns(c, c->soft_lifetime_s), now);
	add_time_left(o, "hard-left-s", mml_csa_deadline_ns(c, c->hard_lifetime_s), now);
	return o;
}

static json_object *csa_entry_json(uint32_t spi, const void *value, void *show_keys)
{
	return csa_json(value, *(bool *)show_keys);
}

/* A holder in a word: "active", "inactive" (held for a handoff), or its
 * state while the keys are on their way ("sending"). */
static const char *holder_word(json_object *h)
{
	json_object *state, *active;

	if (!json_object_object_get_ex(h, "state", &state) ||
	    !json_object_object_get_ex(h, "active", &active))
		return "?";
	if (strcmp(json_object_get_string(state), "held"))
		return json_object_get_string(state);
	return json_object_get_boolean(active) ? "active" : "inactive";
}

/* "10.0.3.1 active, 10.0.4.1 inactive": one line per CSA in plain text. */
static json_object *holders_text(json_object *holders)
{
	char text[512] = "";
	size_t len = 0;

	for (size_t i = 0; i < json_object_array_length(holders) && len < sizeof(text); i++) {
		json_object *h = json_object_array_get_idx(holders, i), *fa;

		if (json_object_object_get_ex(h, "fa", &fa))
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s %s",
						len ? ", " : "", json_object_get_string(fa),
						holder_word(h));
	}
	return json_object_new_string(len ? text : "none");
}

/* The HA's view of a CSA's place in its rekeys (issue 17): its generation,
 * and "draining" for a pair a rekey is retiring. */
static void copy_rekey(json_object *c, json_object *e)
{
	json_object *gen, *draining;

	if (json_object_object_get_ex(e, "generation", &gen))
		json_object_object_add(c, "generation", json_object_get(gen));
	if (json_object_object_get_ex(e, "draining", &draining) &&
	    json_object_get_boolean(draining))
		json_object_object_add(c, "state", json_object_new_string("draining"));
}

/* The HA's mmlkeyd knows which FAs hold each mobile's CSAs (`ike
 * holders`); each CSA it names gets them, every other CSA an empty list.
 * Without a daemon, or on a node that is not an HA, the map alone. */
static void add_holders(struct ctl *ctl, json_object *csas, const char *sock)
{
	json_object *known = NULL;
	char path[300];

	if (!sock)
		sock = ctl_keyd_default_path(ctl, path, sizeof(path));
	if (ctl_keyd_call(sock, "ike", "holders", true, &known))
		return;
	if (!json_object_is_type(known, json_type_array)) {
		json_object_put(known);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(csas); i++) {
		json_object *c = json_object_array_get_idx(csas, i), *spi, *holders = NULL;

		if (!json_object_object_get_ex(c, "spi", &spi))
			continue;
		for (size_t k = 0; k < json_object_array_length(known) && !holders; k++) {
			json_object *e = json_object_array_get_idx(known, k), *espi, *home;

			if (!json_object_object_get_ex(e, "spi", &espi) ||
			    strcmp(json_object_get_string(espi), json_object_get_string(spi)) ||
			    !json_object_object_get_ex(e, "holders", &holders))
				continue;
			if (!json_object_is_type(holders, json_type_array)) {
				holders = NULL;
				break;
			}
			if (json_object_object_get_ex(e, "home", &home))
				json_object_object_add(c, "home", json_object_get(home));
			copy_rekey(c, e);
		}
		if (!holders)
			holders = json_object_new_array();
		else if (ctl->format != MML_OUT_TEXT)
			json_object_get(holders);
		json_object_object_add(c, "holders",
				       ctl->format == MML_OUT_TEXT ? holders_text(holders) :
								     holders);
	}
	json_object_put(known);
}

static int csa_list(struct ctl *ctl, int argc, char **argv)
{
	bool show_keys = false;
	const char *sock = NULL;
	struct mml_opt opts[] = {
		{ "show-keys", MML_OPT_FLAG, &show_keys, NULL, false, false },
		{ "sock", MML_OPT_STR, &sock, NULL, false, false },
	};
	json_object *csas;
	int fd, err;

	err = mml_opts_parse("csa list", argc, argv, opts, 2);
	if (err)
		return err;
	fd = open_csa_map(ctl);
	if (fd < 0)
		return fd;
	csas = ctl_map_to_json(fd, sizeof(struct mml_csa), csa_entry_json, &show_keys);
	close(fd);
	if (csas)
		add_holders(ctl, csas, sock);
	ctl_print(ctl, csas);
	return 0;
}

static int csa_show(struct ctl *ctl, int argc, char **argv)
{
	uint32_t spi;
	bool show_keys = false;
	struct mml_opt opts[] = {
		{ "spi", MML_OPT_U32, &spi, NULL, true, false },
		{ "show-keys", MML_OPT_FLAG, &show_keys, NULL, false, false },
	};
	struct mml_csa c;
	int fd, err;

	err = mml_opts_parse("csa show", argc, argv, opts, 2);
	if (err)
		return err;
	fd = open_csa_map(ctl);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &spi, &c)) {
		err = -errno;
		log_err("csa show: spi 0x%x: %s", spi,
			err == -ENOENT ? "no such CSA" : strerror(-err));
	} else {
		ctl_print(ctl, csa_json(&c, show_keys));
	}
	OPENSSL_cleanse(&c, sizeof(c));
	close(fd);
	return err;
}

#define CSA_ARGS                                                               \
	"spi SPI format mlesp|esp dir in|out|fwd keys FILE|- [z1-len N] "      \
	"[alg aes256gcm|chacha20poly1305] [replay-window N] [soft-packets N] " \
	"[hard-packets N] [soft-lifetime S] [hard-lifetime S] [force]"

const struct ctl_cmd csa_cmds[] = {
	{ "csa", "add", csa_add, CSA_ARGS },
	{ "csa", "replace", csa_replace, CSA_ARGS },
	{ "csa", "del", csa_del, "spi SPI [force]" },
	{ "csa", "list", csa_list, "[show-keys] [sock PATH]   HA: with the FAs holding each CSA" },
	{ "csa", "show", csa_show, "spi SPI [show-keys]" },
	{ NULL, NULL, NULL, NULL },
};
