/* mmlike: the IKE/ML-IKE engine as a stand-alone program, for interop tests
 * against other IKEv2 implementations, the ML-IKE initialisation between
 * three nodes, and measurements. mmlkeyd embeds the same engine.
 *
 *   mmlike [-v] conf FILE [initiate PEER] [role ha|mh|fa] [mh PEER fa PEER
 *          home A.B.C.D] [node NAME [pin-root DIR]] [delete-after MS]
 *          [rekey-child-after MS] [rekey-ike-after MS]
 *          [once] [timeout S] [keys-out FILE] [timing-out FILE]
 *          [forge-kd SPI,SPI home A.B.C.D [forge-delete]]
 *
 * delete-after: MS after the last SA event (a CHILD_SA or CSA up,
 * KEY_DISTRIBUTE answered, the initiated IKE SA rekeyed), the initiated IKE
 * SAs are deleted. rekey-child-after and rekey-ike-after (with initiate):
 * MS after the initiated IKE SA's first CHILD_SA, resp. the IKE SA itself,
 * came up, rekey it once by CREATE_CHILD_SA (the CHILD_SA with PFS when
 * the peer has pfs = true); a failed rekey makes the exit status 1.
 * forge-kd (tests, with initiate): once the IKE SA is up, KEY_DISTRIBUTE of
 * fresh random zone-1 keys under the two SPIs (to the MH, to the HA) for
 * home, naming this node as the HA; forge-delete then revokes those SPIs
 * (CSA Delete); the answers are printed ("forge kd installed|refused",
 * "forge delete answered") and the IKE SA is deleted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "keyd/ike/ike_conf.h"
#include "keyd/keyd.h"
#include "keyd/mmlike/mmlike.h"
#include "lib/args.h"
#include "lib/log.h"

/* A deadline of ours that passed without its work done (no IKE SA yet) is
 * looked at again this often. */
#define DUE_RECHECK_MS 100

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

