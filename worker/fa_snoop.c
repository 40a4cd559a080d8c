#include "worker/fa_snoop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <netinet/in.h>

#include "lib/log.h"
#include "lib/snoop_cfg.h"
#include "maps/csa.h"
#include "maps/pin.h"

static const unsigned int stat_of_counter[SNOOP_C_MAX] = {
	[SNOOP_C_CACHED] = MML_SNOOP_STAT_CACHED,
	[SNOOP_C_NOT_CACHED_FULL] = MML_SNOOP_STAT_NOT_CACHED_FULL,
	[SNOOP_C_SENDER_RXMIT] = MML_SNOOP_STAT_SENDER_RXMIT,
	[SNOOP_C_RXMIT_DUPACK] = MML_SNOOP_STAT_RXMIT_DUPACK,
	[SNOOP_C_RXMIT_TIMER] = MML_SNOOP_STAT_RXMIT_TIMER,
	[SNOOP_C_RXMIT_PERSIST] = MML_SNOOP_STAT_RXMIT_PERSIST,
	[SNOOP_C_DUPACK_SUPPRESSED] = MML_SNOOP_STAT_DUPACK_SUPPRESSED,
	[SNOOP_C_STALE_ACK] = MML_SNOOP_STAT_STALE_ACK,
	[SNOOP_C_NEW_ACK] = MML_SNOOP_STAT_NEW_ACK,
	[SNOOP_C_RTT_SAMPLES] = MML_SNOOP_STAT_RTT_SAMPLES,
	[SNOOP_C_CONN_NEW] = MML_SNOOP_STAT_CONN_NEW,
	[SNOOP_C_CONN_FULL] = MML_SNOOP_STAT_CONN_FULL,
	[SNOOP_C_CONN_GARBAGE] = MML_SNOOP_STAT_CONN_EVICTED,
	[SNOOP_C_CONN_CLOSED] = MML_SNOOP_STAT_CONN_CLOSED,
	[SNOOP_C_RXMIT_GIVEUP] = MML_SNOOP_STAT_RXMIT_GIVEUP,
	[SNOOP_C_EVICTED_FOR_HOLE] = MML_SNOOP_STAT_EVICTED_FOR_HOLE,
};

static void count(struct fa_worker *w, unsigned int stat)
{
	if (w->stats)
		w->stats[stat]++;
}

