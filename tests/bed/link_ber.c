#include "tests/bed/link_ber.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pin.h"
#include "link_ber.skel.h"

struct mml_link_ber {
	struct link_ber *skel;
};

static const char *const hook_names[] = {
	[MML_LINK_BER_TC_INGRESS] = "ingress",
	[MML_LINK_BER_TC_EGRESS] = "egress",
	[MML_LINK_BER_XDP] = "xdp",
};

int mml_link_ber_hook_parse(const char *text, enum mml_link_ber_hook *hook)
{
	for (size_t i = 0; i < sizeof(hook_names) / sizeof(hook_names[0]); i++) {
		if (!strcmp(text, hook_names[i])) {
			*hook = (enum mml_link_ber_hook)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mml_link_ber_hook_name(enum mml_link_ber_hook hook)
{
	return (unsigned int)hook < sizeof(hook_names) / sizeof(hook_names[0]) ? hook_names[hook] :
										 "?";
}

static int parse_binary_count(const char *text, double *value)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !(v > 0))
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1024.0 * 1024 * 1024, end++;
	if (*end)
		return -EINVAL;
	*value = v;
	return 0;
}

int mml_link_ber_parse(const char *text, double *ber)
{
	const char *slash = strchr(text, '/');
	double v, num, den;
	char *end;

	if (slash) {
		char head[64];
		size_t n = (size_t)(slash - text);

		if (n == 0 || n >= sizeof(head))
			return -EINVAL;
		memcpy(head, text, n);
		head[n] = '\0';
		if (parse_binary_count(head, &num) || parse_binary_count(slash + 1, &den))
			return -EINVAL;
		v = num / den;
	} else {
		errno = 0;
		v = strtod(text, &end);
		if (errno || end == text || *end)
			return -EINVAL;
	}
	if (!(v == 0 || (v >= MML_BER_MIN && v < 1)))
		return -ERANGE;
	*ber = v;
	return 0;
}

int mml_link_ber_table_fill(double ber, struct mml_ber_cfg *cfg)
{
	const double cells = MML_BER_TABLE_CELLS;
	double mean;

	if (!(ber == 0 || (ber >= MML_BER_MIN && ber < 1)))
		return -ERANGE;
	memset(cfg->gap, 0, sizeof(cfg->gap));
	cfg->enabled = ber > 0;
	cfg->ber_e18 = (__u64)llround(ber * 1e18);
	cfg->mean_gap_bits = ber > 0 ? (__u64)llround(1 / ber) : 0;
	if (ber == 0)
		return 0;
	mean = 1 / ber;
	/* F^-1(u) = -ln(1 - u) / BER at the left edge of every cell ... */
	for (unsigned int i = 0; i < MML_BER_TABLE_CELLS; i++)
		cfg->gap[i] = (__u64)llround(-log1p(-(double)i / cells) * mean);
	/* ... and the last cell, whose right edge is infinite, closed so that
	 * its mean is exact: N * integral of -ln(v) over (0, 1/N) = 1 + ln N. */
	cfg->gap[MML_BER_TABLE_CELLS] =
		(__u64)llround(2 * (1 + log(cells)) * mean) - cfg->gap[MML_BER_TABLE_CELLS - 1];
	return 0;
}

int mml_link_ber_pin_dir(char *buf, size_t len, const char *root, const char *node,
			 const char *ifname, enum mml_link_ber_hook hook)
{
	int n = snprintf(buf, len, "%s/%s/link_ber/%s-%s", root, node, ifname,
			 mml_link_ber_hook_name(hook));

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int mml_link_ber_lock(const char *pin_dir)
{
	int fd = mml_pin_mkdir(pin_dir);

	if (!fd)
		fd = mml_pin_lock_path(pin_dir, true);
	if (fd < 0)
		log_err("link_ber: cannot lock %s: %s", pin_dir, strerror(-fd));
	return fd;
}

static int set_pin_path(struct bpf_map *map, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return bpf_map__set_pin_path(map, path);
}

static int set_pin_paths(struct link_ber *skel, const char *pin_dir)
{
	int err = mml_pin_mkdir(pin_dir);

	if (err) {
		log_err("link_ber: cannot create pin directory %s: %s", pin_dir, strerror(-err));
		return err;
	}
	err = set_pin_path(skel->maps.ber_cfg, pin_dir, MML_BER_MAP_CFG);
	if (!err)
		err = set_pin_path(skel->maps.ber_state, pin_dir, MML_BER_MAP_STATE);
	if (!err)
		err = set_pin_path(skel->maps.ber_stats, pin_dir, MML_BER_MAP_STATS);
	if (err)
		log_err("link_ber: pin paths under %s: %s", pin_dir, strerror(-err));
	return err;
}

int mml_link_ber_open(const char *pin_dir, struct mml_link_ber **out)
{
	struct mml_link_ber *lb = calloc(1, sizeof(*lb));
	int err;

	if (!lb)
		return -ENOMEM;
	lb->skel = link_ber__open();
	if (!lb->skel) {
		err = -errno;
		log_err("link_ber: cannot open the BPF skeleton: %s", strerror(-err));
		goto out;
	}
	if (pin_dir) {
		err = set_pin_paths(lb->skel, pin_dir);
		if (err)
			goto out;
	}
	err = link_ber__load(lb->skel);
	if (err) {
		log_err("link_ber: cannot load the BPF programs%s%s: %s",
			pin_dir ? " pinned at " : "", pin_dir ? pin_dir : "", strerror(-err));
		goto out;
	}
	*out = lb;
	lb = NULL;
out:
	mml_link_ber_close(lb);
	return err;
}

void mml_link_ber_close(struct mml_link_ber *lb)
{
	if (!lb)
		return;
	link_ber__destroy(lb->skel);
	free(lb);
}

int mml_link_ber_prog_fd(const struct mml_link_ber *lb, enum mml_link_ber_hook hook)
{
	return bpf_program__fd(hook == MML_LINK_BER_XDP ? lb->skel->progs.link_ber_xdp :
							  lb->skel->progs.link_ber_tc);
}

struct mml_link_ber_maps mml_link_ber_maps_of(const struct mml_link_ber *lb)
{
	return (struct mml_link_ber_maps){
		.cfg_fd = bpf_map__fd(lb->skel->maps.ber_cfg),
		.stats_fd = bpf_map__fd(lb->skel->maps.ber_stats),
	};
}

static int ifindex_of(const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		log_err("link_ber: no interface %s in this network namespace", ifname);
		return -ENODEV;
	}
	return (int)ifindex;
}

static struct bpf_tc_hook tc_hook_of(int ifindex, enum mml_link_ber_hook hook)
{
	return (struct bpf_tc_hook){
		.sz = sizeof(struct bpf_tc_hook),
		.ifindex = ifindex,
		.attach_point = hook == MML_LINK_BER_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS,
	};
}

static int attach_tc(int prog_fd, int ifindex, enum mml_link_ber_hook hook, int tc_prio)
{
	struct bpf_tc_hook tc_hook = tc_hook_of(ifindex, hook);
	struct bpf_tc_opts opts = {
		.sz = sizeof(opts),
		.prog_fd = prog_fd,
		.handle = MML_LINK_BER_TC_HANDLE,
		.priority = (__u32)tc_prio,
		.flags = BPF_TC_F_REPLACE,
	};
	bool was_quiet = mml_log_libbpf_quiet(true);
	/* An existing clsact is fine (and libbpf would warn about it). */
	int err = bpf_tc_hook_create(&tc_hook);

	mml_log_libbpf_quiet(was_quiet);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&tc_hook, &opts);
}

