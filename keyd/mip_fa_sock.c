/* The foreign agent in mmlkeyd: its UDP and packet sockets, its
 * configuration, start and stop, and `mmlctl mip show` (the protocol itself
 * is mip_fa.c). See mip_fa.h. */
#include "keyd/mip_fa_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/ifinfo.h"
#include "lib/log.h"
#include "maps/visitor.h"

static int io_to_mh(void *ctx, const struct mip_fa_link *l, const uint8_t *msg, size_t len)
{
	struct mip_fa *fa = ctx;

	return mip_pkt_send(fa->pkt_fd, l->ifindex, l->mac, fa->cfg.addr, l->ip, IPPROTO_UDP,
			    MIP_PORT, l->port, 64, msg, len);
}

static int io_to_ha(void *ctx, uint32_t ha, const uint8_t *msg, size_t len)
{
	struct mip_fa *fa = ctx;

	return mip_udp_send(fa->udp_fd, ha, MIP_PORT, msg, len);
}

static int io_icmp(void *ctx, const uint8_t mac[6], uint32_t dst, const uint8_t *msg, size_t len)
{
	struct mip_fa *fa = ctx;

	return mip_pkt_send(fa->pkt_fd, fa->cfg.ifindex, mac, fa->cfg.addr, dst, IPPROTO_ICMP, 0, 0,
			    1, msg, len);
}

/* A request that reached us through the stack rather than the wireless
 * link: a registered visitor's renewal that the data plane reverse-tunnelled
 * because this FA's programs were loaded without our wireless address among
 * their local addresses, so it came back from the HA over the wired side.
 * Served for a visitor we know (its MAC is on record); anything else is
 * not ours to answer. */
static void request_via_stack(struct mip_fa *fa, const uint8_t *msg, size_t len,
			      const struct mip_rx *rx)
{
	struct mip_fa_link link;
	struct fa_visitor *v = NULL;
	uint32_t home;
	char s[16];

	if (len >= MIP_REQ_FIXED_LEN) {
		memcpy(&home, msg + 4, 4);
		v = u32map_get(&fa->visitors, home);
	}
	if (!v || rx->src != v->home) {
		fa->st->ctr[MIP_C_DISCARDED]++;
		mip_log_reject(fa->st,
			       "request from %s not on the wireless link and of no visitor: "
			       "discarded",
			       mml_ipv4_str(rx->src, s));
		return;
	}
	link = v->link;
	link.ip = rx->src;
	link.port = rx->src_port;
	mip_fa_from_mh(fa, msg, len, rx->truncated || len > MIP_MSG_MAX, &link);
}

static void udp_readable(void *arg, uint32_t events)
{
	struct mip_fa *fa = arg;
	uint8_t msg[MIP_MSG_MAX + 1];
	struct mip_rx rx;
	ssize_t n;

	for (int budget = 64; budget > 0; budget--) {
		n = mip_udp_recv(fa->udp_fd, msg, sizeof(msg), &rx);
		if (n < 0)
			return;
		/* The wireless side is served by the packet socket, which also
		 * tells the mobile node's MAC. */
		if (rx.ifindex == fa->cfg.ifindex)
			continue;
		if (n >= 1 && msg[0] == MIP_TYPE_REG_REPLY)
			mip_fa_from_ha(fa, msg, (size_t)n, rx.truncated || n > MIP_MSG_MAX, rx.src);
		else if (n >= 1 && msg[0] == MIP_TYPE_REG_REQUEST)
			request_via_stack(fa, msg, (size_t)n, &rx);
		else
			fa->st->ctr[MIP_C_DISCARDED]++;
	}
}

static void pkt_readable(void *arg, uint32_t events)
{
	struct mip_fa *fa = arg;
	uint8_t msg[MIP_MSG_MAX + 1];
	struct mip_fa_link link;
	struct mip_err perr;
	struct mip_rx rx;
	uint8_t proto;
	ssize_t n;

	for (int budget = 64; budget > 0; budget--) {
		n = mip_pkt_recv(fa->pkt_fd, msg, sizeof(msg), &proto, &rx);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n == -EBADMSG) {
			fa->st->ctr[MIP_C_DISCARDED]++;
			continue;
		}
		if (n < 0)
			return;
		if (proto == IPPROTO_ICMP) {
			if (!mip_parse_solicit(msg, (size_t)n, &perr))
				mip_fa_solicited(fa, rx.src_mac, rx.src);
			else
				fa->st->ctr[MIP_C_DISCARDED]++;
			continue;
		}
		if (rx.dst != fa->cfg.addr && rx.dst != fa->cfg.coa) {
			fa->st->ctr[MIP_C_DISCARDED]++;
			continue;
		}
		link.ifindex = rx.ifindex;
		memcpy(link.mac, rx.src_mac, 6);
		link.ip = rx.src;
		link.port = rx.src_port;
		mip_fa_from_mh(fa, msg, (size_t)n, rx.truncated || n > MIP_MSG_MAX, &link);
	}
}

