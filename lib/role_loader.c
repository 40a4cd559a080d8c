#include "lib/role_loader.h"

#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "lib/pin.h"
#include "lib/role_owner.h"
#include "maps/ep.h"
#include "maps/pin.h"

struct mml_role_obj {
	const struct mml_role *role;
	void *skel;
	struct bpf_object *obj;
	char pin_dir[256]; /* empty: private maps */
};

static bool role_pins(const struct mml_role *role, const char *name)
{
	for (size_t i = 0; role->pinned[i]; i++)
		if (!strcmp(role->pinned[i], name))
			return true;
	return false;
}

/* A devmap reports BPF_F_RDONLY_PROG, which the kernel adds itself but
 * refuses at creation; libbpf 1.1 then calls a pinned devmap incompatible
 * with its own definition. So a pinned devmap is checked and reused here:
 * 0 when reused, 1 when there is none to reuse. */
static int reuse_devmap(struct bpf_map *map, const char *pin_dir)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd, err;

	fd = mml_pin_open_map(pin_dir, bpf_map__name(map), bpf_map__key_size(map),
			      bpf_map__value_size(map));
	if (fd < 0)
		return fd == -ENOENT ? 1 : fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err &&
	    (info.type != bpf_map__type(map) || info.max_entries != bpf_map__max_entries(map))) {
		log_err("%s/%s: pinned map of another type or size", pin_dir, bpf_map__name(map));
		err = -EINVAL;
	}
	if (!err)
		err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err;
}

/* Pin the role's public maps by name; libbpf reuses a pinned map whose
 * type and sizes match and refuses one that differs. */
