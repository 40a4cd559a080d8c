/* mmlctl ha|mh attach|detach, binding add|del|list, flow add|del|list: the
 * endpoint roles (docs/endpoints.md). attach and detach touch only the
 * node's own programs and detach removes the pins with the last of them,
 * as for every role (loader/role_cmd.c). Every change to a map mmlworker
 * caches bumps mml_gen, so a running worker picks it up before its next
 * batch. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/flow_ctr.h"
#include "lib/log.h"
#include "lib/node_maps.h"
#include "loader/ctl.h"
#include "maps/ep.h"

static const char *const modes[] = { "plain", "esp", "mlesp", NULL };

static int ha_attach(struct ctl *ctl, int argc, char **argv)
{
	struct mml_ep_cfg cfg = { 0 };
	char *cn = NULL, *fa = NULL;
	bool skb = false;
	struct mml_opt opts[] = {
		{ "addr", MML_OPT_IPV4, &cfg.ha_addr, NULL, true, false },
		{ "cn", MML_OPT_STR, &cn, NULL, true, false },
		{ "fa", MML_OPT_STR, &fa, NULL, true, false },
		{ "skb", MML_OPT_FLAG, &skb, NULL, false, false },
		CTL_SIZE_OPTS(ctl),
	};
	int err = mml_opts_parse("ha attach", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	char *lists[] = { [MML_HA_CN] = cn, [MML_HA_FA] = fa };

	return err ? err : ctl_role_attach(ctl, MML_ROLE_HA, &cfg, lists, skb, NULL, NULL);
}

static int mh_attach(struct ctl *ctl, int argc, char **argv)
{
	struct mml_ep_cfg cfg = { 0 };
	char *dev = NULL;
	bool skb = false;
	struct mml_opt opts[] = {
		{ "home", MML_OPT_IPV4, &cfg.home_addr, NULL, true, false },
		{ "dev", MML_OPT_STR, &dev, NULL, true, false },
		{ "skb", MML_OPT_FLAG, &skb, NULL, false, false },
		CTL_SIZE_OPTS(ctl),
	};
	int err = mml_opts_parse("mh attach", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	char *lists[] = { [MML_MH_WL] = dev };

	return err ? err : ctl_role_attach(ctl, MML_ROLE_MH, &cfg, lists, skb, NULL, NULL);
}

static int ha_detach(struct ctl *ctl, int argc, char **argv)
{
	return ctl_role_detach(ctl, MML_ROLE_HA, argc, argv);
}

static int mh_detach(struct ctl *ctl, int argc, char **argv)
{
	return ctl_role_detach(ctl, MML_ROLE_MH, argc, argv);
}

static int gen_bump(struct ctl *ctl)
{
	int err = mml_gen_bump(ctl->dir.path);

	/* Without mml_gen no worker runs here; it reloads within a second
	 * anyway. */
	return err == -ENOENT ? 0 : err;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int binding_add(struct ctl *ctl, int argc, char **argv)
{
	struct mml_binding b;
	uint32_t home = 0;
	uint64_t lifetime = 0;
	struct mml_opt opts[] = {
		{ "home", MML_OPT_IPV4, &home, NULL, true, false },
		{ "ha", MML_OPT_IPV4, &b.ha_addr, NULL, true, false },
		{ "coa", MML_OPT_IPV4, &b.coa, NULL, true, false },
		{ "esp-out", MML_OPT_U32, &b.spi_out[MML_MODE_ESP], NULL, false, false },
		{ "esp-in", MML_OPT_U32, &b.spi_in[MML_MODE_ESP], NULL, false, false },
		{ "mlesp-out", MML_OPT_U32, &b.spi_out[MML_MODE_MLESP], NULL, false, false },
		{ "mlesp-in", MML_OPT_U32, &b.spi_in[MML_MODE_MLESP], NULL, false, false },
		{ "lifetime", MML_OPT_U64, &lifetime, NULL, false, false },
	};
	int fd, err;

	memset(&b, 0, sizeof(b));
	err = mml_opts_parse("binding add", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (err)
		return err;
	if (lifetime)
		b.expires_ns = boottime_ns() + lifetime * 1000000000ULL;
	fd = ctl_open_map(ctl, MML_MAP_BINDING, sizeof(__u32), sizeof(b));
	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &home, &b, BPF_ANY)) {
		err = -errno;
		log_err("binding add: updating %s: %s", MML_MAP_BINDING, strerror(-err));
	}
	close(fd);
	return err ? err : gen_bump(ctl);
}

