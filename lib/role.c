#include "lib/role.h"

#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "lib/log.h"
#include "maps/ep.h"
#include "maps/fa.h"
#include "maps/pin.h"

/* After the rodata's types (maps/). */
#include "ep.skel.h"
#include "fa.skel.h"

static int open_failed(const char *role)
{
	int err = -errno;

	log_err("open the %s programs: %s", role, strerror(errno));
	return err;
}

static int fa_open(const void *cfg, void **skel, struct bpf_object **obj)
{
	const struct mml_fa_cfg *c = cfg;
	struct fa *fa;

	if (!c || !c->coa) {
		log_err("FA programs: no care-of address configured");
		return -EINVAL;
	}
	fa = fa__open();
	if (!fa)
		return open_failed("fa");
	fa->rodata->fa_cfg = *c;
	*skel = fa;
	*obj = fa->obj;
	return 0;
}

static int fa_load(void *skel)
{
	return fa__load(skel);
}

static void fa_destroy(void *skel)
{
	fa__destroy(skel);
}

static int ep_open(const void *cfg, void **skel, struct bpf_object **obj)
{
	struct ep *ep = ep__open();

	if (!ep)
		return open_failed("endpoint");
	if (cfg)
		ep->rodata->ep_cfg = *(const struct mml_ep_cfg *)cfg;
	*skel = ep;
	*obj = ep->obj;
	return 0;
}

static int ep_load(void *skel)
{
	return ep__load(skel);
}

static void ep_destroy(void *skel)
{
	ep__destroy(skel);
}

/* The endpoint roles share the skeleton, its pinned maps and how they
 * attach; the rest of its maps (mml_ports and mml_visitor, which come with
 * bpf/maps.h) stay private. An endpoint attach replaces the node's own
 * program (any endpoint one: the role decides which it attaches). One pin
 * a line, which clang-format would fold into columns. */
/* clang-format off */
#define EP_ROLE                          \
	.pinned = { MML_MAP_CSA,         \
		    MML_MAP_STATS,       \
		    MML_MAP_BINDING,     \
		    MML_MAP_FLOW,        \
		    MML_MAP_XSKS,        \
		    MML_MAP_XSK_SLOT,    \
		    MML_MAP_GEN,         \
		    MML_MAP_WSTATS,      \
		    MML_MAP_SEQ_HWM,     \
		    MML_MAP_RX_MARK,     \
		    MML_MAP_REKEY,       \
		    MML_MAP_FLOW_SHAPES, \
		    MML_MAP_FLOW_DSCP,   \
		    MML_MAP_FLOW_CTR,    \
		    NULL },              \
	.replace = true, .open = ep_open, .load = ep_load, .destroy = ep_destroy
/* clang-format on */

static const struct mml_role roles[MML_ROLE_COUNT] = {
	[MML_ROLE_FA] = {
		.name = "fa",
		.progs = { [MML_FA_WIRED] = "mml_fa_down", [MML_FA_WIRELESS] = "mml_fa_up" },
		.pinned = { MML_MAP_CSA, MML_MAP_VISITOR, MML_MAP_STATS, MML_MAP_PORTS,
			    MML_MAP_SNOOP, MML_MAP_SNOOP_ACK, MML_MAP_SNOOP_CFG,
			    MML_MAP_SNOOP_STATS, MML_MAP_SNOOP_EVENTS, MML_MAP_XSKS,
			    MML_MAP_XSK_SLOT, MML_MAP_CAPTURE_CFG, MML_MAP_CAPTURE, NULL },
		.replace = false,
		.ports = true,
		.open = fa_open,
		.load = fa_load,
		.destroy = fa_destroy,
	},
	[MML_ROLE_HA] = {
		.name = "ha",
		.progs = { [MML_HA_CN] = "mml_ha_cn", [MML_HA_FA] = "mml_ha_fa" },
		EP_ROLE,
	},
	[MML_ROLE_MH] = {
		.name = "mh",
		.progs = { [MML_MH_WL] = "mml_mh_wl" },
		EP_ROLE,
	},
};

const struct mml_role *mml_role_get(enum mml_role_id id)
{
	return id < MML_ROLE_COUNT ? &roles[id] : NULL;
}

int mml_role_prog_slot(const struct mml_role *role, const char *name)
{
	for (int p = 0; role->progs[p]; p++)
		if (!strcmp(role->progs[p], name))
			return p;
	return -1;
}

bool mml_role_prog_known(const char *name)
{
	for (int r = 0; r < MML_ROLE_COUNT; r++)
		if (mml_role_prog_slot(&roles[r], name) >= 0)
			return true;
	return false;
}
