/* Mobile node role: movement to an advertised foreign agent (the routes of
 * the paper's route trick and the request that follows), and every check
 * of a Registration Reply: accepted (state, lifetime, binding history,
 * renewal), Identification or home address of no pending request, a bad or
 * missing home-agent authenticator, foreign-agent denials without one,
 * home-agent denials, code 133's clock resynchronisation, malformed and
 * truncated replies; the role keeps registering after each.
 *
 * The mobile node has no core/IO split like the home agent's
 * mip_ha_core_*(): this test compiles keyd/mip_mh.c in, with its sends and
 * route changes redirected to the recorders below (the macros come before
 * any keyd header, so the declarations follow them), and drives its
 * handlers directly; no socket, no route and no map is touched. */
#define mip_udp_send rec_udp_send
#define mip_icmp_send rec_icmp_send
#define nl_route_replace rec_route_replace
#define nl_route_del rec_route_del

#include "keyd/mip_mh.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static struct {
	unsigned int n_requests;
	uint8_t request[256];
	size_t request_len;
	uint32_t request_dst;
	uint16_t request_port;
	unsigned int n_routes;
	uint32_t host_route, default_gw, default_src;
	unsigned int n_solicits;
} rec;

int rec_udp_send(int fd, uint32_t dst, uint16_t port, const void *buf, size_t len)
{
	assert_true(len <= sizeof(rec.request));
	memcpy(rec.request, buf, len);
	rec.request_len = len;
	rec.request_dst = dst;
	rec.request_port = port;
	rec.n_requests++;
	return 0;
}

int rec_icmp_send(int fd, uint32_t dst, const void *buf, size_t len)
{
	rec.n_solicits++;
	return 0;
}

int rec_route_replace(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, uint32_t oif,
		      uint32_t table, uint32_t prefsrc, bool onlink, uint32_t mtu)
{
	rec.n_routes++;
	if (plen == 32 && !gw) {
		rec.host_route = dst;
	} else if (plen == 0) {
		rec.default_gw = gw;
		rec.default_src = prefsrc;
	}
	return 0;
}