int mml_link_ber_attach(struct mml_link_ber *lb, const char *ifname, enum mml_link_ber_hook hook,
			int tc_prio)
{
	int ifindex = ifindex_of(ifname);
	int prog_fd = mml_link_ber_prog_fd(lb, hook);
	int err;

	if (ifindex < 0)
		return ifindex;
	if (hook == MML_LINK_BER_XDP)
		err = bpf_xdp_attach(ifindex, prog_fd,
				     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	else
		err = attach_tc(prog_fd, ifindex, hook, tc_prio);
	if (err)
		log_err("link_ber: cannot attach to %s %s: %s", ifname,
			mml_link_ber_hook_name(hook), strerror(-err));
	return err;
}

/* True if the program with this id is one of ours (by name), so detach never
 * removes a program somebody else attached. */
static bool prog_is_ours(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool ours = false;

	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		ours = !strncmp(info.name, "link_ber_", strlen("link_ber_"));
	close(fd);
	return ours;
}

static int detach_xdp(int ifindex)
{
	__u32 prog_id = 0;
	int err = bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &prog_id);

	if (err)
		return err;
	if (!prog_id || !prog_is_ours(prog_id))
		return -ENOENT;
	return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

static int detach_tc(int ifindex, enum mml_link_ber_hook hook, int tc_prio)
{
	struct bpf_tc_hook tc_hook = tc_hook_of(ifindex, hook);
	struct bpf_tc_opts opts = {
		.sz = sizeof(opts),
		.handle = MML_LINK_BER_TC_HANDLE,
		.priority = (__u32)tc_prio,
	};
	int err = bpf_tc_query(&tc_hook, &opts);

	if (err)
		return err;
	if (!prog_is_ours(opts.prog_id))
		return -ENOENT;
	opts.prog_id = 0;
	opts.prog_fd = 0;
	opts.flags = 0;
	return bpf_tc_detach(&tc_hook, &opts);
}

int mml_link_ber_detach(const char *ifname, enum mml_link_ber_hook hook, int tc_prio)
{
	int ifindex = ifindex_of(ifname);
	int err;

	if (ifindex < 0)
		return ifindex;
	err = hook == MML_LINK_BER_XDP ? detach_xdp(ifindex) : detach_tc(ifindex, hook, tc_prio);
	if (err)
		log_err("link_ber: nothing of ours to detach on %s %s: %s", ifname,
			mml_link_ber_hook_name(hook), strerror(-err));
	return err;
}

int mml_link_ber_unpin(const char *pin_dir)
{
	static const char *const names[] = { MML_BER_MAP_CFG, MML_BER_MAP_STATE,
					     MML_BER_MAP_STATS };
	char path[PATH_MAX];
	int err = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]);

		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT && !err)
			err = -errno;
	}
	if (rmdir(pin_dir) && errno != ENOENT && !err)
		err = -errno;
	if (err)
		log_err("link_ber: cannot unpin %s: %s", pin_dir, strerror(-err));
	return err;
}

