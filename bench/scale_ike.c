/* bench-scale-ike (issue 20, bench/scale.sh): ML-IKE initialisations with
 * the product's engine (keyd/ike/: IKE_SA_INIT with X25519, IKE_AUTH with
 * PSK, MLIKE_AUTH_SA, KEY_DISTRIBUTE of zone 1 to the serving FA; every
 * message encoded, sealed with AES-GCM-16, opened and parsed) for N mobile
 * hosts in one process, on the engine's in-memory transport (the seam
 * sim/handoff uses): one HA engine holding all N IKE SAs (as mmlkeyd's
 * would), one FA engine, and an engine per MH while its initialisation
 * runs (a window of W at a time). What is not mmlkeyd's here: the ike
 * module's orchestration (keyd/ike/ike_orch.c: its tables hold 64
 * mobiles and 16 peers), the maps (no CSA is written) and Mobile IP.
 *
 * Prints the wall time for all N (every node on one core), the HA
 * engine's own CPU time, and from it the HA's initialisations per second;
 * and the HA's CPU per initialisation over the first and last tenth, which
 * shows what the SA count costs.
 *
 *   bench-scale-ike [-n N] [-w WINDOW] */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyd/ike/ike.h"
#include "keyd/ike/ike_sa.h"
#include "lib/log.h"

#define HA_ADDR htonl(0x0a640001u) /* 10.100.0.1 */
#define FA_ADDR htonl(0x0a640101u) /* 10.100.1.1 */
#define HOME_BASE 0x0ac80001u	   /* 10.200.0.1 */

struct node {
	uint32_t addr;
	struct ike_engine *eng;
	struct ike_transport tp;
	struct ike_engine_cfg cfg;
	struct ike_peer_cfg *peers;
	bool dead;
};

struct msg {
	struct msg *next;
	uint32_t from, to;
	uint16_t len;
	uint8_t buf[];
};

static struct msg *q_head, **q_tail = &q_head;
static struct node ha, fa;
static struct node **mh; /* per mobile while it initialises */
static struct ike_peer_cfg *ha_peers;
static struct ike_sa *fa_sa; /* the HA's IKE SA with the FA */
static bool fa_up;
static unsigned int n_mh, done, in_flight;
static uint32_t *kd_queue; /* mobiles whose zone 1 waits for the FA's window */
static unsigned int kd_head, kd_tail;
static bool kd_busy;
static uint64_t ha_cpu, *ha_cpu_at; /* HA engine CPU ns; at each completion */
static struct mlike_csa *csas;

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_msg(void *ctx, const uint8_t *buf, size_t len, uint32_t addr, uint16_t port)
{
	struct node *n = ctx;
	struct msg *m;

	(void)port;
	if (n->dead)
		return 0;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->from = n->addr;
	m->to = addr;
	m->len = (uint16_t)len;
	memcpy(m->buf, buf, len);
	*q_tail = m;
	q_tail = &m->next;
	return 0;
}

static void set_id(struct ike_identity *id, const char *s)
{
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
}

static void peer_init(struct ike_peer_cfg *p, uint32_t addr, const char *local, const char *peer)
{
	static const char psk[] = "mmlipsec scale bench";

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", peer);
	p->addr = addr;
	set_id(&p->local_id, local);
	set_id(&p->peer_id, peer);
	p->psk_len = sizeof(psk) - 1;
	memcpy(p->psk, psk, p->psk_len);
	p->ike_encr = p->esp_encr = p->zone2_encr = IKE_ENCR_AES_GCM_16;
	p->z1_len = 40;
	p->csa_soft_lifetime_s = 3000;
	p->csa_hard_lifetime_s = 3600;
}

static int node_start(struct node *n, uint32_t addr, struct ike_peer_cfg *peers, unsigned int np,
		      const struct ike_events *ev)
{
	n->addr = addr;
	n->peers = peers;
	n->tp = (struct ike_transport){ .send = send_msg, .ctx = n };
	n->cfg = (struct ike_engine_cfg){ .local_addr = addr,
					  .cookie_threshold = 1u << 30,
					  .retransmit_base_ms = 2000,
					  .retransmit_tries = 5,
					  .peers = peers,
					  .n_peers = np,
					  .transport = &n->tp };
	n->eng = ike_engine_new(&n->cfg, ev, n);
	return n->eng ? 0 : -ENOMEM;
}

