/* Foreign agent: advertisements on the wireless link, the registration
 * relay, and the visitor list mirrored into mml_visitor for the FA's XDP
 * programs (Table 1 of the paper: the tunnel for the MH exists once the HA
 * accepted). See mip_fa.h. */
#include "keyd/mip_fa_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/ifinfo.h"
#include "lib/log.h"
#include "maps/visitor.h"

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define SOLICIT_ANSWERS_PER_SEC 100

static void pending_timeout(void *arg);
static void visitor_expired(void *arg);

int mip_fa_core_new(struct loop *loop, struct mip_maps *maps, const struct mip_fa_cfg *cfg,
		    struct mip_stats *st, const struct mip_fa_io *io, struct mip_fa **out)
{
	struct mip_fa *fa = calloc(1, sizeof(*fa));
	int err;

	if (!fa)
		return -ENOMEM;
	fa->cfg = *cfg;
	fa->loop = loop;
	fa->maps = maps;
	fa->st = st;
	fa->io = *io;
	fa->udp_fd = fa->pkt_fd = -1;
	loop_timer_init(&fa->advert_timer, mip_fa_advert_tick, fa);
	err = u32map_init(&fa->visitors, 64);
	if (!err)
		err = u32map_init(&fa->ha_keys, 4);
	if (err) {
		u32map_free(&fa->visitors);
		free(fa);
		return err;
	}
	*out = fa;
	return 0;
}

int mip_fa_add_ha_keys(struct mip_fa *fa, uint32_t ha, struct mip_key *keys, size_t n_keys)
{
	return mip_fh_add(&fa->ha_keys, ha, keys, n_keys);
}

static void visitor_free(struct mip_fa *fa, struct fa_visitor *v)
{
	loop_timer_cancel(fa->loop, &v->pend_timer);
	loop_timer_cancel(fa->loop, &v->expiry);
	free(v);
}

void mip_fa_core_free(struct mip_fa *fa)
{
	struct fa_visitor *v;
	size_t it = 0;
	uint32_t key;

	if (!fa)
		return;
	loop_timer_cancel(fa->loop, &fa->advert_timer);
	while ((v = u32map_next(&fa->visitors, &it, &key)))
		visitor_free(fa, v);
	u32map_free(&fa->visitors);
	mip_fh_free_all(&fa->ha_keys);
	u32map_free(&fa->ha_keys);
	free(fa);
}

int mip_fa_visitor_state(struct mip_fa *fa, uint32_t home)
{
	struct fa_visitor *v = u32map_get(&fa->visitors, home);

	if (!v)
		return -ENOENT;
	return v->registered ? 1 : v->pending ? 2 : -ENOENT;
}

/* Visitor records and mml_visitor */

static void forget_if_idle(struct mip_fa *fa, struct fa_visitor *v)
{
	if (v->pending || v->registered)
		return;
	u32map_del(&fa->visitors, v->home);
	visitor_free(fa, v);
}

/* -E2BIG when mml_visitor is full (logged, counted): the caller refuses
 * the visitor rather than forward for it without the data plane's entry. */
static int map_put(struct mip_fa *fa, struct fa_visitor *v)
{
	struct mml_visitor mv;
	char a[16];
	int err;

	if (!fa->maps)
		return 0;
	memset(&mv, 0, sizeof(mv));
	mv.ha_addr = v->ha;
	mv.ifindex = v->link.ifindex;
	memcpy(mv.mh_mac, v->link.mac, 6);
	memcpy(mv.fa_mac, fa->cfg.mac, 6);
	err = mip_maps_visitor_put(fa->maps, v->home, &mv);
	if (err == -E2BIG) {
		fa->st->ctr[MIP_C_MAP_FULL]++;
		log_err("mml_visitor is full (%u entries): visitor %s refused; size it with `mmlctl "
			"fa attach ... visitor-max N` (docs/operations.md, \"Map sizing\")",
			mip_maps_capacity(fa->maps, MIP_MAP_VISITOR), mml_ipv4_str(v->home, a));
		return err;
	}
	if (err) {
		fa->st->ctr[MIP_C_MAP_ERROR]++;
		log_err("mml_visitor %s: %s", mml_ipv4_str(v->home, a),
			err == -ENOENT ? "not pinned (is the FA data plane attached?)" :
					 strerror(-err));
	}
	return 0;
}

