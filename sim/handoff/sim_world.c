/* One run of one scheme: the nodes and the mobiles set up, the event loop
 * (deliveries, the walk, the registration events, ticks, samples), and
 * what each handoff's times come to. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/handoff/sim.h"

struct sim_world W;

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "sim: out of memory\n");
		exit(1);
	}
	return p;
}

static void node_peers(struct sim_node *n, unsigned int cnt)
{
	n->peers = zalloc(cnt, sizeof(*n->peers));
	n->links = zalloc(cnt, sizeof(*n->links));
	n->n_peers = cnt;
}

static void nodes_start(void)
{
	char me[16], name[16];

	node_peers(&net.ha, net.n_fas);
	for (unsigned int i = 0; i < net.n_fas; i++) {
		snprintf(name, sizeof(name), "fa%u", i);
		sim_peer_init(&net.ha.peers[i], sim_fa_addr(i), "ha", name);
	}
	net.fa = zalloc(net.n_fas, sizeof(*net.fa));
	for (unsigned int i = 0; i < net.n_fas; i++) {
		struct sim_node *fa = &net.fa[i];

		snprintf(me, sizeof(me), "fa%u", i);
		node_peers(fa, 1 + net.g.n_nbr[i]);
		sim_peer_init(&fa->peers[0], htonl_ha(), me, "ha");
		for (unsigned int k = 0; k < net.g.n_nbr[i]; k++) {
			snprintf(name, sizeof(name), "fa%u", net.g.nbr[i][k]);
			sim_peer_init(&fa->peers[1 + k], sim_fa_addr(net.g.nbr[i][k]), me, name);
			fa->peers[1 + k].neighbor = true;
		}
		if (sim_node_start(fa, sim_fa_addr(i), (int)i, &sim_fa_events))
			goto fail;
	}
	if (sim_node_start(&net.ha, htonl_ha(), -1, &sim_ha_events))
		goto fail;
	net.n_ha_mh = (W.o.mhs + SIM_MH_SHARD - 1) / SIM_MH_SHARD;
	net.ha_mh = zalloc(net.n_ha_mh, sizeof(*net.ha_mh));
	for (unsigned int i = 0; i < net.n_ha_mh; i++)
		if (sim_node_start(&net.ha_mh[i], htonl_ha(), -1, &sim_mh_events))
			goto fail;
	return;
fail:
	fprintf(stderr, "sim: an engine could not start\n");
	exit(1);
}

static void world_alloc(const struct sim_opts *o, enum sim_scheme scheme)
{
	size_t cells = (size_t)o->fas * o->mhs;

	memset(&W, 0, sizeof(W));
	memset(&net, 0, sizeof(net));
	W.o = *o;
	W.scheme = scheme;
	W.mb = zalloc(o->mhs, sizeof(*W.mb));
	W.slot = zalloc(cells, 1);
	W.here = zalloc(cells, sizeof(*W.here));
	W.holders_at = zalloc(o->mhs, sizeof(*W.holders_at));
	W.keys_at = zalloc(o->fas, sizeof(*W.keys_at));
	W.dkm = zalloc(o->fas, sizeof(*W.dkm));
	for (unsigned int i = 0; i < o->fas; i++)
		W.dkm[i].grace_ns = 10ULL * 1000000000ULL; /* the product's default */
	net.hop_ns = (uint64_t)o->hop_us * 1000;
	sim_grid_build(&net.g, o->fas, o->seed);
	net.n_fas = o->fas;
	for (unsigned int m = 0; m < o->mhs; m++) {
		struct sim_mobile *mb = &W.mb[m];

		/* Each MH walks on its own stream: every scheme sees the
		 * same walk whatever order its events take. */
		mb->rng = sim_walk_seed(o->seed, m);
		mb->home = sim_mh_addr(m);
		mb->cell = mb->coa = mb->prev = mb->ha_prev =
			(uint16_t)sim_walk_start(&mb->rng, o->fas);
		mb->fa_with_keys = mb->early_fa = mb->missed_fa = mb->kd_out = -1;
	}
}