int rec_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t oif, uint32_t table)
{
	return 0;
}

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static const uint8_t secret[16] = { 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
#define SPI 300

struct fixture {
	struct loop *loop;
	struct mip_stats st;
	struct mip_mh *mh;
	struct mip_key ha_key; /* the home agent's copy */
	uint32_t home, ha, fa1, coa1, fa2, coa2;
};

/* What mip_mh_start() sets up, without sockets, netlink or maps. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mip_mh *mh = calloc(1, sizeof(*mh));

	memset(&rec, 0, sizeof(rec));
	f->home = addr(10, 1, 0, 10);
	f->ha = addr(10, 1, 0, 1);
	f->fa1 = addr(10, 2, 1, 1);
	f->coa1 = addr(10, 0, 2, 2);
	f->fa2 = addr(10, 3, 1, 1);
	f->coa2 = addr(10, 0, 3, 2);
	assert_int_equal(loop_new(&f->loop), 0);
	mh->loop = f->loop;
	mh->st = &f->st;
	mh->udp_fd = mh->icmp_fd = -1;
	mip_maps_init(&mh->maps, NULL);
	loop_timer_init(&mh->agent_timer, agent_lost, mh);
	loop_timer_init(&mh->retransmit, retransmit, mh);
	loop_timer_init(&mh->renew, renew, mh);
	loop_timer_init(&mh->solicit_timer, solicit_tick, mh);
	mh->cfg = (struct mh_cfg){
		.home = f->home,
		.ha = f->ha,
		.ifindex = 7,
		.lifetime = 300,
		.reverse = true,
		.prev_fa_ext = true,
		.default_route = true,
		.table = 254,
		.retransmit_ms = 500,
		.retransmit_max_ms = 8000,
		.solicit_ms = 100,
	};
	assert_int_equal(mip_key_init(&mh->keys[0], SPI, MIP_ALG_HMAC_MD5, secret, 16), 0);
	mh->n_keys = 1;
	mh->link_up = true;
	assert_int_equal(mip_key_init(&f->ha_key, SPI, MIP_ALG_HMAC_MD5, secret, 16), 0);
	f->mh = mh;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mip_mh_stop(f->mh);
	mip_key_free(&f->ha_key);
	loop_free(f->loop);
	free(f);
	return 0;
}

/* An Agent Advertisement from fa offering care-of address coa. */
static void advert(struct fixture *f, uint32_t fa, uint32_t coa, uint16_t seq)
{
	struct mip_advert adv = {
		.icmp_lifetime = 30,
		.seq = seq,
		.reg_lifetime = 600,
		.flags = MIP_MAA_R | MIP_MAA_F | MIP_MAA_T,
		.n_coas = 1,
		.coas = { coa },
	};
	struct mip_rx rx = { .src = fa, .ttl = 1 };

	on_advert(f->mh, &adv, &rx);
}

/* The last request the mobile node sent, parsed. */
static struct mip_reg_request last_request(void)
{
	struct mip_reg_request req;
	struct mip_err err;

	assert_int_equal(mip_parse_request(rec.request, rec.request_len, &req, &err), 0);
	return req;
}

/* The home agent's reply to the last request, as bytes. ident 0 = echo the
 * request's; key NULL = no authentication extension. */
static size_t reply(const struct fixture *f, uint8_t *buf, uint8_t code, uint16_t lifetime,
		    uint64_t ident, const struct mip_key *key)
{
	struct mip_reg_reply rep = {
		.code = code,
		.lifetime = lifetime,
		.home_addr = f->home,
		.ha_addr = f->ha,
		.ident = ident ? ident : last_request().ident,
	};
	int len = mip_build_reply(&rep, buf, 256);

	assert_true(len > 0);
	if (key)
		len = mip_auth_append(key, MIP_EXT_MH_AUTH, buf, 256, (size_t)len);
	assert_true(len > 0);
	return (size_t)len;
}

static void deliver(struct fixture *f, const uint8_t *msg, size_t len)
{
	struct mip_rx rx = { .src = f->fa1, .src_port = MIP_PORT };

	on_reply(f->mh, msg, len, &rx);
}

/* Advertisement, routes, request; then the accepted reply. */
static void register_through(struct fixture *f, uint32_t fa, uint32_t coa)
{
	uint8_t msg[256];
	size_t len;

	advert(f, fa, coa, 1);
	assert_int_equal(f->mh->state, MH_REGISTERING);
	len = reply(f, msg, MIP_ACCEPTED, 200, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(f->mh->state, MH_REGISTERED);
}

static void movement_and_accepted_reply(void **state)
{
	struct fixture *f = *state;
	struct mip_mh *mh = f->mh;
	struct mip_reg_request req;
	uint8_t msg[256];
	size_t len;

	advert(f, f->fa1, f->coa1, 1);
	/* The route trick (paper 3.2) before the request leaves: a host route
	 * to the FA, the default route via it from the home address. */
	assert_int_equal(rec.host_route, f->fa1);
	assert_int_equal(rec.default_gw, f->fa1);
	assert_int_equal(rec.default_src, f->home);
	assert_int_equal(rec.n_requests, 1);
	assert_int_equal(rec.request_dst, f->fa1);
	assert_int_equal(rec.request_port, MIP_PORT);
	req = last_request();
	assert_int_equal(req.coa, f->coa1);
	assert_int_equal(req.home_addr, f->home);
	assert_int_equal(req.ha_addr, f->ha);
	assert_int_equal(req.lifetime, 300);
	assert_true(req.flags & MIP_REQ_T);
	assert_true(req.has_mh_auth);
	assert_true(mip_auth_verify(&f->ha_key, rec.request, rec.request_len, &req.mh_auth));
	assert_int_equal(mh->state, MH_REGISTERING);
	assert_true(loop_timer_armed(&mh->retransmit));

	/* The home agent grants less than asked; its own timestamp in the high
	 * half of the Identification is fine (RFC 5944 5.7.1: the low-order
	 * 32 bits must match). */
	len = reply(f, msg, MIP_ACCEPTED, 200, (req.ident & 0xffffffffu) | (1ULL << 32),
		    &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(mh->state, MH_REGISTERED);
	assert_int_equal(mh->granted, 200);
	assert_int_equal(f->st.ctr[MIP_C_REGISTERED], 1);
	assert_int_equal(f->st.code_rx[MIP_ACCEPTED], 1);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 0);
	assert_false(loop_timer_armed(&mh->retransmit));
	assert_true(loop_timer_armed(&mh->renew));
	/* Renewal at 3/4 of the lifetime granted. */
	assert_true(mh->renew.deadline > loop_now() + 149 * NS_PER_SEC);
	assert_true(mh->renew.deadline <= loop_now() + 150 * NS_PER_SEC);
	assert_int_equal(mh->n_history, 1);
	assert_int_equal(mh->history[0].fa, f->fa1);
	assert_int_equal(mh->history[0].code, MIP_ACCEPTED);
	assert_true(mh->history[0].reply >= mh->history[0].request);

	/* The same reply again answers nothing pending. */
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_NO_PENDING], 1);
	assert_int_equal(f->st.ctr[MIP_C_REGISTERED], 1);

	/* Handoff: FA2 heard, registration through it names FA1 (its care-of
	 * address) as the previous FA (DKM's extension), and the binding moves. */
	advert(f, f->fa2, f->coa2, 1);
	assert_int_equal(mh->state, MH_REGISTERING);
	assert_int_equal(f->st.ctr[MIP_C_HANDOFF], 1);
	assert_int_equal(rec.host_route, f->fa2);
	req = last_request();
	assert_int_equal(req.coa, f->coa2);
	assert_true(req.has_prev_fa);
	assert_int_equal(req.prev_fa.prev_fa, f->coa1);
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(mh->state, MH_REGISTERED);
	assert_int_equal(mh->fa.addr, f->fa2);
	assert_int_equal(f->st.ctr[MIP_C_REGISTERED], 2);
}

