/* Which XDP programs are a node's, for every role alike: a program is the
 * node's when it has the name of one of the roles' programs (lib/role.h)
 * *and* uses a map pinned in the node's directory. A name alone would let
 * one node take another's program off, or anyone's that happens to be
 * called the same. The rules that follow (docs/endpoints.md, docs/fa.md):
 * never replace or detach a program that is not the node's, detach removes
 * what attach created, and the pinned maps go when no program of the node
 * is left. Used by lib/role_loader.c. */
#ifndef MML_LIB_ROLE_OWNER_H
#define MML_LIB_ROLE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/role.h"

struct mml_role_owner {
	const char *pin_dir;		       /* NULL: private maps, nothing is ours */
	const struct mml_role *role;	       /* the role acted on */
	uint32_t map_ids[MML_ROLE_PINNED_MAX]; /* of role->pinned[i], 0 = not pinned */
};

/* Reads the ids of the role's maps pinned in pin_dir (missing ones are
 * skipped: with none pinned, nothing is ours). */
int mml_role_owner_init(struct mml_role_owner *o, const char *pin_dir, const struct mml_role *role);

/* Before attaching to ifindex in mode_flags (XDP_FLAGS_DRV_MODE or
 * XDP_FLAGS_SKB_MODE): -EBUSY (logged) if any program on the interface is
 * not one of the node's. For a role that replaces (role->replace), one of
 * ours in the other mode is detached (it would stay in force) and *old_fd
 * gets an fd of ours in this mode, to replace atomically
 * (XDP_FLAGS_REPLACE); otherwise *old_fd is 0 (attach with
 * XDP_FLAGS_UPDATE_IF_NOEXIST). The caller closes *old_fd. */
int mml_role_owner_prepare(const struct mml_role_owner *o, int ifindex, const char *ifname,
			   uint32_t mode_flags, int *old_fd);

/* Takes the node's program of this role off ifindex, in whichever mode it
 * runs, and only that program (XDP_FLAGS_REPLACE: one attached since the
 * check stays). Returns 1 when one was removed, 0 when the interface has no
 * XDP program, -EBUSY when its program is not one of the node's programs of
 * this role (logged if loud: the caller named the interface). */
int mml_role_owner_detach(const struct mml_role_owner *o, int ifindex, const char *ifname,
			  bool loud);

/* Detaches program prog_id from ifindex, whichever mode it runs in: 1 when
 * removed, 0 when the interface does not run it. */
int mml_role_owner_detach_id(int ifindex, const char *ifname, uint32_t prog_id);

/* After a detach: when no program of the node is loaded any more, attached
 * anywhere in any namespace, unlinks the role's pinned maps, keeping a map
 * another live program still uses (one shared with another role of the
 * node). Returns the number of the node's programs still loaded (0: the
 * maps were unpinned), or -errno. */
int mml_role_owner_unpin(const struct mml_role_owner *o);

#endif
