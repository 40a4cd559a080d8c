/* The endpoints' XDP programs (DESIGN.md 4, docs/endpoints.md): the
 * workers behind the thin entry points of ep.bpf.c.
 *
 * HA, correspondent side: IPv4 to a registered home address goes to the
 * AF_XDP worker with the tunnel's next hop (FIB lookup of the care-of
 * address) in the frame's metadata. HA, FA side: IP-in-IP to us carrying
 * protocol 50 of an installed inbound SPI goes to the worker (which ties it
 * to its outer source); a plaintext reverse tunnel (RFC 3024) from a
 * binding's care-of address, through the next hop toward it, is
 * decapsulated here and given to the stack; any other IP-in-IP to us is
 * dropped. MH, wireless side: protocol 50 to the home address with an
 * installed inbound SPI goes to the worker; everything else (plaintext
 * mode, agent advertisements, ...) to the stack. At both, plaintext of a
 * flow protected every n-th packet goes to the worker too (flow_policy.h). */
#ifndef MML_BPF_EP_H
#define MML_BPF_EP_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ep_maps.h"
#include "flow_policy.h"
#include "parse.h"
#include "tunnel_src.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#define ESP_SPI_LEN 4

/* Load-time knobs (maps/ep.h), set by lib/role.c. */
const volatile struct mml_ep_cfg ep_cfg = {};

static __always_inline int ep_drop(__u32 stat)
{
	mml_count(stat);
	return XDP_DROP;
}

static __always_inline int ep_pass(__u32 stat)
{
	mml_count(stat);
	return XDP_PASS;
}

/* What the HA's correspondent-side program found for the worker. */
struct ep_down_hop {
	__u32 coa, ha_addr, ifindex;
	__u8 flags;
	const __u8 *dmac, *smac;
};

/* Hand the frame to the worker socket of this port and queue, with the
 * metadata record in front of it (hop: HA downlink only). Without a socket the
 * frame is dropped: at the endpoints the stack cannot do the worker's job.
 * The metadata is written field by field from scalars: clang 14 dropped the
 * stores of a struct copy from the stack into metadata memory. */
static __always_inline int ep_to_worker(struct xdp_md *ctx, __u8 kind,
					const struct ep_down_hop *hop)
{
	__u32 ifindex = ctx->ingress_ifindex, queue = ctx->rx_queue_index, key;
	struct mml_xsk_meta *meta;
	const __u32 *slot;

	slot = bpf_map_lookup_elem(&mml_xsk_slot, &ifindex);
	if (!slot || *slot >= MML_XSK_PORTS || queue >= MML_XSK_QUEUES)
		return ep_drop(MML_STAT_EP_XDP_NO_WORKER);
	key = *slot * MML_XSK_QUEUES + queue;
	if (!bpf_map_lookup_elem(&mml_xsks, &key))
		return ep_drop(MML_STAT_EP_XDP_NO_WORKER);
	meta = xsk_record_push(ctx, sizeof(*meta));
	if (!meta)
		return ep_drop(MML_STAT_EP_XDP_NO_WORKER);
	__builtin_memset(meta, 0, sizeof(*meta));
	meta->magic = MML_META_MAGIC;
	meta->kind = kind;
	meta->l3_off = ETH_HLEN;
	if (hop) {
		meta->flags = hop->flags;
		meta->coa = hop->coa;
		meta->ha_addr = hop->ha_addr;
		meta->ifindex = hop->ifindex;
		__builtin_memcpy(meta->dmac, hop->dmac, ETH_ALEN);
		__builtin_memcpy(meta->smac, hop->smac, ETH_ALEN);
	}
	mml_count(MML_STAT_EP_XDP_TO_WORKER);
	return bpf_redirect_map(&mml_xsks, key, XDP_DROP);
}

/* Plaintext of an every-n flow (flow_plain_to_worker) to the worker, as
 * is: at the HA still inside its Mobile IP tunnel, whose source the worker
 * checks again. */
static __always_inline int ep_plain_to_worker(struct xdp_md *ctx, __u8 kind)
{
	int ret = ep_to_worker(ctx, kind, NULL);

	if (ret != XDP_DROP)
		mml_count(MML_STAT_EP_XDP_PLAIN_TO_WORKER);
	return ret;
}