static int port_of(const struct fa_worker *w, uint32_t ifindex)
{
	for (int p = 0; p < w->nports; p++)
		if ((uint32_t)w->ports[p].ifindex == ifindex)
			return p;
	return -1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the state machine's callbacks ---- */

/* A cached ML-ESP frame (outer IPv4, protocol 50) whose CSA this FA no
 * longer holds: its pair was rekeyed and retired, or revoked when the MH
 * moved away and back. The MH deleted that pair too and would drop the
 * copy as of an unknown SPI; the CN's own retransmission, under the pair
 * in use, repairs the loss. Anything else, or a lookup that fails for
 * another reason than absence, is sent. */
static bool frame_key_gone(const struct fa_worker *w, uint64_t frame, uint32_t len)
{
	const uint8_t *ip = (const uint8_t *)w->umem.area + frame + EP_ETH_HLEN_FA;
	struct mml_csa csa;
	uint32_t ihl, spi;

	if (w->csa_fd < 0 || len < EP_ETH_HLEN_FA + 20u || ip[9] != IPPROTO_ESP)
		return false;
	ihl = (ip[0] & 0xfu) * 4u;
	if (ihl < 20 || len < EP_ETH_HLEN_FA + ihl + 4u)
		return false;
	memcpy(&spi, ip + ihl, sizeof(spi));
	spi = ntohl(spi);
	if (!bpf_map_lookup_elem(w->csa_fd, &spi, &csa)) {
		explicit_bzero(&csa, sizeof(csa)); /* the lookup copied zone 1's key */
		return false;
	}
	return errno == ENOENT;
}

static void snoop_xmit(void *ctx, uint64_t frame, uint32_t frame_len)
{
	struct fa_worker *w = ctx;

	if (frame_key_gone(w, frame, frame_len)) {
		count(w, MML_SNOOP_STAT_RXMIT_STALE_KEY);
		return;
	}
	fa_frames_rxmit(&w->frames, frame);
}

static void snoop_release(void *ctx, uint64_t frame)
{
	struct fa_worker *w = ctx;

	fa_frames_release(&w->frames, frame);
}

static uint32_t conn_slot(const struct fa_worker *w, const struct snoop_conn *c)
{
	return (uint32_t)(c - w->snoop.conns);
}

/* Taken on: XDP classifies its ACKs from now on (last_ack unknown yet).
 * Dropped: XDP forgets it before the worker does. */
static void snoop_conn_change(void *ctx, const struct snoop_conn *c, bool up)
{
	struct fa_worker *w = ctx;
	struct mml_snoop_ack a = { 0 };

	if (up) {
		bpf_map_update_elem(w->ack_fd, &c->key, &a, BPF_ANY);
		w->dirty[conn_slot(w, c)] = true;
	} else {
		bpf_map_delete_elem(w->ack_fd, &c->key);
		bpf_map_delete_elem(w->conn_fd, &c->key);
		w->dirty[conn_slot(w, c)] = false;
	}
}

/* ---- the frame ledger's callbacks ---- */

static bool frames_tx(void *ctx, int port, uint64_t addr, uint32_t len)
{
	struct fa_worker *w = ctx;

	return ep_tx(&w->umem, port, addr, len);
}

static void frames_free(void *ctx, uint64_t addr)
{
	struct fa_worker *w = ctx;

	ep_frame_free(&w->umem, addr);
}

/* A local retransmission leaves with the priority DSCP in the header the
 * air sees first: for ML-ESP the tunnel header (zone 1 and the ESP payload
 * are never touched, the MH's checks still pass), for plaintext the TCP
 * packet's own IPv4 header (not covered by the TCP checksum). */
static void frames_mark(void *ctx, uint64_t addr, uint32_t len)
{
	struct fa_worker *w = ctx;
	uint8_t *pkt = ep_frame(&w->umem, addr);

	if (len >= EP_ETH_HLEN_FA + 20)
		fa_ipv4_set_dscp(pkt + EP_ETH_HLEN_FA, (uint8_t)w->cfg.prio_dscp);
}

static void tx_done(void *ctx, uint64_t addr)
{
	struct fa_worker *w = ctx;

	fa_frames_tx_done(&w->frames, addr);
}

/* ---- packets and events ---- */

static void mark_dirty(struct fa_worker *w, const struct mml_snoop_key *k)
{
	const struct snoop_conn *c = snoop_lookup(&w->snoop, k);

	if (c)
		w->dirty[conn_slot(w, c)] = true;
}

static bool rx_data(struct fa_worker *w, const struct mml_snoop_meta *m, uint64_t addr,
		    uint32_t len, uint64_t now)
{
	const struct mml_snoop_key *k = &m->key;
	enum snoop_verdict v;
	int port = port_of(w, m->out_ifindex);

	if (port < 0) {
		count(w, MML_SNOOP_STAT_BAD_META);
		return false;
	}
	v = snoop_data(&w->snoop, k, m->seq_ack, m->payload_len, addr, len, now);
	mark_dirty(w, k);
	count(w, MML_SNOOP_STAT_DATA_FORWARDED);
	/* Cached: the ledger keeps it even if the ring is full right now. */
	return fa_frames_send(&w->frames, addr, len, port, v == SNOOP_FORWARD_CACHED) ||
	       v == SNOOP_FORWARD_CACHED;
}

static bool rx_dupack(struct fa_worker *w, const struct mml_snoop_meta *m, uint64_t addr,
		      uint32_t len, uint64_t now)
{
	const struct mml_snoop_key *k = &m->key;
	int port = port_of(w, m->out_ifindex);
	enum snoop_verdict v;

	v = snoop_ack(&w->snoop, k, m->seq_ack, true, now);
	mark_dirty(w, k);
	if (v == SNOOP_DROP)
		return false;
	if (port < 0) {
		count(w, MML_SNOOP_STAT_BAD_META);
		return false;
	}
	count(w, MML_SNOOP_STAT_DUPACK_FORWARDED);
	return fa_frames_send(&w->frames, addr, len, port, false);
}

bool fa_rx_frame(struct fa_worker *w, uint64_t addr, uint8_t *desc, uint32_t len, uint64_t now)
{
	const struct mml_snoop_meta *m = (const void *)desc;

	if (len < sizeof(*m) + EP_ETH_HLEN_FA + 40u || m->magic != MML_SNOOP_META_MAGIC ||
	    m->l3_off != EP_ETH_HLEN_FA) {
		count(w, MML_SNOOP_STAT_BAD_META);
		return false;
	}
	/* From here on the frame alone: it is what the cache keeps and sends. */
	addr += sizeof(*m);
	len -= sizeof(*m);
	if (m->kind == MML_SNOOP_META_DATA && m->payload_len)
		return rx_data(w, m, addr, len, now);
	if (m->kind == MML_SNOOP_META_DUPACK)
		return rx_dupack(w, m, addr, len, now);
	count(w, MML_SNOOP_STAT_BAD_META);
	return false;
}

void fa_event(struct fa_worker *w, const struct mml_snoop_event *ev)
{
	const struct mml_snoop_key *k = &ev->key;

	count(w, MML_SNOOP_STAT_EVENTS);
	switch (ev->kind) {
	case MML_SNOOP_EV_NEW_ACK:
		/* Forwarded by XDP already: the verdict does not matter. */
		snoop_ack(&w->snoop, k, ev->ack, false, ev->ts_ns);
		mark_dirty(w, k);
		break;
	case MML_SNOOP_EV_SYN:
		snoop_syn(&w->snoop, k, ev->ts_ns);
		break;
	case MML_SNOOP_EV_RST:
		snoop_rst(&w->snoop, k);
		break;
	default:
		count(w, MML_SNOOP_STAT_BAD_META);
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct mml_snoop_event))
		fa_event(ctx, data);
	return 0;
}

