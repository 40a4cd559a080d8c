/* Mobile node: movement detection from Agent Advertisements and link
 * events, registration through the foreign agent heard, renewal before the
 * lifetime ends, and the routes of the paper's section 3.2: a host route to
 * the FA (so that registrations reach it even while a protected tunnel
 * holds the default route) and the default route via the FA (Table 1,
 * step 1). Routes via rtnetlink (keyd/nl.c). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "keyd/mip.h"
#include "keyd/mip_io.h"
#include "keyd/nl.h"
#include "lib/args.h"
#include "lib/ifinfo.h"
#include "lib/log.h"

#define HISTORY 64

struct mh_cfg {
	uint32_t home;
	uint32_t ha;
	uint32_t ifindex;
	uint16_t lifetime;
	bool reverse;
	bool prev_fa_ext;
	bool default_route;
	bool add_address;
	uint32_t table;
	uint32_t retransmit_ms; /* first registration retransmission */
	uint32_t retransmit_max_ms;
	uint32_t solicit_ms; /* first solicitation retransmission */
	uint32_t route_mtu;  /* MTU metric of our routes, 0 = none */
};

struct mh_agent {
	bool known;
	uint32_t addr; /* the advertisement's source: registrations go there */
	uint32_t coa;
	uint16_t seq;
	uint16_t reg_lifetime;
	uint16_t flags;
};

enum mh_state { MH_IDLE, MH_REGISTERING, MH_REGISTERED };

/* One handoff's timeline, CLOCK_BOOTTIME ns (0 = did not happen). */
struct mh_event {
	uint64_t link_up, solicit, advert, request, reply;
	uint32_t fa;
	uint8_t code;
};

struct mip_mh {
	struct mh_cfg cfg;
	struct loop *loop;
	struct mip_stats *st;
	struct mip_key keys[MIP_MAX_KEYS];
	size_t n_keys;
	struct mip_maps maps;
	struct nl *nl;
	int udp_fd, icmp_fd;
	bool link_up, downs_known;
	uint32_t carrier_downs;	       /* the link's IFLA_CARRIER_DOWN_COUNT last seen */
	struct mh_agent heard;	       /* last agent heard on the link */
	struct loop_timer agent_timer; /* its advertisement lifetime */
	enum mh_state state;
	bool held;		 /* deregistered on request: no registration until asked */
	struct mh_agent fa;	 /* the agent we register / are registered through */
	uint32_t prev_fa;	 /* the one before it (DKM extension) */
	uint32_t routed_fa;	 /* whose host route is installed */
	uint64_t ident;		 /* last Identification sent */
	uint64_t ident_clock;	 /* our own NTP time when it was made */
	int64_t clock_offset_ns; /* home agent's clock minus ours (from code 133) */
	uint16_t req_lifetime;
	uint32_t retransmit_ms;
	struct loop_timer retransmit;
	uint16_t granted;
	uint64_t expires;
	struct loop_timer renew;
	uint32_t solicit_ms;
	unsigned int solicits_left;
	struct loop_timer solicit_timer;
	struct mh_event cur;
	struct mh_event history[HISTORY];
	unsigned int n_history;
};

static void send_request(struct mip_mh *mh, uint16_t lifetime);

/* Routes (the paper's route trick) and the binding map */

static void set_routes(struct mip_mh *mh, uint32_t fa)
{
	char a[16];
	int err;

	err = nl_route_replace(mh->nl, fa, 32, 0, mh->cfg.ifindex, mh->cfg.table, mh->cfg.home,
			       false, 0);
	if (!err && mh->cfg.default_route)
		err = nl_route_replace(mh->nl, 0, 0, fa, mh->cfg.ifindex, mh->cfg.table,
				       mh->cfg.home, true, mh->cfg.route_mtu);
	if (err) {
		mh->st->ctr[MIP_C_ROUTE_ERROR]++;
		log_err("routes via %s: %s", mml_ipv4_str(fa, a), strerror(-err));
		return;
	}
	if (mh->routed_fa && mh->routed_fa != fa)
		nl_route_del(mh->nl, mh->routed_fa, 32, mh->cfg.ifindex, mh->cfg.table);
	mh->routed_fa = fa;
}

