/* mmlike's answers to the engine's events: the CSAs into the node's map,
 * key lines for the tests (keys-out), KEY_DISTRIBUTE once the HA has both
 * the CSA and the FA's IKE SA, the timeline, and when the run is done. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/csa_map.h"
#include "keyd/ike/ike_crypto.h"
#include "keyd/mmlike/mmlike.h"
#include "lib/log.h"

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void install(struct app *app, const struct mml_csa *c)
{
	if (!app->store_open)
		return;
	if (csa_map_put(&app->store, c) == 0 && app->n_installed < 4) {
		app->installed_owner[app->n_installed] = c->owner;
		app->installed[app->n_installed++] = c->spi;
	}
}

void mmlike_uninstall_all(struct app *app)
{
	for (unsigned int i = 0; i < app->n_installed; i++)
		csa_map_del(&app->store, app->installed[i], app->installed_owner[i]);
	if (app->n_installed)
		log_info("%u CSAs removed from the map", app->n_installed);
	app->n_installed = 0;
}

static void arm_delete(struct app *app)
{
	if (app->delete_after_ms)
		app->delete_at_ms = mono_ms() + app->delete_after_ms;
}

/* The IKE SA's SPIs, so that an interop test can find it in the peer's
 * list (without a role only: the ML-IKE tests wait for key lines). */
static void keys_out_ike(struct app *app, struct ike_sa *sa, const char *what)
{
	uint8_t spi_i[8], spi_r[8];

	if (!app->keys_out || app->role != ROLE_NONE)
		return;
	ike_sa_spis(sa, spi_i, spi_r);
	fprintf(app->keys_out, "ike %s %s spi_i ", ike_sa_peer(sa)->name, what);
	hex(app->keys_out, spi_i, sizeof(spi_i));
	fprintf(app->keys_out, " spi_r ");
	hex(app->keys_out, spi_r, sizeof(spi_r));
	fprintf(app->keys_out, "\n");
	fflush(app->keys_out);
}

static void try_distribute(struct app *app)
{
	struct mlike_fa_keys keys;
	uint64_t t0;
	int err;

	if (app->role != ROLE_HA || !app->have_csa || !app->fa_up || app->fa_sent)
		return;
	/* The HA encapsulates towards the MH with its outbound CSA. */
	mlike_fa_keys_from_csa(&app->csa, true, app->mh_home, app->ecfg.local_addr, &keys);
	t0 = mono_ns();
	err = mlike_key_distribute(app->fa_sa, &keys);
	app->build_kd_ns = mono_ns() - t0;
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (err) {
		log_err("KEY_DISTRIBUTE to %s: %s", app->fa_peer->name, strerror(-err));
		app->result = 1;
		app->done = true;
		return;
	}
	app->fa_sent = true;
}

/* forge-kd: zone-1 keys of our own making under SPIs of the test's
 * choosing, for its mobile, as that mobile's HA would send them. */
static void forge_kd(struct app *app, struct ike_sa *sa)
{
	struct mlike_fa_keys keys = { .mh_home = app->mh_home,
				      .ha_addr = app->ecfg.local_addr,
				      .z1_len = 40,
				      .n_secrets = 4 };
	int err = 0;

	for (unsigned int i = 0; i < 4 && !err; i++) {
		struct mlike_secret_pl *s = &keys.secret[i];

		s->spi = app->forge_spi[i / 2];
		s->dir = (uint8_t)(i / 2 ? MLIKE_DIR_TO_HA : MLIKE_DIR_TO_MH);
		s->zone = (uint8_t)(i % 2 + 1);
		if (s->zone == 1) {
			s->transform = IKE_ENCR_CHACHA20_POLY1305;
			err = ike_random(s->key, sizeof(s->key)) ||
			      ike_random(s->salt, sizeof(s->salt));
		}
	}
	if (!err)
		err = mlike_key_distribute(sa, &keys);
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (err) {
		log_err("forge-kd: KEY_DISTRIBUTE not sent: %s", strerror(err < 0 ? -err : EIO));
		app->result = 1;
		app->done = true;
	}
}

static void ev_ike_up(void *ctx, struct ike_sa *sa)
{
	struct app *app = ctx;
	const struct ike_peer_cfg *peer = ike_sa_peer(sa);

	if (app->role == ROLE_HA && peer == app->mh_peer) {
		uint64_t t0 = mono_ns();
		int err;

		app->t_ike_up[0] = t0;
		err = mlike_auth_sa_start(sa);
		app->build_ml_ns = mono_ns() - t0;
		if (err) {
			log_err("MLIKE_AUTH_SA to %s: %s", peer->name, strerror(-err));
			app->result = 1;
			app->done = true;
		}
		return;
	}
	if (app->role == ROLE_HA && peer == app->fa_peer) {
		app->t_ike_up[1] = mono_ns();
		app->fa_up = true;
		try_distribute(app);
		return;
	}
	if (app->forge_spi[0] && sa == app->mh_sa) {
		forge_kd(app, sa);
		return;
	}
	keys_out_ike(app, sa, "up");
	if (sa == app->mh_sa && app->rekey_ike_after_ms && !app->rekey_ike_at_ms)
		app->rekey_ike_at_ms = mono_ms() + app->rekey_ike_after_ms;
	if (!peer->child || app->role != ROLE_NONE)
		arm_delete(app);
}

static void ev_ike_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct app *app = ctx;

	log_info("peer %s: IKE SA down (reason %d)", ike_sa_peer(sa)->name, why);
	if (sa == app->mh_sa || app->role == ROLE_MH || app->role == ROLE_FA)
		mmlike_uninstall_all(app);
	if (why != IKE_DOWN_DELETED && why != IKE_DOWN_SHUTDOWN)
		app->result = 1;
	if (app->once)
		app->done = true;
}