static int mobile_of(uint32_t addr)
{
	uint32_t i = ntohl(addr) - HOME_BASE;

	return i < n_mh ? (int)i : -1;
}

/* --- the HA: MLIKE_AUTH_SA once the IKE SA is up, zone 1 to the FA --- */

static void kd_pump(void)
{
	struct mlike_fa_keys keys;
	uint32_t i;

	if (kd_busy || !fa_up || kd_head == kd_tail)
		return;
	i = kd_queue[kd_head];
	mlike_fa_keys_from_csa(&csas[i], true, htonl(HOME_BASE + i), HA_ADDR, &keys);
	if (mlike_key_distribute(fa_sa, &keys) == 0) {
		kd_head++;
		kd_busy = true;
	}
}

static void ha_ike_up(void *ctx, struct ike_sa *sa)
{
	(void)ctx;
	if (sa == fa_sa) {
		fa_up = true;
		kd_pump();
		return;
	}
	if (mlike_auth_sa_start(sa))
		fprintf(stderr, "bench-scale-ike: MLIKE_AUTH_SA could not start\n");
}

static void mh_free(int i)
{
	mh[i]->dead = true;
	ike_engine_free(mh[i]->eng);
	free(mh[i]->peers);
	free(mh[i]);
	mh[i] = NULL;
}

static void ha_csa_up(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	int i = mobile_of(ike_sa_peer(sa)->addr);

	(void)ctx;
	if (i < 0)
		return;
	csas[i] = *csa;
	kd_queue[kd_tail++] = (uint32_t)i;
	kd_pump();
}

static void ha_kd_done(void *ctx, struct ike_sa *sa, int result)
{
	(void)ctx;
	(void)sa;
	if (result)
		fprintf(stderr, "bench-scale-ike: KEY_DISTRIBUTE refused: %d\n", result);
	ha_cpu_at[done++] = ha_cpu;
	/* The mobile's initialisation is complete: its engine goes (its
	 * IKE SA stays at the HA, as in a deployment). */
	mh_free((int)kd_queue[kd_head - 1]);
	in_flight--;
	kd_busy = false;
	kd_pump();
}

static const struct ike_events ha_ev = {
	.ike_up = ha_ike_up,
	.csa_up = ha_csa_up,
	.fa_keys_done = ha_kd_done,
};

static int fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	(void)ctx;
	(void)sa;
	(void)keys;
	return 0; /* would go into mml_csa (keyd/ike/ike_orch.c) */
}

static const struct ike_events fa_ev = { .fa_keys = fa_keys };
static const struct ike_events mh_ev = { 0 };

static int mh_start(unsigned int i)
{
	char name[24];
	struct node *n = calloc(1, sizeof(*n));
	struct ike_peer_cfg *p = calloc(1, sizeof(*p));
	uint64_t t0;

	if (!n || !p)
		return -ENOMEM;
	snprintf(name, sizeof(name), "mh%u", i);
	peer_init(p, HA_ADDR, name, "ha");
	if (node_start(n, htonl(HOME_BASE + i), p, 1, &mh_ev))
		return -ENOMEM;
	mh[i] = n;
	t0 = cpu_ns();
	if (!ike_initiate(ha.eng, &ha_peers[i]))
		return -EIO;
	ha_cpu += cpu_ns() - t0;
	in_flight++;
	return 0;
}

static void deliver(struct msg *m)
{
	struct node *to = NULL;
	uint64_t t0;
	int i;

	if (m->to == HA_ADDR)
		to = &ha;
	else if (m->to == FA_ADDR)
		to = &fa;
	else if ((i = mobile_of(m->to)) >= 0)
		to = mh[i];
	if (!to || to->dead)
		return;
	t0 = cpu_ns();
	ike_engine_process(to->eng, m->buf, m->len, m->from, 500);
	if (to == &ha)
		ha_cpu += cpu_ns() - t0;
}