static void map_binding(struct mip_mh *mh, bool bound)
{
	int err = bound ? mip_maps_binding_put(&mh->maps, mh->cfg.home, mh->cfg.ha, mh->fa.addr,
					       mh->expires) :
			  mip_maps_binding_del(&mh->maps, mh->cfg.home);

	if (err && err != -ENOENT) {
		mh->st->ctr[MIP_C_MAP_ERROR]++;
		log_err("mml_binding: %s", strerror(-err));
	}
}

/* Solicitations */

static void solicit(struct mip_mh *mh)
{
	uint8_t buf[MIP_ICMP_HDR_LEN];
	int len = mip_build_solicit(buf, sizeof(buf)), err;

	err = mip_icmp_send(mh->icmp_fd, 0xffffffffu, buf, (size_t)len);
	if (err) {
		mh->st->ctr[MIP_C_SEND_ERROR]++;
		log_debug("solicitation: %s", strerror(-err));
		return;
	}
	mh->st->ctr[MIP_C_TX_SOLICIT]++;
	if (!mh->cur.solicit)
		mh->cur.solicit = loop_now();
}

static void solicit_tick(void *arg)
{
	struct mip_mh *mh = arg;

	if (!mh->solicits_left || !mh->link_up || (mh->heard.known && mh->state != MH_IDLE))
		return;
	mh->solicits_left--;
	solicit(mh);
	loop_timer_in(mh->loop, &mh->solicit_timer, (uint64_t)mh->solicit_ms * NS_PER_MS);
	if (mh->solicit_ms < 1000)
		mh->solicit_ms *= 2;
}

/* Looks for an agent now: RFC 5944 2.4.1 lets a mobile node solicit when it
 * has no agent or suspects movement. */
static void start_soliciting(struct mip_mh *mh)
{
	mh->solicits_left = 5;
	mh->solicit_ms = mh->cfg.solicit_ms;
	loop_timer_cancel(mh->loop, &mh->solicit_timer);
	solicit_tick(mh);
}

/* Movement */

static void history_push(struct mip_mh *mh)
{
	mh->history[mh->n_history % HISTORY] = mh->cur;
	mh->n_history++;
}

static void move_to(struct mip_mh *mh, const struct mh_agent *agent)
{
	char a[16], c[16];

	if (mh->fa.known && mh->fa.addr != agent->addr && mh->state == MH_REGISTERED) {
		/* Its care-of address: where the new FA reaches it over the
		 * backbone (DKM's IKE SA); its link address is not routed. */
		mh->prev_fa = mh->fa.coa;
		mh->st->ctr[MIP_C_HANDOFF]++;
	}
	log_info("foreign agent %s (care-of address %s): registering", mml_ipv4_str(agent->addr, a),
		 mml_ipv4_str(agent->coa, c));
	mh->fa = *agent;
	mh->state = MH_REGISTERING;
	loop_timer_cancel(mh->loop, &mh->renew);
	/* Table 1 step 1, and the route trick, before the request leaves. */
	set_routes(mh, agent->addr);
	mh->retransmit_ms = mh->cfg.retransmit_ms;
	send_request(mh, mh->cfg.lifetime < agent->reg_lifetime ? mh->cfg.lifetime :
								  agent->reg_lifetime);
}

static void agent_lost(void *arg)
{
	struct mip_mh *mh = arg;
	char a[16];

	mh->st->ctr[MIP_C_AGENT_LOST]++;
	log_info("agent %s: advertisement lifetime over", mml_ipv4_str(mh->heard.addr, a));
	mh->heard.known = false;
	start_soliciting(mh);
}