/* An IPv4 header we act on: version 4, sane header length, total length
 * inside the frame. Returns the header length or 0. */
static __always_inline __u32 ep_ipv4_ok(const struct iphdr *iph, void *data_end)
{
	__u32 hl = ipv4_hlen(iph), tot = bpf_ntohs(iph->tot_len);

	if (iph->version != 4 || hl < IPV4_MIN_HLEN || hl > IPV4_MAX_HLEN || tot < hl)
		return 0;
	if ((void *)iph + tot > data_end)
		return 0;
	return hl;
}

/* Protocol 50 at esp: an installed inbound SPI, or a counted drop. */
static __always_inline int ep_esp_known(const void *esp, void *data_end)
{
	const struct mml_csa *csa;
	__u32 spi;

	if (esp + ESP_SPI_LEN > data_end)
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	spi = bpf_ntohl(*(const __u32 *)esp);
	csa = bpf_map_lookup_elem(&mml_csa, &spi);
	if (!csa || csa->dir != MML_DIR_IN)
		return ep_drop(MML_STAT_EP_DROP_UNKNOWN_SPI);
	return FA_CONTINUE;
}

static __always_inline int ha_cn(struct xdp_md *ctx)
{
	struct bpf_fib_lookup fib = {};
	struct ep_down_hop hop = {};
	const struct mml_binding *b;
	struct iphdr *iph;
	struct cursor c;
	int rc;

	iph = cursor_eth_ipv4(&c, ctx);
	if (!iph)
		return XDP_PASS;
	b = bpf_map_lookup_elem(&mml_binding, &iph->daddr);
	if (!b)
		return XDP_PASS;
	if (!ep_ipv4_ok(iph, c.end))
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	if (b->expires_ns && bpf_ktime_get_boot_ns() > b->expires_ns)
		return ep_pass(MML_STAT_EP_XDP_EXPIRED);

	hop.coa = b->coa;
	hop.ha_addr = b->ha_addr;
	fib.family = AF_INET;
	fib.l4_protocol = IPPROTO_IPIP;
	fib.ipv4_src = b->ha_addr;
	fib.ipv4_dst = b->coa;
	fib.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* The worker drops it and starts the resolution. */
		hop.flags = MML_META_NO_NEIGH;
	} else if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		return ep_drop(MML_STAT_EP_XDP_NO_ROUTE);
	}
	hop.ifindex = fib.ifindex;
	hop.dmac = fib.dmac;
	hop.smac = fib.smac;
	return ep_to_worker(ctx, MML_META_HA_DOWN, &hop);
}

/* Plaintext reverse tunnel: drop the outer header, keep the Ethernet
 * addresses, let the stack forward the inner packet to the CN. */
static __always_inline int ha_fa_decap_plain(struct xdp_md *ctx, __u32 olen)
{
	struct ethhdr *eth, saved;
	struct cursor c;

	cursor_init(&c, ctx);
	eth = cursor_pull(&c, sizeof(*eth));
	if (!eth)
		return XDP_PASS;
	__builtin_memcpy(&saved, eth, sizeof(saved));
	if (bpf_xdp_adjust_head(ctx, (int)olen))
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	cursor_init(&c, ctx);
	eth = cursor_pull(&c, sizeof(*eth));
	if (!eth)
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	__builtin_memcpy(eth, &saved, sizeof(saved));
	return ep_pass(MML_STAT_EP_XDP_DECAP_PLAIN);
}

