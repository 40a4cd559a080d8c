/* Test bed check (tests/netns/test-bed.sh): the FA's future data path in
 * miniature. IPv4 frames entering the FA's wired interface get the MH's and
 * the FA wireless interface's MAC addresses (bed_redirect_macs) and are
 * XDP_REDIRECTed through a devmap into the FA's wireless veth. They must
 * still cross the air node's rate limiter and bit-error model. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define ETH_P_IP_BE 0x0008 /* htons(0x0800) on little-endian */

struct bed_macs {
	__u8 dst[6];
	__u8 src[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bed_redirect_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bed_macs);
} bed_redirect_macs SEC(".maps");

static __always_inline int redirect_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bed_macs *macs;
	__u32 key = 0;

	if ((void *)(eth + 1) > data_end || eth->h_proto != ETH_P_IP_BE)
		return XDP_PASS;
	macs = bpf_map_lookup_elem(&bed_redirect_macs, &key);
	if (!macs)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, macs->dst, sizeof(eth->h_dest));
	__builtin_memcpy(eth->h_source, macs->src, sizeof(eth->h_source));
	return bpf_redirect_map(&bed_redirect_ports, 0, XDP_PASS);
}

SEC("xdp")
int bed_redirect(struct xdp_md *ctx)
{
	return redirect_ipv4(ctx);
}

char LICENSE[] SEC("license") = "GPL";