static int fa_cfg_read(const config_setting_t *sec, struct mip_fa_cfg *cfg)
{
	static const char *const rt[] = { "off", "optional", "required", NULL };
	uint32_t max_lifetime = 300, prefix_len = 24;
	int reverse = MIP_RT_REQUIRED, err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->advert_interval_ms = 1000;
	cfg->pending_timeout_ms = 3000;
	cfg->max_visitors = 1024;
	err = cfg_ipv4(sec, "care_of_address", true, &cfg->coa);
	if (!err)
		err = cfg_ipv4(sec, "address", true, &cfg->addr);
	if (!err)
		err = cfg_u32(sec, "prefix_len", false, 0, 32, &prefix_len);
	if (!err)
		err = cfg_ifname(sec, "interface", true, &cfg->ifindex);
	if (!err)
		err = cfg_u32(sec, "max_lifetime", false, 1, 65534, &max_lifetime);
	if (!err)
		err = cfg_u32(sec, "advert_interval_ms", false, 10, 600000,
			      &cfg->advert_interval_ms);
	if (!err)
		err = cfg_u32(sec, "pending_timeout_ms", false, 100, 600000,
			      &cfg->pending_timeout_ms);
	if (!err)
		err = cfg_u32(sec, "max_visitors", false, 1, 1u << 20, &cfg->max_visitors);
	if (!err)
		err = cfg_choice(sec, "reverse_tunnel", rt, &reverse);
	cfg->max_lifetime = (uint16_t)max_lifetime;
	cfg->prefix_len = (uint8_t)prefix_len;
	cfg->reverse = (enum mip_rt_policy)reverse;
	return err;
}

int mip_fa_reload(struct mip_fa *fa, const config_setting_t *sec, bool apply)
{
	struct mip_fa_cfg cfg;
	int err = fa_cfg_read(sec, &cfg);

	if (err || !apply)
		return err;
	if (cfg.max_lifetime != fa->cfg.max_lifetime || cfg.max_visitors != fa->cfg.max_visitors ||
	    cfg.advert_interval_ms != fa->cfg.advert_interval_ms)
		log_info("reload: foreign agent: max lifetime %u s, max visitors %u, "
			 "advertisements every %u ms",
			 cfg.max_lifetime, cfg.max_visitors, cfg.advert_interval_ms);
	fa->cfg.max_lifetime = cfg.max_lifetime;
	fa->cfg.max_visitors = cfg.max_visitors;
	fa->cfg.advert_interval_ms = cfg.advert_interval_ms;
	return 0;
}

int mip_fa_start(struct loop *loop, const struct mml_pin_dir *pin, const config_setting_t *sec,
		 struct mip_stats *st, struct mip_fa **out)
{
	struct mip_fa_io io = { .to_mh = io_to_mh, .to_ha = io_to_ha, .icmp = io_icmp };
	struct mip_fa_cfg cfg;
	struct mip_fa *fa = NULL;
	char a[16], c[16];
	int err;