/* ---- mirror, counters, configuration ---- */

static void conn_to_map(const struct snoop *s, const struct snoop_conn *c,
			struct mml_snoop_conn *out, uint64_t now)
{
	uint32_t bytes = 0;

	for (uint32_t i = 0; i < c->count; i++)
		bytes += c->segs[(c->head + i) % s->cfg.max_segs].len;
	*out = (struct mml_snoop_conn){
		.last_ack = c->last_ack,
		.next_seq = c->next_seq,
		.cached = c->count,
		.cached_bytes = bytes,
		.dupacks = c->dupacks,
		.expect_dupacks = c->expect_dupacks,
		.srtt_us = c->srtt_us,
		.rttvar_us = c->rttvar_us,
		.rto_ms = c->rto_ms,
		.last_data_ns = c->last_data_ns,
		.last_ack_ns = c->last_ack_ns,
		.updated_ns = now,
		.segs_cached = c->counters[SNOOP_C_CACHED],
		.rxmit_dupack = c->counters[SNOOP_C_RXMIT_DUPACK],
		.rxmit_timer = c->counters[SNOOP_C_RXMIT_TIMER],
		.rxmit_persist = c->counters[SNOOP_C_RXMIT_PERSIST],
		.dupacks_suppressed = c->counters[SNOOP_C_DUPACK_SUPPRESSED],
		.sender_rxmit = c->counters[SNOOP_C_SENDER_RXMIT],
	};
}

static void mirror(struct fa_worker *w, uint64_t now)
{
	struct mml_snoop_conn v;

	for (uint32_t i = 0; i < w->snoop.cfg.max_conns; i++) {
		const struct snoop_conn *c = &w->snoop.conns[i];

		/* Timers change connections without a packet: refresh those
		 * with segments cached on every pass. */
		if (!c->used || (!w->dirty[i] && !c->count))
			continue;
		conn_to_map(&w->snoop, c, &v, now);
		bpf_map_update_elem(w->conn_fd, &c->key, &v, BPF_ANY);
		w->dirty[i] = false;
	}
}

static void publish_counters(struct fa_worker *w)
{
	if (!w->stats)
		return;
	for (unsigned int k = 0; k < SNOOP_C_MAX; k++) {
		unsigned int i = stat_of_counter[k];

		w->stats[i] = w->stats_base[i] + w->snoop.counters[k];
	}
	w->stats[MML_SNOOP_STAT_TX_FULL] =
		w->stats_base[MML_SNOOP_STAT_TX_FULL] + w->frames.tx_full;
	w->stats[MML_SNOOP_STAT_RXMIT_DEFERRED] =
		w->stats_base[MML_SNOOP_STAT_RXMIT_DEFERRED] + w->frames.deferred;
}