static void map_del(struct mip_fa *fa, struct fa_visitor *v)
{
	char a[16];
	int err;

	if (!fa->maps)
		return;
	err = mip_maps_visitor_del(fa->maps, v->home);
	if (err && err != -ENOENT) {
		fa->st->ctr[MIP_C_MAP_ERROR]++;
		log_err("mml_visitor %s: %s", mml_ipv4_str(v->home, a), strerror(-err));
	}
}

static void unregister(struct mip_fa *fa, struct fa_visitor *v)
{
	if (!v->registered)
		return;
	v->registered = false;
	fa->n_registered--;
	loop_timer_cancel(fa->loop, &v->expiry);
	map_del(fa, v);
	keyd_visitor_changed(v->home, false);
}

static void visitor_expired(void *arg)
{
	struct fa_visitor *v = arg;
	struct mip_fa *fa = v->fa;
	char a[16];

	fa->st->ctr[MIP_C_VISITOR_EXPIRE]++;
	log_info("visitor %s expired", mml_ipv4_str(v->home, a));
	unregister(fa, v);
	forget_if_idle(fa, v);
}

/* Replies to the mobile node */

static void send_to_mh(struct mip_fa *fa, const struct mip_fa_link *l, const uint8_t *msg,
		       size_t len, uint8_t code)
{
	int err = fa->io.to_mh(fa->io.ctx, l, msg, len);

	if (err) {
		fa->st->ctr[MIP_C_SEND_ERROR]++;
		log_debug("reply to the mobile node: %s", strerror(-err));
		return;
	}
	fa->st->ctr[MIP_C_TX_REPLY]++;
	fa->st->code_tx[code]++;
}

/* A denial of our own: no authentication extension (we share no key with
 * the mobile node), the request's Identification. */
static void deny(struct mip_fa *fa, const struct mip_reg_request *req, const struct mip_fa_link *l,
		 uint8_t code, const char *why)
{
	struct mip_reg_reply rep = {
		.code = code,
		.home_addr = req->home_addr,
		.ha_addr = req->ha_addr,
		.ident = req->ident,
	};
	uint8_t buf[64];
	char h[16];
	int len = mip_build_reply(&rep, buf, sizeof(buf));

	fa->st->ctr[MIP_C_DENIED]++;
	mip_log_reject(fa->st, "request for %s denied, code %u (%s): %s",
		       mml_ipv4_str(req->home_addr, h), code, mip_code_str(code), why);
	if (len > 0)
		send_to_mh(fa, l, buf, (size_t)len, code);
}

/* Requests from mobile nodes */

static uint8_t check_request(struct mip_fa *fa, const struct mip_reg_request *req, const char **why)
{
	if (!req->has_mh_auth) {
		*why = "no Mobile-Home Authentication Extension";
		return MIP_FA_BAD_REQUEST;
	}
	if (req->lifetime > fa->cfg.max_lifetime) {
		*why = "lifetime above the advertised maximum";
		return MIP_FA_LIFETIME;
	}
	if (req->lifetime && req->coa != fa->cfg.coa) {
		*why = "care-of address is not ours";
		return MIP_FA_BAD_COA;
	}
	if (req->flags & (MIP_REQ_M | MIP_REQ_G)) {
		*why = "minimal or GRE encapsulation requested: only IP-in-IP";
		return MIP_FA_ENCAP;
	}
	if ((req->flags & MIP_REQ_T) && fa->cfg.reverse == MIP_RT_OFF) {
		*why = "reverse tunnel requested but disabled";
		return MIP_FA_RT_UNAVAIL;
	}
	if (!(req->flags & MIP_REQ_T) && fa->cfg.reverse == MIP_RT_REQUIRED && req->lifetime) {
		*why = "reverse tunnel required, T bit not set";
		return MIP_FA_RT_MANDATORY;
	}
	if (!req->ha_addr || req->ha_addr == 0xffffffffu || req->ha_addr == fa->cfg.addr) {
		*why = "no usable home agent address";
		return MIP_FA_HA_UNREACH;
	}
	return MIP_ACCEPTED;
}

