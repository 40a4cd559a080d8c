/* Which XDP programs are a node's endpoint programs, and the rules
 * `mmlctl ha|mh attach|detach` follow with them (docs/endpoints.md), the
 * same as the FA role's: never replace or detach a program that is not
 * ours, detach removes what attach created, and the pinned maps go when the
 * role is fully detached.
 *
 * A program is the node's when it has one of the endpoint programs' names
 * (mml_ha_cn, mml_ha_fa, mml_mh_wl) and uses a map pinned in the node's
 * directory. A name alone would let one node take another's program off,
 * or anyone's that happens to be called the same. */
#ifndef MML_LIB_EP_OWNER_H
#define MML_LIB_EP_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/ep_loader.h"

/* Mask of enum mml_ep_prog. */
#define MML_EP_PROGS_HA ((1u << MML_EP_PROG_HA_CN) | (1u << MML_EP_PROG_HA_FA))
#define MML_EP_PROGS_MH (1u << MML_EP_PROG_MH_WL)
#define MML_EP_PROGS_ALL (MML_EP_PROGS_HA | MML_EP_PROGS_MH)

struct mml_ep_owner {
	const char *pin_dir;
	const char *role;		       /* "ha", "mh", "endpoint": for messages */
	unsigned int progs;		       /* the programs this caller acts on */
	uint32_t map_ids[MML_EP_PINNED_COUNT]; /* of mml_ep_pinned[i], 0 = not pinned */
};

/* Reads the ids of the maps pinned in pin_dir (missing ones are skipped:
 * with none pinned, nothing is ours). */
int mml_ep_owner_init(struct mml_ep_owner *o, const char *pin_dir, const char *role,
		      unsigned int progs);

/* Before attaching to ifindex in mode_flags (XDP_FLAGS_DRV_MODE or
 * XDP_FLAGS_SKB_MODE): -EBUSY (logged) if any program on the interface is
 * not one of the node's; one of ours in the other mode is detached (it
 * would stay in force); *old_fd gets an fd of ours in this mode, to replace
 * atomically (XDP_FLAGS_REPLACE), or 0 when the interface has none (attach
 * with XDP_FLAGS_UPDATE_IF_NOEXIST). The caller closes *old_fd. */
int mml_ep_owner_prepare(const struct mml_ep_owner *o, int ifindex, const char *ifname,
			 uint32_t mode_flags, int *old_fd);

/* Takes the node's program (one of o->progs) off ifindex, in whichever mode
 * it runs, and only that program (XDP_FLAGS_REPLACE: one attached since the
 * check stays). Returns 1 when one was removed, 0 when the interface has no
 * XDP program, -EBUSY when its program is not one of ours (logged if loud:
 * the caller named the interface). */
int mml_ep_owner_detach(const struct mml_ep_owner *o, int ifindex, const char *ifname, bool loud);

/* The same on every interface of the current network namespace, silently
 * passing over other programs. Returns how many were removed, or -errno. */
int mml_ep_owner_detach_all(const struct mml_ep_owner *o);

/* After a detach: when no program of the node is loaded any more, attached
 * anywhere in any namespace, unlinks its pinned maps (keys, bindings, flows,
 * counters, sequence marks), keeping a map another live program still uses
 * (one shared with another role of the node). Returns the number of the
 * node's programs still loaded (0: the maps were unpinned), or -errno. */
int mml_ep_owner_unpin(const struct mml_ep_owner *o);

#endif