static int machine_start(struct fa_worker *w)
{
	struct snoop_ops ops = {
		.xmit = snoop_xmit,
		.release = snoop_release,
		.conn_change = snoop_conn_change,
		.ctx = w,
	};
	int err;

	w->dirty = calloc(w->cfg.max_conns, sizeof(*w->dirty));
	if (!w->dirty)
		return -ENOMEM;
	err = snoop_init(&w->snoop, &w->cfg, &ops);
	if (err) {
		log_err("SNOOP state machine: %s", strerror(-err));
		return err;
	}
	w->snoop_ready = true;
	return 0;
}

static void machine_stop(struct fa_worker *w)
{
	if (w->snoop_ready) {
		for (unsigned int k = 0; k < SNOOP_C_MAX; k++)
			w->stats_base[stat_of_counter[k]] += w->snoop.counters[k];
		snoop_free(&w->snoop);
		w->snoop_ready = false;
	}
	free(w->dirty);
	w->dirty = NULL;
}

/* mmlctl snoop set bumped the generation: timers apply at once; a new
 * cache or table size, or SNOOP switched off, restarts the state machine
 * (the cached frames go, the connections are taken on again with their
 * next segment). */
static void follow_cfg(struct fa_worker *w)
{
	struct mml_snoop_cfg c;
	char why[160];

	if (mml_snoop_cfg_read(w->cfg_fd, &c) || c.gen == w->cfg.gen)
		return;
	if (mml_snoop_cfg_check(&c, why, sizeof(why))) {
		log_warn("%s: ignored: %s", MML_MAP_SNOOP_CFG, why);
		w->cfg.gen = c.gen;
		return;
	}
	count(w, MML_SNOOP_STAT_CFG_RELOAD);
	/* Switched off: XDP no longer sends ACKs, so cached frames would only
	 * be resent by the timers; drop them all. */
	if (c.max_segs != w->cfg.max_segs || c.max_conns != w->cfg.max_conns ||
	    (w->cfg.enabled && !c.enabled)) {
		machine_stop(w);
		w->cfg = c;
		if (machine_start(w))
			atomic_store(&w->stop, true);
		log_info("SNOOP restarted: %u segments x %u connections", c.max_segs, c.max_conns);
		return;
	}
	w->cfg = c;
	w->snoop.cfg = c;
	log_info("SNOOP configuration generation %u applied", c.gen);
}

#define FA_CFG_POLL_NS 100000000ull

int fa_worker_start(struct fa_worker *w)
{
	struct fa_frames_ops ops = {
		.tx = frames_tx,
		.free = frames_free,
		.mark = frames_mark,
		.ctx = w,
	};
	int err = fa_frames_init(&w->frames, EP_NUM_FRAMES, EP_FRAME_SIZE, &ops);

	if (err)
		return err;
	w->umem.tx_done = tx_done;
	w->umem.tx_done_ctx = w;
	return machine_start(w);
}

void fa_worker_stop(struct fa_worker *w)
{
	machine_stop(w);
	fa_frames_free(&w->frames);
}

uint64_t fa_worker_housekeeping(struct fa_worker *w, uint64_t now)
{
	uint64_t next = snoop_tick(&w->snoop, now);

	if (now >= w->next_mirror_ns) {
		mirror(w, now);
		w->next_mirror_ns = now + (uint64_t)w->cfg.mirror_ms * 1000000ull;
	}
	if (now >= w->next_cfg_ns) {
		follow_cfg(w);
		w->next_cfg_ns = now + FA_CFG_POLL_NS;
	}
	publish_counters(w);
	if (!next || next > w->next_mirror_ns)
		next = w->next_mirror_ns;
	return next < w->next_cfg_ns ? next : w->next_cfg_ns;
}

uint64_t fa_now_ns(void)
{
	return mono_ns();
}

int fa_event_cb(void *ctx, void *data, size_t size)
{
	return on_event(ctx, data, size);
}