	err = fa_cfg_read(sec, &cfg);
	if (err)
		return err;
	err = mml_if_mac(cfg.ifindex, cfg.mac);
	if (err) {
		log_err("MAC of interface %u: %s", cfg.ifindex, strerror(-err));
		return err;
	}
	err = mip_fa_core_new(loop, NULL, &cfg, st, &io, &fa);
	if (err)
		return err;
	fa->io.ctx = fa;
	mip_maps_init(&fa->own_maps, pin);
	fa->maps = &fa->own_maps;
	err = mip_fh_from_config(sec, "home_agents", &fa->ha_keys);
	if (err)
		goto fail;
	fa->udp_fd = mip_udp_open(0, MIP_PORT, 0);
	fa->pkt_fd = mip_pkt_open(cfg.ifindex, MIP_ICMP_SOLICIT);
	if (fa->udp_fd < 0 || fa->pkt_fd < 0) {
		err = fa->udp_fd < 0 ? fa->udp_fd : fa->pkt_fd;
		log_err("foreign agent sockets: %s", strerror(-err));
		goto fail;
	}
	err = loop_add_fd(loop, fa->udp_fd, EPOLLIN, udp_readable, fa);
	if (!err)
		err = loop_add_fd(loop, fa->pkt_fd, EPOLLIN, pkt_readable, fa);
	if (err)
		goto fail;
	srandom((unsigned int)loop_now());
	mip_fa_advert_tick(fa);
	log_info("foreign agent %s, care-of address %s, advertising every %u ms, "
		 "%zu home agents with Foreign-Home keys",
		 mml_ipv4_str(cfg.addr, a), mml_ipv4_str(cfg.coa, c), cfg.advert_interval_ms,
		 fa->ha_keys.len);
	*out = fa;
	return 0;
fail:
	mip_fa_stop(fa);
	return err;
}

void mip_fa_stop(struct mip_fa *fa)
{
	if (!fa)
		return;
	if (fa->udp_fd >= 0) {
		loop_del_fd(fa->loop, fa->udp_fd);
		close(fa->udp_fd);
	}
	if (fa->pkt_fd >= 0) {
		loop_del_fd(fa->loop, fa->pkt_fd);
		close(fa->pkt_fd);
	}
	mip_maps_close(&fa->own_maps);
	mip_fa_core_free(fa);
}

json_object *mip_fa_show(struct mip_fa *fa)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "role", json_object_new_string("fa"));
	json_object_object_add(o, "address", mip_json_addr(fa->cfg.addr));
	json_object_object_add(o, "care_of_address", mip_json_addr(fa->cfg.coa));
	json_object_object_add(o, "visitors", json_object_new_int64(fa->n_registered));
	json_object_object_add(
		o, "pending",
		json_object_new_int64((int64_t)(fa->visitors.len - fa->n_registered)));
	json_object_object_add(o, "advert_seq", json_object_new_int(fa->advert_seq));
	json_object_object_add(o, "visitor_map",
			       json_object_new_boolean(fa->maps && fa->maps->visitor_fd >= 0));
	return o;
}

/* CLOCK_BOOTTIME ns, 0 = not yet: the latest accepted reply relayed, and
 * the first ML-ESP packet the data plane verified after it (docs/mobileip.md
 * "Handoff timestamps"). */
static void add_timestamps(struct mip_fa *fa, const struct fa_visitor *v, json_object *o)
{
	struct mml_visitor mv;

	json_object_object_add(o, "reply_relayed_ns", json_object_new_uint64(v->reply_ns));
	if (!v->registered || !fa->maps || mip_maps_visitor_get(fa->maps, v->home, &mv))
		mv.first_mlesp_ns = 0;
	json_object_object_add(o, "first_mlesp_ns", json_object_new_uint64(mv.first_mlesp_ns));
}

json_object *mip_fa_visitors(struct mip_fa *fa)
{
	json_object *list = json_object_new_array();
	uint64_t now = loop_now();
	struct fa_visitor *v;
	size_t it = 0;
	uint32_t key;
	char mac[18];

	while ((v = u32map_next(&fa->visitors, &it, &key))) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "home", mip_json_addr(v->home));
		json_object_object_add(o, "ha", mip_json_addr(v->ha));
		mml_mac_str(v->link.mac, mac);
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(
			o, "state",
			json_object_new_string(v->registered ? "registered" : "pending"));
		json_object_object_add(o, "pending", json_object_new_boolean(v->pending));
		json_object_object_add(o, "lifetime", json_object_new_int(v->granted));
		json_object_object_add(
			o, "expires_in",
			json_object_new_int64(v->registered ? mip_secs_left(v->expires, now) : 0));
		json_object_object_add(o, "registrations",
				       json_object_new_int64((int64_t)v->registrations));
		if (v->has_prev_fa)
			json_object_object_add(o, "previous_fa", mip_json_addr(v->prev_fa.prev_fa));
		add_timestamps(fa, v, o);
		json_object_array_add(list, o);
	}
	return list;
}