static void ev_ike_rekeyed(void *ctx, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
	struct app *app = ctx;

	if (app->mh_sa == old_sa)
		app->mh_sa = new_sa;
	if (app->fa_sa == old_sa)
		app->fa_sa = new_sa;
	keys_out_ike(app, new_sa, "rekeyed");
	if (app->mh_sa == new_sa)
		arm_delete(app);
}

static void ev_create_failed(void *ctx, struct ike_sa *sa, uint16_t notify)
{
	struct app *app = ctx;

	log_err("peer %s: CREATE_CHILD_SA failed (notify %u)", ike_sa_peer(sa)->name, notify);
	app->result = 1;
}

static void ev_child_up(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
	struct app *app = ctx;

	if (app->keys_out) {
		fprintf(app->keys_out, "child %s spi_in %08x spi_out %08x encr %u encap %d key_in ",
			ike_sa_peer(sa)->name, c->spi_in, c->spi_out, c->encr, c->encap);
		hex(app->keys_out, c->key_in, sizeof(c->key_in));
		fprintf(app->keys_out, " key_out ");
		hex(app->keys_out, c->key_out, sizeof(c->key_out));
		fprintf(app->keys_out, "\n");
		fflush(app->keys_out);
	}
	if (sa == app->mh_sa && app->rekey_child_after_ms && !app->first_child_spi) {
		app->first_child_spi = c->spi_in;
		app->rekey_child_at_ms = mono_ms() + app->rekey_child_after_ms;
	}
	arm_delete(app);
}

static void ev_csa_up(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct app *app = ctx;
	struct mml_csa out, in;

	mlike_csa_to_map(csa, ike_sa_peer(sa)->addr, mml_csa_store_now_ns(), &out, &in);
	install(app, &out);
	install(app, &in);
	OPENSSL_cleanse(&out, sizeof(out));
	OPENSSL_cleanse(&in, sizeof(in));
	if (app->keys_out) {
		for (unsigned int z = 0; z < csa->n_zones; z++) {
			fprintf(app->keys_out, "csa zone %u encr %u spi_out %08x out ", z + 1,
				csa->zone_encr[z], csa->spi_out);
			hex(app->keys_out, csa->key_out[z], sizeof(csa->key_out[z]));
			fprintf(app->keys_out, " spi_in %08x in ", csa->spi_in);
			hex(app->keys_out, csa->key_in[z], sizeof(csa->key_in[z]));
			fprintf(app->keys_out, "\n");
		}
		fflush(app->keys_out);
	}
	if (app->role == ROLE_HA) {
		app->t_csa = mono_ns();
		app->csa = *csa;
		app->have_csa = true;
		try_distribute(app);
	} else if (app->role == ROLE_MH) {
		app->t_csa = mono_ns();
		arm_delete(app);
	}
}

static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	struct app *app = ctx;
	struct mml_csa csas[2];
	unsigned int n = 0;

	if (mlike_fa_keys_to_map(keys, ike_sa_peer(sa)->addr, mml_csa_store_now_ns(), csas, &n))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		install(app, &csas[i]);
		if (app->keys_out) {
			fprintf(app->keys_out, "fa spi %08x z1 ", csas[i].spi);
			hex(app->keys_out, csas[i].zone[0].key, MML_KEY_LEN);
			hex(app->keys_out, csas[i].zone[0].salt, MML_SALT_LEN);
			fprintf(app->keys_out, " z2alg %u\n", csas[i].zone[1].alg);
		}
	}
	if (app->keys_out)
		fflush(app->keys_out);
	OPENSSL_cleanse(csas, sizeof(csas));
	app->t_fa_done = mono_ns();
	return 0;
}

static void ev_fa_keys_done(void *ctx, struct ike_sa *sa, int result)
{
	struct app *app = ctx;

	if (app->forge_spi[0]) {
		printf("forge kd %s\n", result ? "refused" : "installed");
		fflush(stdout);
		if (!app->forge_delete || mlike_csa_delete(sa, app->forge_spi, 2))
			ike_sa_delete(sa);
		return;
	}
	app->t_fa_done = mono_ns();
	log_info("ML-IKE initialisation %s", result ? "FAILED at KEY_DISTRIBUTE" : "complete");
	if (result)
		app->result = 1;
	arm_delete(app);
	(void)sa;
}

static unsigned int ev_csa_deleted(void *ctx, struct ike_sa *sa, uint32_t *spis, unsigned int n)
{
	struct app *app = ctx;
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++)
		if (!app->store_open ||
		    csa_map_del(&app->store, spis[i], ike_sa_peer(sa)->addr) != -EPERM)
			spis[done++] = spis[i];
	return done;
}

/* forge-delete answered: the test reads the FA's map. */
static void ev_csa_revoked(void *ctx, struct ike_sa *sa, const uint32_t *acked, unsigned int n)
{
	struct app *app = ctx;

	if (!app->forge_spi[0])
		return;
	printf("forge delete answered\n");
	fflush(stdout);
	ike_sa_delete(sa);
}

const struct ike_events mmlike_events = {
	.ike_up = ev_ike_up,
	.ike_down = ev_ike_down,
	.ike_rekeyed = ev_ike_rekeyed,
	.create_failed = ev_create_failed,
	.child_up = ev_child_up,
	.csa_up = ev_csa_up,
	.fa_keys = ev_fa_keys,
	.fa_keys_done = ev_fa_keys_done,
	.csa_deleted = ev_csa_deleted,
	.csa_revoked = ev_csa_revoked,
};
