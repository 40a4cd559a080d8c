/* XDP_PASS for every frame. A veth only accepts frames that its peer
 * XDP_REDIRECTs into it (ndo_xdp_xmit) while it runs NAPI, i.e. while it has
 * an XDP program: the test bed's air node attaches this one to the ports
 * that face the FAs and the MH, whose own XDP programs redirect into veths. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
