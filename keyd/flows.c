#include "keyd/flows.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "lib/log.h"
#include "lib/node_maps.h"
#include "maps/pin.h"

#define RETRY_NS (1 * NS_PER_SEC)

static const char *const known[] = { "home", "peer",  "proto", "home_port", "peer_port", "dscp",
				     "mode", "every", "spi",   "accept",    NULL };

static bool same_selector(const struct keyd_flow *a, const struct keyd_flow *b)
{
	if (a->by_dscp || b->by_dscp)
		return a->by_dscp == b->by_dscp && a->dscp == b->dscp;
	return !memcmp(&a->key, &b->key, sizeof(a->key));
}

static int parse_one(const config_setting_t *s, struct keyd_flow *e)
{
	static const char *const modes[] = { "plain", "esp", "mlesp", NULL };
	static const char *const protos[] = { "any", "tcp", "udp", "icmp", NULL };
	static const uint8_t proto_of[] = { 0, 6, 17, 1 };
	static const char *const accepts[] = { "none", "esp", "plain", NULL };
	static const uint8_t accept_flags[] = { 0, MML_FLOW_F_ACCEPT_ESP, MML_FLOW_F_ACCEPT_PLAIN };
	uint32_t hport = 0, pport = 0, dscp = 0, every = 0, spi = 0;
	int proto = 0, mode = -1, accept = 0;
	char where[300];

	memset(e, 0, sizeof(*e));
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		log_err("%s: each element of \"flows\" must be a group { ... }",
			cfg_where(s, where, sizeof(where)));
		return -EINVAL;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned int)i);
		size_t k = 0;

		while (known[k] && strcmp(known[k], config_setting_name(m)))
			k++;
		if (!known[k]) {
			log_err("%s: flows: unknown setting \"%s\"",
				cfg_where(m, where, sizeof(where)), config_setting_name(m));
			return -EINVAL;
		}
	}
	if (cfg_ipv4(s, "home", false, &e->key.home_addr) ||
	    cfg_ipv4(s, "peer", false, &e->key.peer_addr) ||
	    cfg_choice(s, "proto", protos, &proto) ||
	    cfg_u32(s, "home_port", false, 0, 65535, &hport) ||
	    cfg_u32(s, "peer_port", false, 0, 65535, &pport) ||
	    cfg_u32(s, "dscp", false, 0, MML_FLOW_DSCPS - 1, &dscp) ||
	    cfg_choice(s, "mode", modes, &mode) || cfg_u32(s, "every", false, 0, 65535, &every) ||
	    cfg_u32(s, "spi", false, 0, UINT32_MAX, &spi) ||
	    cfg_choice(s, "accept", accepts, &accept))
		return -EINVAL;
	if (mode < 0) {
		log_err("%s: flows: \"mode\" (\"plain\", \"esp\" or \"mlesp\") is missing",
			cfg_where(s, where, sizeof(where)));
		return -EINVAL;
	}
	e->key.proto = proto_of[proto];
	e->key.home_port = (uint16_t)hport;
	e->key.peer_port = (uint16_t)pport;
	e->by_dscp = config_setting_get_member(s, "dscp") != NULL;
	e->dscp = (uint8_t)dscp;
	if (e->by_dscp && (e->key.home_addr || e->key.peer_addr || e->key.proto ||
			   e->key.home_port || e->key.peer_port)) {
		log_err("%s: flows: \"dscp\" names a class of packets, not a flow: no home, peer, "
			"proto or ports with it",
			cfg_where(s, where, sizeof(where)));
		return -EINVAL;
	}
	e->f.mode = (uint8_t)mode;
	e->f.every_n = (uint16_t)every;
	e->f.spi = spi;
	e->f.flags = accept_flags[accept];
	return 0;
}

int keyd_flows_parse(const config_setting_t *root, struct keyd_flow **v, size_t *n)
{
	const config_setting_t *list = config_setting_get_member(root, "flows");
	struct keyd_flow *out;
	char where[300];
	int len, err = 0;

	*v = NULL;
	*n = 0;
	if (!list)
		return 0;
	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		log_err("%s: \"flows\" must be a list ( { ... }, ... )",
			cfg_where(list, where, sizeof(where)));
		return -EINVAL;
	}
	len = config_setting_length(list);
	if (!len)
		return 0;
	out = calloc((size_t)len, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (int i = 0; !err && i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned int)i);

		err = parse_one(s, &out[i]);
		for (int j = 0; !err && j < i; j++)
			if (same_selector(&out[i], &out[j])) {
				log_err("%s: flows: the same %s as element %d",
					cfg_where(s, where, sizeof(where)),
					out[i].by_dscp ? "dscp" : "key", j + 1);
				err = -EINVAL;
			}
	}
	if (err) {
		free(out);
		return err;
	}
	*v = out;
	*n = (size_t)len;
	return 0;
}

static const struct keyd_flow *find(const struct keyd_flow *v, size_t n, const struct keyd_flow *e)
{
	for (size_t i = 0; i < n; i++)
		if (same_selector(&v[i], e))
			return &v[i];
	return NULL;
}