static int set_pin_paths(const struct mml_role_obj *o)
{
	struct bpf_map *map;
	char path[512];
	int err;

	bpf_object__for_each_map(map, o->obj)
	{
		const char *name = bpf_map__name(map);

		if (!role_pins(o->role, name))
			continue;
		if (bpf_map__type(map) == BPF_MAP_TYPE_DEVMAP_HASH) {
			err = reuse_devmap(map, o->pin_dir);
			if (err <= 0)
				return err;
		}
		if (snprintf(path, sizeof(path), "%s/%s", o->pin_dir, name) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(map, path);
		if (err) {
			log_err("pin path %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The operator's capacities onto the opened object's maps, before load
 * (and before a pinned map is compared with them). */
static int set_sizes(const struct mml_role_obj *o, const struct mml_map_sizes *sizes)
{
	/* A replay mark per inbound key the node can hold: past the marks a
	 * restarted worker would start that key's window at 0. */
	uint32_t marks = sizes->csa > MML_RX_MARKS ? sizes->csa : 0;
	const struct {
		const char *name;
		uint32_t n;
	} want[] = {
		{ MML_MAP_CSA, sizes->csa },
		{ MML_MAP_SEQ_HWM, sizes->csa },
		{ MML_MAP_RX_MARK, (uint32_t)(marks * sizeof(struct mml_rx_mark) / 8) },
		{ MML_MAP_BINDING, sizes->binding },
		{ MML_MAP_VISITOR, sizes->visitor },
		{ MML_MAP_FLOW, sizes->flow },
		/* A counter slot per flow entry, the table at most half full. */
		{ MML_MAP_FLOW_CTR, 2 * sizes->flow },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(o->obj, want[i].name);
		int err;

		if (!map || !want[i].n)
			continue;
		err = bpf_map__set_max_entries(map, want[i].n);
		if (err) {
			log_err("%s: max_entries %u: %s", want[i].name, want[i].n, strerror(-err));
			return err;
		}
	}
	return 0;
}

int mml_role_load(enum mml_role_id id, const void *cfg, const char *pin_dir,
		  struct mml_role_obj **out)
{
	return mml_role_load_sized(id, cfg, pin_dir, NULL, out);
}

int mml_role_load_sized(enum mml_role_id id, const void *cfg, const char *pin_dir,
			const struct mml_map_sizes *sizes, struct mml_role_obj **out)
{
	struct mml_role_obj *o = calloc(1, sizeof(*o));
	int err;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->role = mml_role_get(id);
	if (pin_dir &&
	    snprintf(o->pin_dir, sizeof(o->pin_dir), "%s", pin_dir) >= (int)sizeof(o->pin_dir)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	err = o->role->open(cfg, &o->skel, &o->obj);
	if (!err && sizes)
		err = set_sizes(o, sizes);
	if (err)
		goto out;
	err = pin_dir ? set_pin_paths(o) : 0;
	if (!err)
		err = o->role->load(o->skel);
	if (err)
		log_err("load the %s programs%s%s: %s%s", o->role->name,
			pin_dir ? " with maps in " : "", pin_dir ? pin_dir : "", strerror(-err),
			pin_dir ? " (a map pinned there with another shape?)" : "");
out:
	if (err)
		mml_role_unload(o);
	else
		*out = o;
	return err;
}

void mml_role_unload(struct mml_role_obj *o)
{
	if (!o)
		return;
	o->role->destroy(o->skel);
	free(o);
}

void *mml_role_skel(const struct mml_role_obj *o)
{
	return o->skel;
}

int mml_role_map_fd(const struct mml_role_obj *o, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(o->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

static struct bpf_program *slot_prog(const struct mml_role_obj *o, unsigned int slot)
{
	if (slot >= MML_ROLE_PROGS_MAX || !o->role->progs[slot])
		return NULL;
	return bpf_object__find_program_by_name(o->obj, o->role->progs[slot]);
}

static const char *ifname_of(int ifindex, char buf[IF_NAMESIZE])
{
	if (!if_indextoname((unsigned int)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
	return buf;
}

static int add_port(const struct mml_role_obj *o, int ifindex)
{
	struct bpf_devmap_val port = { .ifindex = (uint32_t)ifindex };
	uint32_t key = (uint32_t)ifindex;

	if (!bpf_map_update_elem(mml_role_map_fd(o, MML_MAP_PORTS), &key, &port, BPF_ANY))
		return 0;
	log_err("%s: cannot add ifindex %d: %s", MML_MAP_PORTS, ifindex, strerror(errno));
	return -errno;
}

int mml_role_attach(struct mml_role_obj *o, unsigned int slot, int ifindex, bool skb)
{
	__u32 mode = skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	struct bpf_program *prog = slot_prog(o, slot);
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct mml_role_owner owner;
	char ifname[IF_NAMESIZE];
	int old_fd = 0, err;

	if (!prog)
		return -EINVAL;
	ifname_of(ifindex, ifname);
	err = mml_role_owner_init(&owner, o->pin_dir[0] ? o->pin_dir : NULL, o->role);
	if (!err)
		err = mml_role_owner_prepare(&owner, ifindex, ifname, mode, &old_fd);
	if (!err && o->role->ports)
		err = add_port(o, ifindex);
	if (err)
		goto out;
	/* Replace exactly the program checked, or attach only if the
	 * interface is still free: one attached meanwhile is not overwritten. */
	opts.old_prog_fd = old_fd;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     mode | (old_fd ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST),
			     &opts);
	if (err)
		log_err("attach %s to %s (%s mode): %s%s", bpf_program__name(prog), ifname,
			skb ? "skb" : "native", strerror(-err),
			err != -EBUSY && err != -EEXIST ? "" :
			o->role->replace		? " (a program was attached meanwhile)" :
							  " (detach the one there first)");
out:
	if (old_fd > 0)
		close(old_fd);
	return err;
}

int mml_role_detach_prog(struct mml_role_obj *o, unsigned int slot, int ifindex)
{
	struct bpf_program *prog = slot_prog(o, slot);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	char ifname[IF_NAMESIZE];
	int err;

	if (!prog)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return -errno;
	err = mml_role_owner_detach_id(ifindex, ifname_of(ifindex, ifname), info.id);
	return err < 0 ? err : 0;
}

/* The interface no longer runs the role's program: no redirects to it. */
static void drop_port(int ports_fd, uint32_t ifindex)
{
	if (ports_fd >= 0)
		bpf_map_delete_elem(ports_fd, &ifindex);
}

static int detach_listed(const struct mml_role_owner *owner, int ports_fd, const uint32_t *ifindex,
			 int n)
{
	char ifname[IF_NAMESIZE];
	int err = 0;

	for (int i = 0; i < n; i++) {
		int e = mml_role_owner_detach(owner, (int)ifindex[i],
					      ifname_of((int)ifindex[i], ifname), true);

		if (e >= 0)
			drop_port(ports_fd, ifindex[i]);
		else if (!err)
			err = e;
	}
	return err;
}

static int detach_everywhere(const struct mml_role_owner *owner, int ports_fd)
{
	struct if_nameindex *ifs = if_nameindex();
	int err = 0;

	if (!ifs) {
		err = -errno;
		log_err("list interfaces: %s", strerror(-err));
		return err;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		int e = mml_role_owner_detach(owner, (int)i->if_index, i->if_name, false);

		if (e > 0)
			drop_port(ports_fd, i->if_index);
		else if (e < 0 && e != -EBUSY && !err)
			err = e;
	}
	if_freenameindex(ifs);
	return err;
}

int mml_role_detach(const char *pin_dir, enum mml_role_id id, const uint32_t *ifindex, int n)
{
	const struct mml_role *role = mml_role_get(id);
	struct mml_role_owner owner;
	int ports_fd = -1, err;

	err = mml_role_owner_init(&owner, pin_dir, role);
	if (err)
		return err;
	if (role->ports)
		ports_fd = mml_pin_open_map(pin_dir, MML_MAP_PORTS, sizeof(__u32),
					    sizeof(struct bpf_devmap_val));
	err = n ? detach_listed(&owner, ports_fd, ifindex, n) : detach_everywhere(&owner, ports_fd);
	if (ports_fd >= 0)
		close(ports_fd);
	return err ? err : mml_role_owner_unpin(&owner);
}
