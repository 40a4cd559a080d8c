#include "lib/ep_owner.h"

#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "lib/pin.h"

/* Indexed by enum mml_ep_prog: the SEC("xdp") functions of bpf/ep.bpf.c. */
static const char *const prog_names[] = {
	[MML_EP_PROG_HA_CN] = "mml_ha_cn",
	[MML_EP_PROG_HA_FA] = "mml_ha_fa",
	[MML_EP_PROG_MH_WL] = "mml_mh_wl",
};
#define PROG_NAMES (sizeof(prog_names) / sizeof(prog_names[0]))

/* More than any program of ours uses; a longer list is cut, which can only
 * hide a shared map of a foreign program, not one of our programs' maps
 * (ours have fewer). */
#define PROG_MAPS_MAX 64

struct prog_desc {
	char name[BPF_OBJ_NAME_LEN];
	uint32_t map_ids[PROG_MAPS_MAX];
	uint32_t nr_maps;
};

static int pin_path(const struct mml_ep_owner *o, size_t i, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", o->pin_dir, mml_ep_pinned[i]);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int mml_ep_owner_init(struct mml_ep_owner *o, const char *pin_dir, const char *role,
		      unsigned int progs)
{
	memset(o, 0, sizeof(*o));
	o->pin_dir = pin_dir;
	o->role = role;
	o->progs = progs;
	for (size_t i = 0; i < MML_EP_PINNED_COUNT; i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		int fd = mml_pin_open_map(pin_dir, mml_ep_pinned[i], 0, 0), err;

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
		close(fd);
		if (err) {
			log_err("%s/%s: %s", pin_dir, mml_ep_pinned[i], strerror(-err));
			return err;
		}
		o->map_ids[i] = info.id;
	}
	return 0;
}

static int prog_describe(uint32_t id, struct prog_desc *d)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	memset(d, 0, sizeof(*d));
	info.nr_map_ids = PROG_MAPS_MAX;
	info.map_ids = (uint64_t)(uintptr_t)d->map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	memcpy(d->name, info.name, sizeof(d->name));
	d->name[sizeof(d->name) - 1] = '\0';
	d->nr_maps = info.nr_map_ids < PROG_MAPS_MAX ? info.nr_map_ids : PROG_MAPS_MAX;
out:
	close(fd);
	return err;
}

/* Index into mml_ep_pinned of the node's map id, or -1. */
static int node_map(const struct mml_ep_owner *o, uint32_t id)
{
	for (int i = 0; i < MML_EP_PINNED_COUNT; i++)
		if (o->map_ids[i] && o->map_ids[i] == id)
			return i;
	return -1;
}

static bool uses_node_maps(const struct mml_ep_owner *o, const struct prog_desc *d)
{
	for (uint32_t i = 0; i < d->nr_maps; i++)
		if (node_map(o, d->map_ids[i]) >= 0)
			return true;
	return false;
}

/* The node's program (enum mml_ep_prog) that d is, or -1. */
static int node_prog(const struct mml_ep_owner *o, const struct prog_desc *d)
{
	for (size_t p = 0; p < PROG_NAMES; p++)
		if (!strcmp(d->name, prog_names[p]))
			return uses_node_maps(o, d) ? (int)p : -1;
	return -1;
}

/* Is program id one of the node's programs of o->progs? A program that
 * vanished meanwhile is not (the REPLACE flag then fails the change). */
static bool ours(const struct mml_ep_owner *o, uint32_t id, struct prog_desc *d)
{
	int p;

	if (prog_describe(id, d)) {
		snprintf(d->name, sizeof(d->name), "?");
		return false;
	}
	p = node_prog(o, d);
	return p >= 0 && (o->progs & (1u << p));
}

struct xdp_slot {
	uint32_t prog_id;
	uint32_t mode_flags;
	const char *mode;
};

/* The interface's programs per mode (native and generic exclude each
 * other, offloaded can come with native). */
static int xdp_slots(int ifindex, const char *ifname, struct xdp_slot slots[3])
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err) {
		log_err("query XDP on %s: %s", ifname, strerror(-err));
		return err;
	}
	slots[0] = (struct xdp_slot){ q.drv_prog_id, XDP_FLAGS_DRV_MODE, "native" };
	slots[1] = (struct xdp_slot){ q.skb_prog_id, XDP_FLAGS_SKB_MODE, "skb" };
	slots[2] = (struct xdp_slot){ q.hw_prog_id, XDP_FLAGS_HW_MODE, "offloaded" };
	return 0;
}

