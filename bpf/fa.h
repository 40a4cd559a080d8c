/* The Foreign Agent's XDP data plane (DESIGN.md sections 2.1, 2.4, 4): the
 * workers behind the thin entry points of fa.bpf.c.
 *
 * Downlink (wired side): IP-in-IP from a visitor's HA to our care-of address
 * is decapsulated and redirected to the visitor's wireless interface. Uplink
 * (wireless side): packets from a visitor are reverse-tunnelled to its HA
 * (RFC 3024). In both directions the inner packet is never modified: ML-ESP
 * gets its zone 1 authenticated and decrypted into per-CPU scratch memory
 * (bpf/mlesp.h), plaintext is read in place, and the header goes to the
 * classifier hook (fa_classify). */
#ifndef MML_BPF_FA_H
#define MML_BPF_FA_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "mlesp.h"
#include "parse.h"
#include "snoop.h"
#include "tunnel_src.h"

#define AF_INET 2
#define FA_TUNNEL_TTL 64
#define MOBILE_IP_PORT 434
#define ICMP_ROUTER_SOLICITATION 10

/* Load-time knobs (maps/fa.h), set by lib/role.c. */
const volatile struct mml_fa_cfg fa_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mml_fa_seen);
} mml_fa_seen SEC(".maps");

static __always_inline struct mml_fa_seen *fa_seen(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&mml_fa_seen, &zero);
}

static __always_inline int fa_drop(__u32 stat)
{
	mml_count(stat);
	return XDP_DROP;
}

static __always_inline int fa_pass(__u32 stat)
{
	mml_count(stat);
	return XDP_PASS;
}

/* The classifier hook: the IPv4 (+ TCP) header in seen->hdr, len bytes,
 * read either from the verified zone-1 plaintext or from the packet. SNOOP
 * decides from this record once the frame is ready to leave (snoop_down,
 * snoop_up in bpf/snoop.h). */
static __always_inline void fa_classify(struct mml_fa_seen *seen, __u32 len, __u8 dir, __u8 via)
{
	const struct iphdr *iph = (const struct iphdr *)seen->hdr;
	const struct tcphdr *tcp;
	__u32 hl;

	seen->count++;
	seen->dir = dir;
	seen->via = via;
	seen->hdr_len = len;
	seen->flags = 0;
	seen->proto = 0;
	if (len < IPV4_MIN_HLEN || len > MML_Z1_MAX || iph->version != 4)
		return;
	seen->saddr = iph->saddr;
	seen->daddr = iph->daddr;
	seen->proto = iph->protocol;
	hl = ipv4_hlen(iph);
	if (iph->protocol != IPPROTO_TCP || hl < IPV4_MIN_HLEN ||
	    (iph->frag_off & bpf_htons(IP_OFFSET)))
		return;
	if (hl + sizeof(*tcp) > len) {
		if (via == MML_FA_VIA_MLESP)
			mml_count(MML_STAT_Z1_SHORT);
		return;
	}
	tcp = (const struct tcphdr *)&seen->hdr[hl];
	seen->sport = bpf_ntohs(tcp->source);
	seen->dport = bpf_ntohs(tcp->dest);
	seen->seq = bpf_ntohl(tcp->seq);
	seen->ack = bpf_ntohl(tcp->ack_seq);
	seen->window = bpf_ntohs(tcp->window);
	seen->tcp_flags = ((const __u8 *)tcp)[13];
	seen->flags = MML_FA_SEEN_TCP;
}

/* The packet inside the tunnel (downlink) or to be tunnelled (uplink), at
 * ip_off, already validated: check zone 1 if it is ML-ESP, hand its header to
 * the classifier. Returns FA_CONTINUE with the forwarding counter in
 * *fwd_stat, or a final verdict. */
