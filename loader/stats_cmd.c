/* mmlctl stats [reset]: the data plane's counters (mml_stats, a per-CPU
 * array), summed over CPUs, by name, plus the endpoint workers' rows
 * (mml_wstats) where a worker runs, and an FA worker's SNOOP counters
 * (mml_snoop_stats). reset clears the programs' counters; prometheus
 * prints them for node_exporter (loader/stats_prom.c) with mmlkeyd's
 * (loader/stats_keyd.c; sock PATH: its control socket). */
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
static size_t snoop_stats_add(struct ctl *ctl, struct ctl_counter *c)
{
	int fd = mml_pin_open_map(ctl->dir.path, MML_MAP_SNOOP_STATS, sizeof(__u32), sizeof(__u64));

	if (fd < 0)
		return 0;
	for (__u32 i = 0; i < MML_SNOOP_STAT_MAX; i++) {
		__u64 v = 0;

		bpf_map_lookup_elem(fd, &i, &v);
		snprintf(c[i].name, sizeof(c[i].name), "snoop_worker_%s", mml_snoop_stat_name(i));
		c[i].help = mml_snoop_stat_help(i);
		c[i].value = v;
	}
	close(fd);
	return MML_SNOOP_STAT_MAX;
}

/* The data plane's counters: mml_stats summed over the CPUs, plus the
 * workers' rows; reset clears the map's (the workers' are theirs). */
static int stats_read(struct ctl *ctl, bool reset, struct ctl_counter *c)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err = 0;
	uint64_t workers[MML_STATS_CAP] = { 0 };
	__u64 *vals;

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
	for (__u32 i = 0; i < MML_STAT_MAX; i++) {
		c[i].value = workers[i];
		if (bpf_map_lookup_elem(fd, &i, vals)) {
			err = -errno;
			log_err("stats: reading %s: %s", MML_MAP_STATS, strerror(errno));
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			c[i].value += vals[cpu];
		snprintf(c[i].name, sizeof(c[i].name), "%s", mml_stat_name(i));
		c[i].help = mml_stat_help(i);
		if (reset) {
			memset(vals, 0, (size_t)ncpu * sizeof(*vals));
			bpf_map_update_elem(fd, &i, vals, BPF_EXIST);
		}
	}
	free(vals);
	close(fd);
	return err;
}

/* Room for mmlkeyd's counters: about 80, and a reply code or a malformed
 * reason each for those seen. */
#define KEYD_COUNTERS_MAX 1024

static int stats_show(struct ctl *ctl, int argc, char **argv)
{
	bool reset = false, prom = false;
	const char *sock = NULL;
	/* "--prometheus" as well: the spelling operators expect from exporters. */
	struct mml_opt opts[] = {
		{ "reset", MML_OPT_FLAG, &reset, NULL, false, false },
		{ "prometheus", MML_OPT_FLAG, &prom, NULL, false, false },
		{ "--prometheus", MML_OPT_FLAG, &prom, NULL, false, false },
		{ "sock", MML_OPT_STR, &sock, NULL, false, false },
	};
	size_t cap = MML_STAT_MAX + MML_SNOOP_STAT_MAX + KEYD_COUNTERS_MAX, n;
	struct ctl_counter *c;
	json_object *o;
	int err;

	err = mml_opts_parse("stats", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (err)
		return err;
	c = calloc(cap, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = stats_read(ctl, reset, c);
	if (err)
		goto out;
	n = MML_STAT_MAX + snoop_stats_add(ctl, c + MML_STAT_MAX);
	if (prom) {
		n += ctl_keyd_counters(ctl, sock, c + n, cap - n);
		ctl_prom_print(ctl, stdout, c, n);
		goto out;
	}
	o = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, c[i].name, json_object_new_int64((int64_t)c[i].value));
	ctl_print(ctl, o);
out:
	free(c);
	return err;
}

const struct ctl_cmd stats_cmds[] = {
	{ "stats", "show", stats_show, "[reset] [prometheus|--prometheus] [sock PATH]" },
	{ NULL, NULL, NULL, NULL },
};
