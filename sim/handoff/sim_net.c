/* The simulated network: node addresses, the grid of cells and its
 * neighbour graph, the hop-count delay model, the in-memory transport
 * (the one seam into the engine: struct ike_transport), the CPU time of
 * each node's work, and the per-link FIFOs in front of the engine's
 * window of one request. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/handoff/sim.h"

struct sim_net net;

/* What a node sends while it runs: stamped with its departure time after. */
static struct outbox {
	struct sim_msg *msg;
	uint32_t to;
} outbox[256];
static unsigned int n_out;

uint32_t sim_fa_addr(unsigned int i)
{
	return htonl(0x0a010000u | (i + 1));
}

uint32_t sim_mh_addr(unsigned int m)
{
	return htonl(0x0a020000u | (m + 1));
}

int sim_fa_of_addr(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return (h & 0xffff0000u) == 0x0a010000u && (h & 0xffff) - 1 < net.n_fas ?
		       (int)(h & 0xffff) - 1 :
		       -1;
}

int sim_mh_of_addr(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return (h & 0xffff0000u) == 0x0a020000u && (h & 0xffff) - 1 < W.o.mhs ?
		       (int)(h & 0xffff) - 1 :
		       -1;
}

struct sim_node *sim_node_of_addr(uint32_t addr)
{
	int i;

	if (addr == net.ha.addr)
		return &net.ha;
	if ((i = sim_fa_of_addr(addr)) >= 0)
		return &net.fa[i];
	if ((i = sim_mh_of_addr(addr)) >= 0)
		return W.mb[i].mh_node;
	return NULL;
}

/* Wired hops: neighbour FAs 1; an FA and the HA (behind the router of the
 * centre cell) 1 + the cells between; an MH is one more hop (its cell). */
unsigned int sim_hops(const struct sim_node *a, const struct sim_node *b)
{
	unsigned int ca, cb, extra = 0;

	if (a->idx == -2 || b->idx == -2) {
		const struct sim_node *mh = a->idx == -2 ? a : b;
		int m = sim_mh_of_addr(mh->addr);

		extra = 1;
		if (a->idx == -2)
			a = &net.fa[W.mb[m].cell];
		else
			b = &net.fa[W.mb[m].cell];
	}
	if (a->idx < 0 || b->idx < 0) {
		const struct sim_node *fa = a->idx < 0 ? b : a;

		return extra + 1 +
		       (fa->idx < 0 ? 0 :
				      sim_grid_dist(&net.g, (unsigned int)fa->idx,
						    sim_grid_centre(&net.g)));
	}
	ca = (unsigned int)a->idx;
	cb = (unsigned int)b->idx;
	for (unsigned int k = 0; k < net.g.n_nbr[ca]; k++)
		if (net.g.nbr[ca][k] == cb)
			return extra + 1;
	return extra + sim_grid_dist(&net.g, ca, cb);
}

static void set_id(struct ike_identity *id, const char *s)
{
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
}