static struct fa_visitor *visitor_get(struct mip_fa *fa, uint32_t home, bool create)
{
	struct fa_visitor *v = u32map_get(&fa->visitors, home);

	if (v || !create)
		return v;
	if (fa->visitors.len >= fa->cfg.max_visitors)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->fa = fa;
	v->home = home;
	loop_timer_init(&v->pend_timer, pending_timeout, v);
	loop_timer_init(&v->expiry, visitor_expired, v);
	if (u32map_put(&fa->visitors, home, v)) {
		free(v);
		return NULL;
	}
	return v;
}

/* Relays the request to its home agent, with our Foreign-Home
 * authenticator appended when we share keys with it. -EBADMSG (and *why)
 * when it cannot be added. */
static int relay_to_ha(struct mip_fa *fa, const struct mip_reg_request *req, const uint8_t *msg,
		       size_t len, const char **why)
{
	const struct mip_fh_peer *peer = u32map_get(&fa->ha_keys, req->ha_addr);
	uint8_t buf[MIP_MSG_MAX];
	int n;

	if (!peer)
		return fa->io.to_ha(fa->io.ctx, req->ha_addr, msg, len);
	if (req->has_fh_auth) {
		*why = "the mobile node sent a Foreign-Home Authentication Extension";
		return -EBADMSG;
	}
	if (len > sizeof(buf)) {
		*why = "too long";
		return -EBADMSG;
	}
	memcpy(buf, msg, len);
	n = mip_fh_append(peer, buf, sizeof(buf), len);
	if (n == -ENOSPC)
		*why = "no room for the Foreign-Home Authentication Extension";
	if (n < 0)
		return n == -ENOSPC ? -EBADMSG : n;
	return fa->io.to_ha(fa->io.ctx, req->ha_addr, buf, (size_t)n);
}

void mip_fa_from_mh(struct mip_fa *fa, const uint8_t *msg, size_t len, bool truncated,
		    const struct mip_fa_link *from)
{
	struct mip_reg_request req;
	struct fa_visitor *v;
	struct mip_err perr;
	const char *why = NULL;
	char detail[160], s[16];
	uint8_t code;
	int err;

	fa->st->ctr[MIP_C_RX_REQUEST]++;
	memset(&perr, 0, sizeof(perr));
	if (truncated) {
		perr.reason = MIP_R_TOO_LONG;
		perr.want = MIP_MSG_MAX;
		perr.have = (uint32_t)len + 1;
	}
	if (truncated || mip_parse_request(msg, len, &req, &perr)) {
		fa->st->ctr[MIP_C_MALFORMED]++;
		fa->st->reason[perr.reason]++;
		mip_err_str(&perr, detail, sizeof(detail));
		if (perr.reason == MIP_R_TRUNCATED || perr.reason == MIP_R_TOO_LONG ||
		    perr.reason == MIP_R_BAD_TYPE) {
			fa->st->ctr[MIP_C_DISCARDED]++;
			mip_log_reject(fa->st, "request from %s discarded: %s",
				       mml_ipv4_str(from->ip, s), detail);
			return;
		}
		deny(fa, &req, from, MIP_FA_BAD_REQUEST, detail);
		return;
	}
	if (req.skipped)
		fa->st->ctr[MIP_C_EXT_SKIPPED] += req.skipped;
	code = check_request(fa, &req, &why);
	if (code != MIP_ACCEPTED) {
		deny(fa, &req, from, code, why);
		return;
	}
	v = visitor_get(fa, req.home_addr, true);
	if (!v) {
		deny(fa, &req, from, MIP_FA_RESOURCES, "visitor list full");
		return;
	}
	/* A new visitor the data plane has no room for is refused now, not
	 * after its home agent bound it (accept_reply checks again). */
	if (!v->registered && fa->maps && req.lifetime &&
	    fa->n_registered >= mip_maps_capacity(fa->maps, MIP_MAP_VISITOR) &&
	    mip_maps_capacity(fa->maps, MIP_MAP_VISITOR)) {
		fa->st->ctr[MIP_C_MAP_FULL]++;
		forget_if_idle(fa, v);
		deny(fa, &req, from, MIP_FA_RESOURCES, "mml_visitor full");
		return;
	}
	err = relay_to_ha(fa, &req, msg, len, &why);
	if (err == -EBADMSG) {
		forget_if_idle(fa, v);
		deny(fa, &req, from, MIP_FA_BAD_REQUEST, why);
		return;
	}
	if (err) {
		fa->st->ctr[MIP_C_SEND_ERROR]++;
		forget_if_idle(fa, v);
		deny(fa, &req, from, MIP_FA_HA_UNREACH, strerror(-err));
		return;
	}
	fa->st->ctr[MIP_C_RELAYED_REQUEST]++;
	/* One pending request per mobile node: a newer one replaces it. */
	v->link = *from;
	v->pending = true;
	v->pend_ha = req.ha_addr;
	v->pend_ident = req.ident;
	v->pend_lifetime = req.lifetime;
	v->pend_since = loop_now();
	v->has_prev_fa = req.has_prev_fa;
	v->prev_fa = req.prev_fa;
	if (req.has_prev_fa && req.lifetime)
		keyd_prev_fa(req.home_addr, req.ha_addr, req.prev_fa.prev_fa);
	if (!v->registered)
		v->ha = req.ha_addr;
	loop_timer_in(fa->loop, &v->pend_timer, (uint64_t)fa->cfg.pending_timeout_ms * NS_PER_MS);
}