static void on_advert(struct mip_mh *mh, const struct mip_advert *adv, const struct mip_rx *rx)
{
	struct mh_agent agent = {
		.known = true,
		.addr = rx->src,
		.coa = adv->coas[0],
		.seq = adv->seq,
		.reg_lifetime = adv->reg_lifetime,
		.flags = adv->flags,
	};
	bool rebooted;

	if (!(adv->flags & MIP_MAA_F) || !adv->n_coas || (adv->flags & MIP_MAA_B))
		return; /* not a foreign agent offering service */
	if (!mh->cur.advert)
		mh->cur.advert = loop_now();
	rebooted = mh->heard.known && mh->heard.addr == agent.addr && agent.seq < 256 &&
		   agent.seq < mh->heard.seq;
	mh->heard = agent;
	loop_timer_in(mh->loop, &mh->agent_timer,
		      (uint64_t)(adv->icmp_lifetime ? adv->icmp_lifetime : 1) * NS_PER_SEC);
	loop_timer_cancel(mh->loop, &mh->solicit_timer);
	if (mh->held)
		return;
	if (mh->state == MH_IDLE || mh->fa.addr != agent.addr || mh->fa.coa != agent.coa ||
	    rebooted)
		move_to(mh, &agent);
}

static void link_changed(void *arg, const struct nl_link_ev *ev)
{
	struct mip_mh *mh = arg;
	bool up = ev->up && !ev->deleted;
	/* Lost and regained between two reports (nl.h): a new attachment all
	 * the same, possibly to another cell. */
	bool flapped = up && mh->link_up && ev->has_downs && mh->downs_known &&
		       ev->carrier_downs != mh->carrier_downs;

	/* The home address is back (on a restarted worker's new TUN device):
	 * the routes that had it as their source went with it. */
	if (ev->addr_added) {
		if (ev->addr == mh->cfg.home && mh->routed_fa) {
			log_info("home address back: routes via the FA again");
			set_routes(mh, mh->routed_fa);
		}
		return;
	}
	if (ev->ifindex != mh->cfg.ifindex)
		return;
	if (ev->has_downs) {
		mh->carrier_downs = ev->carrier_downs;
		mh->downs_known = true;
	}
	if (up == mh->link_up && !flapped)
		return;
	mh->link_up = up;
	mh->st->ctr[MIP_C_LINK_CHANGE]++;
	if (!mh->link_up) {
		log_info("link down");
		return;
	}
	/* A new link may mean a new agent: do not wait for its periodic
	 * advertisement. */
	log_info(flapped ? "link down and up again: soliciting" : "link up: soliciting");
	memset(&mh->cur, 0, sizeof(mh->cur));
	mh->cur.link_up = loop_now();
	mh->heard.known = false;
	loop_timer_cancel(mh->loop, &mh->agent_timer);
	/* The kernel dropped the routes through the link when it went down:
	 * back to the agent we are registered with until the solicitation
	 * finds whether it is still that one (a new one re-routes). */
	if (mh->routed_fa)
		set_routes(mh, mh->routed_fa);
	start_soliciting(mh);
}

/* Registration */

/* Our NTP time moved by the home agent's offset, in whole seconds: the
 * high half of the Identification, which wraps with the NTP era. */
static uint64_t next_ident(struct mip_mh *mh)
{
	uint64_t ident;

	mh->ident_clock = mip_ntp_from_ns(loop_realtime());
	ident = mh->ident_clock + ((uint64_t)(mh->clock_offset_ns / (int64_t)NS_PER_SEC) << 32);

	if (ident <= mh->ident)
		ident = mh->ident + 1;
	mh->ident = ident;
	return ident;
}

