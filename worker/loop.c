/* One worker thread: poll the AF_XDP sockets of its queue on every port
 * and its TUN queue, move packets between them through lib's codec, and
 * follow configuration and routing changes between batches. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "lib/inet.h"
#include "lib/log.h"
#include "lib/node_maps.h"
#include "worker/gro.h"
#include "worker/gso.h"
#include "worker/pkt.h"
#include "worker/rx.h"
#include "worker/worker.h"

#define EP_REFRESH_NS 1000000000ull /* full reload even without a gen bump */
/* An idle thread still looks at mml_gen this often: a new binding's route
 * into the TUN device must exist before the HA's own first packet to the
 * MH (ML-IKE's IKE_SA_INIT right after the registration), and the map
 * cannot wake a poll(). 200 wake-ups a second cost nothing measurable. */
#define EP_IDLE_POLL_MS 5
#define EP_HOP_RETRY_NS 100000000ull

/* The clock of a CSA's add_time_ns (maps/csa.h). */
static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int port_of(const struct ep_node *n, int ifindex)
{
	for (int p = 0; p < n->nports; p++)
		if (n->ports[p].ifindex == ifindex)
			return p;
	return -1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool was_routed(const struct ep_thread *t, uint32_t home)
{
	return t->routed && bsearch(&home, t->routed, t->n_routed, sizeof(home), cmp_u32);
}

/* HA: every home address routed into the TUN device, so that what the
 * stack itself sends to an MH (and anything XDP did not steer) is
 * tunnelled by the TUN path, never forwarded in the clear. The route of a
 * binding that went (deregistered, expired) goes too: its home address is
 * no longer the tunnel's, and mobiles that come and go must not pile
 * routes up (make soak's synthetic mobiles found that). Only the changes
 * are asked of the kernel: bindings come and go by the hundred. */
static void ha_routes(struct ep_thread *t)
{
	const struct ep_bindtab *bt = &t->tab.binds;
	uint32_t *routed, n = 0;
	int tun_ifindex;

	if (t->node->role != EP_ROLE_HA || t->idx || !t->node->tun_name[0])
		return;
	tun_ifindex = (int)if_nametoindex(t->node->tun_name);
	if (!tun_ifindex)
		return;
	for (uint32_t i = 0; i < t->n_routed; i++)
		if (!ep_binding_get(bt, t->routed[i]))
			ep_nl_route_del(&t->nl, tun_ifindex, t->routed[i], 32);
	routed = malloc((bt->count ? bt->count : 1) * sizeof(*routed));
	for (uint32_t i = 0; bt->slots && i <= bt->mask; i++) {
		uint32_t home = bt->slots[i].home;

		if (!home)
			continue;
		/* Without memory for the list, every route is asked for again. */
		if (!routed || !was_routed(t, home))
			ep_nl_route_add(&t->nl, tun_ifindex, home, 32);
		if (routed && n < bt->count)
			routed[n++] = home;
	}
	if (!routed)
		return;
	qsort(routed, n, sizeof(*routed), cmp_u32);
	free(t->routed);
	t->routed = routed;
	t->n_routed = n;
}

int ep_thread_refresh(struct ep_thread *t)
{
	struct ep_node *n = t->node;
	int err = ep_sacache_refresh(&t->tab.sas, n->csa_fd);

	if (err >= 0) {
		t->tab.flows.now_ns = t->tab.now_ns;
		err = ep_flowtab_refresh(&t->tab.flows, n->flow_fd);
	}
	if (err >= 0)
		err = ep_flowtab_refresh_dscp(&t->tab.flows, n->flow_dscp_fd);
	if (err >= 0)
		err = ep_bindtab_refresh(&t->tab.binds, n->binding_fd);
	if (err < 0) {
		log_warn("reload of SAs/flows/bindings failed: %s", strerror(-err));
		return err;
	}
	ep_count(t, MML_STAT_EP_CACHE_RELOAD);
	return 0;
}

/* The peer switched a flow to a stronger mode: the entry this thread
 * already uses goes into mml_flow too, so that the other threads (at their
 * reload), the XDP programs (which refuse the flow's plaintext from now on)
 * and mmlctl flow list see it. Rare: once per flow and upgrade. */
void ep_flow_learned(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f)
{
	struct ep_thread *t = ctx;
	int err = 0;

	ep_count(t, MML_STAT_EP_FLOW_UPGRADE);
	err = mml_flow_put(t->node->flow_fd, t->node->flow_shapes_fd, k, f);
	if (!err)
		err = mml_gen_bump(t->node->pin.path);
	if (err)
		log_warn("learned flow upgrade not stored in mml_flow: %s", strerror(-err));
}

/* Routes, neighbours or links changed (a handoff): resolve again on use. */
static void hops_invalidate(struct ep_thread *t)
{
	for (int i = 0; i < EP_HOPS; i++) {
		t->hops[i].port = -1;
		t->hops[i].next_try_ns = 0;
	}
}

static struct ep_hop *hop_get(struct ep_thread *t, uint32_t dst)
{
	struct ep_hop *h = NULL;
	uint64_t now;
	int oif;

	for (int i = 0; i < EP_HOPS && !h; i++)
		if (t->hops[i].dst == dst)
			h = &t->hops[i];
	if (!h) {
		h = &t->hops[dst % EP_HOPS];
		memset(h, 0, sizeof(*h));
		h->dst = dst;
		h->port = -1;
	}
	if (h->port >= 0)
		return h;
	now = now_ns();
	if (now >= h->next_try_ns) {
		h->next_try_ns = now + EP_HOP_RETRY_NS;
		h->port = -1;
		if (!ep_nl_nexthop(&t->nl, dst, &oif, h->mac))
			h->port = port_of(t->node, oif);
	}
	return h;
}

/* p has EP_VNET_HDR_LEN bytes of headroom that are ours to overwrite: a
 * virtio_net_hdr saying "complete packet, no offload" goes there. stat
 * (the mode delivered) counts what was handed to the device; a failed
 * write also counts in ep_tun_tx_err. */
static void tun_write(struct ep_thread *t, uint8_t *p, size_t len, unsigned int stat)
{
	p -= EP_VNET_HDR_LEN;
	len += EP_VNET_HDR_LEN;
	memset(p, 0, EP_VNET_HDR_LEN);
	ep_count(t, stat);
	ep_count(t, write(t->tun_fd, p, len) == (ssize_t)len ? MML_STAT_EP_TUN_TX :
							       MML_STAT_EP_TUN_TX_ERR);
}

/* One write of what the coalescer holds: each segment in it counts as a
 * packet written, the write once if it was a super-packet. */
static void tun_flush(struct ep_thread *t)
{
	const uint8_t *p;
	uint16_t segs;
	size_t len;

	p = ep_gro_take(&t->gro, &len, &segs);
	if (!p)
		return;
	if (write(t->tun_fd, p, len) == (ssize_t)len) {
		t->stats[MML_STAT_EP_TUN_TX] += segs;
		if (segs > 1)
			ep_count(t, MML_STAT_EP_TUN_GRO);
	} else {
		t->stats[MML_STAT_EP_TUN_TX_ERR] += segs;
	}
}

/* A decrypted inner packet to the stack: into the coalescer (gro.h) when
 * it continues or starts a TCP super-packet, alone otherwise, in arrival
 * order either way. The coalescer is emptied at the end of each receive
 * batch (rx_port), so nothing waits for a packet that may never come. */
static void tun_deliver(struct ep_thread *t, uint8_t *p, size_t len, unsigned int stat)
{
	enum ep_gro_verdict v = EP_GRO_PASS;

	if (t->node->gro) {
		v = ep_gro_add(&t->gro, p, len);
		if (v == EP_GRO_FLUSH) {
			tun_flush(t);
			v = ep_gro_add(&t->gro, p, len); /* held, or passes: never flush again */
		}
	}
	if (v == EP_GRO_HELD) {
		ep_count(t, stat);
		return;
	}
	tun_flush(t);
	tun_write(t, p, len, stat);
}

/* Protect inner for binding b into a fresh frame: Ethernet, the Mobile IP
 * tunnel header if ipip_dst (HA), the tunnel payload; queue it on port. */
static void send_protected(struct ep_thread *t, int port, const uint8_t *dmac, uint32_t ipip_src,
			   uint32_t ipip_dst, const struct mml_binding *b, enum ep_side side,
			   const uint8_t *inner, size_t len)
{
	const struct ep_port *pt = &t->node->ports[port];
	size_t hdr = EP_ETH_HLEN + (ipip_dst ? EP_IP_HLEN : 0);
	struct ep_umem *u = &t->umem;
	unsigned int stat;
	uint64_t addr;
	uint8_t *f;
	ssize_t n;

	if (!ep_frame_alloc(u, &addr)) {
		ep_count(t, MML_STAT_EP_DROP_TX_FULL);
		return;
	}
	f = ep_frame(u, addr);
	n = ep_protect(&t->tab, side, b, inner, len, f + hdr, EP_FRAME_SIZE - hdr, &stat);
	if (n >= 0 && hdr - EP_ETH_HLEN + (size_t)n > pt->mtu) {
		n = -1;
		stat = MML_STAT_EP_DROP_TOO_BIG;
	}
	if (n < 0)
		goto drop;
	if (ipip_dst)
		inet_ip4_write(f + EP_ETH_HLEN, ipip_src, ipip_dst, EP_PROTO_IPIP,
			       (uint16_t)(n + EP_IP_HLEN), f[hdr + 1], t->tab.ip_id++, false,
			       EP_TTL);
	ep_eth_write(f, dmac, pt->mac);
	if (!ep_tx(u, port, addr, (uint32_t)(hdr + (size_t)n))) {
		stat = MML_STAT_EP_DROP_TX_FULL;
		goto drop;
	}
	ep_count(t, stat);
	return;
drop:
	ep_frame_free(u, addr);
	ep_count(t, stat);
}

static void ha_down(struct ep_thread *t, const struct ep_rx *rx, const struct mml_xsk_meta *m)
{
	const struct mml_binding *b;
	int port;

	if (m->flags & MML_META_NO_NEIGH) {
		struct ep_hop *h = hop_get(t, m->coa);

		(void)h; /* the lookup itself starts the resolution */
		ep_count(t, MML_STAT_EP_DROP_NO_NEIGH);
		return;
	}
	b = ep_binding_get(&t->tab.binds, rx->hdr.daddr);
	if (!b) {
		ep_count(t, MML_STAT_EP_DROP_NO_BINDING);
		return;
	}
	port = port_of(t->node, (int)m->ifindex);
	if (port < 0) {
		ep_count(t, MML_STAT_EP_XDP_NO_ROUTE);
		return;
	}
	if (ep_ip_ttl_dec(rx->ip)) {
		ep_count(t, MML_STAT_EP_DROP_TTL);
		return;
	}
	send_protected(t, port, m->dmac, m->ha_addr, m->coa, b, EP_SIDE_HA, rx->ip, rx->hdr.tot);
}

/* Protocol 50 at rx->ip (rx->len bytes up to the frame's or tunnel's end):
 * decrypt in place and hand the inner packet to the stack through the TUN
 * device. */
static void deliver(struct ep_thread *t, const struct ep_rx *rx)
{
	unsigned int stat;
	uint8_t *inner;
	ssize_t n;

	n = ep_unprotect(&t->tab, rx->side, t->node->home_addr, rx->tunnel_src, rx->ip, rx->len,
			 &inner, &stat);
	if (n < 0)
		ep_count(t, stat);
	else
		tun_deliver(t, inner, (size_t)n, stat);
}

/* Plaintext of an every-n flow: to the stack through the TUN device, in
 * turn with the flow's protected packets and through the same coalescer
 * (MH: to the home address; HA: forwarded to the CN as a decapsulated
 * uplink packet is). */
static void deliver_plain(struct ep_thread *t, const struct ep_rx *rx)
{
	unsigned int stat;
	ssize_t n;

	n = ep_plain_in(&t->tab, rx->side, t->node->home_addr, rx->tunnel_src, rx->ip, rx->len,
			&stat);
	if (n < 0)
		ep_count(t, stat);
	else
		tun_deliver(t, rx->ip, (size_t)n, stat);
}

/* desc: what XDP handed over, its metadata record then the frame. */
static void rx_frame(struct ep_thread *t, uint8_t *desc, uint32_t len)
{
	const struct mml_xsk_meta *m = (const void *)desc;
	struct ep_rx rx;

	if (len < sizeof(*m)) {
		ep_count(t, MML_STAT_EP_DROP_MALFORMED);
		return;
	}
	ep_rx_parse(t->node->role == EP_ROLE_HA, m, desc + sizeof(*m), len - sizeof(*m), &rx);
	if (rx.kind == EP_RX_HA_DOWN)
		ha_down(t, &rx, m);
	else if (rx.kind == EP_RX_DELIVER)
		deliver(t, &rx);
	else if (rx.kind == EP_RX_PLAIN)
		deliver_plain(t, &rx);
	else
		ep_count(t, rx.stat);
}

static bool rx_port(struct ep_thread *t, int p)
{
	struct ep_xsk *x = &t->umem.xsk[p];
	uint32_t idx, n = xsk_ring_cons__peek(&x->rx, EP_BATCH, &idx);

	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);

		rx_frame(t, ep_frame(&t->umem, d->addr), d->len);
		ep_frame_free(&t->umem, d->addr);
	}
	xsk_ring_cons__release(&x->rx, n);
	if (t->tun_fd >= 0)
		tun_flush(t);
	return n > 0;
}