int keyd_flows_sync(const struct keyd_flow *old, size_t n_old, const struct keyd_flow *v, size_t n,
		    const struct keyd_flow_ops *ops)
{
	int err = 0, writes = 0, e;

	for (size_t i = 0; i < n_old; i++) {
		if (find(v, n, &old[i]))
			continue;
		e = ops->del(ops->ctx, &old[i]);
		writes++;
		if (e && !err)
			err = e;
	}
	for (size_t i = 0; i < n; i++) {
		const struct keyd_flow *o = find(old, n_old, &v[i]);

		if (o && !memcmp(&o->f, &v[i].f, sizeof(o->f)))
			continue;
		e = ops->put(ops->ctx, &v[i]);
		writes++;
		if (e && !err)
			err = e;
	}
	return err ? err : writes;
}

/* The node's maps, open for one sync. */
struct maps {
	int flow, shapes, dscp;
};

static int map_put(void *ctx, const struct keyd_flow *e)
{
	struct maps *m = ctx;

	if (e->by_dscp)
		return mml_flow_dscp_put(m->dscp, e->dscp, &e->f);
	return mml_flow_put(m->flow, m->shapes, &e->key, &e->f);
}

/* A configured entry removed: gone from the map unless a worker has
 * learned an upgrade there since (that is the peer's doing, as for entries
 * the configuration never named). */
static int map_del(void *ctx, const struct keyd_flow *e)
{
	struct maps *m = ctx;
	struct mml_flow cur;

	if (e->by_dscp)
		return mml_flow_dscp_put(m->dscp, e->dscp, NULL);
	if (bpf_map_lookup_elem(m->flow, &e->key, &cur))
		return 0;
	if (cur.flags & MML_FLOW_F_LEARNED)
		return 0;
	return bpf_map_delete_elem(m->flow, &e->key) && errno != ENOENT ? -errno : 0;
}

static int write_now(struct keyd_flows *fl)
{
	struct maps m = { -1, -1, -1 };
	struct keyd_flow_ops ops = { map_put, map_del, &m };
	int ret;

	m.flow = mml_pin_open_map(fl->pin->path, MML_MAP_FLOW, sizeof(struct mml_flow_key),
				  sizeof(struct mml_flow));
	m.shapes = mml_pin_open_map(fl->pin->path, MML_MAP_FLOW_SHAPES, sizeof(__u32),
				    sizeof(struct mml_flow_shapes));
	m.dscp = mml_pin_open_map(fl->pin->path, MML_MAP_FLOW_DSCP, sizeof(__u32),
				  sizeof(struct mml_flow));
	ret = m.flow < 0 ? m.flow : m.shapes < 0 ? m.shapes : m.dscp < 0 ? m.dscp : 0;
	if (!ret)
		ret = keyd_flows_sync(fl->done, fl->n_done, fl->want, fl->n_want, &ops);
	if (ret > 0)
		mml_gen_bump(fl->pin->path);
	for (int *fd = &m.flow; fd <= &m.dscp; fd++)
		if (*fd >= 0)
			close(*fd);
	return ret < 0 ? ret : 0;
}

static void try_write(void *arg)
{
	struct keyd_flows *fl = arg;
	int err = write_now(fl);

	if (err == -ENOENT) {
		if (!fl->waiting_logged)
			log_info("flows: %s/%s not pinned yet (mmlctl ha|mh attach): written once "
				 "it is",
				 fl->pin->path, MML_MAP_FLOW);
		fl->waiting_logged = true;
		loop_timer_in(fl->loop, &fl->retry, RETRY_NS);
		return;
	}
	if (err)
		log_err("flows: writing the configured flows: %s", strerror(-err));
	else
		log_info("flows: %zu configured entr%s in place", fl->n_want,
			 fl->n_want == 1 ? "y" : "ies");
	/* What a failed write left is unknown: the next sync writes all. */
	free(fl->done);
	fl->done = NULL;
	fl->n_done = 0;
	if (!err && fl->n_want) {
		fl->done = malloc(fl->n_want * sizeof(*fl->done));
		if (fl->done) {
			memcpy(fl->done, fl->want, fl->n_want * sizeof(*fl->done));
			fl->n_done = fl->n_want;
		}
	}
}

int keyd_flows_start(struct keyd_flows *fl, struct loop *loop, const struct mml_pin_dir *pin,
		     const config_t *cfg)
{
	int err;

	memset(fl, 0, sizeof(*fl));
	fl->pin = pin;
	fl->loop = loop;
	loop_timer_init(&fl->retry, try_write, fl);
	err = keyd_flows_parse(config_root_setting(cfg), &fl->want, &fl->n_want);
	if (err || !fl->n_want)
		return err;
	try_write(fl);
	return 0;
}

void keyd_flows_reload(struct keyd_flows *fl, struct keyd_flow *want, size_t n_want)
{
	if (!fl->pin) {
		free(want);
		return;
	}
	free(fl->want);
	fl->want = want;
	fl->n_want = n_want;
	if (!n_want && !fl->n_done)
		return;
	loop_timer_cancel(fl->loop, &fl->retry);
	try_write(fl);
}

void keyd_flows_stop(struct keyd_flows *fl)
{
	if (fl->loop)
		loop_timer_cancel(fl->loop, &fl->retry);
	free(fl->want);
	free(fl->done);
	memset(fl, 0, sizeof(*fl));
}
