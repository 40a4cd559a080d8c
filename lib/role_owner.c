#include "lib/role_owner.h"

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

/* More than any program of ours uses; a longer list is cut, which can only
 * hide a shared map of a foreign program, not one of our programs' maps
 * (ours have fewer). */
#define PROG_MAPS_MAX 64

struct prog_desc {
	char name[BPF_OBJ_NAME_LEN];
	uint32_t map_ids[PROG_MAPS_MAX];
	uint32_t nr_maps;
};

static size_t pinned_count(const struct mml_role *role)
{
	size_t n = 0;

	while (role->pinned[n])
		n++;
	return n;
}

int mml_role_owner_init(struct mml_role_owner *o, const char *pin_dir, const struct mml_role *role)
{
	memset(o, 0, sizeof(*o));
	o->pin_dir = pin_dir;
	o->role = role;
	for (size_t i = 0; pin_dir && i < pinned_count(role); i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		int fd = mml_pin_open_map(pin_dir, role->pinned[i], 0, 0), err;

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
		close(fd);
		if (err) {
			log_err("%s/%s: %s", pin_dir, role->pinned[i], strerror(-err));
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

/* Index into o->role->pinned of the node's map id, or -1. */
static int node_map(const struct mml_role_owner *o, uint32_t id)
{
	for (int i = 0; i < MML_ROLE_PINNED_MAX; i++)
		if (o->map_ids[i] && o->map_ids[i] == id)
			return i;
	return -1;
}

static bool uses_node_maps(const struct mml_role_owner *o, const struct prog_desc *d)
{
	for (uint32_t i = 0; i < d->nr_maps; i++)
		if (node_map(o, d->map_ids[i]) >= 0)
			return true;
	return false;
}

/* The ownership rule: one of the roles' program names and a map of the
 * node's directory. */
static bool node_prog(const struct mml_role_owner *o, const struct prog_desc *d)
{
	return mml_role_prog_known(d->name) && uses_node_maps(o, d);
}

/* Is program id one of the node's programs (of o->role's only if
 * role_only)? A program that vanished meanwhile is not (the REPLACE flag
 * then fails the change). */
static bool ours(const struct mml_role_owner *o, uint32_t id, struct prog_desc *d, bool role_only)
{
	if (prog_describe(id, d)) {
		snprintf(d->name, sizeof(d->name), "?");
		return false;
	}
	return node_prog(o, d) && (!role_only || mml_role_prog_slot(o->role, d->name) >= 0);
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

int mml_role_owner_prepare(const struct mml_role_owner *o, int ifindex, const char *ifname,
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
		if (slots[i].prog_id && !ours(o, slots[i].prog_id, &d, false)) {
			log_err("%s already runs XDP program %s (id %u, %s mode), which is not this "
				"node's: not replacing it (take it off first, e.g. ip link set dev "
				"%s xdp off)",
				ifname, d.name, slots[i].prog_id, slots[i].mode, ifname);
			return -EBUSY;
		}
	}
	/* A role that does not replace leaves the refusal to the kernel. */
	for (int i = 0; i < 2 && !err && o->role->replace; i++) {
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

int mml_role_owner_detach(const struct mml_role_owner *o, int ifindex, const char *ifname,
			  bool loud)
{
	struct xdp_slot slots[3];
	struct prog_desc d;
	int err, done = 0;

	err = xdp_slots(ifindex, ifname, slots);
	for (int i = 0; i < 3 && !err; i++) {
		if (!slots[i].prog_id)
			continue;
		if (!ours(o, slots[i].prog_id, &d, true)) {
			if (loud)
				log_err("%s runs XDP program %s (id %u, %s mode), which is not one of "
					"this node's %s programs: left in place",
					ifname, d.name, slots[i].prog_id, slots[i].mode,
					o->role->name);
			err = -EBUSY;
			continue;
		}
		err = detach_slot(ifindex, ifname, &slots[i]);
		if (!err)
			done = 1;
	}
	return err ? err : done;
}

int mml_role_owner_detach_id(int ifindex, const char *ifname, uint32_t prog_id)
{
	struct xdp_slot slots[3];
	int err = xdp_slots(ifindex, ifname, slots), done = 0;

	for (int i = 0; i < 3 && !err; i++) {
		if (slots[i].prog_id != prog_id)
			continue;
		err = detach_slot(ifindex, ifname, &slots[i]);
		if (!err)
			done = 1;
	}
	return err ? err : done;
}

int mml_role_owner_unpin(const struct mml_role_owner *o)
{
	bool shared[MML_ROLE_PINNED_MAX] = { false };
	struct prog_desc d;
	uint32_t id = 0;
	int live = 0, err;
	char path[512];

	/* Every loaded program, whatever its namespace: ours are alive only
	 * while attached somewhere (the loader closed its handles). */
	while (!(err = bpf_prog_get_next_id(id, &id))) {
		if (prog_describe(id, &d))
			continue; /* unloaded meanwhile */
		if (node_prog(o, &d)) {
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
	for (size_t i = 0; i < pinned_count(o->role); i++) {
		if (!o->map_ids[i] || shared[i])
			continue;
		err = snprintf(path, sizeof(path), "%s/%s", o->pin_dir, o->role->pinned[i]) >=
				      (int)sizeof(path) ?
			      -ENAMETOOLONG :
			      0;
		if (!err && unlink(path) && errno != ENOENT) {
			err = -errno;
			log_err("unpin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}
