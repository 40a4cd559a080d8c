/* The test bed's emulated wireless medium (tests/netns/, docs/testbed.md):
 * the air node's port table, read by tests/bed/bpf/air_fwd.bpf.c and written by
 * tests/netns/bed.sh through bpftool (pinned as air_ports). */
#ifndef MML_MAPS_AIR_H
#define MML_MAPS_AIR_H

#include "maps/types.h"

#define MML_AIR_PORTS_MAX 64

/* key: ingress ifindex (__u32) in the air namespace */
struct mml_air_port {
	__u32 target_ifindex; /* send out of this interface; 0: drop (not associated) */
	__u32 pad;
	__u64 forwarded; /* frames */
	__u64 dropped;	 /* frames */
};

MML_STATIC_ASSERT(sizeof(struct mml_air_port) == 24, "mml_air_port layout");

#endif