int main(int argc, char **argv)
{
	unsigned int window = 64, next = 0;
	struct ike_peer_cfg fa_peer;
	double t0, secs;
	long rss0;
	int opt;

	n_mh = 10000;
	while ((opt = getopt(argc, argv, "n:w:")) != -1) {
		if (opt == 'n')
			n_mh = (unsigned int)atoi(optarg);
		else if (opt == 'w')
			window = (unsigned int)atoi(optarg);
		else
			return 2;
	}
	if (!n_mh || n_mh > 60000 || !window)
		return 2;
	mml_log_open("bench-scale-ike", false, MML_LOG_WARN);
	ha_peers = calloc(n_mh + 1, sizeof(*ha_peers));
	mh = calloc(n_mh, sizeof(*mh));
	kd_queue = calloc(n_mh, sizeof(*kd_queue));
	ha_cpu_at = calloc(n_mh, sizeof(*ha_cpu_at));
	csas = calloc(n_mh, sizeof(*csas));
	if (!ha_peers || !mh || !kd_queue || !ha_cpu_at || !csas)
		return 1;
	for (unsigned int i = 0; i < n_mh; i++) {
		char name[24];

		snprintf(name, sizeof(name), "mh%u", i);
		peer_init(&ha_peers[i], htonl(HOME_BASE + i), "ha", name);
	}
	peer_init(&ha_peers[n_mh], FA_ADDR, "ha", "fa");
	peer_init(&fa_peer, HA_ADDR, "fa", "ha");
	if (node_start(&ha, HA_ADDR, ha_peers, n_mh + 1, &ha_ev) ||
	    node_start(&fa, FA_ADDR, &fa_peer, 1, &fa_ev))
		return 1;
	rss0 = rss_kb();
	t0 = wall_s();
	fa_sa = ike_initiate(ha.eng, &ha_peers[n_mh]);
	while (done < n_mh) {
		struct msg *m;

		while (in_flight < window && next < n_mh)
			if (mh_start(next++))
				return 1;
		m = q_head;
		if (!m) {
			fprintf(stderr, "bench-scale-ike: stalled at %u of %u\n", done, n_mh);
			return 1;
		}
		q_head = m->next;
		if (!q_head)
			q_tail = &q_head;
		deliver(m);
		free(m);
	}
	secs = wall_s() - t0;
	{
		unsigned int k = n_mh / 10 ? n_mh / 10 : 1;
		double first = (double)ha_cpu_at[k - 1] / k / 1e3;
		double last = (double)(ha_cpu_at[n_mh - 1] - ha_cpu_at[n_mh - 1 - k]) / k / 1e3;

		printf("ML-IKE: %u full initialisations (IKE_SA_INIT + IKE_AUTH + MLIKE_AUTH_SA + "
		       "KEY_DISTRIBUTE to the FA), window %u: %.2f s wall with every node on one core "
		       "(%.0f/s); HA engine CPU %.2f s = %.0f initialisations/s at the HA "
		       "(target >= 1000); HA CPU per initialisation %.0f us over the first %u, "
		       "%.0f us over the last %u\n",
		       n_mh, window, secs, n_mh / secs, (double)ha_cpu / 1e9,
		       n_mh / ((double)ha_cpu / 1e9), first, k, last, k);
		printf("ML-IKE memory: %.0f B per mobile at the HA's engine (RSS delta with %u IKE "
		       "SAs and their CSAs held; struct ike_sa alone is %zu B)\n",
		       (double)(rss_kb() - rss0) * 1024 / n_mh, n_mh, sizeof(struct ike_sa));
	}
	for (unsigned int i = 0; i < n_mh; i++)
		if (mh[i])
			mh_free((int)i);
	ha.dead = fa.dead = true;
	ike_engine_free(ha.eng);
	ike_engine_free(fa.eng);
	return 0;
}