static __always_inline int fa_inner(struct xdp_md *ctx, __u32 ip_off, const struct iphdr *iph,
				    const void *data_end, __u32 ihl, __u32 itot, __u8 dir,
				    __u32 *fwd_stat, struct mml_fa_seen *seen)
{
	__u32 n;
	int ret;

	seen->spi = 0;
	seen->esp_seq = 0;
	if (iph->protocol == IPPROTO_ESP) {
		if (ipv4_is_fragment(iph))
			return fa_drop(MML_STAT_DROP_FRAGMENT);
		ret = mlesp_zone1(ctx, (const void *)iph + ihl, data_end, ip_off + ihl, itot - ihl,
				  &fa_cfg, seen, fwd_stat);
		if (ret < 0)
			return fa_drop((__u32)-ret);
		if (*fwd_stat == MML_STAT_FWD_MLESP)
			fa_classify(seen, (__u32)ret, dir, MML_FA_VIA_MLESP);
		return FA_CONTINUE;
	}

	n = itot < MML_Z1_MAX ? itot : MML_Z1_MAX;
	if (n < IPV4_MIN_HLEN || bpf_xdp_load_bytes(ctx, ip_off, seen->hdr, n))
		return fa_drop(MML_STAT_DROP_TRUNCATED);
	fa_classify(seen, n, dir, MML_FA_VIA_PLAIN);
	*fwd_stat = MML_STAT_FWD_PLAIN;
	return FA_CONTINUE;
}

/* The visitor's first ML-ESP packet verified since mmlkeyd wrote its entry
 * (maps/visitor.h): how soon after a handoff the data plane serves it. Two
 * CPUs racing both write about the same time. */
static __always_inline void fa_note_verified(struct mml_visitor *vis, __u32 fwd_stat)
{
	if (fwd_stat == MML_STAT_FWD_MLESP && !vis->first_mlesp_ns)
		vis->first_mlesp_ns = bpf_ktime_get_boot_ns();
}

/* SNOOP's verdict for a frame ready to leave through ifindex (bpf/snoop.h):
 * to the FA worker or dropped; FA_CONTINUE forwards it here. A frame the
 * worker sends on still counts as forwarded. */
static __always_inline int fa_snoop_verdict(int ret, __u32 ifindex, __u32 fwd_stat,
					    struct mml_fa_seen *seen)
{
	if (ret != FA_CONTINUE && ret != XDP_DROP) {
		seen->out_ifindex = ifindex;
		mml_count(fwd_stat);
	}
	return ret;
}

static __always_inline int fa_redirect(__u32 ifindex, __u32 fwd_stat, struct mml_fa_seen *seen)
{
	int ret = bpf_redirect_map(&mml_ports, ifindex, 0);

	/* Not in mml_ports: the slower unbatched path still works. */
	if (ret != XDP_REDIRECT)
		ret = bpf_redirect(ifindex, 0);
	seen->out_ifindex = ifindex;
	mml_count(fwd_stat);
	return ret;
}

/* Common checks of an IPv4 header that carries a packet we forward: version,
 * header and total length, all of it inside the frame. */
static __always_inline int fa_check_ipv4(const struct iphdr *iph, void *data_end, __u32 bad_stat)
{
	__u32 hl = ipv4_hlen(iph), tot = bpf_ntohs(iph->tot_len);

	if (iph->version != 4 || hl < IPV4_MIN_HLEN || tot < hl)
		return fa_drop(bad_stat);
	if ((void *)iph + tot > data_end)
		return fa_drop(MML_STAT_DROP_TRUNCATED);
	return FA_CONTINUE;
}