/* A packet the stack routed into the TUN device: to a CN at the MH, to a
 * home address at the HA. */
static void tun_packet(struct ep_thread *t, const uint8_t *p, size_t len)
{
	bool mh = t->node->role == EP_ROLE_MH;
	const struct mml_binding *b;
	struct ep_hop *h;
	struct ep_ip ip;

	if (ep_ip_parse(p, len, &ip)) {
		ep_count(t, MML_STAT_EP_DROP_MALFORMED);
		return;
	}
	b = ep_binding_get(&t->tab.binds, mh ? ip.saddr : ip.daddr);
	if (!b) {
		ep_count(t, MML_STAT_EP_DROP_NO_BINDING);
		return;
	}
	h = hop_get(t, b->coa);
	if (h->port < 0) {
		ep_count(t, MML_STAT_EP_DROP_NO_NEIGH);
		return;
	}
	if (mh)
		send_protected(t, h->port, h->mac, 0, 0, b, EP_SIDE_MH, p, ip.tot);
	else
		send_protected(t, h->port, h->mac, b->ha_addr, b->coa, b, EP_SIDE_HA, p, ip.tot);
}

/* Up to a batch of reads, and at most EP_TUN_SEGS packets out of them
 * (a super-packet is cut into up to 64 KB / MSS segments), so that the TX
 * rings and the frame pool keep room. */
