/* sim-handoff-xcheck: the simulator's re-expression of the ike module
 * checked against the module itself. One mmlkeyd ike module (keyd_ike.c,
 * ike_orch.c, pkd.c, ike_dkm.c, ...) per node, HA, FAs and MHs, started
 * from generated configuration on one real event loop (keyd/loop.c), each
 * engine on its own UDP socket in a private network namespace, driven by
 * the simulator's walk (sim_grid.c) in real time through the Mobile IP
 * hooks. Only the hooks (one subscriber per node) and the CSA store (in
 * memory) are replaced (xcheck_seams.c). Its tables allow 16 peers per
 * node, so the scale is 9 FAs and up to 7 MHs; root is needed for the
 * namespace. Prints the figures the simulator prints for the same walk. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libconfig.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"
#include "lib/log.h"
#include "sim/handoff/sim_grid.h"
#include "sim/handoff/xcheck.h"

#define MHS_MAX 7
#define TICK_NS (5 * NS_PER_MS)

struct xc_node {
	char name[16];
	uint32_t addr;
	struct keyd kd;
	struct ike_mod *m;
};

static struct {
	const char *scheme;
	unsigned int fas, mhs, dwell_ms, warmup_s, duration_s;
	uint64_t seed;
	char psk_path[64];
	struct loop *loop;
	struct loop_timer tick;
	struct sim_grid g;
	struct xc_node ha, fa[XC_FAS_MAX], mh[MHS_MAX];
	struct {
		uint64_t rng, next_move, reply_at;
		unsigned int cell;
	} walk[MHS_MAX];
	uint64_t t0, t_walk, t_end, next_sample;
	uint64_t handoffs, tx0, down0, samples;
	double exposure_sum, keys_sum;
	unsigned int exposure_max;
} X = { .scheme = "pkd",
	.fas = 9,
	.mhs = 6,
	.dwell_ms = 1000,
	.warmup_s = 3,
	.duration_s = 30,
	.seed = 1 };

static uint32_t addr_of(unsigned int net, unsigned int i)
{
	return htonl(0x7f000000u | net << 16 | (i + 1));
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	} else {
		err = -errno;
	}
	close(fd);
	return err;
}

static void put_peer(FILE *f, const char *me, const char *name, uint32_t addr, const char *extra)
{
	char a[16];

	fprintf(f,
		"{ name = \"%s\"; address = \"%s\"; local_id = \"fqdn:%s\"; peer_id = \"fqdn:%s\"; "
		"psk_file = \"%s\"; %s },\n",
		name, inet_ntop(AF_INET, &addr, a, sizeof(a)), me, name, X.psk_path, extra);
}

/* The node's "ike" section, as the test bed writes it (tests/ike/bed-lib.sh). */
static char *config_of(const struct xc_node *n, int role, unsigned int idx)
{
	static const char *const roles[] = { "ha", "mh", "fa" };
	char *text = NULL, a[16];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	inet_ntop(AF_INET, &n->addr, a, sizeof(a));
	fprintf(f, "ike = { role = \"%s\"; local = \"%s\"; retransmit_ms = 200; dpd_s = 0;\n",
		roles[role], a);
	if (role == ROLE_MH)
		fprintf(f, "home = \"%s\";\n", a);
	else
		fprintf(f, "handoff = \"%s\";\n", X.scheme);
	fprintf(f, "peers = (\n");
	if (role == ROLE_HA) {
		for (unsigned int m = 0; m < X.mhs; m++)
			put_peer(f, "ha", X.mh[m].name, X.mh[m].addr,
				 "z1_len = 40; zone2 = \"aes256gcm16\";");
		for (unsigned int k = 0; k < X.fas; k++)
			put_peer(f, "ha", X.fa[k].name, X.fa[k].addr, "");
	} else if (role == ROLE_MH) {
		put_peer(f, n->name, "ha", X.ha.addr, "zone2 = \"aes256gcm16\";");
	} else {
		put_peer(f, n->name, "ha", X.ha.addr, "");
		for (unsigned int j = 0; j < X.g.n_nbr[idx]; j++) {
			const struct xc_node *nb = &X.fa[X.g.nbr[idx][j]];

			put_peer(f, n->name, nb->name, nb->addr, "neighbor = true;");
		}
	}
	fprintf(f, "); };\n");
	fclose(f);
	/* libconfig takes no comma after a list's last element. */
	for (size_t i = len; i-- > 1;)
		if (text[i] == ',') {
			text[i] = ' ';
			break;
		}
	return text;
}