static __always_inline int ha_fa(struct xdp_md *ctx)
{
	const struct mml_binding *b;
	const struct mml_flow *f;
	struct iphdr *outer, *inner;
	struct mml_flow_key key;
	__u32 olen, ilen;
	struct cursor c;
	int ret;

	outer = cursor_eth_ipv4(&c, ctx);
	if (!outer || outer->protocol != IPPROTO_IPIP || outer->daddr != ep_cfg.ha_addr)
		return XDP_PASS;
	olen = ep_ipv4_ok(outer, c.end);
	if (!olen)
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	if (ipv4_is_fragment(outer))
		return ep_drop(MML_STAT_EP_XDP_FRAGMENT);
	inner = (void *)outer + olen;
	if ((void *)(inner + 1) > c.end)
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	ilen = ep_ipv4_ok(inner, c.end);
	if (!ilen)
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);

	if (inner->protocol == IPPROTO_ESP && inner->daddr == ep_cfg.ha_addr) {
		if (ipv4_is_fragment(inner))
			return ep_drop(MML_STAT_EP_XDP_FRAGMENT);
		ret = ep_esp_known((void *)inner + ilen, c.end);
		if (ret != FA_CONTINUE)
			return ret;
		return ep_to_worker(ctx, MML_META_HA_UP, NULL);
	}
	/* Plaintext carries no proof of origin: it is decapsulated into our
	 * stack only from the care-of address of its sender's binding, and
	 * only through the next hop toward that address (issue 18 item 9).
	 * Anything else tunnelled to us is dropped: the kernel cannot use it. */
	b = bpf_map_lookup_elem(&mml_binding, &inner->saddr);
	if (!b || b->coa != outer->saddr || !tunnel_from_peer(ctx, ep_cfg.ha_addr, b->coa))
		return ep_drop(MML_STAT_EP_DROP_TUNNEL_SRC);
	/* Even from its MH, plaintext of a protected flow was not agreed on. */
	flow_key_of(&key, inner, (void *)inner + ilen, c.end, false);
	f = flow_match(&key, inner->tos >> 2);
	if (flow_plain_refused(f))
		return ep_drop(MML_STAT_EP_DROP_DOWNGRADE);
	if (flow_plain_to_worker(f))
		return ep_plain_to_worker(ctx, MML_META_HA_UP_PLAIN);
	return ha_fa_decap_plain(ctx, olen);
}

/* MH: plaintext to the home address that its flow's entry refuses
 * (flow_policy.h). Mobile IP's registration replies (UDP from port 434)
 * authenticate themselves and come from whichever FA serves us, before any
 * binding names it: never judged by the flow table. Nor are agent
 * advertisements (ICMP type 9): an FA answers a solicitation unicast to the
 * home address, and the same advertisement broadcast is never judged (not
 * to the home address) and no more authentic. */
static __always_inline int mh_plain(struct xdp_md *ctx, struct iphdr *iph, void *data_end)
{
	const struct mml_flow *f;
	struct mml_flow_key key;
	__u32 hl = ep_ipv4_ok(iph, data_end);

	if (!hl)
		return XDP_PASS; /* the stack's to refuse */
	flow_key_of(&key, iph, (void *)iph + hl, data_end, true);
	if (key.proto == IPPROTO_UDP && key.peer_port == 434)
		return XDP_PASS;
	if (key.proto == IPPROTO_ICMP && !(iph->frag_off & bpf_htons(IP_OFFSET)) &&
	    (void *)iph + hl + 1 <= data_end && *((__u8 *)iph + hl) == 9)
		return XDP_PASS;
	f = flow_match(&key, iph->tos >> 2);
	if (flow_plain_refused(f))
		return ep_drop(MML_STAT_EP_DROP_DOWNGRADE);
	if (flow_plain_to_worker(f))
		return ep_plain_to_worker(ctx, MML_META_MH_PLAIN);
	return XDP_PASS;
}

static __always_inline int mh_wl(struct xdp_md *ctx)
{
	struct iphdr *iph;
	struct cursor c;
	__u32 hl;
	int ret;

	iph = cursor_eth_ipv4(&c, ctx);
	if (!iph || iph->daddr != ep_cfg.home_addr)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_ESP)
		return mh_plain(ctx, iph, c.end);
	hl = ep_ipv4_ok(iph, c.end);
	if (!hl)
		return ep_drop(MML_STAT_EP_DROP_MALFORMED);
	if (ipv4_is_fragment(iph))
		return ep_drop(MML_STAT_EP_XDP_FRAGMENT);
	ret = ep_esp_known((void *)iph + hl, c.end);
	if (ret != FA_CONTINUE)
		return ret;
	return ep_to_worker(ctx, MML_META_MH_DOWN, NULL);
}

#endif
