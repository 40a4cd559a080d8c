#include "lib/ep_loader.h"

#include <errno.h>
#include <stdatomic.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ep.skel.h"
#include "lib/ep_owner.h"
#include "lib/log.h"
#include "maps/pin.h"

int mml_ep_pin_dir(char *buf, size_t len, const char *root, const char *node)
{
	int n;

	if (!root)
		root = MML_PIN_ROOT_DEFAULT;
	if (mkdir(root, 0700) && errno != EEXIST)
		goto fail;
	n = snprintf(buf, len, "%s/%s", root, node);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0700) && errno != EEXIST)
		goto fail;
	return 0;
fail:
	n = -errno;
	log_err("cannot create pin directory under %s: %s", root, strerror(-n));
	return n;
}

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

int mml_ep_map_fd(const char *pin_dir, const char *name)
{
	char path[512];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int mml_ep_gen_bump(const char *pin_dir)
{
	int fd = mml_ep_map_fd(pin_dir, MML_MAP_GEN), err = 0;
	_Atomic __u64 *gen;

	if (fd < 0)
		return fd;
	gen = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (gen == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	atomic_fetch_add(gen, 1);
	munmap((void *)gen, (size_t)sysconf(_SC_PAGESIZE));
out:
	close(fd);
	return err;
}

static void add_percpu(const char *pin_dir, uint64_t *out)
{
	int fd = mml_ep_map_fd(pin_dir, MML_MAP_STATS), ncpu = libbpf_num_possible_cpus();
	uint64_t values[ncpu > 0 ? ncpu : 1];

	if (fd < 0 || ncpu <= 0)
		goto out;
	for (__u32 i = 0; i < MML_STATS_CAP; i++) {
		if (bpf_map_lookup_elem(fd, &i, values))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += values[c];
	}
out:
	if (fd >= 0)
		close(fd);
}

int mml_ep_wstats_add(const char *pin_dir, uint64_t *out)
{
	size_t len = MML_WSTATS_ENTRIES * sizeof(uint64_t);
	int fd = mml_ep_map_fd(pin_dir, MML_MAP_WSTATS);
	const volatile uint64_t *rows;

	if (fd < 0)
		return fd;
	rows = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (rows == MAP_FAILED)
		return -errno;
	for (int t = 0; t < MML_WORKER_THREADS_MAX; t++)
		for (int i = 0; i < MML_STATS_CAP; i++)
			out[i] += rows[t * MML_STATS_CAP + i];
	munmap((void *)rows, len);
	return 0;
}

int mml_ep_stats_read(const char *pin_dir, uint64_t *out)
{
	memset(out, 0, MML_STATS_CAP * sizeof(*out));
	add_percpu(pin_dir, out);
	mml_ep_wstats_add(pin_dir, out);
	return 0;
}
