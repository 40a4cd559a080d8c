/* Reading and nudging a node's pinned maps that several programs share:
 * the worker generation (mml_gen), the per-CPU counters (mml_stats) and
 * the workers' counter rows (mml_wstats). Used by mmlctl and the tests;
 * opening goes through lib/pin.h's mml_pin_open_map. */
#ifndef MML_LIB_NODE_MAPS_H
#define MML_LIB_NODE_MAPS_H

#include <stdint.h>

/* Bump mml_gen so running workers reload their caches; every writer of
 * mml_csa, mml_binding or mml_flow calls it after a change. -ENOENT
 * when no endpoint role is attached. */
int mml_gen_bump(const char *pin_dir);

/* Every writer of mml_flow: the key's wildcard shape (its zero fields) is
 * noted in mml_flow_shapes (shapes_fd; -1 is enough for a key with no
 * zero field), then the entry written. The XDP receive policy probes only
 * noted shapes, so an entry written otherwise could be missed there.
 * 0 or -errno (-EBADF: a wildcard key without shapes_fd; nothing written). */
struct mml_flow_key;
struct mml_flow;
int mml_flow_put(int flow_fd, int shapes_fd, const struct mml_flow_key *k,
		 const struct mml_flow *f);

/* Delete the entries of mml_flow (flow_fd) that a worker learned from an
 * implicit upgrade (MML_FLOW_F_LEARNED) under key k, i.e. every field of k
 * either 0 or equal: a configured or agreed entry for those flows is what
 * is wanted now (docs/endpoints.md, "Switching modes"). Used by `mmlctl
 * flow add/del` and by mmlkeyd after a negotiated change. */
void mml_flow_forget_learned(int flow_fd, const struct mml_flow_key *k);

/* The writer of mml_flow_dscp (maps/ep.h): dscp's class entry set to f
 * (MML_FLOW_F_DSCP added), or cleared with f NULL. 0 or -errno (-EINVAL:
 * dscp above 63). The caller bumps mml_gen. */
int mml_flow_dscp_put(int dscp_fd, unsigned int dscp, const struct mml_flow *f);

/* Adds the workers' rows (mml_wstats, read through mmap while they run) to
 * out[MML_STATS_CAP]; -ENOENT if no worker map is pinned. */
int mml_wstats_add(const char *pin_dir, uint64_t *out);

/* Sum of one mml_stats counter over the CPUs; map_fd of a loaded role's
 * map (lib/role_loader.h) or a pinned one. */
int mml_stats_read(int map_fd, uint32_t stat, uint64_t *sum);

#endif
