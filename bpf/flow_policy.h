/* The endpoints' receive policy for plaintext (issue 19, docs/endpoints.md
 * "Switching modes"): a plaintext packet of a flow whose mml_flow entry
 * accepts only ESP or ML-ESP was neither configured nor negotiated weaker
 * and is dropped here, before the stack sees it; one of an every-n flow
 * goes to the worker, the path of the flow's protected packets. Protected
 * packets are judged by the worker after decryption (worker/tables.c),
 * with the same entry and the same floor (mml_flow_rx_floor, maps/ep.h). */
#ifndef MML_BPF_FLOW_POLICY_H
#define MML_BPF_FLOW_POLICY_H

#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ep_maps.h"
#include "parse.h"

/* The key the worker would build for this packet (worker/proto.c
 * flow_key): home = the home address's side, ports of TCP and UDP unless
 * a later fragment, 0 otherwise. l4 follows the IPv4 header. */
static __always_inline void flow_key_of(struct mml_flow_key *k, const struct iphdr *iph,
					const void *l4, void *data_end, bool home_is_dst)
{
	__u16 sport = 0, dport = 0;

	__builtin_memset(k, 0, sizeof(*k));
	if ((iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) &&
	    !(iph->frag_off & bpf_htons(IP_OFFSET)) && l4 + 4 <= data_end) {
		sport = bpf_ntohs(*(const __u16 *)l4);
		dport = bpf_ntohs(*(const __u16 *)(l4 + 2));
	}
	k->proto = iph->protocol;
	k->home_addr = home_is_dst ? iph->daddr : iph->saddr;
	k->peer_addr = home_is_dst ? iph->saddr : iph->daddr;
	k->home_port = home_is_dst ? dport : sport;
	k->peer_port = home_is_dst ? sport : dport;
}

/* The most specific entry for k (the worker's tuple-space order: fewer
 * wildcards first, by shape number among equals, MML_FLOW_SHAPE_ORDER);
 * with no entry but the default, the class entry of the packet's DSCP
 * (mml_flow_dscp) comes before the default; NULL if none. One hash lookup
 * per wildcard shape some key was written with (mml_flow_shapes), the
 * exact one always, then one array lookup: only plaintext to or from a
 * home address pays it. The order is computed, not a table: a static array
 * here would be a .rodata variable whose BTF the kernel refuses (it
 * overlaps ep_cfg), and with it every map's BTF. */
static __always_inline const struct mml_flow *flow_match(const struct mml_flow_key *k, __u8 dscp)
{
	const __u32 deflt = MML_FLOW_SHAPES - 1;
	const struct mml_flow_shapes *shapes;
	const struct mml_flow *f;
	__u32 zero = 0, d = dscp & (MML_FLOW_DSCPS - 1);

	shapes = bpf_map_lookup_elem(&mml_flow_shapes, &zero);
	for (__u32 wild = 0; wild < 5; wild++) {
		for (__u32 shape = 0; shape < deflt; shape++) {
			struct mml_flow_key p = *k;

			if ((__u32)__builtin_popcount(shape) != wild)
				continue;
			if (shape && shapes && !shapes->seen[shape & (MML_FLOW_SHAPES - 1)])
				continue;
			mml_flow_key_mask(&p, shape);
			f = bpf_map_lookup_elem(&mml_flow, &p);
			if (f)
				return f;
		}
	}
	f = bpf_map_lookup_elem(&mml_flow_dscp, &d);
	if (f && (f->flags & MML_FLOW_F_DSCP))
		return f;
	if (shapes && !shapes->seen[deflt])
		return NULL;
	{
		struct mml_flow_key p = *k;

		mml_flow_key_mask(&p, deflt);
		return bpf_map_lookup_elem(&mml_flow, &p);
	}
}

/* The flow's entry f demands more than plaintext. */
static __always_inline bool flow_plain_refused(const struct mml_flow *f)
{
	return f && mml_flow_rx_floor(f) > MML_MODE_PLAIN;
}

/* The flow's entry f protects only every n-th packet: its plaintext goes
 * to the worker with the protected packets rather than straight to the
 * stack, or the two paths' different latencies reorder the flow at high
 * rates (TCP answers with duplicate ACKs and retransmits, docs/results.md
 * "Figs. 17 and 18"). Flows without such an entry keep the stack's path. */
static __always_inline bool flow_plain_to_worker(const struct mml_flow *f)
{
	return f && f->every_n > 1 && f->mode != MML_MODE_PLAIN;
}

#endif