/* Detach exactly program id from the slot's mode. */
static int detach_slot(int ifindex, const char *ifname, const struct xdp_slot *s)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int fd = bpf_prog_get_fd_by_id(s->prog_id), err;

	if (fd < 0) {
		err = -errno;
		goto out;
	}
	opts.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, s->mode_flags | XDP_FLAGS_REPLACE, &opts);
	close(fd);
out:
	if (err)
		log_err("detach XDP program %u from %s (%s mode): %s", s->prog_id, ifname, s->mode,
			strerror(-err));
	return err;
}

int mml_ep_owner_prepare(const struct mml_ep_owner *o, int ifindex, const char *ifname,
			 uint32_t mode_flags, int *old_fd)
{
	struct xdp_slot slots[3];
	struct prog_desc d;
	int err;

	*old_fd = 0;
	err = xdp_slots(ifindex, ifname, slots);
	if (err)
		return err;
	for (int i = 0; i < 3; i++) {
		if (slots[i].prog_id && !ours(o, slots[i].prog_id, &d)) {
			log_err("%s already runs XDP program %s (id %u, %s mode), which is not this "
				"node's: not replacing it (take it off first, e.g. ip link set dev "
				"%s xdp off)",
				ifname, d.name, slots[i].prog_id, slots[i].mode, ifname);
			return -EBUSY;
		}
	}
	for (int i = 0; i < 2 && !err; i++) {
		if (!slots[i].prog_id)
			continue;
		if (slots[i].mode_flags != mode_flags) {
			/* Ours in the other mode would stay in force. */
			err = detach_slot(ifindex, ifname, &slots[i]);
			continue;
		}
		*old_fd = bpf_prog_get_fd_by_id(slots[i].prog_id);
		if (*old_fd < 0) {
			err = -errno;
			*old_fd = 0;
			log_err("program %u on %s: %s", slots[i].prog_id, ifname, strerror(-err));
		}
	}
	return err;
}

int mml_ep_owner_detach(const struct mml_ep_owner *o, int ifindex, const char *ifname, bool loud)
{
	struct xdp_slot slots[3];
	struct prog_desc d;
	int err, done = 0;

	err = xdp_slots(ifindex, ifname, slots);
	for (int i = 0; i < 3 && !err; i++) {
		if (!slots[i].prog_id)
			continue;
		if (!ours(o, slots[i].prog_id, &d)) {
			if (loud)
				log_err("%s runs XDP program %s (id %u, %s mode), which is not one of "
					"this node's %s programs: left in place",
					ifname, d.name, slots[i].prog_id, slots[i].mode, o->role);
			err = -EBUSY;
			continue;
		}
		err = detach_slot(ifindex, ifname, &slots[i]);
		if (!err)
			done = 1;
	}
	return err ? err : done;
}

int mml_ep_owner_detach_all(const struct mml_ep_owner *o)
{
	struct if_nameindex *ifs = if_nameindex();
	int n = 0, err = 0;

	if (!ifs) {
		err = -errno;
		log_err("list interfaces: %s", strerror(-err));
		return err;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		int e = mml_ep_owner_detach(o, (int)i->if_index, i->if_name, false);

		if (e > 0)
			n++;
		else if (e < 0 && e != -EBUSY && !err)
			err = e;
	}
	if_freenameindex(ifs);
	return err ? err : n;
}

int mml_ep_owner_unpin(const struct mml_ep_owner *o)
{
	bool shared[MML_EP_PINNED_COUNT] = { false };
	struct prog_desc d;
	uint32_t id = 0;
	int live = 0, err;
	char path[512];

	/* Every loaded program, whatever its namespace: ours are alive only
	 * while attached somewhere (the loader closed its handles). */
	while (!(err = bpf_prog_get_next_id(id, &id))) {
		if (prog_describe(id, &d))
			continue; /* unloaded meanwhile */
		if (node_prog(o, &d) >= 0) {
			live++;
			continue;
		}
		for (uint32_t i = 0; i < d.nr_maps; i++) {
			int m = node_map(o, d.map_ids[i]);

			if (m >= 0)
				shared[m] = true;
		}
	}
	if (err != -ENOENT) {
		log_err("list loaded BPF programs: %s", strerror(-err));
		return err;
	}
	if (live)
		return live;
	for (size_t i = 0; i < MML_EP_PINNED_COUNT; i++) {
		if (!o->map_ids[i] || shared[i])
			continue;
		err = pin_path(o, i, path, sizeof(path));
		if (!err && unlink(path) && errno != ENOENT) {
			err = -errno;
			log_err("unpin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}