int mml_link_ber_maps_open(const char *pin_dir, struct mml_link_ber_maps *maps)
{
	int err = 0;

	maps->cfg_fd = mml_pin_open_map(pin_dir, MML_BER_MAP_CFG, 0, 0);
	maps->stats_fd = maps->cfg_fd < 0 ? -1 : mml_pin_open_map(pin_dir, MML_BER_MAP_STATS, 0, 0);
	if (maps->cfg_fd < 0 || maps->stats_fd < 0) {
		err = maps->cfg_fd < 0 ? maps->cfg_fd : maps->stats_fd;
		log_err("link_ber: no pinned map %s/%s: %s", pin_dir,
			maps->cfg_fd < 0 ? MML_BER_MAP_CFG : MML_BER_MAP_STATS, strerror(-err));
		mml_link_ber_maps_close(maps);
	}
	return err;
}

void mml_link_ber_maps_close(struct mml_link_ber_maps *maps)
{
	if (maps->cfg_fd >= 0)
		close(maps->cfg_fd);
	if (maps->stats_fd >= 0)
		close(maps->stats_fd);
	maps->cfg_fd = maps->stats_fd = -1;
}

int mml_link_ber_set(int cfg_fd, double ber)
{
	struct mml_ber_cfg *cfg = calloc(1, sizeof(*cfg));
	__u32 key = 0;
	int err;

	if (!cfg)
		return -ENOMEM;
	err = bpf_map_lookup_elem(cfg_fd, &key, cfg) ? -errno : 0;
	if (!err)
		err = mml_link_ber_table_fill(ber, cfg);
	if (!err) {
		cfg->generation++;
		err = bpf_map_update_elem(cfg_fd, &key, cfg, BPF_ANY) ? -errno : 0;
	}
	if (err)
		log_err("link_ber: cannot set BER %g: %s", ber, strerror(-err));
	free(cfg);
	return err;
}

int mml_link_ber_get(int cfg_fd, double *ber)
{
	struct mml_ber_cfg *cfg = calloc(1, sizeof(*cfg));
	__u32 key = 0;
	int err;

	if (!cfg)
		return -ENOMEM;
	err = bpf_map_lookup_elem(cfg_fd, &key, cfg) ? -errno : 0;
	if (!err)
		*ber = cfg->enabled ? (double)cfg->ber_e18 / 1e18 : 0;
	free(cfg);
	return err;
}

static int percpu_stats(int stats_fd, struct mml_ber_stats **vals, int *ncpus)
{
	__u32 key = 0;

	*ncpus = libbpf_num_possible_cpus();
	if (*ncpus <= 0)
		return *ncpus < 0 ? *ncpus : -EINVAL;
	*vals = calloc((size_t)*ncpus, sizeof(**vals));
	if (!*vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(stats_fd, &key, *vals)) {
		int err = -errno;

		free(*vals);
		*vals = NULL;
		return err;
	}
	return 0;
}

int mml_link_ber_counters_read(int stats_fd, struct mml_link_ber_counters *sum)
{
	struct mml_ber_stats *vals = NULL;
	int ncpus, err = percpu_stats(stats_fd, &vals, &ncpus);

	if (err)
		return err;
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < ncpus; i++) {
		sum->frames_passed += vals[i].frames_passed;
		sum->bytes_passed += vals[i].bytes_passed;
		sum->frames_lost += vals[i].frames_lost;
		sum->bytes_lost += vals[i].bytes_lost;
	}
	free(vals);
	return 0;
}

int mml_link_ber_counters_reset(int stats_fd)
{
	int ncpus = libbpf_num_possible_cpus();
	struct mml_ber_stats *zero;
	__u32 key = 0;
	int err;

	if (ncpus <= 0)
		return ncpus < 0 ? ncpus : -EINVAL;
	zero = calloc((size_t)ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(stats_fd, &key, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	return err;
}