static __always_inline int fa_down_tunnel(struct xdp_md *ctx, struct iphdr *outer, void *data_end)
{
	__u32 olen = ipv4_hlen(outer), otot = bpf_ntohs(outer->tot_len), ihl, itot, ifindex;
	__u32 fwd_stat = MML_STAT_FWD_PLAIN;
	struct mml_visitor *vis;
	struct mml_fa_seen *seen;
	struct iphdr *inner;
	struct ethhdr *eth;
	struct cursor c;
	int ret;

	ret = fa_check_ipv4(outer, data_end, MML_STAT_DROP_MALFORMED_OUTER);
	if (ret != FA_CONTINUE)
		return ret;
	if (ipv4_is_fragment(outer))
		return fa_drop(MML_STAT_DROP_FRAGMENT);
	if (olen > IPV4_MAX_HLEN || otot < olen + IPV4_MIN_HLEN)
		return fa_drop(MML_STAT_DROP_MALFORMED_OUTER);
	inner = (void *)outer + olen;
	if ((void *)(inner + 1) > data_end)
		return fa_drop(MML_STAT_DROP_TRUNCATED);
	ret = fa_check_ipv4(inner, data_end, MML_STAT_DROP_MALFORMED_INNER);
	if (ret != FA_CONTINUE)
		return ret;
	ihl = ipv4_hlen(inner);
	itot = bpf_ntohs(inner->tot_len);
	if (itot > otot - olen)
		return fa_drop(MML_STAT_DROP_MALFORMED_INNER);

	/* Tunnelled traffic for a visitor comes from its HA only (issue 18
	 * item 9). Dropped, not passed: the stack has nothing to do with it. */
	vis = bpf_map_lookup_elem(&mml_visitor, &inner->daddr);
	if (!vis)
		return fa_pass(MML_STAT_PASS_NOT_VISITOR);
	if (vis->ha_addr != outer->saddr)
		return fa_drop(MML_STAT_DROP_FOREIGN_TUNNEL);
	/* What zone 1 cannot vouch for, the source address alone does not
	 * either: plaintext is checked here, before it is classified, opaque
	 * ESP after fa_inner has told it from ML-ESP. */
	if (inner->protocol != IPPROTO_ESP && !tunnel_from_peer(ctx, fa_cfg.coa, vis->ha_addr))
		return fa_drop(MML_STAT_DROP_FOREIGN_TUNNEL);
	seen = fa_seen();
	if (!seen)
		return XDP_ABORTED;

	ret = fa_inner(ctx, ETH_HLEN + olen, inner, data_end, ihl, itot, MML_FA_DOWN, &fwd_stat,
		       seen);
	if (ret != FA_CONTINUE)
		return ret;
	if ((fwd_stat == MML_STAT_FWD_ESP || fwd_stat == MML_STAT_FWD_UNKNOWN_SPI) &&
	    !tunnel_from_peer(ctx, fa_cfg.coa, vis->ha_addr))
		return fa_drop(MML_STAT_DROP_FOREIGN_TUNNEL);
	fa_note_verified(vis, fwd_stat);

	/* Decapsulate: drop the outer IPv4 header, new Ethernet header in
	 * front of the untouched inner packet. */
	ifindex = vis->ifindex;
	if (bpf_xdp_adjust_head(ctx, (int)olen))
		return fa_drop(MML_STAT_DROP_MALFORMED_OUTER);
	cursor_init(&c, ctx);
	eth = cursor_pull(&c, sizeof(*eth));
	if (!eth)
		return fa_drop(MML_STAT_DROP_TRUNCATED);
	__builtin_memcpy(eth->h_dest, vis->mh_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, vis->fa_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	ret = fa_snoop_verdict(snoop_down(ctx, seen, ifindex), ifindex, fwd_stat, seen);
	if (ret != FA_CONTINUE)
		return ret;
	return fa_redirect(ifindex, fwd_stat, seen);
}

static __always_inline int fa_down(struct xdp_md *ctx)
{
	struct iphdr *outer;
	struct cursor c;

	outer = cursor_eth_ipv4(&c, ctx);
	if (!outer || outer->protocol != IPPROTO_IPIP || outer->daddr != fa_cfg.coa)
		return XDP_PASS;
	mml_count(MML_STAT_RX_DOWN);
	return fa_down_tunnel(ctx, outer, c.end);
}

/* Uplink packets the FA's own stack must see: to one of our addresses,
 * multicast/broadcast, Mobile IP registration (UDP 434) and agent
 * solicitation (ICMP router solicitation). */
static __always_inline bool fa_up_is_local(const struct iphdr *iph, void *data_end)
{
	void *l4 = (void *)iph + ipv4_hlen(iph);
	__u32 dst = iph->daddr;
	int i;

	if (dst == fa_cfg.coa || dst == 0xffffffff || (bpf_ntohl(dst) >> 28) == 0xe)
		return true;
#pragma unroll
	for (i = 0; i < MML_FA_LOCAL_ADDRS; i++)
		if (fa_cfg.local_addrs[i] && dst == fa_cfg.local_addrs[i])
			return true;
	if (ipv4_is_fragment(iph))
		return false;
	if (iph->protocol == IPPROTO_UDP) {
		const struct udphdr *udp = l4;

		return (void *)(udp + 1) <= data_end && udp->dest == bpf_htons(MOBILE_IP_PORT);
	}
	if (iph->protocol == IPPROTO_ICMP) {
		const __u8 *type = l4;

		return (void *)(type + 1) <= data_end && *type == ICMP_ROUTER_SOLICITATION;
	}
	return false;
}

/* Reverse tunnel (RFC 2003 / 3024): outer IPv4 CoA -> HA in front of the
 * untouched packet, next hop and MACs from the kernel's FIB. */
static __always_inline int fa_up_encap(struct xdp_md *ctx, const struct iphdr *iph, __u32 itot,
				       __u32 ha_addr, __u32 fwd_stat, struct mml_fa_seen *seen)
{
	struct bpf_fib_lookup fib = {};
	__u16 id = iph->id, df = iph->frag_off & bpf_htons(IP_DF);
	__u8 tos = iph->tos;
	struct iphdr *outer;
	struct ethhdr *eth;
	struct cursor c;
	int rc;

	fib.family = AF_INET;
	fib.tos = tos;
	fib.l4_protocol = IPPROTO_IPIP;
	fib.tot_len = (__u16)(itot + sizeof(*outer));
	fib.ipv4_src = fa_cfg.coa;
	fib.ipv4_dst = ha_addr;
	fib.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return fa_drop(MML_STAT_DROP_TOO_BIG);
	/* No route or no neighbour entry yet: the stack forwards the packet
	 * natively (and resolves the neighbour); for ML-ESP/ESP the inner
	 * destination is the HA itself, so it still arrives. */
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return fa_pass(MML_STAT_PASS_NO_ROUTE);

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*outer)))
		return fa_drop(MML_STAT_DROP_TOO_BIG);
	cursor_init(&c, ctx);
	eth = cursor_pull(&c, sizeof(*eth));
	outer = cursor_pull(&c, sizeof(*outer));
	if (!eth || !outer)
		return fa_drop(MML_STAT_DROP_TRUNCATED);
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	*(__u8 *)outer = 0x45; /* version 4, IHL 5 */
	outer->tos = tos;
	outer->tot_len = bpf_htons((__u16)(itot + sizeof(*outer)));
	outer->id = id;
	outer->frag_off = df;
	outer->ttl = FA_TUNNEL_TTL;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = fa_cfg.coa;
	outer->daddr = ha_addr;
	outer->check = ipv4_csum20(outer);
	rc = fa_snoop_verdict(snoop_up(ctx, seen, fib.ifindex), fib.ifindex, fwd_stat, seen);
	if (rc != FA_CONTINUE)
		return rc;
	return fa_redirect(fib.ifindex, fwd_stat, seen);
}

