/* mmlike: the IKE/ML-IKE engine as a stand-alone program, for interop tests
 * against other IKEv2 implementations, the ML-IKE initialisation between
 * three nodes, and measurements. mmlkeyd embeds the same engine.
 *
 *   mmlike [-v] conf FILE [initiate PEER] [role ha|mh|fa] [mh PEER fa PEER
 *          home A.B.C.D] [node NAME [pin-root DIR]] [delete-after MS]
 *          [rekey-child-after MS] [rekey-ike-after MS]
 *          [once] [timeout S] [keys-out FILE] [timing-out FILE]
 *
 * delete-after: MS after the last SA event (a CHILD_SA or CSA up,
 * KEY_DISTRIBUTE answered, the initiated IKE SA rekeyed), the initiated IKE
 * SAs are deleted. rekey-child-after and rekey-ike-after (with initiate):
 * MS after the initiated IKE SA's first CHILD_SA, resp. the IKE SA itself,
 * came up, rekey it once by CREATE_CHILD_SA (the CHILD_SA with PFS when
 * the peer has pfs = true); a failed rekey makes the exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "keyd/ike/csa_map.h"
#include "keyd/ike/ike.h"
#include "keyd/ike/ike_conf.h"
#include "lib/args.h"
#include "lib/log.h"

#define PEERS_MAX 8

enum role { ROLE_NONE, ROLE_HA, ROLE_MH, ROLE_FA };

struct app {
	struct ike_engine *eng;
	struct ike_engine_cfg ecfg;
	struct ike_peer_cfg peers[PEERS_MAX];
	enum role role;
	const struct ike_peer_cfg *mh_peer, *fa_peer;
	struct ike_sa *mh_sa, *fa_sa;
	uint32_t mh_home;
	bool have_csa, fa_up, fa_sent;
	struct mlike_csa csa;
	struct mml_csa_store store;
	bool store_open;
	uint32_t installed[4];
	unsigned int n_installed;
	FILE *keys_out;
	const char *timing_path;
	uint32_t delete_after_ms;
	uint32_t rekey_child_after_ms, rekey_ike_after_ms;
	bool once;
	int result; /* exit status */
	bool done;
	uint64_t delete_at_ms;
	uint64_t rekey_child_at_ms, rekey_ike_at_ms; /* 0 = not armed */
	uint32_t first_child_spi;		     /* the CHILD_SA rekey-child-after rekeys */
	/* timeline, CLOCK_MONOTONIC ns */
	uint64_t t_start, t_ike_up[2], t_csa, t_fa_done;
	uint64_t build_init_ns[2], build_ml_ns, build_kd_ns;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void install(struct app *app, const struct mml_csa *c)
{
	if (!app->store_open)
		return;
	if (csa_map_put(&app->store, c) == 0 && app->n_installed < 4)
		app->installed[app->n_installed++] = c->spi;
}

/* The node's pinned mml_csa map; the role must be attached already. */
static int store_open(struct mml_csa_store *st, const char *root, const char *node)
{
	struct mml_pin_dir dir;
	int err = mml_pin_dir_init(&dir, root ? root : MML_PIN_ROOT_DEFAULT, node);

	if (err)
		return err;
	mml_csa_store_init(st, &dir);
	return mml_csa_store_open(st);
}

static void uninstall_all(struct app *app)
{
	for (unsigned int i = 0; i < app->n_installed; i++)
		csa_map_del(&app->store, app->installed[i]);
	if (app->n_installed)
		log_info("%u CSAs removed from the map", app->n_installed);
	app->n_installed = 0;
}

static uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
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
		uninstall_all(app);
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

	mlike_csa_to_map(csa, mml_csa_store_now_ns(), &out, &in);
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
	(void)sa;
}

static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	struct app *app = ctx;
	struct mml_csa csas[2];
	unsigned int n = 0;

	if (mlike_fa_keys_to_map(keys, mml_csa_store_now_ns(), csas, &n))
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
	(void)sa;
	return 0;
}