/* Replies that answer no pending request: another Identification, another
 * home address, or none outstanding. Discarded, counted, state unchanged. */
static void identification_mismatch(void **state)
{
	struct fixture *f = *state;
	struct mip_mh *mh = f->mh;
	struct mip_reg_reply rep;
	uint8_t msg[256];
	uint64_t ident;
	size_t len;
	int n;

	advert(f, f->fa1, f->coa1, 1);
	ident = last_request().ident;
	len = reply(f, msg, MIP_ACCEPTED, 300, ident + 1, &f->ha_key);
	deliver(f, msg, len);
	len = reply(f, msg, MIP_ACCEPTED, 300, ident ^ 0x80000000u, &f->ha_key);
	deliver(f, msg, len);
	/* An older request's Identification: a replayed reply. */
	len = reply(f, msg, MIP_ACCEPTED, 300, ident - 0x100000000ULL - 5, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_NO_PENDING], 3);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 3);
	assert_int_equal(mh->state, MH_REGISTERING);

	/* Someone else's home address. */
	rep = (struct mip_reg_reply){ .code = MIP_ACCEPTED,
				      .lifetime = 300,
				      .home_addr = addr(10, 1, 0, 11),
				      .ha_addr = f->ha,
				      .ident = ident };
	n = mip_build_reply(&rep, msg, sizeof(msg));
	n = mip_auth_append(&f->ha_key, MIP_EXT_MH_AUTH, msg, sizeof(msg), (size_t)n);
	deliver(f, msg, (size_t)n);
	assert_int_equal(f->st.ctr[MIP_C_NO_PENDING], 4);
	assert_int_equal(mh->state, MH_REGISTERING);
	assert_int_equal(f->st.ctr[MIP_C_REGISTERED], 0);

	/* The right one still registers. */
	len = reply(f, msg, MIP_ACCEPTED, 300, ident, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(mh->state, MH_REGISTERED);

	/* Idle (nothing sent): any reply is unexpected. */
	mh->state = MH_IDLE;
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_NO_PENDING], 5);
}

/* The home agent's answers must carry its authenticator under a key we
 * hold; a foreign agent's denials (codes 64-127) cannot and need not. */