static void send_request(struct mip_mh *mh, uint16_t lifetime)
{
	struct mip_reg_request req = {
		.flags = mh->cfg.reverse ? MIP_REQ_T : 0,
		.lifetime = lifetime,
		.home_addr = mh->cfg.home,
		.ha_addr = mh->cfg.ha,
		.coa = lifetime ? mh->fa.coa : mh->cfg.home,
		.ident = next_ident(mh),
	};
	uint8_t buf[256];
	int len, err;

	if (lifetime && mh->cfg.prev_fa_ext && mh->prev_fa && mh->prev_fa != mh->fa.coa) {
		req.has_prev_fa = true;
		req.prev_fa.prev_fa = mh->prev_fa;
		req.prev_fa.new_coa = mh->fa.coa;
		req.prev_fa.lifetime = lifetime;
	}
	mh->req_lifetime = lifetime;
	len = mip_build_request(&req, buf, sizeof(buf));
	if (len > 0)
		len = mip_auth_append(&mh->keys[0], MIP_EXT_MH_AUTH, buf, sizeof(buf), (size_t)len);
	if (len < 0)
		return;
	err = mip_udp_send(mh->udp_fd, mh->fa.addr, MIP_PORT, buf, (size_t)len);
	if (err) {
		mh->st->ctr[MIP_C_SEND_ERROR]++;
		log_debug("request: %s", strerror(-err));
	} else {
		mh->st->ctr[MIP_C_TX_REQUEST]++;
		if (!mh->cur.request)
			mh->cur.request = loop_now();
	}
	loop_timer_in(mh->loop, &mh->retransmit, (uint64_t)mh->retransmit_ms * NS_PER_MS);
}

static void retransmit(void *arg)
{
	struct mip_mh *mh = arg;

	if (mh->state != MH_REGISTERING)
		return;
	mh->st->ctr[MIP_C_RETRANSMIT]++;
	if (mh->retransmit_ms < mh->cfg.retransmit_max_ms)
		mh->retransmit_ms *= 2;
	send_request(mh, mh->req_lifetime);
}

static void renew(void *arg)
{
	struct mip_mh *mh = arg;

	if (mh->state != MH_REGISTERED)
		return;
	mh->state = MH_REGISTERING;
	mh->retransmit_ms = mh->cfg.retransmit_ms;
	memset(&mh->cur, 0, sizeof(mh->cur));
	send_request(mh, mh->req_lifetime);
}

static void registered(struct mip_mh *mh, const struct mip_reg_reply *rep)
{
	uint64_t now = loop_now(), renew_in;
	/* Never more than asked for: a deregistration (lifetime 0) answered
	 * with any lifetime is a deregistration, not a binding of 0 s. */
	uint16_t granted = rep->lifetime < mh->req_lifetime ? rep->lifetime : mh->req_lifetime;
	char a[16];

	loop_timer_cancel(mh->loop, &mh->retransmit);
	mh->cur.reply = now;
	mh->cur.fa = mh->fa.addr;
	mh->cur.code = rep->code;
	history_push(mh);
	if (!granted) {
		log_info("deregistered");
		mh->state = MH_IDLE;
		mh->granted = 0;
		map_binding(mh, false);
		return;
	}
	mh->st->ctr[MIP_C_REGISTERED]++;
	mh->state = MH_REGISTERED;
	mh->granted = granted;
	mh->expires = now + (uint64_t)mh->granted * NS_PER_SEC;
	log_info("registered through %s for %u s (%.2f ms after the request)",
		 mml_ipv4_str(mh->fa.addr, a), mh->granted,
		 mh->cur.request ? (double)(now - mh->cur.request) / 1e6 : 0.0);
	map_binding(mh, true);
	/* Renew at 3/4 of the lifetime, leaving time for retransmissions. */
	renew_in = (uint64_t)mh->granted * NS_PER_SEC * 3 / 4;
	loop_timer_in(mh->loop, &mh->renew, renew_in ? renew_in : NS_PER_SEC / 2);
	memset(&mh->cur, 0, sizeof(mh->cur));
}

