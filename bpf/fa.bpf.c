/* Foreign Agent XDP programs: mml_fa_down on the wired interface (HA side),
 * mml_fa_up on the wireless interfaces (MH side). The work is in fa.h. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "fa.h"

SEC("xdp")
int mml_fa_down(struct xdp_md *ctx)
{
	return fa_down(ctx);
}

SEC("xdp")
int mml_fa_up(struct xdp_md *ctx)
{
	return fa_up(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