void sim_world_free(void)
{
	sim_net_free();
	sim_evq_clear();
	sim_spi_index_free();
	for (unsigned int m = 0; m < W.o.mhs; m++)
		if (W.mb[m].mh_node) {
			W.mb[m].mh_node->dead = true;
			ike_engine_free(W.mb[m].mh_node->eng);
			free(W.mb[m].mh_node->peers);
			free(W.mb[m].mh_node);
		}
	free(W.mb);
	free(W.slot);
	free(W.here);
	free(W.holders_at);
	free(W.keys_at);
	free(W.dkm);
	free(W.st.latency_ns);
	free(W.st.keypart_ns);
}

static void record(uint64_t lat, uint64_t part)
{
	struct sim_stats *st = &W.st;

	if (st->n_lat == st->cap_lat) {
		st->cap_lat = st->cap_lat ? 2 * st->cap_lat : 4096;
		st->latency_ns = realloc(st->latency_ns, st->cap_lat * sizeof(uint64_t));
		st->keypart_ns = realloc(st->keypart_ns, st->cap_lat * sizeof(uint64_t));
		if (!st->latency_ns || !st->keypart_ns) {
			fprintf(stderr, "sim: out of memory\n");
			exit(1);
		}
	}
	st->latency_ns[st->n_lat] = lat;
	st->keypart_ns[st->n_lat++] = part;
}

void sim_handoff_done(struct sim_mobile *mb)
{
	if (!mb->t_req || !mb->t_key || !mb->t_reply || mb->counted)
		return;
	mb->counted = true;
	if (mb->t_req < W.t_measure)
		return;
	W.st.keys_ready++;
	record(mb->t_key - mb->t_req, mb->t_key > mb->t_reply ? mb->t_key - mb->t_reply : 0);
}

/* EV_MOVE: the MH leaves its cell for a random neighbour and sends its
 * registration request there (the link switch itself takes no time). */
static void move(uint32_t m)
{
	struct sim_mobile *mb = &W.mb[m];
	unsigned int from = mb->cell, to = sim_walk_next(&mb->rng, &net.g, from);

	if (sim_now >= W.t_end)
		return; /* the walk is over: what is in flight drains */
	if (mb->t_req && !mb->counted && mb->t_req >= W.t_measure)
		W.st.superseded++;
	W.here[(size_t)from * W.o.mhs + m] = false;
	mb->prev = (uint16_t)from;
	mb->cell = (uint16_t)to;
	mb->t_req = sim_now;
	mb->t_key = mb->t_reply = 0;
	mb->counted = false;
	if (sim_now >= W.t_measure)
		W.st.handoffs++;
	sim_evq_push(sim_now, EV_ATTACH, m, to, NULL);
	if (sim_now + 1 < W.t_end)
		sim_evq_push(sim_now + sim_walk_dwell_ns(&mb->rng, W.o.dwell_ms), EV_MOVE, m, 0,
			     NULL);
}

static void engine_tick(struct sim_node *n, void *arg)
{
	(void)arg;
	ike_engine_tick(n->eng);
}

static void on_tick(const struct sim_ev *ev)
{
	if (ev->b == 1) {
		sim_node_run(&net.ha, sim_now, sim_ha_dkm_bound, (void *)&ev->a);
		return;
	}
	sim_node_run(&net.ha, sim_now, engine_tick, NULL);
	for (unsigned int i = 0; i < net.n_fas; i++)
		sim_node_run(&net.fa[i], sim_now, engine_tick, NULL);
	if (sim_now < W.t_end)
		sim_evq_push(sim_now + 100 * 1000000ULL, EV_TICK, 0, 0, NULL);
}

