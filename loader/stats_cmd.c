/* mmlctl stats [reset]: the data plane's counters (mml_stats, a per-CPU
 * array), summed over CPUs, by name, plus the endpoint workers' rows
 * (mml_wstats) where a worker runs, and an FA worker's SNOOP counters
 * (mml_snoop_stats). reset clears the programs' counters. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/node_maps.h"
#include "lib/log.h"
#include "loader/ctl.h"
#include "maps/snoop.h"
#include "maps/stats.h"

/* An FA with SNOOP: the FA worker's counters too (mml_snoop_stats), named
 * snoop_worker_<counter>. Nothing when the map is not pinned. */
static void snoop_stats_add(struct ctl *ctl, json_object *o)
{
	int fd = mml_pin_open_map(ctl->dir.path, MML_MAP_SNOOP_STATS, sizeof(__u32), sizeof(__u64));
	char name[96];

	if (fd < 0)
		return;
	for (__u32 i = 0; i < MML_SNOOP_STAT_MAX; i++) {
		__u64 v = 0;

		bpf_map_lookup_elem(fd, &i, &v);
		snprintf(name, sizeof(name), "snoop_worker_%s", mml_snoop_stat_name(i));
		json_object_object_add(o, name, json_object_new_int64((int64_t)v));
	}
	close(fd);
}

static int stats_show(struct ctl *ctl, int argc, char **argv)
{
	bool reset = false;
	struct mml_opt opts[] = { { "reset", MML_OPT_FLAG, &reset, NULL, false, false } };
	int ncpu = libbpf_num_possible_cpus(), fd, err;
	json_object *o;
	uint64_t workers[MML_STATS_CAP] = { 0 };
	__u64 *vals;

	err = mml_opts_parse("stats", argc, argv, opts, 1);
	if (err)
		return err;
	if (ncpu < 0)
		return ncpu;
	fd = ctl_open_map(ctl, MML_MAP_STATS, sizeof(__u32), sizeof(__u64));
	if (fd < 0)
		return fd;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals) {
		close(fd);
		return -ENOMEM;
	}
	mml_wstats_add(ctl->dir.path, workers);
	o = json_object_new_object();
	for (__u32 i = 0; i < MML_STAT_MAX; i++) {
		__u64 sum = workers[i];

		if (bpf_map_lookup_elem(fd, &i, vals)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		json_object_object_add(o, mml_stat_name(i), json_object_new_int64((int64_t)sum));
		if (reset) {
			memset(vals, 0, (size_t)ncpu * sizeof(*vals));
			bpf_map_update_elem(fd, &i, vals, BPF_EXIST);
		}
	}
	free(vals);
	close(fd);
	if (err) {
		log_err("stats: reading %s: %s", MML_MAP_STATS, strerror(-err));
		json_object_put(o);
		return err;
	}
	snoop_stats_add(ctl, o);
	ctl_print(ctl, o);
	return 0;
}

const struct ctl_cmd stats_cmds[] = {
	{ "stats", "show", stats_show, "[reset]" },
	{ NULL, NULL, NULL, NULL },
};