static int binding_del(struct ctl *ctl, int argc, char **argv)
{
	uint32_t home;
	struct mml_opt opts[] = { { "home", MML_OPT_IPV4, &home, NULL, true, false } };
	char buf[16];
	int fd, err = mml_opts_parse("binding del", argc, argv, opts, 1);

	if (err)
		return err;
	fd = ctl_open_map(ctl, MML_MAP_BINDING, sizeof(__u32), sizeof(struct mml_binding));
	if (fd < 0)
		return fd;
	if (bpf_map_delete_elem(fd, &home)) {
		err = -errno;
		log_err("binding del: %s: %s", mml_ipv4_str(home, buf),
			err == -ENOENT ? "no such binding" : strerror(-err));
	}
	close(fd);
	return err ? err : gen_bump(ctl);
}

static json_object *binding_json(uint32_t home, const void *value, void *arg)
{
	const struct mml_binding *b = value;
	json_object *o = json_object_new_object();
	char addr[16];
	uint64_t now = *(const uint64_t *)arg;

	json_object_object_add(o, "home", json_object_new_string(mml_ipv4_str(home, addr)));
	json_object_object_add(o, "ha", json_object_new_string(mml_ipv4_str(b->ha_addr, addr)));
	json_object_object_add(o, "coa", json_object_new_string(mml_ipv4_str(b->coa, addr)));
	json_object_object_add(o, "esp-out", json_object_new_int64(b->spi_out[MML_MODE_ESP]));
	json_object_object_add(o, "esp-in", json_object_new_int64(b->spi_in[MML_MODE_ESP]));
	json_object_object_add(o, "mlesp-out", json_object_new_int64(b->spi_out[MML_MODE_MLESP]));
	json_object_object_add(o, "mlesp-in", json_object_new_int64(b->spi_in[MML_MODE_MLESP]));
	if (b->expires_ns)
		json_object_object_add(
			o, "lifetime-left",
			json_object_new_int64(
				b->expires_ns > now ?
					(int64_t)((b->expires_ns - now) / 1000000000ULL) :
					0));
	return o;
}

static int binding_list(struct ctl *ctl, int argc, char **argv)
{
	uint64_t now = boottime_ns();
	int fd, err = mml_opts_parse("binding list", argc, argv, NULL, 0);

	if (err)
		return err;
	fd = ctl_open_map(ctl, MML_MAP_BINDING, sizeof(__u32), sizeof(struct mml_binding));
	if (fd < 0)
		return fd;
	ctl_print(ctl, ctl_map_to_json(fd, sizeof(struct mml_binding), binding_json, &now));
	close(fd);
	return 0;
}

/* The flow key keywords shared by add and del; protocols by name. *dscp:
 * the class "dscp N" names instead of a key (maps/ep.h mml_flow_dscp), -1
 * without. */
static int flow_key_parse(const char *ctx, int argc, char **argv, struct mml_flow_key *k, int *dscp,
			  struct mml_flow *f)
{
	static const char *const protos[] = { "any", "tcp", "udp", "icmp", NULL };
	static const uint8_t proto_of[] = { 0, 6, 17, 1 };
	/* accept: the weakest mode the receiver takes besides the entry's own
	 * (docs/endpoints.md, "Switching modes"). */
	static const char *const accepts[] = { "none", "esp", "plain", NULL };
	static const uint8_t accept_flags[] = { 0, MML_FLOW_F_ACCEPT_ESP, MML_FLOW_F_ACCEPT_PLAIN };
	uint32_t hport = 0, pport = 0, every = 0, spi = 0, class = MML_FLOW_DSCPS;
	int proto = 0, mode = MML_MODE_MLESP, accept = 0;
	struct mml_opt opts[] = {
		{ "home", MML_OPT_IPV4, &k->home_addr, NULL, false, false },
		{ "peer", MML_OPT_IPV4, &k->peer_addr, NULL, false, false },
		{ "proto", MML_OPT_CHOICE, &proto, protos, false, false },
		{ "home-port", MML_OPT_U32, &hport, NULL, false, false },
		{ "peer-port", MML_OPT_U32, &pport, NULL, false, false },
		{ "dscp", MML_OPT_U32, &class, NULL, false, false },
		{ "mode", MML_OPT_CHOICE, &mode, modes, f != NULL, false },
		{ "every", MML_OPT_U32, &every, NULL, false, false },
		{ "spi", MML_OPT_U32, &spi, NULL, false, false },
		{ "accept", MML_OPT_CHOICE, &accept, accepts, false, false },
	};
	size_t n = f ? sizeof(opts) / sizeof(opts[0]) : 6;
	int err;