static int load_conf(struct app *app, const char *path)
{
	config_t cfg;
	config_setting_t *peers, *root;
	uint32_t port, natt_port;
	bool nat;
	int err = -EINVAL, n;

	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		log_err("%s:%d: %s", path, config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	port = app->ecfg.port;
	natt_port = app->ecfg.natt_port;
	nat = app->ecfg.nat_detection;
	app->ecfg.cookie_threshold = 16;
	/* Of their type and in range, or an error naming the setting. */
	if (cfg_ipv4(root, "local", false, &app->ecfg.local_addr) ||
	    cfg_u32(root, "port", false, 1, 65535, &port) ||
	    cfg_u32(root, "cookie_threshold", false, 0, 100000, &app->ecfg.cookie_threshold) ||
	    cfg_u32(root, "retransmit_ms", false, 10, 60000, &app->ecfg.retransmit_base_ms) ||
	    cfg_bool(root, "nat_detection", &nat) ||
	    cfg_u32(root, "natt_port", false, 1, 65535, &natt_port))
		goto out;
	app->ecfg.port = (uint16_t)port;
	app->ecfg.natt_port = (uint16_t)natt_port;
	app->ecfg.nat_detection = nat;
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

/* The earliest of delete-after and the rekeys, on the loop's timer. */
static void arm_due(struct app *app)
{
	const uint64_t at[] = { app->delete_at_ms, app->rekey_child_at_ms, app->rekey_ike_at_ms };
	uint64_t next = UINT64_MAX, now = mono_ms();

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (at[i] && at[i] < next)
			next = at[i];
	if (next == UINT64_MAX)
		loop_timer_cancel(app->loop, &app->due_timer);
	else
		loop_timer_in(app->loop, &app->due_timer,
			      (next > now ? next - now + 1 : DUE_RECHECK_MS) * NS_PER_MS);
}

/* After every event: stop once done, else the timers again (the engine's
 * changes with every message and every tick). */
static void settle(struct app *app)
{
	int ms;

	if (app->done) {
		loop_stop(app->loop);
		return;
	}
	ms = ike_engine_timeout_ms(app->eng);
	if (ms < 0)
		loop_timer_cancel(app->loop, &app->eng_timer);
	else
		loop_timer_in(app->loop, &app->eng_timer, (uint64_t)ms * NS_PER_MS + 1);
	arm_due(app);
}

static void on_readable(void *arg, uint32_t events)
{
	struct app *app = arg;

	(void)events;
	ike_engine_input(app->eng);
	ike_engine_tick(app->eng);
	settle(app);
}

static void on_engine_timer(void *arg)
{
	struct app *app = arg;

	ike_engine_tick(app->eng);
	settle(app);
}

static void on_due(void *arg)
{
	struct app *app = arg;
	uint64_t now = mono_ms();

	rekey_due(app, now);
	if (app->delete_at_ms && now >= app->delete_at_ms) {
		app->delete_at_ms = 0;
		if (app->mh_sa)
			ike_sa_delete(app->mh_sa);
		if (app->fa_sa)
			ike_sa_delete(app->fa_sa);
	}
	settle(app);
}

static void on_timeout(void *arg)
{
	struct app *app = arg;

	log_err("timed out after %u s", app->timeout_s);
	app->result = 1;
	loop_stop(app->loop);
}

/* The engine on keyd's event loop until done, a signal, or the timeout. */
static int run(struct app *app)
{
	int fds[2], err;
	unsigned int n = ike_engine_fds(app->eng, fds);

	loop_timer_init(&app->eng_timer, on_engine_timer, app);
	loop_timer_init(&app->due_timer, on_due, app);
	loop_timer_init(&app->timeout_timer, on_timeout, app);
	for (unsigned int i = 0; i < n; i++) {
		err = loop_add_fd(app->loop, fds[i], EPOLLIN, on_readable, app);
		if (err)
			return err;
	}
	if (app->timeout_s)
		loop_timer_in(app->loop, &app->timeout_timer,
			      (uint64_t)app->timeout_s * NS_PER_SEC);
	settle(app);
	err = app->done ? 0 : loop_run(app->loop);
	for (unsigned int i = 0; i < n; i++)
		loop_del_fd(app->loop, fds[i]);
	loop_timer_cancel(app->loop, &app->eng_timer);
	loop_timer_cancel(app->loop, &app->due_timer);
	loop_timer_cancel(app->loop, &app->timeout_timer);
	return err;
}

/* What the command line names besides the run's settings. */
struct args {
	const char *conf, *initiate, *mh, *fa, *home, *node, *pin_root, *keys_out, *forge;
};

/* The run's settings into app, the rest into a: 0, or 2 for a bad command
 * line. */
static int parse_args(int argc, char **argv, struct app *app, struct args *a)
{
	static const char *const roles[] = { "none", "ha", "mh", "fa", NULL };
	uint32_t delete_after = 0, timeout = 0, rekey_child_after = 0, rekey_ike_after = 0;
	int role = 0;
	bool once = false, verbose = false;
	struct mml_opt opts[] = {
		{ "conf", MML_OPT_STR, &a->conf, NULL, true, false },
		{ "initiate", MML_OPT_STR, &a->initiate, NULL, false, false },
		{ "role", MML_OPT_CHOICE, &role, roles, false, false },
		{ "mh", MML_OPT_STR, &a->mh, NULL, false, false },
		{ "fa", MML_OPT_STR, &a->fa, NULL, false, false },
		{ "home", MML_OPT_STR, &a->home, NULL, false, false },
		{ "node", MML_OPT_STR, &a->node, NULL, false, false },
		{ "pin-root", MML_OPT_STR, &a->pin_root, NULL, false, false },
		{ "delete-after", MML_OPT_U32, &delete_after, NULL, false, false },
		{ "rekey-child-after", MML_OPT_U32, &rekey_child_after, NULL, false, false },
		{ "rekey-ike-after", MML_OPT_U32, &rekey_ike_after, NULL, false, false },
		{ "once", MML_OPT_FLAG, &once, NULL, false, false },
		{ "timeout", MML_OPT_U32, &timeout, NULL, false, false },
		{ "keys-out", MML_OPT_STR, &a->keys_out, NULL, false, false },
		{ "timing-out", MML_OPT_STR, &app->timing_path, NULL, false, false },
		{ "forge-kd", MML_OPT_STR, &a->forge, NULL, false, false },
		{ "forge-delete", MML_OPT_FLAG, &app->forge_delete, NULL, false, false },
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
	app->role = (enum role)role;
	app->delete_after_ms = delete_after;
	app->rekey_child_after_ms = rekey_child_after;
	app->rekey_ike_after_ms = rekey_ike_after;
	app->once = once;
	app->timeout_s = timeout;
	return 0;
}

/* forge-kd SPI,SPI with home and initiate. */
static int forge_args(struct app *app, const struct args *a)
{
	char spis[32], *comma;

	snprintf(spis, sizeof(spis), "%s", a->forge);
	comma = strchr(spis, ',');
	if (comma)
		*comma = '\0';
	if (!comma || mml_parse_u32(spis, &app->forge_spi[0]) ||
	    mml_parse_u32(comma + 1, &app->forge_spi[1]) || !a->home || !a->initiate ||
	    mml_parse_ipv4(a->home, &app->mh_home)) {
		log_err("forge-kd needs SPI,SPI, home A.B.C.D and initiate PEER");
		return -EINVAL;
	}
	return 0;
}

/* The configuration, the HA's two peers, the node's map and the key file:
 * 0, or the exit status (2 for a bad configuration). */
static int set_up(struct app *app, const struct args *a)
{
	if (load_conf(app, a->conf))
		return 2;
	if (app->role == ROLE_HA) {
		if (!a->mh || !a->fa || !a->home || mml_parse_ipv4(a->home, &app->mh_home)) {
			log_err("role ha needs mh PEER fa PEER home A.B.C.D");
			return 2;
		}
		app->mh_peer = peer_named(app, a->mh);
		app->fa_peer = peer_named(app, a->fa);
		if (!app->mh_peer || !app->fa_peer)
			return 2;
	}
	if (a->forge && forge_args(app, a))
		return 2;
	if (a->node) {
		if (store_open(&app->store, a->pin_root, a->node))
			return 1;
		app->store_open = true;
	}
	if (a->keys_out) {
		int fd = open(a->keys_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		app->keys_out = fd < 0 ? NULL : fdopen(fd, "w");
		if (!app->keys_out) {
			log_err("%s: %s", a->keys_out, strerror(errno));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct app app = { .result = 0 };
	struct args a = { 0 };
	int status;

	status = parse_args(argc, argv, &app, &a);
	if (!status)
		status = set_up(&app, &a);
	if (status)
		return status;
	if (loop_new(&app.loop))
		return 1;
	app.eng = ike_engine_new(&app.ecfg, &mmlike_events, &app);
	if (!app.eng) {
		loop_free(app.loop);
		return 1;
	}
	if (start(&app, a.initiate) || run(&app))
		app.result = 1;
	if (app.timing_path)
		mmlike_write_timing(&app);
	mmlike_uninstall_all(&app);
	ike_engine_free(app.eng);
	loop_free(app.loop);
	if (app.store_open)
		mml_csa_store_close(&app.store);
	if (app.keys_out)
		fclose(app.keys_out);
	OPENSSL_cleanse(app.peers, sizeof(app.peers));
	OPENSSL_cleanse(&app.csa, sizeof(app.csa));
	return app.result;
}