static int start_node(struct xc_node *n, int role, unsigned int idx)
{
	char *text = config_of(n, role, idx);
	const config_setting_t *sec;
	void *state = NULL;
	int err = -EINVAL;

	n->kd.loop = X.loop;
	n->kd.node = n->name;
	snprintf(n->kd.pin.path, sizeof(n->kd.pin.path), "/xcheck/%s", n->name);
	n->kd.pin.lock_fd = -1;
	config_init(&n->kd.config);
	if (!text || !config_read_string(&n->kd.config, text)) {
		fprintf(stderr, "xcheck: %s: config line %d: %s\n", n->name,
			config_error_line(&n->kd.config), config_error_text(&n->kd.config));
		goto out;
	}
	sec = config_lookup(&n->kd.config, "ike");
	err = ike_module.start(&n->kd, sec, &state);
	if (err)
		fprintf(stderr, "xcheck: %s: the ike module did not start: %s\n", n->name,
			strerror(-err));
	n->m = state;
out:
	free(text);
	return err;
}

static const struct xc_store *store_of_node(const struct xc_node *n)
{
	for (unsigned int i = 0; i < XC_NODES_MAX; i++)
		if (xc_stores[i].used && !strcmp(xc_stores[i].dir, n->kd.pin.path))
			return &xc_stores[i];
	return NULL;
}

/* The FAs holding MH m's zone-1 CSA now; *active_at_cell: whether its
 * cell's FA holds it active. */
static unsigned int holders_of(unsigned int m, bool *active_at_cell)
{
	const struct mobile *mb = NULL;
	unsigned int n = 0;

	mb = ike_mobile_of_home(X.ha.m, X.mh[m].addr);
	*active_at_cell = false;
	for (unsigned int k = 0; mb && mb->have_csa && k < X.fas; k++) {
		const struct xc_store *s = store_of_node(&X.fa[k]);
		bool held = false, active = false;

		for (unsigned int i = 0; s && i < s->n; i++)
			if (s->csa[i].spi == mb->csa.spi_out || s->csa[i].spi == mb->csa.spi_in) {
				held = true;
				active = !(s->csa[i].flags & MML_CSA_F_INACTIVE);
			}
		n += held;
		if (k == X.walk[m].cell)
			*active_at_cell = held && active;
	}
	return n;
}

static uint64_t tx_total(void)
{
	uint64_t tx = ike_engine_counter(X.ha.m->eng, IKE_C_TX);

	for (unsigned int k = 0; k < X.fas; k++)
		tx += ike_engine_counter(X.fa[k].m->eng, IKE_C_TX);
	return tx;
}

static void sample(void)
{
	double sum = 0, keys = 0;
	bool active;

	for (unsigned int m = 0; m < X.mhs; m++) {
		unsigned int h = holders_of(m, &active);

		sum += h;
		if (h > X.exposure_max)
			X.exposure_max = h;
	}
	for (unsigned int k = 0; k < X.fas; k++)
		keys += store_of_node(&X.fa[k]) ? store_of_node(&X.fa[k])->n / 2.0 : 0;
	X.exposure_sum += sum / X.mhs;
	X.keys_sum += keys / X.fas;
	X.samples++;
}

/* One handoff, as the Mobile IP roles would report it: the new FA relays
 * the registration naming the previous FA, the HA's binding moves, the
 * reply is relayed a little later (reply_at). */