#define EP_TUN_SEGS 256

static bool tun_rx(struct ep_thread *t)
{
	uint32_t i, segs = 0;

	for (i = 0; i < EP_BATCH && segs < EP_TUN_SEGS && t->umem.nfree > EP_TUN_SEGS; i++) {
		ssize_t n = read(t->tun_fd, t->scratch, sizeof(t->scratch));
		const uint8_t *p;
		struct ep_gso g;
		size_t len;

		if (n <= 0)
			break;
		ep_count(t, MML_STAT_EP_TUN_RX);
		if (ep_gso_begin(&g, t->scratch, (size_t)n)) {
			ep_count(t, MML_STAT_EP_DROP_MALFORMED);
			continue;
		}
		while ((p = ep_gso_next(&g, t->segment, sizeof(t->segment), &len))) {
			tun_packet(t, p, len);
			segs++;
		}
	}
	return i > 0;
}

/* Thread 0 publishes the node-wide counters of the key store. */
static void count_node(struct ep_thread *t)
{
	struct ep_seqstore *s = &t->node->seqs;
	const uint64_t *v[3] = { &s->reservations, &s->seq_continued, &s->rx_resumed };
	static const unsigned int stat[3] = { MML_STAT_EP_SEQ_RESERVE, MML_STAT_EP_SEQ_CONTINUED,
					      MML_STAT_EP_RX_RESUMED };

	for (int i = 0; t->idx == 0 && i < 3; i++) {
		uint64_t r = __atomic_load_n(v[i], __ATOMIC_RELAXED);

		t->stats[stat[i]] += r - t->seen_node[i];
		t->seen_node[i] = r;
	}
}

