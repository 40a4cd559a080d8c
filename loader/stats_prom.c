/* mmlctl stats show prometheus: the counters in Prometheus' text exposition
 * format, for node_exporter's textfile collector. Each counter is a metric
 * mmlipsec_<counter>_total with the labels node and role; the names are
 * those of `mmlctl stats`, so they stay as stable as the map's indices
 * (maps/stats.h: appended, never renamed), and mmlkeyd's are prefixed mip_
 * and ike_ (loader/stats_keyd.c). The format is a few lines of
 * text; no C client library is packaged for Debian (prometheus-cpp is C++
 * and serves HTTP), so it is written here. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/role.h"
#include "loader/ctl.h"
#include "maps/pin.h"

static uint32_t map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The role whose program prog_id is, if the program uses map stats_id. */
static const char *prog_role(uint32_t prog_id, uint32_t stats_id)
{
	uint32_t ids[16], len;
	struct bpf_prog_info info;
	const char *role = NULL;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return NULL;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	for (uint32_t i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i] != stats_id)
			continue;
		for (int r = 0; r < MML_ROLE_COUNT; r++)
			if (mml_role_prog_slot(mml_role_get(r), info.name) >= 0)
				role = mml_role_get(r)->name;
	}
out:
	close(fd);
	return role;
}

/* The node's role is that of the XDP programs using its mml_stats (the
 * ownership rule of lib/role_owner.h); "none" when none is loaded (the maps
 * outlive the programs for a while, and tests pin maps without them). */
static const char *node_role(const struct ctl *ctl)
{
	int fd = mml_pin_open_map(ctl->dir.path, MML_MAP_STATS, 0, 0);
	uint32_t stats_id = fd >= 0 ? map_id(fd) : 0, id = 0;
	const char *role = NULL;

	if (fd >= 0)
		close(fd);
	while (stats_id && !role && !bpf_prog_get_next_id(id, &id))
		role = prog_role(id, stats_id);
	return role ? role : "none";
}

/* HELP text: backslash and line feed escaped. */
static void put_help(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* A label value: backslash, double quote and line feed escaped. */
static void put_label(FILE *f, const char *name, const char *s, const char *sep)
{
	fprintf(f, "%s=\"", name);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fprintf(f, "\"%s", sep);
}

void ctl_prom_print(const struct ctl *ctl, FILE *f, const struct ctl_counter *c, size_t n)
{
	const char *node = strrchr(ctl->dir.path, '/'), *role = node_role(ctl);

	node = node ? node + 1 : ctl->dir.path;
	for (size_t i = 0; i < n; i++) {
		/* HELP and TYPE once per family, before its first sample. */
		if (!i || strcmp(c[i].name, c[i - 1].name)) {
			fprintf(f, "# HELP mmlipsec_%s_total ", c[i].name);
			put_help(f, c[i].help ? c[i].help : c[i].name);
			fprintf(f, "\n# TYPE mmlipsec_%s_total counter\n", c[i].name);
		}
		fprintf(f, "mmlipsec_%s_total{", c[i].name);
		put_label(f, "node", node, ",");
		put_label(f, "role", role, c[i].label ? "," : "");
		if (c[i].label)
			put_label(f, c[i].label, c[i].label_value, "");
		fprintf(f, "} %llu\n", (unsigned long long)c[i].value);
	}
}