static void on_reply(struct mip_mh *mh, const uint8_t *msg, size_t len, const struct mip_rx *rx)
{
	struct mip_reg_reply rep;
	struct mip_err perr;
	char detail[160];
	uint32_t ha_secs;

	mh->st->ctr[MIP_C_RX_REPLY]++;
	if (rx->truncated || mip_parse_reply(msg, len, &rep, &perr)) {
		/* Unknown non-skippable extension or bad lengths: silently
		 * discarded (RFC 5944 1.9). */
		if (rx->truncated)
			perr.reason = MIP_R_TOO_LONG;
		mh->st->ctr[MIP_C_MALFORMED]++;
		mh->st->ctr[MIP_C_DISCARDED]++;
		mh->st->reason[perr.reason]++;
		mip_log_reject(mh->st, "reply discarded: %s",
			       rx->truncated ? "longer than any registration message" :
					       mip_err_str(&perr, detail, sizeof(detail)));
		return;
	}
	if (mh->state != MH_REGISTERING || rep.home_addr != mh->cfg.home ||
	    (uint32_t)rep.ident != (uint32_t)mh->ident) {
		mh->st->ctr[MIP_C_NO_PENDING]++;
		mh->st->ctr[MIP_C_DISCARDED]++;
		mip_log_reject(mh->st, "reply matching no pending request discarded");
		return;
	}
	/* Codes 64-127 come from the foreign agent, which holds no key of
	 * ours; everything else must carry the home agent's authenticator. */
	if (!(rep.code >= 64 && rep.code < 128)) {
		const struct mip_key *k =
			rep.has_mh_auth ? mip_key_find(mh->keys, mh->n_keys, rep.mh_auth.spi) :
					  NULL;

		if (!k || !mip_auth_verify(k, msg, len, &rep.mh_auth)) {
			mh->st->ctr[MIP_C_AUTH_FAILED]++;
			mh->st->ctr[MIP_C_DISCARDED]++;
			mip_log_reject(mh->st,
				       "reply code %u: home agent authentication failed, "
				       "discarded",
				       rep.code);
			return;
		}
	}
	mh->st->code_rx[rep.code]++;
	if (mip_code_accepted(rep.code)) {
		registered(mh, &rep);
		return;
	}
	if (rep.code == MIP_HA_IDENT_MISMATCH) {
		/* Resynchronise with the home agent's clock and retry at once. */
		/* Its time minus ours when we asked, as the NTP era's signed
		 * 32-bit distance (RFC 5905): set, not added to the old offset,
		 * so that no run of 133s can carry it past +-68 years (added up,
		 * it overflowed: fuzz-mip-mh). */
		ha_secs = (uint32_t)(rep.ident >> 32);
		mh->clock_offset_ns =
			(int64_t)(int32_t)(ha_secs - (uint32_t)(mh->ident_clock >> 32)) *
			(int64_t)NS_PER_SEC;
		mh->st->ctr[MIP_C_CLOCK_RESYNC]++;
		log_info("home agent clock differs: offset now %+.0f s",
			 (double)mh->clock_offset_ns / 1e9);
		send_request(mh, mh->req_lifetime);
		return;
	}
	mh->st->ctr[MIP_C_DENIED]++;
	log_warn("registration denied: code %u (%s); retrying in %u ms", rep.code,
		 mip_code_str(rep.code), mh->cfg.retransmit_max_ms);
	loop_timer_in(mh->loop, &mh->retransmit, (uint64_t)mh->cfg.retransmit_max_ms * NS_PER_MS);
}

/* Sockets */

static void udp_readable(void *arg, uint32_t events)
{
	struct mip_mh *mh = arg;
	uint8_t msg[MIP_MSG_MAX + 1];
	struct mip_rx rx;
	ssize_t n;

	for (int budget = 32; budget > 0; budget--) {
		n = mip_udp_recv(mh->udp_fd, msg, sizeof(msg), &rx);
		if (n < 0)
			return;
		if (n > MIP_MSG_MAX)
			rx.truncated = true;
		on_reply(mh, msg, (size_t)n, &rx);
	}
}