	memset(k, 0, sizeof(*k));
	err = mml_opts_parse(ctx, argc, argv, opts, n);
	if (err)
		return err;
	if (hport > 65535 || pport > 65535 || every > 65535) {
		log_err("%s: ports and every must be at most 65535", ctx);
		return -EINVAL;
	}
	*dscp = opts[5].seen ? (int)class : -1;
	if (opts[5].seen && class >= MML_FLOW_DSCPS) {
		log_err("%s: dscp must be 0 to %d", ctx, MML_FLOW_DSCPS - 1);
		return -EINVAL;
	}
	for (int i = 0; opts[5].seen && i < 5; i++)
		if (opts[i].seen) {
			log_err("%s: dscp names a class of packets, not a flow: no %s with it", ctx,
				opts[i].name);
			return -EINVAL;
		}
	k->proto = proto_of[proto];
	k->home_port = (uint16_t)hport;
	k->peer_port = (uint16_t)pport;
	if (f) {
		memset(f, 0, sizeof(*f));
		f->mode = (uint8_t)mode;
		f->every_n = (uint16_t)every;
		f->spi = spi;
		f->flags = accept_flags[accept];
	}
	return 0;
}

/* A flow entry's value as flow list shows it, for keys and classes alike. */
static void flow_value_json(json_object *o, const struct mml_flow *f)
{
	json_object_object_add(
		o, "mode", json_object_new_string(f->mode < MML_MODE_MAX ? modes[f->mode] : "?"));
	json_object_object_add(o, "every", json_object_new_int(f->every_n));
	json_object_object_add(o, "spi", json_object_new_int64(f->spi));
	json_object_object_add(o, "accept", json_object_new_string(modes[mml_flow_rx_floor(f)]));
	json_object_object_add(o, "learned",
			       json_object_new_boolean(f->flags & MML_FLOW_F_LEARNED));
	/* The flags themselves, "esp", "plain", "esp,plain" or "-":
	 * what an agreed change adds for a while shows here
	 * (docs/protocol.md §2.7). A string, not a list: the text
	 * output stays one row per entry. */
	json_object_object_add(
		o, "accept_flags",
		json_object_new_string(
			(f->flags & MML_FLOW_F_ACCEPT_ESP) ?
				((f->flags & MML_FLOW_F_ACCEPT_PLAIN) ? "esp,plain" : "esp") :
			(f->flags & MML_FLOW_F_ACCEPT_PLAIN) ? "plain" :
							       "-"));
}

/* flow add|del dscp N: the class entry set, or cleared (-ENOENT if it had
 * none). Learned entries stay: they name exact 5-tuples, which a class
 * entry never overrides (maps/ep.h). */
static int flow_dscp_write(struct ctl *ctl, const char *ctx, int dscp, const struct mml_flow *f)
{
	__u32 key = (__u32)dscp;
	struct mml_flow cur;
	int fd = ctl_open_map(ctl, MML_MAP_FLOW_DSCP, sizeof(key), sizeof(cur)), err = 0;

	if (fd < 0)
		return fd;
	if (!f && (bpf_map_lookup_elem(fd, &key, &cur) || !(cur.flags & MML_FLOW_F_DSCP))) {
		log_err("%s: no entry for dscp %d", ctx, dscp);
		err = -ENOENT;
		goto out;
	}
	err = mml_flow_dscp_put(fd, (unsigned int)dscp, f);
	if (err)
		log_err("%s: updating %s: %s", ctx, MML_MAP_FLOW_DSCP, strerror(-err));
out:
	close(fd);
	return err ? err : gen_bump(ctl);
}

