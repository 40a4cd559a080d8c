/* The air node's L2-transparent forwarding (docs/testbed.md): a frame that
 * enters a port leaves, unchanged (MAC addresses included), through the
 * port's target from the air_ports map, or is dropped when the target is 0
 * (the MH is not associated with that cell). The test bed switches targets
 * to make a handoff. Attached with TC direct action at ingress, after the
 * bit-error filter where there is one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "tests/bed/maps/air.h"

#define TC_ACT_SHOT 2

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_AIR_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct mml_air_port);
} air_ports SEC(".maps");

static __always_inline int air_forward(__u32 ingress_ifindex)
{
	struct mml_air_port *port = bpf_map_lookup_elem(&air_ports, &ingress_ifindex);

	if (!port)
		return TC_ACT_SHOT;
	if (!port->target_ifindex) {
		__sync_fetch_and_add(&port->dropped, 1);
		return TC_ACT_SHOT;
	}
	__sync_fetch_and_add(&port->forwarded, 1);
	return bpf_redirect(port->target_ifindex, 0);
}

SEC("tc")
int air_fwd(struct __sk_buff *skb)
{
	return air_forward(skb->ingress_ifindex);
}

char LICENSE[] SEC("license") = "GPL";
