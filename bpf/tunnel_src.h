/* Where a tunnel frame came from (issue 18 item 9, docs/security.md): the
 * outer source address is only a claim. What the data plane cannot
 * authenticate (plaintext, ESP it holds no key for) it takes only from the
 * way back to the claimed peer: the frame must arrive on the interface the
 * FIB would send to the peer through, from the MAC of that next hop (strict
 * reverse-path check, with the link-layer address too). */
#ifndef MML_BPF_TUNNEL_SRC_H
#define MML_BPF_TUNNEL_SRC_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "parse.h"

#ifndef AF_INET
#define AF_INET 2
#endif

/* Byte by byte: one side may be the FIB result on the stack at an odd
 * offset, where the verifier refuses a misaligned word. */
static __always_inline bool mac_equal(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;
	int i;

#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

/* True when the frame in ctx arrived through the next hop toward peer (as
 * local would send to it). With no neighbour entry for that hop yet the MAC
 * is unknown and only the interface is checked; with no route at all the
 * path cannot be checked and the answer is no. */
static __always_inline bool tunnel_from_peer(struct xdp_md *ctx, __u32 local, __u32 peer)
{
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct bpf_fib_lookup fib = {};
	int rc;

	if ((void *)(eth + 1) > (void *)(long)ctx->data_end)
		return false;
	fib.family = AF_INET;
	fib.l4_protocol = IPPROTO_IPIP;
	fib.ipv4_src = local;
	fib.ipv4_dst = peer;
	fib.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return false;
	if (fib.ifindex != ctx->ingress_ifindex)
		return false;
	return rc == BPF_FIB_LKUP_RET_NO_NEIGH || mac_equal(eth->h_source, fib.dmac);
}

#endif
