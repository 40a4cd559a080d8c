/* Endpoint XDP programs: mml_ha_cn on the HA's correspondent-side
 * interfaces, mml_ha_fa on its FA-side interfaces, mml_mh_wl on the MH's
 * wireless interfaces. The work is in ep.h. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "ep.h"

SEC("xdp")
int mml_ha_cn(struct xdp_md *ctx)
{
	return ha_cn(ctx);
}

SEC("xdp")
int mml_ha_fa(struct xdp_md *ctx)
{
	return ha_fa(ctx);
}

SEC("xdp")
int mml_mh_wl(struct xdp_md *ctx)
{
	return mh_wl(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