static void pending_timeout(void *arg)
{
	struct fa_visitor *v = arg;
	struct mip_fa *fa = v->fa;
	struct mip_reg_request req = {
		.home_addr = v->home,
		.ha_addr = v->ha,
		.ident = v->pend_ident,
	};

	fa->st->ctr[MIP_C_PENDING_TIMEOUT]++;
	v->pending = false;
	deny(fa, &req, &v->link, MIP_FA_TIMEOUT, "no reply from the home agent");
	forget_if_idle(fa, v);
}

/* Replies from home agents */

/* -E2BIG: mml_visitor is full, the visitor is not registered here. */
static int accept_reply(struct mip_fa *fa, struct fa_visitor *v, const struct mip_reg_reply *rep)
{
	uint64_t now = loop_now();
	/* Never more than asked for: an answer of any lifetime to a
	 * deregistration (lifetime 0) still deregisters, it does not register
	 * the visitor for 0 s. */
	uint16_t granted = rep->lifetime < v->pend_lifetime ? rep->lifetime : v->pend_lifetime;
	char a[16], h[16];

	if (!granted) {
		if (v->registered) {
			fa->st->ctr[MIP_C_VISITOR_DEREG]++;
			log_info("visitor %s deregistered", mml_ipv4_str(v->home, a));
		}
		unregister(fa, v);
		return 0;
	}
	if (!v->registered && map_put(fa, v) == -E2BIG)
		return -E2BIG;
	v->granted = granted;
	v->expires = now + (uint64_t)v->granted * NS_PER_SEC;
	v->ha = rep->ha_addr;
	v->registrations++;
	if (!v->registered) {
		v->registered = true;
		v->since = now;
		fa->n_registered++;
		fa->st->ctr[MIP_C_VISITOR_ADD]++;
		log_info("visitor %s (home agent %s) registered for %u s", mml_ipv4_str(v->home, a),
			 mml_ipv4_str(v->ha, h), v->granted);
	} else {
		fa->st->ctr[MIP_C_VISITOR_RENEW]++;
	}
	/* Written on renewals too: the mobile node may have a new MAC. */
	map_put(fa, v);
	loop_timer_at(fa->loop, &v->expiry, v->expires);
	return 0;
}

/* Home address and Identification are seen by anyone on the air, so they
 * do not make a reply genuine: it must come from and name the home agent
 * the request went to and, when we share keys with that home agent, carry
 * its Foreign-Home authenticator. A refused reply leaves the request
 * pending, so the genuine one is still taken. */