static void icmp_readable(void *arg, uint32_t events)
{
	struct mip_mh *mh = arg;
	uint8_t msg[MIP_ADVERT_MAX + 1];
	struct mip_advert adv;
	struct mip_err perr;
	struct mip_rx rx;
	char detail[160], s[16];
	ssize_t n;

	for (int budget = 32; budget > 0; budget--) {
		n = mip_icmp_recv(mh->icmp_fd, msg, sizeof(msg), &rx);
		if (n < 0)
			return;
		mh->st->ctr[MIP_C_RX_ADVERT]++;
		if (mip_parse_advert(msg, (size_t)n, &adv, &perr)) {
			mh->st->ctr[MIP_C_MALFORMED]++;
			mh->st->ctr[MIP_C_DISCARDED]++;
			mh->st->reason[perr.reason]++;
			mip_log_reject(mh->st, "advertisement from %s discarded: %s",
				       mml_ipv4_str(rx.src, s),
				       mip_err_str(&perr, detail, sizeof(detail)));
			continue;
		}
		if (rx.ttl != 1) {
			mh->st->ctr[MIP_C_DISCARDED]++;
			mip_log_reject(mh->st, "advertisement from %s with TTL %u discarded",
				       mml_ipv4_str(rx.src, s), rx.ttl);
			continue;
		}
		on_advert(mh, &adv, &rx);
	}
}

static void nl_readable(void *arg, uint32_t events)
{
	struct mip_mh *mh = arg;

	nl_link_read(mh->nl, link_changed, mh);
}

int mip_mh_register(struct mip_mh *mh)
{
	if (!mh->heard.known && !mh->fa.known)
		return -ENOTCONN;
	mh->held = false;
	move_to(mh, mh->heard.known ? &mh->heard : &mh->fa);
	return 0;
}

int mip_mh_deregister(struct mip_mh *mh)
{
	if (!mh->fa.known)
		return -ENOTCONN;
	/* Stay deregistered: the next advertisement must not register again. */
	mh->held = true;
	mh->state = MH_REGISTERING;
	loop_timer_cancel(mh->loop, &mh->renew);
	mh->retransmit_ms = mh->cfg.retransmit_ms;
	send_request(mh, 0);
	return 0;
}

/* Configuration and start */

static int mh_cfg_read(const config_setting_t *sec, struct mh_cfg *cfg)
{
	uint32_t lifetime = 300;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->reverse = cfg->prev_fa_ext = cfg->default_route = cfg->add_address = true;
	cfg->table = 254; /* main */
	cfg->retransmit_ms = 500;
	cfg->retransmit_max_ms = 8000;
	cfg->solicit_ms = 100;
	err = cfg_ipv4(sec, "home_address", true, &cfg->home);
	if (!err)
		err = cfg_ipv4(sec, "home_agent", true, &cfg->ha);
	if (!err)
		err = cfg_ifname(sec, "interface", true, &cfg->ifindex);
	if (!err)
		err = cfg_u32(sec, "lifetime", false, 1, 65534, &lifetime);
	if (!err)
		err = cfg_bool(sec, "reverse_tunnel", &cfg->reverse);
	if (!err)
		err = cfg_bool(sec, "previous_fa_extension", &cfg->prev_fa_ext);
	if (!err)
		err = cfg_bool(sec, "default_route", &cfg->default_route);
	if (!err)
		err = cfg_bool(sec, "add_home_address", &cfg->add_address);
	if (!err)
		err = cfg_u32(sec, "route_table", false, 1, UINT32_MAX - 1, &cfg->table);
	if (!err)
		err = cfg_u32(sec, "retransmit_ms", false, 10, 60000, &cfg->retransmit_ms);
	if (!err)
		err = cfg_u32(sec, "retransmit_max_ms", false, 10, 600000, &cfg->retransmit_max_ms);
	if (!err)
		err = cfg_u32(sec, "solicit_ms", false, 10, 60000, &cfg->solicit_ms);
	if (!err && !config_setting_get_member(sec, "route_mtu") &&
	    !mml_if_mtu(cfg->ifindex, &cfg->route_mtu))
		cfg->route_mtu -= 20; /* what the FA's reverse tunnel and the HA's tunnel add */
	if (!err)
		err = cfg_u32(sec, "route_mtu", false, 0, 65535, &cfg->route_mtu);
	cfg->lifetime = (uint16_t)lifetime;
	return err;
}

