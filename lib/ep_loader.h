/* Loading and attaching the endpoint XDP programs (bpf/ep.bpf.c) and opening
 * their pinned maps: what `mmlctl ha|mh attach|detach` and mmlworker use.
 * Every map is pinned by name under <pin_root>/<node>/ (maps/pin.h), so the
 * programs, the worker and mmlctl share one state store; a later load
 * reuses the pinned maps. */
#ifndef MML_LIB_EP_LOADER_H
#define MML_LIB_EP_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "maps/ep.h"

enum mml_ep_prog {
	MML_EP_PROG_HA_CN, /* HA, correspondent side */
	MML_EP_PROG_HA_FA, /* HA, FA side */
	MML_EP_PROG_MH_WL, /* MH, wireless side */
};

/* The maps pinned by name in the node directory (maps/pin.h); the rest of
 * the programs' maps (the FA's mml_ports and mml_visitor that come with
 * bpf/maps.h) stay private: a pinned devmap cannot be reused, the kernel
 * reports other flags than libbpf asks for. */
#define MML_EP_PINNED_COUNT 9
extern const char *const mml_ep_pinned[MML_EP_PINNED_COUNT];

/* Load the programs with cfg and every map pinned under pin_dir (created or
 * reused), without attaching: creates the maps for mmlctl. */
int mml_ep_create_maps(const char *pin_dir);

/* Load with cfg, attach prog to ifname in native mode (SKB mode if skb),
 * replacing a program of this node's already there (lib/ep_owner.h) and
 * refusing (-EBUSY) an interface that runs someone else's. The attachment
 * outlives the caller (like `ip link set xdp`); detaching is
 * lib/ep_owner.h's. */
int mml_ep_attach(const char *pin_dir, enum mml_ep_prog prog, const char *ifname,
		  const struct mml_ep_cfg *cfg, int skb);

#endif
