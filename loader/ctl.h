/* mmlctl internals: the context every subcommand gets, and the subcommand
 * table entries the object files provide. */
#ifndef MML_LOADER_CTL_H
#define MML_LOADER_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "lib/out.h"
#include "lib/pin.h"
#include "lib/role_loader.h"

struct ctl {
	struct mml_pin_dir dir; /* <root>/<node> */
	enum mml_out_format format;
	struct mml_map_sizes sizes; /* attach: csa-max, binding-max, ... (0: default) */
};

typedef int (*ctl_fn)(struct ctl *ctl, int argc, char **argv);

struct ctl_cmd {
	const char *object; /* "csa" */
	const char *verb;   /* "add" */
	ctl_fn fn;
	const char *usage; /* arguments after "OBJECT VERB" */
};

/* Prints a result through the one output path and releases it. */
void ctl_print(struct ctl *ctl, json_object *result);

/* Opens a pinned map of the node, explaining a missing pin. */
int ctl_open_map(struct ctl *ctl, const char *name, unsigned int key_size, unsigned int value_size);

/* Every entry of a map with 4-byte keys as a JSON array, each element made
 * by to_json(key, value, arg); the value buffer is wiped afterwards (maps
 * may hold keys). */
typedef json_object *(*ctl_entry_json)(uint32_t key, const void *value, void *arg);
json_object *ctl_map_to_json(int fd, size_t value_size, ctl_entry_json to_json, void *arg);

/* Creates the node directory (bpffs, mode 0700) and takes its lock, for
 * commands that change what is attached. */
int ctl_prepare_node(struct ctl *ctl);

/* "eth0,eth1" -> ifindexes; ctx prefixes errors. Returns the count. */
int ctl_split_ifaces(const char *ctx, char *list, uint32_t *ifindex, int max);

/* The role commands' shared steps (loader/role_cmd.c). attach: lists[slot]
 * ("eth0,eth1") names the interfaces of each of the role's programs; they
 * are checked, the node directory created and locked, the role loaded with
 * cfg, setup (if any) run on the loaded object before any program is
 * attached, then the programs attached. detach: [dev IF[,IF]], the pins
 * going with the node's last program. */
typedef int (*ctl_role_setup)(struct mml_role_obj *o, void *arg);
/* The attach options that size the maps (csa-max N, binding-max N,
 * visitor-max N, flow-max N) into ctl->sizes, after those of the role's
 * own opts; returns the total count of opts. */
#define CTL_SIZE_OPTS(ctl)                                                   \
	{ "csa-max", MML_OPT_U32, &(ctl)->sizes.csa, NULL, false, false },         \
	{ "binding-max", MML_OPT_U32, &(ctl)->sizes.binding, NULL, false, false }, \
	{ "visitor-max", MML_OPT_U32, &(ctl)->sizes.visitor, NULL, false, false }, \
	{ "flow-max", MML_OPT_U32, &(ctl)->sizes.flow, NULL, false, false }
int ctl_role_attach(struct ctl *ctl, enum mml_role_id id, const void *cfg, char **lists, bool skb,
		    ctl_role_setup setup, void *arg);
int ctl_role_detach(struct ctl *ctl, enum mml_role_id id, int argc, char **argv);

/* mmlkeyd's control socket (loader/keyd_client.c): sends {"module",
 * "verb"} to path and returns the reply's "result" (the caller puts it).
 * Errors are negative errno, logged unless quiet (for callers to whom the
 * daemon is optional). */
int ctl_keyd_call(const char *path, const char *module, const char *verb, bool quiet,
		  json_object **result);
/* The same with args (a JSON array of strings; the caller keeps it). */
int ctl_keyd_call_args(const char *path, const char *module, const char *verb, json_object *args,
		       bool quiet, json_object **result);
/* mmlctl flow set (loader/flow_set.c): a flow's mode agreed with the peer
 * through mmlkeyd (ML-IKE, docs/protocol.md §2.7). */
int ctl_flow_set(struct ctl *ctl, int argc, char **argv);
/* <MML_KEYD_SOCK_DIR>/<node>.sock, node as for the maps; returns buf. */
const char *ctl_keyd_default_path(const struct ctl *ctl, char *buf, size_t len);

/* mmlctl fa capture (loader/capture_cmd.c). */
int ctl_fa_capture(struct ctl *ctl, int argc, char **argv);

/* One counter of mmlctl stats: its name as printed, what it counts, and
 * for one of a family (mmlkeyd's replies by code) the label that tells the
 * members apart. */
struct ctl_counter {
	char name[64];
	const char *help;
	const char *label; /* NULL: none */
	char label_value[48];
	uint64_t value;
};
/* The counters in Prometheus' text format (loader/stats_prom.c), labelled
 * with the node and its role; a family's members follow each other. */
void ctl_prom_print(const struct ctl *ctl, FILE *f, const struct ctl_counter *c, size_t n);
/* mmlkeyd's counters (loader/stats_keyd.c), asked on sock (NULL: the
 * node's socket), at most cap; none, quietly, without a daemon. */
size_t ctl_keyd_counters(struct ctl *ctl, const char *sock, struct ctl_counter *c, size_t cap);

extern const struct ctl_cmd csa_cmds[];
extern const struct ctl_cmd fa_cmds[];
extern const struct ctl_cmd visitor_cmds[];
extern const struct ctl_cmd stats_cmds[];
extern const struct ctl_cmd ep_cmds[];
extern const struct ctl_cmd mip_cmds[];
extern const struct ctl_cmd snoop_cmds[];

#endif