static void on_init(const struct sim_ev *ev)
{
	if (ev->b == 0) {
		sim_init_start(ev->a);
		sim_node_run(&net.ha_mh[ev->a / SIM_MH_SHARD], sim_now, sim_init_initiate,
			     (void *)&ev->a);
		return;
	}
	sim_node_run(&net.ha, sim_now, sim_ha_init_mobile, (void *)&ev->a);
	/* The walk starts with the measurement, every MH keyed by then. */
	sim_evq_push(W.t_measure + sim_walk_dwell_ns(&W.mb[ev->a].rng, W.o.dwell_ms), EV_MOVE,
		     ev->a, 0, NULL);
}

static void on_attach(const struct sim_ev *ev)
{
	struct sim_node *fa = &net.fa[ev->b];

	sim_node_run(fa, sim_now, sim_fa_attach, (void *)&ev->a);
	sim_evq_push(fa->busy_until + sim_hops(fa, &net.ha) * net.hop_ns, EV_BINDING, ev->a, ev->b,
		     NULL);
}

static void on_binding(const struct sim_ev *ev)
{
	uint32_t ab[2] = { ev->a, ev->b };

	sim_node_run(&net.ha, sim_now, sim_ha_binding, ab);
	sim_evq_push(net.ha.busy_until + sim_hops(&net.ha, &net.fa[ev->b]) * net.hop_ns, EV_REPLY,
		     ev->a, ev->b, NULL);
}

static void on_reply(const struct sim_ev *ev)
{
	struct sim_mobile *mb = &W.mb[ev->a];

	if (mb->cell != ev->b)
		return; /* gone on meanwhile */
	sim_node_run(&net.fa[ev->b], sim_now, sim_fa_reply, (void *)&ev->a);
	mb->t_reply = net.fa[ev->b].busy_until;
	sim_handoff_done(mb);
}

static void on_msg(struct sim_ev *ev)
{
	struct sim_node *to = ev->b ? &net.ha_mh[ev->b - 1] : sim_node_of_addr(ev->a);

	if (!to || to->dead || !to->eng) {
		free(ev->msg);
		return;
	}
	sim_deliver(to, ev->msg);
}

static void dispatch(struct sim_ev *ev)
{
	switch (ev->kind) {
	case EV_MSG:
		on_msg(ev);
		break;
	case EV_INIT:
		on_init(ev);
		break;
	case EV_MOVE:
		move(ev->a);
		break;
	case EV_ATTACH:
		on_attach(ev);
		break;
	case EV_BINDING:
		on_binding(ev);
		break;
	case EV_REPLY:
		on_reply(ev);
		break;
	case EV_TICK:
		on_tick(ev);
		break;
	case EV_SAMPLE:
		sim_sample();
		break;
	}
}

static void ha_connect(struct sim_node *ha, void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < net.n_fas; i++)
		ha->links[i].sa = ike_initiate(ha->eng, &ha->peers[i]);
}

int sim_world_run(const struct sim_opts *o, enum sim_scheme scheme, void *exposure_out)
{
	struct sim_ev ev;
	uint64_t spread;

	world_alloc(o, scheme);
	W.exposure_out = exposure_out;
	nodes_start();
	ike_clock_set(sim_now_ms);
	W.t_measure = (uint64_t)o->warmup_s * 1000000000ULL;
	W.t_end = W.t_measure + (uint64_t)o->duration_s * 1000000000ULL;
	sim_node_run(&net.ha, 0, ha_connect, NULL);
	/* Initialisations spread over the first half of the warm-up. */
	spread = W.t_measure / 2 / (o->mhs ? o->mhs : 1);
	for (unsigned int m = 0; m < o->mhs; m++)
		sim_evq_push(100000000ULL + m * spread, EV_INIT, m, 0, NULL);
	sim_evq_push(0, EV_TICK, 0, 0, NULL);
	sim_evq_push(W.t_measure, EV_SAMPLE, 0, 0, NULL);
	while (sim_evq_pop(&ev))
		dispatch(&ev);
	ike_clock_set(NULL);
	return 0;
}
