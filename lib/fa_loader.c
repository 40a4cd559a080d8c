#include "lib/fa_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fa.skel.h"
#include "lib/log.h"
#include "lib/pin.h"
#include "lib/snoop_cfg.h"
#include "maps/pin.h"

/* A devmap reports BPF_F_RDONLY_PROG, which the kernel adds itself but
 * refuses at creation; libbpf 1.1 then calls a pinned devmap incompatible
 * with its own definition. So a pinned devmap is checked and reused here. */
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

static int set_pin(struct bpf_map *map, const char *pin_dir)
{
	char path[512];
	int n, err;

	if (bpf_map__type(map) == BPF_MAP_TYPE_DEVMAP_HASH) {
		err = reuse_devmap(map, pin_dir);
		if (err <= 0)
			return err;
	}
	n = snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	err = bpf_map__set_pin_path(map, path);
	if (err)
		log_err("pin path %s: %s", path, strerror(-err));
	return err;
}

int mml_fa_load(const struct mml_fa_cfg *cfg, const char *pin_dir, struct fa **out)
{
	struct fa *fa = NULL;
	int err;

	*out = NULL;
	if (!cfg->coa) {
		log_err("FA programs: no care-of address configured");
		return -EINVAL;
	}
	fa = fa__open();
	if (!fa) {
		err = -errno;
		log_err("FA programs: open failed: %s", strerror(errno));
		goto out;
	}
	fa->rodata->fa_cfg = *cfg;
	if (pin_dir) {
		struct bpf_map *pinned[] = {
			fa->maps.mml_csa,	fa->maps.mml_visitor,	  fa->maps.mml_stats,
			fa->maps.mml_ports,	fa->maps.mml_snoop,	  fa->maps.mml_snoop_ack,
			fa->maps.mml_snoop_cfg, fa->maps.mml_snoop_stats, fa->maps.mml_snoop_events,
			fa->maps.mml_xsks,	fa->maps.mml_xsk_slot,
		};

		err = 0;
		for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]) && !err; i++)
			err = set_pin(pinned[i], pin_dir);
		if (err)
			goto out;
	}
	err = fa__load(fa);
	if (err) {
		log_err("FA programs: load failed: %s%s", strerror(-err),
			pin_dir ? " (a map pinned there with another shape?)" : "");
		goto out;
	}
	*out = fa;
	fa = NULL;
out:
	fa__destroy(fa);
	return err;
}

int mml_fa_snoop_init(struct fa *fa, int enabled)
{
	int err = mml_snoop_cfg_init(bpf_map__fd(fa->maps.mml_snoop_cfg), enabled);

	if (err)
		log_err("%s: %s", MML_MAP_SNOOP_CFG, strerror(-err));
	return err;
}

void mml_fa_unload(struct fa *fa)
{
	if (fa)
		fa__destroy(fa);
}

int mml_fa_attach(struct fa *fa, enum mml_fa_side side, int ifindex, uint32_t xdp_flags)
{
	struct bpf_program *prog =
		side == MML_FA_WIRED ? fa->progs.mml_fa_down : fa->progs.mml_fa_up;
	struct bpf_devmap_val port = { .ifindex = (uint32_t)ifindex };
	uint32_t key = (uint32_t)ifindex;
	int err;

	err = bpf_map_update_elem(bpf_map__fd(fa->maps.mml_ports), &key, &port, BPF_ANY);
	if (err) {
		err = -errno;
		log_err("mml_ports: cannot add ifindex %d: %s", ifindex, strerror(errno));
		return err;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), xdp_flags, NULL);
	if (err)
		log_err("attach %s to ifindex %d: %s", bpf_program__name(prog), ifindex,
			strerror(-err));
	return err;
}

int mml_fa_detach(int ifindex, uint32_t xdp_flags)
{
	int err = bpf_xdp_detach(ifindex, xdp_flags, NULL);

	if (err)
		log_err("detach XDP from ifindex %d: %s", ifindex, strerror(-err));
	return err;
}
