#include "lib/ep_loader.h"

#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ep.skel.h"
#include "lib/ep_owner.h"
#include "lib/log.h"
#include "maps/pin.h"

const char *const mml_ep_pinned[MML_EP_PINNED_COUNT] = {
	MML_MAP_CSA,	  MML_MAP_STATS, MML_MAP_BINDING, MML_MAP_FLOW,	   MML_MAP_XSKS,
	MML_MAP_XSK_SLOT, MML_MAP_GEN,	 MML_MAP_WSTATS,  MML_MAP_SEQ_HWM,
};

/* Pin the public maps by name; libbpf reuses a pinned map whose type and
 * sizes match and refuses one that differs. */
static int set_pin_paths(struct ep *skel, const char *pin_dir)
{
	struct bpf_map *map;
	char path[512];
	int err;

	bpf_object__for_each_map(map, skel->obj)
	{
		const char *name = bpf_map__name(map);
		size_t i = 0;

		while (i < MML_EP_PINNED_COUNT && strcmp(name, mml_ep_pinned[i]))
			i++;
		if (i == MML_EP_PINNED_COUNT)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static int ep_open_load(struct ep **out, const char *pin_dir, const struct mml_ep_cfg *cfg)
{
	struct ep *skel;
	int err;

	skel = ep__open();
	if (!skel) {
		err = -errno;
		log_err("open ep skeleton: %s", strerror(-err));
		return err;
	}
	if (cfg)
		skel->rodata->ep_cfg = *cfg;
	err = set_pin_paths(skel, pin_dir);
	if (!err)
		err = ep__load(skel);
	if (err) {
		log_err("load endpoint programs with maps in %s: %s", pin_dir, strerror(-err));
		ep__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int mml_ep_create_maps(const char *pin_dir)
{
	struct ep *skel = NULL;
	int err = ep_open_load(&skel, pin_dir, NULL);

	ep__destroy(skel);
	return err;
}

static struct bpf_program *ep_prog(struct ep *skel, enum mml_ep_prog prog)
{
	switch (prog) {
	case MML_EP_PROG_HA_CN:
		return skel->progs.mml_ha_cn;
	case MML_EP_PROG_HA_FA:
		return skel->progs.mml_ha_fa;
	case MML_EP_PROG_MH_WL:
		return skel->progs.mml_mh_wl;
	}
	return NULL;
}

int mml_ep_attach(const char *pin_dir, enum mml_ep_prog prog, const char *ifname,
		  const struct mml_ep_cfg *cfg, int skb)
{
	__u32 mode = skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct mml_ep_owner owner;
	struct ep *skel = NULL;
	unsigned int ifindex;
	int old_fd = 0, err;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		err = -errno;
		log_err("interface %s: %s", ifname, strerror(-err));
		return err;
	}
	err = ep_open_load(&skel, pin_dir, cfg);
	/* After the load: the maps that make a program ours are pinned. Any
	 * endpoint program of the node may be replaced (the caller's role
	 * decides which it attaches). */
	if (!err)
		err = mml_ep_owner_init(&owner, pin_dir, "endpoint", MML_EP_PROGS_ALL);
	if (!err)
		err = mml_ep_owner_prepare(&owner, (int)ifindex, ifname, mode, &old_fd);
	if (err)
		goto out;
	/* Replace exactly the program checked, or attach only if the
	 * interface is still free: one attached meanwhile is not overwritten. */
	opts.old_prog_fd = old_fd;
	err = bpf_xdp_attach((int)ifindex, bpf_program__fd(ep_prog(skel, prog)),
			     mode | (old_fd ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST),
			     &opts);
	if (err)
		log_err("attach XDP to %s (%s mode): %s%s", ifname, skb ? "skb" : "native",
			strerror(-err),
			err == -EBUSY || err == -EEXIST ? " (a program was attached meanwhile)" :
							  "");
out:
	if (old_fd > 0)
		close(old_fd);
	ep__destroy(skel);
	return err;
}
