/* Loading, attaching and detaching a role's XDP programs (the table in
 * lib/role.h), for mmlctl and the tests:
 *
 *   struct mml_role_obj *o;
 *   mml_role_load(MML_ROLE_FA, &cfg, dir.path, &o);  dir: lib/pin.h, created, locked
 *   mml_role_attach(o, MML_FA_WIRED, eth0, false);   false: native, true: skb mode
 *   mml_role_attach(o, MML_FA_WIRELESS, wlan0, false);
 *   mml_role_unload(o);          programs stay attached, pinned maps stay
 *   ...
 *   mml_role_detach(dir.path, MML_ROLE_FA, NULL, 0); every interface here
 *
 * Attachments hold their own reference to the programs, so the data plane
 * keeps running after the loader exits (like `ip link set xdp`); the maps
 * are found again by pin, with their state. Whose program is whose:
 * lib/role_owner.h. */
#ifndef MML_LIB_ROLE_LOADER_H
#define MML_LIB_ROLE_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/role.h"

struct mml_role_obj;

/* Open the role's skeleton with cfg as rodata (struct mml_fa_cfg with its
 * coa set, or struct mml_ep_cfg) and load it. pin_dir NULL: private maps
 * (tests); otherwise the role's pinned maps are reused from pin_dir when
 * pinned there already (a shape that differs fails the load), created and
 * pinned otherwise. */
int mml_role_load(enum mml_role_id id, const void *cfg, const char *pin_dir,
		  struct mml_role_obj **out);

/* Capacities of the state maps (max_entries), 0 = the build's default
 * (MML_CSA_MAX, MML_BINDING_MAX, MML_VISITOR_MAX, MML_FLOW_MAX). csa sizes
 * mml_csa and mml_seq_hwm (one entry per outbound CSA), and mml_rx_mark
 * above its default MML_RX_MARKS (one mark per inbound CSA); flow sizes
 * mml_flow and mml_flow_ctr (two counter slots per entry). A map already
 * pinned with another size fails the load: the operator detaches the role
 * (which unpins) to resize. docs/operations.md "Map sizing". */
struct mml_map_sizes {
	uint32_t csa, binding, visitor, flow;
};
#define MML_MAP_SIZE_MAX (1u << 22)
/* As mml_role_load with sizes (NULL: defaults). */
int mml_role_load_sized(enum mml_role_id id, const void *cfg, const char *pin_dir,
			const struct mml_map_sizes *sizes, struct mml_role_obj **out);
/* Closes the loader's handles; attachments and pins are not touched. NULL
 * is fine. */
void mml_role_unload(struct mml_role_obj *o);

/* The generated skeleton (struct fa *, struct ep *) for direct access. */
void *mml_role_skel(const struct mml_role_obj *o);
/* The fd of one of the loaded object's maps by name, or -ENOENT. */
int mml_role_map_fd(const struct mml_role_obj *o, const char *name);

/* Attach the program of slot (enum mml_fa_side, ...) to ifindex in native
 * mode (skb: generic), making ifindex a redirect target in mml_ports for a
 * role that has one. Never replaces a program that is not the node's
 * (-EBUSY); one of the node's is replaced atomically or refused, as the
 * role says (struct mml_role.replace). */
int mml_role_attach(struct mml_role_obj *o, unsigned int slot, int ifindex, bool skb);
/* Detach exactly this object's program of slot from ifindex, in whichever
 * mode it runs (for loads with private maps, which own nothing by pin). */
int mml_role_detach_prog(struct mml_role_obj *o, unsigned int slot, int ifindex);

/* Take the node's programs of the role off the n interfaces of ifindex (a
 * program that is not the node's of this role there: -EBUSY, logged), or
 * with n == 0 off every interface of the current network namespace
 * (passing over other programs silently). Then, when no program of the
 * node is loaded anywhere any more, unpin the role's maps. Returns the
 * number of the node's programs still loaded (0: unpinned), or -errno. */
int mml_role_detach(const char *pin_dir, enum mml_role_id id, const uint32_t *ifindex, int n);

#endif
