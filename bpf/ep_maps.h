/* Maps of the endpoint roles (HA, MH), beside the shared ones of maps.h.
 * Layouts in maps/ep.h, pin names in maps/pin.h. */
#ifndef MML_BPF_EP_MAPS_H
#define MML_BPF_EP_MAPS_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "maps/ep.h"
#include "xsk_maps.h" /* mml_xsks, mml_xsk_slot */

/* Home address (network order) -> binding. Written by mmlctl / mmlkeyd,
 * read by the HA program and both workers. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_BINDING_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mml_binding);
} mml_binding SEC(".maps");

/* Inner 5-tuple (maps/ep.h) -> mode. Written by mmlctl, read by workers. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MML_FLOW_MAX);
	__type(key, struct mml_flow_key);
	__type(value, struct mml_flow);
} mml_flow SEC(".maps");

/* Which wildcard shapes (maps/ep.h MML_FLOW_SHAPE_ORDER) some mml_flow key
 * was written with (lib/node_maps.h mml_flow_put; never cleared: a shape
 * no entry has any more costs a probe, nothing else). The XDP receive
 * policy probes only those (bpf/flow_policy.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mml_flow_shapes);
} mml_flow_shapes SEC(".maps");

/* The workers' per-flow counters, slots of struct mml_flow_ctr (maps/ep.h,
 * lib/flow_ctr.h). Written by the workers through mmap, read by mmlctl
 * flow list; no program touches it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MML_FLOW_CTRS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mml_flow_ctr);
} mml_flow_ctr SEC(".maps");

/* DSCP of the inner packet -> the class's flow policy (maps/ep.h), for
 * packets no non-default mml_flow entry matches. Written by mmlctl and
 * mmlkeyd (lib/node_maps.h mml_flow_dscp_put), read by the XDP receive
 * policy and the workers. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MML_FLOW_DSCPS);
	__type(key, __u32);
	__type(value, struct mml_flow);
} mml_flow_dscp SEC(".maps");

/* Configuration generation, bumped by every writer (maps/ep.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} mml_gen SEC(".maps");

/* Worker counters, a row per thread (maps/ep.h). Written by the worker
 * through mmap, read by mmlctl stats. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MML_WSTATS_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} mml_wstats SEC(".maps");

/* Outbound key fingerprint -> reserved sequence high-water mark. Written
 * by the worker; never deleted (a key may come back). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_CSA_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mml_key_fp);
	__type(value, struct mml_seq_hwm);
} mml_seq_hwm SEC(".maps");

/* Inbound key fingerprint and highest accepted sequence number, slots of
 * struct mml_rx_mark in an array of __u64 (maps/ep.h). Written by the
 * worker through mmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MML_RX_MARK_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} mml_rx_mark SEC(".maps");

/* Outbound SPI -> its soft packet limit passed (maps/ep.h). Written by the
 * worker, read and emptied by mmlkeyd. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_REKEY_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mml_rekey);
} mml_rekey SEC(".maps");

#endif