static bool reply_genuine(struct mip_fa *fa, const struct fa_visitor *v, const uint8_t *msg,
			  size_t len, const struct mip_reg_reply *rep, uint32_t src)
{
	const struct mip_fh_peer *peer = u32map_get(&fa->ha_keys, v->pend_ha);
	const char *why = NULL;
	char s[16], h[16];

	if (src != v->pend_ha || rep->ha_addr != v->pend_ha) {
		fa->st->ctr[MIP_C_REPLY_WRONG_SOURCE]++;
		why = "not from the home agent the request went to";
	} else if (peer) {
		why = mip_fh_check(peer, msg, len, rep->has_fh_auth, &rep->fh_auth);
		if (why)
			fa->st->ctr[MIP_C_FH_AUTH_FAILED]++;
	}
	if (!why)
		return true;
	fa->st->ctr[MIP_C_DISCARDED]++;
	mip_log_reject(fa->st, "reply for %s from %s discarded: %s", mml_ipv4_str(v->home, h),
		       mml_ipv4_str(src, s), why);
	return false;
}

/* A reply that did not parse: the mobile node hears 71 at once, but only
 * when the reply came from the pending request's home agent and no
 * authenticator was due (an unparsed message cannot be authenticated). */
static void reply_malformed(struct mip_fa *fa, const struct mip_reg_reply *rep,
			    const struct mip_err *perr, uint32_t src)
{
	struct fa_visitor *v = NULL;
	char detail[160], s[16];

	mip_err_str(perr, detail, sizeof(detail));
	if (perr->reason != MIP_R_TRUNCATED && perr->reason != MIP_R_TOO_LONG &&
	    perr->reason != MIP_R_BAD_TYPE)
		v = visitor_get(fa, rep->home_addr, false);
	if (v && v->pending && src != v->pend_ha)
		fa->st->ctr[MIP_C_REPLY_WRONG_SOURCE]++;
	if (!v || !v->pending || src != v->pend_ha || u32map_get(&fa->ha_keys, v->pend_ha)) {
		fa->st->ctr[MIP_C_DISCARDED]++;
		mip_log_reject(fa->st, "reply from %s discarded: %s", mml_ipv4_str(src, s), detail);
		return;
	}
	struct mip_reg_request req = { .home_addr = v->home,
				       .ha_addr = v->ha,
				       .ident = v->pend_ident };

	v->pending = false;
	loop_timer_cancel(fa->loop, &v->pend_timer);
	deny(fa, &req, &v->link, MIP_FA_BAD_REPLY, detail);
	forget_if_idle(fa, v);
}

void mip_fa_from_ha(struct mip_fa *fa, const uint8_t *msg, size_t len, bool truncated, uint32_t src)
{
	struct mip_reg_reply rep;
	struct fa_visitor *v;
	struct mip_err perr;
	char s[16], h[16];

	fa->st->ctr[MIP_C_RX_REPLY]++;
	memset(&perr, 0, sizeof(perr));
	if (truncated) {
		perr.reason = MIP_R_TOO_LONG;
		perr.want = MIP_MSG_MAX;
		perr.have = (uint32_t)len + 1;
	}
	if (truncated || mip_parse_reply(msg, len, &rep, &perr)) {
		fa->st->ctr[MIP_C_MALFORMED]++;
		fa->st->reason[perr.reason]++;
		reply_malformed(fa, &rep, &perr, src);
		return;
	}
	v = visitor_get(fa, rep.home_addr, false);
	/* Matched on the low 32 bits: a home agent rewrites the high half
	 * when it denies with 133 (RFC 5944 5.7.1). */
	if (!v || !v->pending || (uint32_t)v->pend_ident != (uint32_t)rep.ident) {
		fa->st->ctr[MIP_C_NO_PENDING]++;
		fa->st->ctr[MIP_C_DISCARDED]++;
		mip_log_reject(fa->st, "reply for %s from %s matches no pending request: discarded",
			       mml_ipv4_str(rep.home_addr, h), mml_ipv4_str(src, s));
		return;
	}
	if (!reply_genuine(fa, v, msg, len, &rep, src))
		return;
	fa->st->code_rx[rep.code]++;
	if (rep.skipped)
		fa->st->ctr[MIP_C_EXT_SKIPPED] += rep.skipped;
	v->pending = false;
	loop_timer_cancel(fa->loop, &v->pend_timer);
	if (mip_code_accepted(rep.code) && accept_reply(fa, v, &rep) == -E2BIG) {
		struct mip_reg_request req = { .home_addr = v->home,
					       .ha_addr = v->ha,
					       .ident = v->pend_ident };

		/* The home agent's binding lapses with its lifetime. */
		deny(fa, &req, &v->link, MIP_FA_RESOURCES, "mml_visitor full");
		forget_if_idle(fa, v);
		return;
	}
	if (!mip_code_accepted(rep.code))
		log_info("home agent %s denied %s: code %u (%s)", mml_ipv4_str(src, s),
			 mml_ipv4_str(rep.home_addr, h), rep.code, mip_code_str(rep.code));
	if (mip_code_accepted(rep.code) && v->registered) {
		v->reply_ns = loop_now();
		keyd_visitor_changed(rep.home_addr, true);
	}
	/* Relayed unchanged: the mobile node checks the HA's authenticator. */
	send_to_mh(fa, &v->link, msg, len, rep.code);
	fa->st->ctr[MIP_C_RELAYED_REPLY]++;
	forget_if_idle(fa, v);
}

