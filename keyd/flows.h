/* mmlkeyd's configured flow policy (issue 19, docs/endpoints.md "Switching
 * modes"): the top-level "flows" list, written into mml_flow (5-tuple
 * entries) and mml_flow_dscp (classes) at the HA and the MH, at start and
 * again on SIGHUP. What the workers learned and what ML-IKE agreed stays
 * unless the configuration changes that very entry. */
#ifndef MML_KEYD_FLOWS_H
#define MML_KEYD_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "keyd/loop.h"
#include "lib/pin.h"
#include "maps/ep.h"

/* One element of "flows": a 5-tuple key (0 = wildcard) or a DSCP class. */
struct keyd_flow {
	bool by_dscp;
	uint8_t dscp;
	struct mml_flow_key key;
	struct mml_flow f;
};

/* The list under root (none: *n = 0), every element checked: a mode, no
 * unknown setting, dscp without key fields, no two with one key or class.
 * 0, or -EINVAL after one error naming file:line; -ENOMEM. *v is
 * malloc'ed (NULL when empty). */
int keyd_flows_parse(const config_setting_t *root, struct keyd_flow **v, size_t *n);

/* How a sync writes; the unit tests record instead. put writes an entry
 * or class; del removes one the configuration no longer has (the map
 * writer leaves it if a worker learned an upgrade there since). */
struct keyd_flow_ops {
	int (*put)(void *ctx, const struct keyd_flow *e);
	int (*del)(void *ctx, const struct keyd_flow *e);
	void *ctx;
};

/* From what was written (old) to what is configured (v): entries gone
 * deleted, new or changed ones put, unchanged ones left as they are (an
 * upgrade learned or a mode agreed since stays). Returns the number of
 * writes, or the first error (the others still tried). */
int keyd_flows_sync(const struct keyd_flow *old, size_t n_old, const struct keyd_flow *v, size_t n,
		    const struct keyd_flow_ops *ops);

/* The daemon's side: the pinned maps of the node, a retry each second
 * while the HA or MH programs are not attached yet. */
struct keyd_flows {
	struct keyd_flow *want, *done;
	size_t n_want, n_done;
	bool waiting_logged;
	const struct mml_pin_dir *pin;
	struct loop *loop;
	struct loop_timer retry;
};

/* At start: the flows of cfg, written now or as soon as the maps exist. */
int keyd_flows_start(struct keyd_flows *fl, struct loop *loop, const struct mml_pin_dir *pin,
		     const config_t *cfg);
/* SIGHUP: want (from keyd_flows_parse, owned from here on) replaces the
 * configured flows and is written. */
void keyd_flows_reload(struct keyd_flows *fl, struct keyd_flow *want, size_t n_want);
void keyd_flows_stop(struct keyd_flows *fl);

#endif
