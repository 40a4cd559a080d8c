/* mmlctl snoop show|set: SNOOP at the FA (docs/snoop.md). show prints the
 * configuration (mml_snoop_cfg), the worker's counters (mml_snoop_stats),
 * the XDP classification counters (mml_stats) and every connection: the
 * worker's view (mml_snoop) beside XDP's (mml_snoop_ack). set changes
 * Table 4 parameters or the switch; the worker follows the generation. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/node_maps.h"
#include "lib/log.h"
#include "lib/snoop_cfg.h"
#include "loader/ctl.h"
#include "maps/stats.h"

static json_object *endpoint_json(uint32_t addr, uint16_t port)
{
	char ip[16], buf[32];

	snprintf(buf, sizeof(buf), "%s:%u", mml_ipv4_str(addr, ip), ntohs(port));
	return json_object_new_string(buf);
}

#define ADD_U64(o, name, v) json_object_object_add(o, name, json_object_new_int64((int64_t)(v)))

static json_object *conn_json(const struct mml_snoop_key *k, const struct mml_snoop_conn *c,
			      const struct mml_snoop_ack *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "src", endpoint_json(k->saddr, k->sport));
	json_object_object_add(o, "dst", endpoint_json(k->daddr, k->dport));
	ADD_U64(o, "last_ack", c->last_ack);
	ADD_U64(o, "next_seq", c->next_seq);
	ADD_U64(o, "cached", c->cached);
	ADD_U64(o, "cached_bytes", c->cached_bytes);
	ADD_U64(o, "dupacks", c->dupacks);
	ADD_U64(o, "srtt_us", c->srtt_us);
	ADD_U64(o, "rttvar_us", c->rttvar_us);
	ADD_U64(o, "rto_ms", c->rto_ms);
	ADD_U64(o, "segs_cached", c->segs_cached);
	ADD_U64(o, "rxmit_dupack", c->rxmit_dupack);
	ADD_U64(o, "rxmit_timer", c->rxmit_timer);
	ADD_U64(o, "rxmit_persist", c->rxmit_persist);
	ADD_U64(o, "dupacks_suppressed", c->dupacks_suppressed);
	ADD_U64(o, "sender_rxmit", c->sender_rxmit);
	if (a) {
		json_object_object_add(o, "xdp_have_ack", json_object_new_boolean(a->have_ack));
		ADD_U64(o, "xdp_last_ack", a->last_ack);
		ADD_U64(o, "xdp_window", a->window);
		ADD_U64(o, "xdp_new_acks", a->new_acks);
		ADD_U64(o, "xdp_dupacks", a->dupacks);
	}
	return o;
}

static json_object *conns_json(int conn_fd, int ack_fd)
{
	json_object *list = json_object_new_array();
	struct mml_snoop_key key, next, *prev = NULL;
	struct mml_snoop_conn c;
	struct mml_snoop_ack a;

	while (!bpf_map_get_next_key(conn_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(conn_fd, &key, &c))
			continue;
		json_object_array_add(
			list,
			conn_json(&key, &c, bpf_map_lookup_elem(ack_fd, &key, &a) ? NULL : &a));
	}
	return list;
}

static json_object *worker_stats_json(int fd)
{
	json_object *o = json_object_new_object();

	for (__u32 i = 0; i < MML_SNOOP_STAT_MAX; i++) {
		__u64 v = 0;

		bpf_map_lookup_elem(fd, &i, &v);
		ADD_U64(o, mml_snoop_stat_name(i), v);
	}
	return o;
}

static json_object *xdp_stats_json(int fd)
{
	json_object *o = json_object_new_object();

	for (__u32 i = MML_STAT_SNOOP_DATA; i <= MML_STAT_SNOOP_EVENT_LOST; i++) {
		uint64_t v = 0;

		mml_stats_read(fd, i, &v);
		ADD_U64(o, mml_stat_name(i), v);
	}
	return o;
}

static int snoop_show(struct ctl *ctl, int argc, char **argv)
{
	int cfg_fd = -1, stats_fd = -1, xdp_fd = -1, conn_fd = -1, ack_fd = -1, err;
	struct mml_snoop_cfg cfg;
	json_object *o;

	err = mml_opts_parse("snoop show", argc, argv, NULL, 0);
	if (err)
		return err;
	cfg_fd = ctl_open_map(ctl, MML_MAP_SNOOP_CFG, sizeof(__u32), sizeof(cfg));
	stats_fd = ctl_open_map(ctl, MML_MAP_SNOOP_STATS, sizeof(__u32), sizeof(__u64));
	xdp_fd = ctl_open_map(ctl, MML_MAP_STATS, sizeof(__u32), sizeof(__u64));
	conn_fd = ctl_open_map(ctl, MML_MAP_SNOOP, sizeof(struct mml_snoop_key),
			       sizeof(struct mml_snoop_conn));
	ack_fd = ctl_open_map(ctl, MML_MAP_SNOOP_ACK, sizeof(struct mml_snoop_key),
			      sizeof(struct mml_snoop_ack));
	if (cfg_fd < 0 || stats_fd < 0 || xdp_fd < 0 || conn_fd < 0 || ack_fd < 0) {
		err = -ENOENT;
		goto out;
	}
	err = mml_snoop_cfg_read(cfg_fd, &cfg);
	if (err) {
		log_err("snoop show: reading %s: %s", MML_MAP_SNOOP_CFG, strerror(-err));
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "config", mml_snoop_cfg_json(&cfg));
	json_object_object_add(o, "counters", worker_stats_json(stats_fd));
	json_object_object_add(o, "xdp", xdp_stats_json(xdp_fd));
	json_object_object_add(o, "connections", conns_json(conn_fd, ack_fd));
	ctl_print(ctl, o);
out:
	for (int *fd = (int[]){ cfg_fd, stats_fd, xdp_fd, conn_fd, ack_fd }, i = 0; i < 5; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return err;
}

/* snoop set KEY VALUE [KEY VALUE ...]: all or nothing. */
static int snoop_set(struct ctl *ctl, int argc, char **argv)
{
	struct mml_snoop_cfg cfg;
	char why[200];
	int fd, err;

	if (argc < 2 || argc % 2) {
		log_err("snoop set: expected KEY VALUE pairs (keys: %s)", mml_snoop_cfg_keys);
		return -EINVAL;
	}
	fd = ctl_open_map(ctl, MML_MAP_SNOOP_CFG, sizeof(__u32), sizeof(cfg));
	if (fd < 0)
		return fd;
	err = mml_snoop_cfg_read(fd, &cfg);
	if (!err && !cfg.gen)
		mml_snoop_cfg_default(&cfg);
	for (int i = 0; !err && i < argc; i += 2) {
		err = mml_snoop_cfg_set(&cfg, argv[i], argv[i + 1], why, sizeof(why));
		if (err)
			log_err("snoop set: %s", why);
	}
	if (!err && mml_snoop_cfg_check(&cfg, why, sizeof(why))) {
		log_err("snoop set: %s", why);
		err = -EINVAL;
	}
	if (!err)
		err = mml_snoop_cfg_write(fd, &cfg);
	close(fd);
	return err;
}

const struct ctl_cmd snoop_cmds[] = {
	{ "snoop", "show", snoop_show, "" },
	{ "snoop", "set", snoop_set, "KEY VALUE [KEY VALUE ...]  (enabled on|off, max_segs, ...)" },
	{ NULL, NULL, NULL, NULL },
};
