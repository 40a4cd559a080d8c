/* The data plane's maps, defined once for every BPF object so that two
 * objects reusing a pinned map agree on its type, sizes and flags (libbpf
 * refuses to reuse a pinned map whose parameters differ). Layouts come from
 * maps/; names from maps/pin.h (DESIGN.md section 3). */
#ifndef MML_BPF_MAPS_H
#define MML_BPF_MAPS_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "maps/csa.h"
#include "maps/fa.h"
#include "maps/stats.h"
#include "maps/visitor.h"

#ifndef MML_CSA_MAX
#define MML_CSA_MAX 4096
#endif
#ifndef MML_PORTS_MAX
#define MML_PORTS_MAX 64
#endif

/* SPI (host byte order, = struct mml_csa.spi) -> CSA. Written by mmlkeyd /
 * mmlctl. Not preallocated: a prealloc hash recycles a replaced element at
 * once, so a reader could see half of a rekeyed CSA; without prealloc the old
 * element lives until readers are done (RCU). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_CSA_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mml_csa);
} mml_csa SEC(".maps");

/* Home address (network order) -> visitor. Written by mmlkeyd on
 * registration, read by the FA programs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MML_VISITOR_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct mml_visitor);
} mml_visitor SEC(".maps");

/* enum mml_stat -> per-CPU counter. Written by the programs only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MML_STATS_CAP);
	__type(key, __u32);
	__type(value, __u64);
} mml_stats SEC(".maps");

/* ifindex -> egress device for XDP_REDIRECT. Written by the loader for
 * every interface it attaches to. (The kernel adds BPF_F_RDONLY_PROG to a
 * devmap's flags after creation, which libbpf 1.1 takes for a parameter
 * mismatch when reusing the pin: lib/role_loader.c reuses it by hand.) */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, MML_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} mml_ports SEC(".maps");

static __always_inline void mml_count(__u32 stat)
{
	__u64 *counter = bpf_map_lookup_elem(&mml_stats, &stat);

	if (counter)
		*counter += 1;
}

#endif