static void ev_fa_keys_done(void *ctx, struct ike_sa *sa, int result)
{
	struct app *app = ctx;

	app->t_fa_done = mono_ns();
	log_info("ML-IKE initialisation %s", result ? "FAILED at KEY_DISTRIBUTE" : "complete");
	if (result)
		app->result = 1;
	arm_delete(app);
	(void)sa;
}

static void ev_csa_deleted(void *ctx, struct ike_sa *sa, const uint32_t *spis, unsigned int n)
{
	struct app *app = ctx;

	for (unsigned int i = 0; i < n; i++)
		if (app->store_open)
			csa_map_del(&app->store, spis[i]);
	(void)sa;
}

static const struct ike_events events = {
	.ike_up = ev_ike_up,
	.ike_down = ev_ike_down,
	.ike_rekeyed = ev_ike_rekeyed,
	.create_failed = ev_create_failed,
	.child_up = ev_child_up,
	.csa_up = ev_csa_up,
	.fa_keys = ev_fa_keys,
	.fa_keys_done = ev_fa_keys_done,
	.csa_deleted = ev_csa_deleted,
};

static int load_conf(struct app *app, const char *path)
{
	config_t cfg;
	config_setting_t *peers;
	const char *local = NULL;
	int ival, err = -EINVAL, n;

	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		log_err("%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	if (config_lookup_string(&cfg, "local", &local) &&
	    inet_pton(AF_INET, local, &app->ecfg.local_addr) != 1) {
		log_err("%s: local \"%s\" is not an IPv4 address", path, local);
		goto out;
	}
	if (config_lookup_int(&cfg, "port", &ival))
		app->ecfg.port = (uint16_t)ival;
	app->ecfg.cookie_threshold = 16;
	if (config_lookup_int(&cfg, "cookie_threshold", &ival))
		app->ecfg.cookie_threshold = (unsigned int)ival;
	if (config_lookup_int(&cfg, "retransmit_ms", &ival))
		app->ecfg.retransmit_base_ms = (unsigned int)ival;
	if (config_lookup_bool(&cfg, "nat_detection", &ival))
		app->ecfg.nat_detection = ival;
	if (config_lookup_int(&cfg, "natt_port", &ival))
		app->ecfg.natt_port = (uint16_t)ival;
	peers = config_lookup(&cfg, "peers");
	n = peers ? config_setting_length(peers) : 0;
	if (n <= 0 || n > PEERS_MAX) {
		log_err("%s: peers: 1..%d peers expected", path, PEERS_MAX);
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (ike_conf_peer(config_setting_get_elem(peers, (unsigned int)i), &app->peers[i]))
			goto out;
	app->ecfg.peers = app->peers;
	app->ecfg.n_peers = (unsigned int)n;
	err = 0;
out:
	config_destroy(&cfg);
	return err;
}

static const struct ike_peer_cfg *peer_named(struct app *app, const char *name)
{
	for (unsigned int i = 0; i < app->ecfg.n_peers; i++)
		if (!strcmp(app->peers[i].name, name))
			return &app->peers[i];
	log_err("no peer named \"%s\" in the configuration", name);
	return NULL;
}

static void write_timing(struct app *app)
{
	FILE *f = fopen(app->timing_path, "w");
	static const struct {
		const char *name;
		uint8_t x;
	} xs[] = { { "ike_sa_init", IKE_SA_INIT },
		   { "ike_auth", IKE_AUTH },
		   { "mlike_auth_sa", MLIKE_AUTH_SA },
		   { "key_distribute", MLIKE_KEY_DISTRIBUTE },
		   { "informational", IKE_INFORMATIONAL } };

	if (!f) {
		log_err("%s: %s", app->timing_path, strerror(errno));
		return;
	}
	fprintf(f, "{");
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		fprintf(f, "\"%s_req_ns\": %llu, \"%s_resp_ns\": %llu, ", xs[i].name,
			(unsigned long long)ike_engine_proc_ns(app->eng, xs[i].x, false),
			xs[i].name,
			(unsigned long long)ike_engine_proc_ns(app->eng, xs[i].x, true));
	fprintf(f,
		"\"build_init_mh_ns\": %llu, \"build_init_fa_ns\": %llu, \"build_mlike_ns\": %llu, "
		"\"build_kd_ns\": %llu, \"t_ike_mh_ns\": %lld, \"t_ike_fa_ns\": %lld, "
		"\"t_csa_ns\": %lld, \"t_fa_done_ns\": %lld, \"start_mono_ns\": %llu}\n",
		(unsigned long long)app->build_init_ns[0],
		(unsigned long long)app->build_init_ns[1], (unsigned long long)app->build_ml_ns,
		(unsigned long long)app->build_kd_ns,
		app->t_ike_up[0] ? (long long)(app->t_ike_up[0] - app->t_start) : -1,
		app->t_ike_up[1] ? (long long)(app->t_ike_up[1] - app->t_start) : -1,
		app->t_csa ? (long long)(app->t_csa - app->t_start) : -1,
		app->t_fa_done ? (long long)(app->t_fa_done - app->t_start) : -1,
		(unsigned long long)app->t_start);
	fclose(f);
}

static int start(struct app *app, const char *initiate)
{
	const struct ike_peer_cfg *p;
	uint64_t t0;

	app->t_start = mono_ns();
	if (app->role == ROLE_HA) {
		/* Fig. 4: both IKE SAs at once, the FA's in parallel. */
		t0 = mono_ns();
		app->mh_sa = ike_initiate(app->eng, app->mh_peer);
		app->build_init_ns[0] = mono_ns() - t0;
		t0 = mono_ns();
		app->fa_sa = ike_initiate(app->eng, app->fa_peer);
		app->build_init_ns[1] = mono_ns() - t0;
		return app->mh_sa && app->fa_sa ? 0 : -EIO;
	}
	if (!initiate)
		return 0;
	p = peer_named(app, initiate);
	if (!p)
		return -EINVAL;
	t0 = mono_ns();
	/* Kept as mh_sa: the SA that delete-after ends. */
	app->mh_sa = ike_initiate(app->eng, p);
	if (!app->mh_sa)
		return -EIO;
	app->build_init_ns[0] = mono_ns() - t0;
	return 0;
}

/* A rekey that finds another exchange of ours outstanding waits for it. */
static void rekey_due(struct app *app, uint64_t now)
{
	int err;

	if (app->rekey_child_at_ms && now >= app->rekey_child_at_ms && app->mh_sa) {
		err = ike_child_create(app->mh_sa, app->first_child_spi,
				       ike_sa_peer(app->mh_sa)->pfs);
		app->rekey_child_at_ms = err == -EBUSY ? now + 10 : 0;
		if (err && err != -EBUSY) {
			log_err("CHILD_SA rekey: %s", strerror(-err));
			app->result = 1;
		}
	}
	if (app->rekey_ike_at_ms && now >= app->rekey_ike_at_ms && app->mh_sa) {
		err = ike_sa_rekey(app->mh_sa);
		app->rekey_ike_at_ms = err == -EBUSY ? now + 10 : 0;
		if (err && err != -EBUSY) {
			log_err("IKE SA rekey: %s", strerror(-err));
			app->result = 1;
		}
	}
}

static void run(struct app *app, unsigned int timeout_s)
{
	uint64_t deadline = mono_ns() / 1000000 + (uint64_t)timeout_s * 1000;

	while (!stop && !app->done) {
		struct pollfd pfd[2];
		int fds[2];
		unsigned int n_fds = ike_engine_fds(app->eng, fds);
		uint64_t now = mono_ns() / 1000000;
		int wait = ike_engine_timeout_ms(app->eng);

		if (timeout_s && now >= deadline) {
			log_err("timed out after %u s", timeout_s);
			app->result = 1;
			break;
		}
		rekey_due(app, now);
		if (app->delete_at_ms && now >= app->delete_at_ms) {
			app->delete_at_ms = 0;
			if (app->mh_sa)
				ike_sa_delete(app->mh_sa);
			if (app->fa_sa)
				ike_sa_delete(app->fa_sa);
		}
		if (wait < 0 || wait > 100)
			wait = 100;
		for (unsigned int i = 0; i < n_fds; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(pfd, n_fds, wait) > 0)
			ike_engine_input(app->eng);
		ike_engine_tick(app->eng);
	}
}

int main(int argc, char **argv)
{
	static const char *const roles[] = { "none", "ha", "mh", "fa", NULL };
	struct app app = { .result = 0 };
	const char *conf = NULL, *initiate = NULL, *mh = NULL, *fa = NULL, *home = NULL;
	const char *node = NULL, *pin_root = NULL, *keys_out = NULL;
	uint32_t delete_after = 0, timeout = 0, rekey_child_after = 0, rekey_ike_after = 0;
	int role = 0;
	bool once = false, verbose = false;
	struct mml_opt opts[] = {
		{ "conf", MML_OPT_STR, &conf, NULL, true, false },
		{ "initiate", MML_OPT_STR, &initiate, NULL, false, false },
		{ "role", MML_OPT_CHOICE, &role, roles, false, false },
		{ "mh", MML_OPT_STR, &mh, NULL, false, false },
		{ "fa", MML_OPT_STR, &fa, NULL, false, false },
		{ "home", MML_OPT_STR, &home, NULL, false, false },
		{ "node", MML_OPT_STR, &node, NULL, false, false },
		{ "pin-root", MML_OPT_STR, &pin_root, NULL, false, false },
		{ "delete-after", MML_OPT_U32, &delete_after, NULL, false, false },
		{ "rekey-child-after", MML_OPT_U32, &rekey_child_after, NULL, false, false },
		{ "rekey-ike-after", MML_OPT_U32, &rekey_ike_after, NULL, false, false },
		{ "once", MML_OPT_FLAG, &once, NULL, false, false },
		{ "timeout", MML_OPT_U32, &timeout, NULL, false, false },
		{ "keys-out", MML_OPT_STR, &keys_out, NULL, false, false },
		{ "timing-out", MML_OPT_STR, &app.timing_path, NULL, false, false },
	};
	int argi = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		argi++;
	}
	mml_log_open("mmlike", false, verbose ? MML_LOG_DEBUG : MML_LOG_INFO);
	if (mml_opts_parse("mmlike", argc - argi, argv + argi, opts,
			   sizeof(opts) / sizeof(opts[0])))
		return 2;
	app.role = (enum role)role;
	app.delete_after_ms = delete_after;
	app.rekey_child_after_ms = rekey_child_after;
	app.rekey_ike_after_ms = rekey_ike_after;
	app.once = once;
	if (load_conf(&app, conf))
		return 2;
	if (app.role == ROLE_HA) {
		if (!mh || !fa || !home || mml_parse_ipv4(home, &app.mh_home)) {
			log_err("role ha needs mh PEER fa PEER home A.B.C.D");
			return 2;
		}
		app.mh_peer = peer_named(&app, mh);
		app.fa_peer = peer_named(&app, fa);
		if (!app.mh_peer || !app.fa_peer)
			return 2;
	}
	if (node) {
		if (store_open(&app.store, pin_root, node))
			return 1;
		app.store_open = true;
	}
	if (keys_out) {
		int fd = open(keys_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		app.keys_out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!app.keys_out) {
			log_err("%s: %s", keys_out, strerror(errno));
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	app.eng = ike_engine_new(&app.ecfg, &events, &app);
	if (!app.eng)
		return 1;
	if (start(&app, initiate)) {
		app.result = 1;
		goto out;
	}
	run(&app, timeout);
out:
	if (app.timing_path)
		write_timing(&app);
	uninstall_all(&app);
	ike_engine_free(app.eng);
	if (app.store_open)
		mml_csa_store_close(&app.store);
	if (app.keys_out)
		fclose(app.keys_out);
	OPENSSL_cleanse(app.peers, sizeof(app.peers));
	OPENSSL_cleanse(&app.csa, sizeof(app.csa));
	return app.result;
}