static int flow_add(struct ctl *ctl, int argc, char **argv)
{
	struct mml_flow_key k;
	struct mml_flow f;
	int fd, shapes_fd, dscp, err = flow_key_parse("flow add", argc, argv, &k, &dscp, &f);

	if (err)
		return err;
	if (dscp >= 0)
		return flow_dscp_write(ctl, "flow add", dscp, &f);
	fd = ctl_open_map(ctl, MML_MAP_FLOW, sizeof(k), sizeof(f));
	if (fd < 0)
		return fd;
	shapes_fd = ctl_open_map(ctl, MML_MAP_FLOW_SHAPES, sizeof(__u32),
				 sizeof(struct mml_flow_shapes));
	if (shapes_fd < 0) {
		close(fd);
		return shapes_fd;
	}
	mml_flow_forget_learned(fd, &k);
	err = mml_flow_put(fd, shapes_fd, &k, &f);
	if (err)
		log_err("flow add: updating %s: %s", MML_MAP_FLOW, strerror(-err));
	close(shapes_fd);
	close(fd);
	return err ? err : gen_bump(ctl);
}

static int flow_del(struct ctl *ctl, int argc, char **argv)
{
	struct mml_flow_key k;
	int fd, dscp, err = flow_key_parse("flow del", argc, argv, &k, &dscp, NULL);

	if (err)
		return err;
	if (dscp >= 0)
		return flow_dscp_write(ctl, "flow del", dscp, NULL);
	fd = ctl_open_map(ctl, MML_MAP_FLOW, sizeof(k), sizeof(struct mml_flow));
	if (fd < 0)
		return fd;
	if (bpf_map_delete_elem(fd, &k)) {
		err = -errno;
		log_err("flow del: %s", err == -ENOENT ? "no such flow" : strerror(-err));
	} else {
		mml_flow_forget_learned(fd, &k);
	}
	close(fd);
	return err ? err : gen_bump(ctl);
}

/* What the workers counted under the entry k (its slot of mml_flow_ctr,
 * lib/flow_ctr.h): 0 and counted false while no worker has loaded it, or
 * when a full table gave it no slot. Scalars, so that the text output
 * stays one row per entry. */
static void flow_ctr_json(json_object *o, const struct mml_flow_ctrs *c,
			  const struct mml_flow_key *k)
{
	const struct mml_flow_ctr *s = mml_flow_ctr_find(c, k);
	const struct {
		const char *name;
		size_t off;
	} ctrs[] = {
		{ "sent-plain", offsetof(struct mml_flow_ctr, sent[MML_MODE_PLAIN]) },
		{ "sent-esp", offsetof(struct mml_flow_ctr, sent[MML_MODE_ESP]) },
		{ "sent-mlesp", offsetof(struct mml_flow_ctr, sent[MML_MODE_MLESP]) },
		{ "recv-plain", offsetof(struct mml_flow_ctr, recv[MML_MODE_PLAIN]) },
		{ "recv-esp", offsetof(struct mml_flow_ctr, recv[MML_MODE_ESP]) },
		{ "recv-mlesp", offsetof(struct mml_flow_ctr, recv[MML_MODE_MLESP]) },
		{ "refused", offsetof(struct mml_flow_ctr, refused) },
	};

	json_object_object_add(o, "counted", json_object_new_boolean(s != NULL));
	for (size_t i = 0; i < sizeof(ctrs) / sizeof(ctrs[0]); i++) {
		uint64_t v =
			s ? mml_flow_ctr_read((const __u64 *)((const char *)s + ctrs[i].off)) : 0;

		json_object_object_add(o, ctrs[i].name, json_object_new_uint64(v));
	}
}

/* The class entries after the keys, their counters in the slots of
 * mml_flow_dscp_ctr_key; nothing from a node attached before
 * mml_flow_dscp existed. */
static void flow_dscp_list(struct ctl *ctl, const struct mml_flow_ctrs *ctrs, json_object *list)
{
	int fd = mml_pin_open_map(ctl->dir.path, MML_MAP_FLOW_DSCP, sizeof(__u32),
				  sizeof(struct mml_flow));
	struct mml_flow f;

	for (__u32 d = 0; fd >= 0 && d < MML_FLOW_DSCPS; d++) {
		struct mml_flow_key ck = mml_flow_dscp_ctr_key(d);
		json_object *o;

		if (bpf_map_lookup_elem(fd, &d, &f) || !(f.flags & MML_FLOW_F_DSCP))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "dscp", json_object_new_int((int)d));
		flow_value_json(o, &f);
		flow_ctr_json(o, ctrs, &ck);
		json_object_array_add(list, o);
	}
	if (fd >= 0)
		close(fd);
}

