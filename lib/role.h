/* The roles mmlctl attaches (FA, HA, MH), one table row each: the skeleton
 * that holds its programs, which of them it attaches (by slot), which maps
 * are pinned by name in the node directory (maps/pin.h, DESIGN.md §3) and
 * how an attach treats a program of the node already there. Adding a role
 * program or a pinned map is a change to this table (lib/role.c);
 * lib/role_loader.h does the loading, attaching and detaching for all. */
#ifndef MML_LIB_ROLE_H
#define MML_LIB_ROLE_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;

enum mml_role_id {
	MML_ROLE_FA,
	MML_ROLE_HA,
	MML_ROLE_MH,
	MML_ROLE_COUNT,
};

/* Attach slots: the index into the role's progs. */
enum mml_fa_side {
	MML_FA_WIRED,	 /* mml_fa_down: tunnel from the HAs */
	MML_FA_WIRELESS, /* mml_fa_up: the visitors' link */
};
enum mml_ha_side {
	MML_HA_CN, /* mml_ha_cn: the correspondent side */
	MML_HA_FA, /* mml_ha_fa: the FA side */
};
enum mml_mh_side {
	MML_MH_WL, /* mml_mh_wl: the wireless side */
};

#define MML_ROLE_PROGS_MAX 2
#define MML_ROLE_PINNED_MAX 16

struct mml_role {
	const char *name; /* "fa", "ha", "mh": the CLI word, and in messages */
	/* The SEC("xdp") functions it attaches, by slot; NULL-terminated. */
	const char *progs[MML_ROLE_PROGS_MAX + 1];
	/* The maps pinned by name under <root>/<node>/, reused when pinned
	 * already; NULL-terminated. The skeleton's other maps stay private. */
	const char *pinned[MML_ROLE_PINNED_MAX + 1];
	/* attach replaces a program of the node atomically (XDP_FLAGS_REPLACE),
	 * also across native and skb mode; otherwise it refuses any program
	 * already there, the node's own included (XDP_FLAGS_UPDATE_IF_NOEXIST). */
	bool replace;
	/* attach adds the interface to mml_ports (the devmap the programs
	 * redirect through); detach takes it out. */
	bool ports;
	/* The skeleton: open with cfg as its rodata (NULL: zeros, where the
	 * role allows it; errors logged), load, destroy (NULL is fine). */
	int (*open)(const void *cfg, void **skel, struct bpf_object **obj);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
};

const struct mml_role *mml_role_get(enum mml_role_id id);

/* Is name one of any role's programs? Half of the ownership rule
 * (lib/role_owner.h). */
bool mml_role_prog_known(const char *name);

/* Index of name in the role's progs, or -1. */
int mml_role_prog_slot(const struct mml_role *role, const char *name);

#endif