static int open_sockets(struct mip_mh *mh)
{
	int err;

	if (mh->cfg.add_address) {
		err = nl_addr_add(mh->nl, mh->cfg.ifindex, mh->cfg.home, 32);
		if (err) {
			log_err("adding the home address to interface %u: %s", mh->cfg.ifindex,
				strerror(-err));
			return err;
		}
	}
	mh->udp_fd = mip_udp_open(mh->cfg.home, MIP_PORT, mh->cfg.ifindex);
	if (mh->udp_fd < 0)
		return mh->udp_fd;
	mh->icmp_fd = mip_icmp_open(mh->cfg.ifindex, mh->cfg.home);
	if (mh->icmp_fd < 0)
		return mh->icmp_fd;
	err = loop_add_fd(mh->loop, mh->udp_fd, EPOLLIN, udp_readable, mh);
	if (!err)
		err = loop_add_fd(mh->loop, mh->icmp_fd, EPOLLIN, icmp_readable, mh);
	if (!err)
		err = loop_add_fd(mh->loop, nl_link_fd(mh->nl), EPOLLIN, nl_readable, mh);
	return err;
}

int mip_mh_start(struct loop *loop, const struct mml_pin_dir *pin, const config_setting_t *sec,
		 struct mip_stats *st, struct mip_mh **out)
{
	struct mip_mh *mh = calloc(1, sizeof(*mh));
	const config_setting_t *kl;
	struct nl_link_ev link;
	char h[16], a[16];
	int err;

	if (!mh)
		return -ENOMEM;
	mh->loop = loop;
	mh->st = st;
	mh->udp_fd = mh->icmp_fd = -1;
	mip_maps_init(&mh->maps, pin);
	loop_timer_init(&mh->agent_timer, agent_lost, mh);
	loop_timer_init(&mh->retransmit, retransmit, mh);
	loop_timer_init(&mh->renew, renew, mh);
	loop_timer_init(&mh->solicit_timer, solicit_tick, mh);
	err = mh_cfg_read(sec, &mh->cfg);
	if (err)
		goto fail;
	kl = config_setting_get_member(sec, "keys");
	if (!kl) {
		log_err("%s: section \"mip\" of a mobile node needs \"keys\"", cfg_path);
		err = -EINVAL;
		goto fail;
	}
	err = mip_keys_from_config(kl, mh->keys, MIP_MAX_KEYS, &mh->n_keys);
	if (!err)
		err = nl_open(&mh->nl, true);
	if (!err)
		err = open_sockets(mh);
	if (err) {
		log_err("mobile node: %s", strerror(-err));
		goto fail;
	}
	if (!nl_link_get(mh->nl, mh->cfg.ifindex, &link)) {
		mh->link_up = link.up;
		mh->carrier_downs = link.carrier_downs;
		mh->downs_known = link.has_downs;
	}
	log_info("mobile node %s, home agent %s, SPI %u (%s)", mml_ipv4_str(mh->cfg.home, h),
		 mml_ipv4_str(mh->cfg.ha, a), mh->keys[0].spi, mip_alg_str(mh->keys[0].alg));
	if (mh->link_up) {
		mh->cur.link_up = loop_now();
		start_soliciting(mh);
	}
	*out = mh;
	return 0;
fail:
	mip_mh_stop(mh);
	return err;
}

