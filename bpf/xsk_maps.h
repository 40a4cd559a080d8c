/* The AF_XDP redirect targets, shared by every role that has a worker
 * (endpoints: bpf/ep_maps.h; the FA's SNOOP: bpf/snoop.h): one definition so
 * both objects agree on the pinned maps' shape. Layout in maps/ep.h. */
#ifndef MML_BPF_XSK_MAPS_H
#define MML_BPF_XSK_MAPS_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "maps/ep.h"

/* port slot * MML_XSK_QUEUES + queue -> the worker's AF_XDP socket.
 * Written by the worker. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MML_XSK_MAX);
	__type(key, __u32);
	__type(value, __u32);
} mml_xsks SEC(".maps");

/* ifindex -> port slot of mml_xsks. Written by the worker. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_XSK_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} mml_xsk_slot SEC(".maps");

/* Room for a worker record of len bytes in front of the frame, written by
 * the caller at the returned pointer; NULL when there is none (the frame is
 * then as it was). The record travels inside the frame (bpf_xdp_adjust_head)
 * rather than as XDP metadata: kernels that refuse bpf_xdp_adjust_meta to
 * XDP programs exist (6.18.44 here), and AF_XDP copies both alike. Packet
 * pointers taken before this call are invalid after it. */
static __always_inline void *xsk_record_push(struct xdp_md *ctx, __u32 len)
{
	void *rec, *data_end;

	if (bpf_xdp_adjust_head(ctx, -(int)len))
		return NULL;
	rec = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (rec + len > data_end) {
		bpf_xdp_adjust_head(ctx, (int)len);
		return NULL;
	}
	return rec;
}

#endif