static __always_inline bool fa_from_visitor(struct xdp_md *ctx, const struct mml_visitor *vis)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return false;
	return ctx->ingress_ifindex == vis->ifindex && mac_equal(eth->h_source, vis->mh_mac);
}

static __always_inline int fa_up(struct xdp_md *ctx)
{
	__u32 fwd_stat = MML_STAT_FWD_PLAIN, ihl, itot, ha_addr;
	struct mml_visitor *vis;
	struct mml_fa_seen *seen;
	struct iphdr *iph;
	struct cursor c;
	int ret;

	iph = cursor_eth_ipv4(&c, ctx);
	if (!iph)
		return XDP_PASS;
	vis = bpf_map_lookup_elem(&mml_visitor, &iph->saddr);
	if (!vis)
		return XDP_PASS;
	mml_count(MML_STAT_RX_UP);
	ret = fa_check_ipv4(iph, c.end, MML_STAT_DROP_MALFORMED_INNER);
	if (ret != FA_CONTINUE)
		return ret;
	/* Counted, so that every rx_up has its outcome (the random-packet
	 * mode of bpf-fa checks that of any frame). */
	if (fa_up_is_local(iph, c.end))
		return fa_pass(MML_STAT_PASS_LOCAL);
	/* The visitor's address is only a claim: what is reverse-tunnelled in
	 * its name comes from its MAC, on its interface (issue 18 item 9). The
	 * MH's registrations went to the stack above. */
	if (!fa_from_visitor(ctx, vis))
		return fa_drop(MML_STAT_DROP_VISITOR_SPOOF);
	ihl = ipv4_hlen(iph);
	itot = bpf_ntohs(iph->tot_len);
	ha_addr = vis->ha_addr;
	seen = fa_seen();
	if (!seen)
		return XDP_ABORTED;

	ret = fa_inner(ctx, ETH_HLEN, iph, c.end, ihl, itot, MML_FA_UP, &fwd_stat, seen);
	if (ret != FA_CONTINUE)
		return ret;
	fa_note_verified(vis, fwd_stat);
	return fa_up_encap(ctx, iph, itot, ha_addr, fwd_stat, seen);
}

#endif