static void maybe_refresh(struct ep_thread *t)
{
	uint64_t gen = t->node->gen ? *t->node->gen : 0, now;

	if (gen != t->seen_gen) {
		t->seen_gen = gen;
		if (!ep_thread_refresh(t))
			ha_routes(t);
		hops_invalidate(t);
		t->next_refresh_ns = now_ns() + EP_REFRESH_NS;
		return;
	}
	now = now_ns();
	if (now >= t->next_refresh_ns) {
		t->next_refresh_ns = now + EP_REFRESH_NS;
		ep_thread_refresh(t);
	}
}

void *ep_thread_main(void *arg)
{
	struct ep_thread *t = arg;
	struct ep_node *n = t->node;
	struct pollfd pfd[MML_XSK_PORTS + 2];
	int np = 0, tun_i = -1, nl_i = -1;
	bool busy = false;

	for (int p = 0; p < t->umem.nports; p++)
		pfd[np++] = (struct pollfd){ .fd = t->umem.xsk[p].fd, .events = POLLIN };
	if (t->tun_fd >= 0) {
		tun_i = np;
		pfd[np++] = (struct pollfd){ .fd = t->tun_fd, .events = POLLIN };
	}
	if (mml_rtnl_events_fd(&t->nl.rt) >= 0) {
		nl_i = np;
		pfd[np++] =
			(struct pollfd){ .fd = mml_rtnl_events_fd(&t->nl.rt), .events = POLLIN };
	}
	t->seen_gen = n->gen ? *n->gen : 0;
	ep_thread_refresh(t);
	ha_routes(t);
	hops_invalidate(t);
	t->next_refresh_ns = now_ns() + EP_REFRESH_NS;

	while (!atomic_load_explicit(&n->stop, memory_order_relaxed)) {
		if (!busy && poll(pfd, (nfds_t)np, EP_IDLE_POLL_MS) < 0 && errno != EINTR)
			break;
		maybe_refresh(t);
		count_node(t);
		t->tab.now_ns = boot_ns();
		if (nl_i >= 0 && (pfd[nl_i].revents & POLLIN) &&
		    mml_rtnl_events_read(&t->nl.rt, NULL, NULL) > 0)
			hops_invalidate(t);
		busy = false;
		for (int p = 0; p < t->umem.nports; p++)
			busy |= rx_port(t, p);
		if (tun_i >= 0)
			busy |= tun_rx(t);
		ep_umem_service(&t->umem);
		for (int i = 0; i < np; i++)
			pfd[i].revents = 0;
	}
	return NULL;
}
