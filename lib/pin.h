/* The per-node state directory in bpffs: <root>/<node>/, mode 0700 (its maps
 * hold keys), on a bpffs mounted if absent, locked while a loader changes it
 * so two loaders cannot race (STYLE.md). Shared by mmlctl, mmlworker and
 * mmlkeyd. */
#ifndef MML_LIB_PIN_H
#define MML_LIB_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/pin.h"

struct mml_pin_dir {
	char path[256]; /* <root>/<node> */
	int lock_fd;	/* -1 unless locked */
};

/* Fills dir->path; -ENAMETOOLONG or -EINVAL for a node name that is not a
 * plain name (letters, digits, '-', '_', '.', at most 64 characters). */
int mml_pin_dir_init(struct mml_pin_dir *dir, const char *root, const char *node);
/* Mounts bpffs at the root's mount point if needed and creates the node
 * directory with mode 0700 (tightening it if it exists). */
int mml_pin_dir_create(struct mml_pin_dir *dir);
/* Both, logged, for a process that works in the node directory without
 * changing what is attached (mmlworker). */
int mml_pin_dir_setup(struct mml_pin_dir *dir, const char *root, const char *node);
/* Exclusive lock on the node directory (flock), held while changing what is
 * attached so two loaders cannot race; wait: block until free, otherwise
 * -EWOULDBLOCK. Released by mml_pin_dir_unlock or on exit. */
int mml_pin_dir_lock(struct mml_pin_dir *dir, bool wait);
void mml_pin_dir_unlock(struct mml_pin_dir *dir);

/* The same on a plain path, for pin directories below a node's (e.g. one
 * per emulated link): mkdir -p with mode 0700 on a bpffs (mounted if
 * needed), and an exclusive lock returned as an fd to close. */
int mml_pin_mkdir(const char *path);
int mml_pin_lock_path(const char *path, bool wait);

/* The one way to open a pinned map: <dir>/<name> (a node directory's path
 * or one below it), its key and value sizes checked against the caller's;
 * a size of 0 is not checked (callers that only read the map's id, or that
 * take whatever shape a pinned map has). Returns the fd, -ENOENT when it is
 * not pinned (the role is not attached), -EPROTO (logged) when its shape
 * is not the one this build expects. */
int mml_pin_open_map(const char *dir, const char *name, uint32_t key_size, uint32_t value_size);

/* Removes <dir> if it is empty (after the last pinned object went away). */
int mml_pin_dir_remove_if_empty(struct mml_pin_dir *dir);

#endif