void sim_peer_init(struct ike_peer_cfg *p, uint32_t addr, const char *local, const char *peer)
{
	static const char psk[] = "mmlipsec handoff simulator";

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

static int transport_send(void *ctx, const uint8_t *buf, size_t len, uint32_t addr, uint16_t port)
{
	struct sim_node *n = ctx;
	struct sim_msg *msg;

	if (n->dead)
		return 0;
	if (n_out == sizeof(outbox) / sizeof(outbox[0]))
		return -ENOBUFS;
	msg = malloc(sizeof(*msg) + len);
	if (!msg)
		return -ENOMEM;
	msg->from_addr = n->addr;
	msg->from_port = IKE_PORT;
	msg->len = (uint16_t)len;
	memcpy(msg->buf, buf, len);
	(void)port;
	outbox[n_out++] = (struct outbox){ .msg = msg, .to = addr };
	return 0;
}

int sim_node_start(struct sim_node *n, uint32_t addr, int idx, const struct ike_events *ev)
{
	n->addr = addr;
	n->idx = idx;
	n->tp = (struct ike_transport){ .send = transport_send, .ctx = n };
	n->ecfg = (struct ike_engine_cfg){ .local_addr = addr,
					   .cookie_threshold = 1u << 30,
					   .retransmit_base_ms = 500,
					   .retransmit_tries = 5,
					   .peers = n->peers,
					   .n_peers = n->n_peers,
					   .transport = &n->tp };
	n->eng = ike_engine_new(&n->ecfg, ev, n);
	return n->eng ? 0 : -ENOMEM;
}

static uint64_t cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t sim_node_run(struct sim_node *n, uint64_t at, void (*fn)(struct sim_node *, void *),
		      void *arg)
{
	uint64_t start = at > n->busy_until ? at : n->busy_until, saved = sim_now, t0, cpu;

	sim_now = start; /* what the engine's clock reads meanwhile */
	n_out = 0;
	t0 = cpu_now();
	fn(n, arg);
	cpu = cpu_now() - t0;
	n->busy_until = start + cpu;
	n->cpu_ns += cpu;
	for (unsigned int i = 0; i < n_out; i++) {
		struct sim_node *to = sim_node_of_addr(outbox[i].to);
		uint32_t shard = 0;

		if (to == &net.ha && n->idx == -2) {
			/* the HA's engine for this mobile */
			shard = 1 + (uint32_t)sim_mh_of_addr(n->addr) / SIM_MH_SHARD;
			to = &net.ha_mh[shard - 1];
		}
		if (!to || to->dead) {
			free(outbox[i].msg);
			continue;
		}
		if (net.counting) {
			net.tx_msgs++;
			net.tx_bytes += outbox[i].msg->len;
			if (n == &net.ha || to == &net.ha)
				net.ha_msgs++;
		}
		sim_evq_push(n->busy_until + sim_hops(n, to) * net.hop_ns, EV_MSG, outbox[i].to,
			     shard, outbox[i].msg);
	}
	sim_ready_flush(n->busy_until);
	n_out = 0;
	sim_now = saved;
	return cpu;
}

static void deliver_fn(struct sim_node *n, void *arg)
{
	struct sim_msg *msg = arg;

	ike_engine_process(n->eng, msg->buf, msg->len, msg->from_addr, msg->from_port);
	/* An answer frees a window: what waits behind it goes now. */
	for (unsigned int p = 0; n->links && p < n->n_peers; p++)
		if (n->links[p].head != n->links[p].tail)
			sim_link_pump(n, p);
}

void sim_deliver(struct sim_node *n, struct sim_msg *msg)
{
	sim_node_run(n, sim_now, deliver_fn, msg);
	free(msg);
}

int sim_peer_index(const struct sim_node *n, uint32_t addr)
{
	for (unsigned int i = 0; i < n->n_peers; i++)
		if (n->peers[i].addr == addr)
			return (int)i;
	return -1;
}

void sim_link_push(struct sim_node *n, unsigned int peer, uint8_t kind, uint32_t mh)
{
	struct sim_link *l = &n->links[peer];

	if (l->head == l->tail)
		l->head = l->tail = 0;
	if (l->tail == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->q = realloc(l->q, l->cap * sizeof(*l->q));
		if (!l->q) {
			fprintf(stderr, "sim: out of memory for link queues\n");
			exit(1);
		}
	}
	l->q[l->tail++] = (struct sim_req){ .kind = kind, .mh = mh };
	sim_link_pump(n, peer);
}

/* Sends the head of the FIFO if the link is up and its window free; an
 * IKE SA that is missing is set up first (the FA-FA ones of DKM). */
void sim_link_pump(struct sim_node *n, unsigned int peer)
{
	struct sim_link *l = &n->links[peer];

	while (l->head != l->tail) {
		int err = 0;

		if (!l->sa)
			l->sa = ike_initiate(n->eng, &n->peers[peer]);
		if (!l->sa || !l->up)
			return;
		if (n->idx == -1)
			sim_ha_req_send(n, peer, &l->q[l->head], &err);
		else
			sim_fa_req_send(n, peer, &l->q[l->head], &err);
		if (err == -EBUSY)
			return;
		l->head++;
		if (!err)
			return; /* the window is ours until the answer */
	}
}

/* Key-ready moments found during a node's work happen when it ends. */
static uint32_t ready_mh[64];
static unsigned int n_ready;

void sim_key_ready(unsigned int mh, unsigned int fa)
{
	if (W.mb[mh].cell != fa || W.mb[mh].t_key)
		return;
	if (n_ready < sizeof(ready_mh) / sizeof(ready_mh[0]))
		ready_mh[n_ready++] = mh;
}

void sim_ready_flush(uint64_t at)
{
	for (unsigned int i = 0; i < n_ready; i++) {
		struct sim_mobile *mb = &W.mb[ready_mh[i]];

		if (!mb->t_key)
			mb->t_key = at;
		sim_handoff_done(mb);
	}
	n_ready = 0;
}

static void node_free(struct sim_node *n)
{
	n->dead = true; /* the Deletes the engine sends as it goes are dropped */
	ike_engine_free(n->eng);
	for (unsigned int p = 0; n->links && p < n->n_peers; p++)
		free(n->links[p].q);
	free(n->links);
	free(n->peers);
	memset(n, 0, sizeof(*n));
}

void sim_net_free(void)
{
	node_free(&net.ha);
	for (unsigned int i = 0; net.ha_mh && i < net.n_ha_mh; i++)
		node_free(&net.ha_mh[i]);
	free(net.ha_mh);
	net.ha_mh = NULL;
	for (unsigned int i = 0; net.fa && i < net.n_fas; i++)
		node_free(&net.fa[i]);
	free(net.fa);
	net.fa = NULL;
}
