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

#endif