static void move(unsigned int m, uint64_t now)
{
	unsigned int from = X.walk[m].cell, to = sim_walk_next(&X.walk[m].rng, &X.g, from);

	X.walk[m].cell = to;
	xc_visitor(from, X.mh[m].addr, false);
	xc_prev_fa(to, X.mh[m].addr, X.ha.addr, X.fa[from].addr);
	keyd_binding_changed(X.mh[m].addr, X.fa[to].addr);
	X.walk[m].reply_at = now + 2 * NS_PER_MS;
	X.walk[m].next_move += sim_walk_dwell_ns(&X.walk[m].rng, X.dwell_ms);
	X.handoffs++;
}

static void on_tick(void *arg)
{
	uint64_t now = loop_now();

	(void)arg;
	for (unsigned int m = 0; m < X.mhs; m++) {
		if (X.walk[m].reply_at && now >= X.walk[m].reply_at) {
			X.walk[m].reply_at = 0;
			xc_visitor(X.walk[m].cell, X.mh[m].addr, true);
		}
		if (now >= X.t_walk && now < X.t_end && now >= X.walk[m].next_move)
			move(m, now);
	}
	if (now >= X.t_walk && !X.tx0) {
		X.tx0 = tx_total();
		X.down0 = ike_engine_counter(X.ha.m->eng, IKE_C_SA_DOWN);
	}
	if (now >= X.t_walk && now < X.t_end && now >= X.next_sample) {
		sample();
		X.next_sample = now + NS_PER_SEC;
	}
	if (now >= X.t_end + 2 * NS_PER_SEC)
		loop_stop(X.loop);
	else
		loop_timer_in(X.loop, &X.tick, TICK_NS);
}

static void report(void)
{
	uint64_t tx = tx_total() - X.tx0;
	unsigned int missing = 0, not_one = 0;
	bool active;

	for (unsigned int m = 0; m < X.mhs; m++) {
		unsigned int h = holders_of(m, &active);

		missing += !active;
		not_one += h != 1;
	}
	printf("xcheck %-12s handoffs %4lu  msgs/handoff %5.2f  FAs/CSA mean %5.2f max %2u  "
	       "keys/FA %5.2f  end: missing %u, not at one FA %u  HA: IKE SAs down %lu, DKM "
	       "fallbacks %lu, PKD held %lu\n",
	       X.scheme, (unsigned long)X.handoffs, X.handoffs ? (double)tx / X.handoffs : 0,
	       X.samples ? X.exposure_sum / X.samples : 0, X.exposure_max,
	       X.samples ? X.keys_sum / X.samples : 0, missing, not_one,
	       (unsigned long)(ike_engine_counter(X.ha.m->eng, IKE_C_SA_DOWN) - X.down0),
	       (unsigned long)X.ha.m->dkm.fallbacks, (unsigned long)X.ha.m->handoffs_held);
}

static int setup(void)
{
	char dir[] = "/tmp/mml-xcheck-XXXXXX";
	FILE *f;
	int fd;

	if (unshare(CLONE_NEWNET) || lo_up()) {
		fprintf(stderr, "xcheck: a private network namespace needs root: %s\n",
			strerror(errno));
		return -EPERM;
	}
	if (!mkdtemp(dir))
		return -errno;
	snprintf(X.psk_path, sizeof(X.psk_path), "%s/psk", dir);
	fd = open(X.psk_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f)
		return -errno;
	fputs("mmlipsec handoff cross-check\n", f);
	fclose(f);
	return loop_new(&X.loop);
}