static void authentication(void **state)
{
	struct fixture *f = *state;
	struct mip_mh *mh = f->mh;
	struct mip_key other;
	uint8_t msg[256];
	size_t len;

	advert(f, f->fa1, f->coa1, 1);
	/* A flipped authenticator bit. */
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &f->ha_key);
	msg[len - 1] ^= 0x01;
	deliver(f, msg, len);
	/* Another key under our SPI. */
	assert_int_equal(mip_key_init(&other, SPI, MIP_ALG_HMAC_MD5,
				      (const uint8_t *)"another secret!!", 16),
			 0);
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &other);
	mip_key_free(&other);
	deliver(f, msg, len);
	/* An SPI we have no key for. */
	assert_int_equal(mip_key_init(&other, SPI + 1, MIP_ALG_HMAC_MD5, secret, 16), 0);
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &other);
	mip_key_free(&other);
	deliver(f, msg, len);
	/* No authentication extension at all, on an acceptance and on a home
	 * agent's denial. */
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, NULL);
	deliver(f, msg, len);
	len = reply(f, msg, MIP_HA_PROHIBITED, 0, 0, NULL);
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_AUTH_FAILED], 5);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 5);
	assert_int_equal(f->st.ctr[MIP_C_DENIED], 0);
	assert_int_equal(f->st.code_rx[MIP_ACCEPTED], 0);
	assert_int_equal(mh->state, MH_REGISTERING);

	/* A foreign agent's denial needs no home-agent authenticator: taken,
	 * and the next attempt waits retransmit_max_ms. */
	len = reply(f, msg, MIP_FA_RT_UNAVAIL, 0, 0, NULL);
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_DENIED], 1);
	assert_int_equal(f->st.code_rx[MIP_FA_RT_UNAVAIL], 1);
	assert_int_equal(mh->state, MH_REGISTERING);
	assert_true(mh->retransmit.deadline > loop_now() + 7 * NS_PER_SEC);
	/* An authentic home-agent denial likewise. */
	len = reply(f, msg, MIP_HA_MN_AUTH, 0, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_DENIED], 2);
	assert_int_equal(mh->state, MH_REGISTERING);

	/* Still serving: an authentic acceptance registers. */
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(mh->state, MH_REGISTERED);
	assert_int_equal(f->st.ctr[MIP_C_AUTH_FAILED], 5);
}

/* Code 133 (RFC 5944 3.4, 5.7.1): the home agent's clock differs from
 * ours; its timestamp is in the high half of the reply's Identification.
 * The mobile node adopts the offset and asks again at once, with an
 * Identification in the home agent's time. */
static void clock_resync(void **state)
{
	struct fixture *f = *state;
	struct mip_mh *mh = f->mh;
	struct mip_reg_request req;
	uint64_t ident, ha_secs;
	uint8_t msg[256];
	size_t len;

	advert(f, f->fa1, f->coa1, 1);
	req = last_request();
	ha_secs = (req.ident >> 32) + 1000;
	len = reply(f, msg, MIP_HA_IDENT_MISMATCH, 0, ha_secs << 32 | (req.ident & 0xffffffffu),
		    &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_CLOCK_RESYNC], 1);
	assert_int_equal(f->st.ctr[MIP_C_DENIED], 0);
	assert_int_equal(mh->clock_offset_ns, 1000 * (int64_t)NS_PER_SEC);
	assert_int_equal(rec.n_requests, 2);
	ident = last_request().ident;
	assert_true((ident >> 32) >= ha_secs && (ident >> 32) <= ha_secs + 2);
	assert_int_equal(mh->state, MH_REGISTERING);

	/* An unauthenticated 133 moves nothing. */
	len = reply(f, msg, MIP_HA_IDENT_MISMATCH, 0,
		    (ha_secs + 5000) << 32 | (ident & 0xffffffffu), NULL);
	deliver(f, msg, len);
	assert_int_equal(f->st.ctr[MIP_C_CLOCK_RESYNC], 1);
	assert_int_equal(mh->clock_offset_ns, 1000 * (int64_t)NS_PER_SEC);
	assert_int_equal(rec.n_requests, 2);

	/* The home agent accepts the resent request. */
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(mh->state, MH_REGISTERED);
}

/* Malformed, truncated or over-long replies: silently discarded (RFC 5944
 * 1.9), counted by reason; a good reply afterwards registers. */