void mip_mh_stop(struct mip_mh *mh)
{
	if (!mh)
		return;
	loop_timer_cancel(mh->loop, &mh->agent_timer);
	loop_timer_cancel(mh->loop, &mh->retransmit);
	loop_timer_cancel(mh->loop, &mh->renew);
	loop_timer_cancel(mh->loop, &mh->solicit_timer);
	if (mh->udp_fd >= 0) {
		loop_del_fd(mh->loop, mh->udp_fd);
		close(mh->udp_fd);
	}
	if (mh->icmp_fd >= 0) {
		loop_del_fd(mh->loop, mh->icmp_fd);
		close(mh->icmp_fd);
	}
	if (mh->nl) {
		if (nl_link_fd(mh->nl) >= 0)
			loop_del_fd(mh->loop, nl_link_fd(mh->nl));
		nl_close(mh->nl);
	}
	for (size_t i = 0; i < mh->n_keys; i++)
		mip_key_free(&mh->keys[i]);
	mip_maps_close(&mh->maps);
	free(mh);
}

static json_object *event_json(const struct mh_event *e)
{
	json_object *o = json_object_new_object();
	uint64_t t0 = e->link_up ? e->link_up : e->solicit ? e->solicit : e->request;

	json_object_object_add(o, "fa", mip_json_addr(e->fa));
	json_object_object_add(o, "code", json_object_new_int(e->code));
	json_object_object_add(o, "link_up_ns", json_object_new_int64((int64_t)e->link_up));
	json_object_object_add(o, "solicit_ns", json_object_new_int64((int64_t)e->solicit));
	json_object_object_add(o, "advert_ns", json_object_new_int64((int64_t)e->advert));
	json_object_object_add(o, "request_ns", json_object_new_int64((int64_t)e->request));
	json_object_object_add(o, "reply_ns", json_object_new_int64((int64_t)e->reply));
	/* Registration latency: first solicitation (or request) to reply. */
	if (e->reply && (e->solicit || e->request))
		json_object_object_add(
			o, "registration_us",
			json_object_new_int64(
				(int64_t)(e->reply - (e->solicit ? e->solicit : e->request)) /
				1000));
	if (e->reply && t0)
		json_object_object_add(o, "since_link_up_us",
				       json_object_new_int64((int64_t)(e->reply - t0) / 1000));
	return o;
}

json_object *mip_mh_show(struct mip_mh *mh)
{
	static const char *const states[] = { "idle", "registering", "registered" };
	json_object *o = json_object_new_object(), *hist = json_object_new_array();
	unsigned int first = mh->n_history > HISTORY ? mh->n_history - HISTORY : 0;

	json_object_object_add(o, "role", json_object_new_string("mh"));
	json_object_object_add(o, "home_address", mip_json_addr(mh->cfg.home));
	json_object_object_add(o, "home_agent", mip_json_addr(mh->cfg.ha));
	json_object_object_add(o, "state", json_object_new_string(states[mh->state]));
	json_object_object_add(o, "link_up", json_object_new_boolean(mh->link_up));
	json_object_object_add(o, "foreign_agent", mip_json_addr(mh->fa.known ? mh->fa.addr : 0));
	json_object_object_add(o, "care_of_address", mip_json_addr(mh->fa.known ? mh->fa.coa : 0));
	json_object_object_add(o, "previous_fa", mip_json_addr(mh->prev_fa));
	json_object_object_add(o, "lifetime", json_object_new_int(mh->granted));
	json_object_object_add(
		o, "expires_in",
		json_object_new_int64(
			mh->state == MH_REGISTERED ? mip_secs_left(mh->expires, loop_now()) : 0));
	for (unsigned int i = first; i < mh->n_history; i++)
		json_object_array_add(hist, event_json(&mh->history[i % HISTORY]));
	json_object_object_add(o, "history", hist);
	return o;
}