static int start_all(void)
{
	int err = 0;

	X.ha = (struct xc_node){ .name = "ha", .addr = addr_of(1, 0) };
	for (unsigned int k = 0; k < X.fas; k++) {
		X.fa[k] = (struct xc_node){ .addr = addr_of(2, k) };
		snprintf(X.fa[k].name, sizeof(X.fa[k].name), "fa%u", k);
	}
	for (unsigned int m = 0; m < X.mhs; m++) {
		X.mh[m] = (struct xc_node){ .addr = addr_of(3, m) };
		snprintf(X.mh[m].name, sizeof(X.mh[m].name), "mh%u", m);
	}
	/* FAs first: FA k is the hooks' subscriber k. */
	for (unsigned int k = 0; k < X.fas && !err; k++)
		err = start_node(&X.fa[k], ROLE_FA, k);
	for (unsigned int m = 0; m < X.mhs && !err; m++)
		err = start_node(&X.mh[m], ROLE_MH, m);
	return err ? err : start_node(&X.ha, ROLE_HA, 0);
}

static void stop_all(void)
{
	for (unsigned int k = 0; k < X.fas; k++)
		ike_module.stop(X.fa[k].m);
	for (unsigned int m = 0; m < X.mhs; m++)
		ike_module.stop(X.mh[m].m);
	ike_module.stop(X.ha.m);
	unlink(X.psk_path);
	*strrchr(X.psk_path, '/') = '\0';
	rmdir(X.psk_path);
}

static void parse(int argc, char **argv)
{
	static const struct option opts[] = { { "scheme", required_argument, NULL, 'S' },
					      { "mhs", required_argument, NULL, 'm' },
					      { "dwell-ms", required_argument, NULL, 'w' },
					      { "warmup", required_argument, NULL, 'u' },
					      { "duration", required_argument, NULL, 'd' },
					      { "seed", required_argument, NULL, 's' },
					      { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			X.scheme = optarg;
			break;
		case 'm':
			X.mhs = (unsigned int)atoi(optarg);
			break;
		case 'w':
			X.dwell_ms = (unsigned int)atoi(optarg);
			break;
		case 'u':
			X.warmup_s = (unsigned int)atoi(optarg);
			break;
		case 'd':
			X.duration_s = (unsigned int)atoi(optarg);
			break;
		case 's':
			X.seed = (uint64_t)atoll(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (X.mhs >= 1 && X.mhs <= MHS_MAX && X.dwell_ms >= 10 && X.duration_s >= 1)
		return;
usage:
	fprintf(stderr,
		"usage: sim-handoff-xcheck [--scheme pkd|dkm|redistribute] [--mhs 1..%d] "
		"[--dwell-ms MS] [--warmup S] [--duration S] [--seed N]\n",
		MHS_MAX);
	exit(2);
}

int main(int argc, char **argv)
{
	int err;

	parse(argc, argv);
	mml_log_open("xcheck", false, getenv("XC_DEBUG") ? MML_LOG_INFO : MML_LOG_ERR);
	sim_grid_build(&X.g, X.fas, X.seed);
	err = setup();
	if (!err)
		err = start_all();
	if (err)
		return 1;
	X.t0 = loop_now();
	X.t_walk = X.t0 + (uint64_t)X.warmup_s * NS_PER_SEC;
	X.t_end = X.t_walk + (uint64_t)X.duration_s * NS_PER_SEC;
	X.next_sample = X.t_walk;
	for (unsigned int m = 0; m < X.mhs; m++) {
		X.walk[m].rng = sim_walk_seed(X.seed, m);
		X.walk[m].cell = sim_walk_start(&X.walk[m].rng, X.fas);
		X.walk[m].next_move = X.t_walk + sim_walk_dwell_ns(&X.walk[m].rng, X.dwell_ms);
		keyd_binding_changed(X.mh[m].addr, X.fa[X.walk[m].cell].addr);
		X.walk[m].reply_at = X.t0 + 2 * NS_PER_MS;
	}
	loop_timer_init(&X.tick, on_tick, NULL);
	loop_timer_in(X.loop, &X.tick, TICK_NS);
	err = loop_run(X.loop);
	report();
	stop_all();
	loop_free(X.loop);
	return err ? 1 : 0;
}
