/* The wireless link's bit-error model (tests/bed/bpf/link_ber.h) as a TC classifier and
 * as an XDP program. Both see the whole Ethernet frame. In TC a surviving
 * frame gets TC_ACT_UNSPEC, so classification continues with the next filter
 * of the hook (the test bed forwards it from there); a lost one is shot. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "link_ber.h"

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2

SEC("tc")
int link_ber_tc(struct __sk_buff *skb)
{
	return ber_frame_survives(skb->len) ? TC_ACT_UNSPEC : TC_ACT_SHOT;
}

SEC("xdp")
int link_ber_xdp(struct xdp_md *ctx)
{
	return ber_frame_survives((__u32)bpf_xdp_get_buff_len(ctx)) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