/* Advertisements */

void mip_fa_advertise(struct mip_fa *fa, const uint8_t mac[6], uint32_t dst)
{
	struct mip_advert adv = {
		.code = 0,
		.n_addrs = 1,
		.reg_lifetime = fa->cfg.max_lifetime,
		.flags = MIP_MAA_R | MIP_MAA_F,
		.n_coas = 1,
		.has_prefix_lens = true,
		.n_prefix_lens = 1,
	};
	uint32_t life_ms = 3 * fa->cfg.advert_interval_ms;
	uint8_t buf[MIP_ADVERT_MAX];
	int len, err;

	adv.icmp_lifetime = (uint16_t)(life_ms < 1000 ? 1 : (life_ms + 999) / 1000);
	adv.addrs[0] = fa->cfg.addr;
	adv.coas[0] = fa->cfg.coa;
	adv.prefix_lens[0] = fa->cfg.prefix_len;
	if (fa->cfg.reverse != MIP_RT_OFF)
		adv.flags |= MIP_MAA_T;
	if (fa->n_registered >= fa->cfg.max_visitors)
		adv.flags |= MIP_MAA_B;
	/* 0..0xffff, then 256..0xffff: a value below 256 means a reboot
	 * (RFC 5944 2.1.1). */
	adv.seq = fa->advert_seq;
	fa->advert_seq = fa->advert_seq == 0xffff ? 256 : fa->advert_seq + 1;
	len = mip_build_advert(&adv, buf, sizeof(buf));
	if (len < 0)
		return;
	err = fa->io.icmp(fa->io.ctx, mac, dst, buf, (size_t)len);
	if (err) {
		fa->st->ctr[MIP_C_SEND_ERROR]++;
		log_debug("advertisement: %s", strerror(-err));
		return;
	}
	fa->st->ctr[MIP_C_TX_ADVERT]++;
}

void mip_fa_advert_tick(void *arg)
{
	struct mip_fa *fa = arg;
	/* +-10% jitter so that agents on one link do not synchronise. */
	uint64_t interval = (uint64_t)fa->cfg.advert_interval_ms * NS_PER_MS;
	uint64_t jitter = interval / 5 ? (uint64_t)random() % (interval / 5) : 0;

	mip_fa_advertise(fa, broadcast_mac, 0xffffffffu);
	loop_timer_in(fa->loop, &fa->advert_timer, interval - interval / 10 + jitter);
}

void mip_fa_solicited(struct mip_fa *fa, const uint8_t mac[6], uint32_t src)
{
	uint64_t second = loop_now() / NS_PER_SEC;

	fa->st->ctr[MIP_C_RX_SOLICIT]++;
	if (second != fa->solicit_window) {
		fa->solicit_window = second;
		fa->solicit_answers = 0;
	}
	if (fa->solicit_answers++ >= SOLICIT_ANSWERS_PER_SEC) {
		fa->st->ctr[MIP_C_DISCARDED]++;
		return;
	}
	/* Unicast to the soliciting host when it gave an address, so that a
	 * handoff does not wait for the next periodic advertisement. */
	mip_fa_advertise(fa, mac, src ? src : 0xffffffffu);
}