static void malformed_replies(void **state)
{
	struct fixture *f = *state;
	struct mip_rx rx = { .src = f->fa1, .src_port = MIP_PORT, .truncated = true };
	uint8_t msg[256];
	size_t len;

	advert(f, f->fa1, f->coa1, 1);
	uint64_t cuts = 0;

	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &f->ha_key);
	/* Every cut but the one after the fixed part, which parses (and then
	 * lacks the authenticator, see authentication()). */
	for (size_t cut = 0; cut < len; cut += 3) {
		if (cut == MIP_REP_FIXED_LEN)
			continue;
		deliver(f, msg, cut);
		cuts++;
	}
	assert_int_equal(f->st.ctr[MIP_C_MALFORMED], cuts);
	assert_true(f->st.reason[MIP_R_TRUNCATED] + f->st.reason[MIP_R_EXT_TRUNCATED] +
			    f->st.reason[MIP_R_EXT_LENGTH] ==
		    cuts);
	msg[0] = 1; /* a Registration Request's type */
	deliver(f, msg, len);
	assert_int_equal(f->st.reason[MIP_R_BAD_TYPE], 1);
	msg[0] = 3;
	on_reply(f->mh, msg, len, &rx);
	assert_int_equal(f->st.reason[MIP_R_TOO_LONG], 1);
	assert_int_equal(f->st.ctr[MIP_C_MALFORMED], cuts + 2);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], f->st.ctr[MIP_C_MALFORMED]);
	assert_int_equal(f->mh->state, MH_REGISTERING);
	deliver(f, msg, len);
	assert_int_equal(f->mh->state, MH_REGISTERED);
}

/* Deregistration: lifetime 0 with the home address as care-of address;
 * the accepted reply leaves the node idle and held (advertisements do not
 * register it again) until mip_mh_register(). */