static int flow_list(struct ctl *ctl, int argc, char **argv)
{
	struct mml_flow_key k, next, *prev = NULL;
	struct mml_flow_ctrs ctrs = { 0 };
	json_object *list;
	struct mml_flow f;
	char addr[16];
	int fd, ctr_fd, err = mml_opts_parse("flow list", argc, argv, NULL, 0);

	if (err)
		return err;
	fd = ctl_open_map(ctl, MML_MAP_FLOW, sizeof(k), sizeof(f));
	if (fd < 0)
		return fd;
	/* Maps pinned by a release before the counters have no counter table:
	 * the entries are listed with 0. */
	ctr_fd = mml_pin_open_map(ctl->dir.path, MML_MAP_FLOW_CTR, sizeof(__u32),
				  sizeof(struct mml_flow_ctr));
	err = ctr_fd >= 0 ? mml_flow_ctrs_map(&ctrs, ctr_fd, false) : ctr_fd;
	if (err)
		log_warn("%s/%s: %s: counters shown as 0", ctl->dir.path, MML_MAP_FLOW_CTR,
			 strerror(-err));
	if (ctr_fd >= 0)
		close(ctr_fd);
	list = json_object_new_array();
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		json_object *o;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &f))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "home",
				       json_object_new_string(mml_ipv4_str(k.home_addr, addr)));
		json_object_object_add(o, "peer",
				       json_object_new_string(mml_ipv4_str(k.peer_addr, addr)));
		json_object_object_add(o, "proto", json_object_new_int(k.proto));
		json_object_object_add(o, "home-port", json_object_new_int(k.home_port));
		json_object_object_add(o, "peer-port", json_object_new_int(k.peer_port));
		flow_value_json(o, &f);
		flow_ctr_json(o, &ctrs, &k);
		json_object_array_add(list, o);
	}
	flow_dscp_list(ctl, &ctrs, list);
	ctl_print(ctl, list);
	mml_flow_ctrs_unmap(&ctrs);
	close(fd);
	return 0;
}

const struct ctl_cmd ep_cmds[] = {
	{ "ha", "attach", ha_attach,
	  "addr ADDR cn IFACE[,IFACE] fa IFACE[,IFACE] [skb] [csa-max N] [binding-max N] [flow-max N]" },
	{ "ha", "detach", ha_detach, "[dev IFACE[,IFACE]]" },
	{ "mh", "attach", mh_attach,
	  "home ADDR dev IFACE[,IFACE] [skb] [csa-max N] [binding-max N] [flow-max N]" },
	{ "mh", "detach", mh_detach, "[dev IFACE[,IFACE]]" },
	{ "binding", "add", binding_add,
	  "home ADDR ha ADDR coa ADDR [esp-out SPI] [esp-in SPI] [mlesp-out SPI] [mlesp-in SPI] "
	  "[lifetime SECONDS]" },
	{ "binding", "del", binding_del, "home ADDR" },
	{ "binding", "list", binding_list, "" },
	{ "flow", "add", flow_add,
	  "[home ADDR] [peer ADDR] [proto any|tcp|udp|icmp] [home-port N] [peer-port N] | [dscp N] "
	  "mode plain|esp|mlesp [every N] [spi SPI] [accept none|esp|plain]   (no key fields: the "
	  "default; dscp N: packets of that class no other entry matches)" },
	{ "flow", "del", flow_del,
	  "[home ADDR] [peer ADDR] [proto P] [home-port N] [peer-port N] | dscp N" },
	{ "flow", "list", flow_list, "" },
	{ "flow", "set", ctl_flow_set,
	  "[home ADDR] [peer ADDR] [proto any|tcp|udp|icmp] [home-port N] [peer-port N] "
	  "mode plain|esp|mlesp|auto [every N] [for SECONDS] [sock PATH]   (agreed with the peer "
	  "over ML-IKE; the MH's home address by default at the MH; auto: at the HA, by the FA's "
	  "link)" },
	{ NULL, NULL, NULL, NULL },
};
