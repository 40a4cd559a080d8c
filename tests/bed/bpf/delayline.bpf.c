/* The wan node's delay line (tests/bed/delayline/): every frame received on
 * an interface goes to the AF_XDP socket bound to its queue. Without a socket
 * the frame is dropped: a stopped delay line is a cut cable, never a silent
 * bypass of the delay. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} delay_xsks SEC(".maps");

SEC("xdp")
int delayline_rx(struct xdp_md *ctx)
{
	return bpf_redirect_map(&delay_xsks, ctx->rx_queue_index, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