static void deregistration(void **state)
{
	struct fixture *f = *state;
	struct mip_mh *mh = f->mh;
	struct mip_reg_request req;
	uint8_t msg[256];
	size_t len;

	register_through(f, f->fa1, f->coa1);
	assert_int_equal(mip_mh_deregister(mh), 0);
	req = last_request();
	assert_int_equal(req.lifetime, 0);
	assert_int_equal(req.coa, f->home);
	len = reply(f, msg, MIP_ACCEPTED, 0, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(mh->state, MH_IDLE);
	assert_int_equal(mh->granted, 0);
	assert_false(loop_timer_armed(&mh->renew));
	advert(f, f->fa1, f->coa1, 2);
	assert_int_equal(mh->state, MH_IDLE);
	assert_int_equal(mip_mh_register(mh), 0);
	assert_int_equal(mh->state, MH_REGISTERING);
	assert_int_equal(last_request().lifetime, 300);
}

/* A link event for the mobile node's interface (ifindex 7). */
static void link_event(struct fixture *f, bool up, bool has_downs, uint32_t downs)
{
	struct nl_link_ev ev = {
		.ifindex = 7, .up = up, .has_downs = has_downs, .carrier_downs = downs
	};

	link_changed(f->mh, &ev);
}

/* Movement detection from link events: a reported down and up solicits at
 * once; so does a carrier lost and regained between two reports, which the
 * kernel reports only as "up" with a higher carrier-down count (a handoff
 * faster than linkwatch: the bed's air switch takes 0.1 ms); an "up" with
 * the count unchanged, or without the count, is no movement. */
static void link_flap_solicits(void **state)
{
	struct fixture *f = *state;

	link_event(f, true, true, 3); /* learns the count: no change */
	assert_int_equal(rec.n_solicits, 0);
	assert_int_equal(f->st.ctr[MIP_C_LINK_CHANGE], 0);

	link_event(f, false, true, 4);
	assert_false(f->mh->link_up);
	link_event(f, true, true, 4);
	assert_int_equal(rec.n_solicits, 1);
	assert_int_equal(f->st.ctr[MIP_C_LINK_CHANGE], 2);

	link_event(f, true, true, 5); /* down and up between two reports */
	assert_int_equal(rec.n_solicits, 2);
	assert_int_equal(f->st.ctr[MIP_C_LINK_CHANGE], 3);
	assert_true(f->mh->cur.link_up != 0);
	assert_false(f->mh->heard.known);

	link_event(f, true, true, 5);  /* another report, no flap */
	link_event(f, true, false, 0); /* a kernel without the count */
	link_event(f, true, true, 5);
	assert_int_equal(rec.n_solicits, 2);
	assert_int_equal(f->st.ctr[MIP_C_LINK_CHANGE], 3);
}

/* A restarted worker's new TUN device brings the home address back; the
 * routes with it as their source went when it went: they are installed
 * again, and only for the home address, only while routed via an FA. */
static void home_address_back_restores_routes(void **state)
{
	struct fixture *f = *state;
	struct nl_link_ev ev = { .ifindex = 9, .addr_added = true, .addr = f->home };
	unsigned int n;

	link_changed(f->mh, &ev); /* not registered: nothing to put back */
	assert_int_equal(rec.n_routes, 0);
	register_through(f, f->fa1, f->coa1);
	n = rec.n_routes;
	rec.host_route = 0;
	ev.addr = f->home ^ htonl(1); /* another address */
	link_changed(f->mh, &ev);
	assert_int_equal(rec.n_routes, n);
	ev.addr = f->home;
	link_changed(f->mh, &ev);
	assert_true(rec.n_routes > n);
	assert_int_equal(rec.host_route, f->fa1);
}

/* The link down and up again (a flap of the interface itself): the
 * kernel took the routes through it; they come back with the link, to the
 * agent the node is registered with, before any advertisement. */
static void link_back_restores_routes(void **state)
{
	struct fixture *f = *state;
	unsigned int n;

	register_through(f, f->fa1, f->coa1);
	link_event(f, true, true, 1);
	link_event(f, false, true, 2);
	n = rec.n_routes;
	rec.host_route = 0;
	link_event(f, true, true, 2);
	assert_true(rec.n_routes > n);
	assert_int_equal(rec.host_route, f->fa1);
}

/* A deregistration answered with a lifetime by the home agent itself
 * (fuzz-mip-mh found this): deregistered, not registered for 0 s. */
static void dereg_answered_with_lifetime(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256];
	size_t len;

	register_through(f, f->fa1, f->coa1);
	assert_int_equal(mip_mh_deregister(f->mh), 0);
	assert_int_equal(last_request().lifetime, 0);
	len = reply(f, msg, MIP_ACCEPTED, 300, 0, &f->ha_key);
	deliver(f, msg, len);
	assert_int_equal(f->mh->state, MH_IDLE);
	assert_int_equal(f->mh->granted, 0);
	assert_false(loop_timer_armed(&f->mh->renew));
}

/* Code 133 again and again with the home agent's clock at either end of
 * the NTP era (fuzz-mip-mh: the offset was added up, ran away and
 * overflowed int64): it stays the era's signed distance, at most 2^31 s
 * either way. */
static void clock_resync_bounded(void **state)
{
	struct fixture *f = *state;
	struct mip_reg_request req;
	uint8_t msg[256];
	size_t len;

	advert(f, f->fa1, f->coa1, 1);
	for (int i = 0; i < 8; i++) {
		uint64_t ha_secs = i % 2 ? 0xffffffffu : 0;

		req = last_request();
		len = reply(f, msg, MIP_HA_IDENT_MISMATCH, 0,
			    ha_secs << 32 | (req.ident & 0xffffffffu), &f->ha_key);
		deliver(f, msg, len);
		assert_int_equal(f->st.ctr[MIP_C_CLOCK_RESYNC], (uint64_t)i + 1);
		assert_true(f->mh->clock_offset_ns <= (int64_t)INT32_MAX * (int64_t)NS_PER_SEC);
		assert_true(f->mh->clock_offset_ns >= (int64_t)INT32_MIN * (int64_t)NS_PER_SEC);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(movement_and_accepted_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(identification_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(authentication, setup, teardown),
		cmocka_unit_test_setup_teardown(clock_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(deregistration, setup, teardown),
		cmocka_unit_test_setup_teardown(link_flap_solicits, setup, teardown),
		cmocka_unit_test_setup_teardown(home_address_back_restores_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(link_back_restores_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(dereg_answered_with_lifetime, setup, teardown),
		cmocka_unit_test_setup_teardown(clock_resync_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
