/* libFuzzer harness for the mobile node (keyd/mip_mh.c, compiled in as
 * tests/mip/test_mip_mh.c does): one mobile node per input, set up as
 * mip_mh_start() would without sockets, netlink or maps; its sends and
 * route changes are recorded, and its two receive handlers read what the
 * harness queues (mip_udp_recv and mip_icmp_recv redirected), so the real
 * udp_readable() and icmp_readable() run. Events (opcode byte, fields):
 *   0  an ICMP message on the link, raw bytes, from a chosen source and TTL
 *   1  an Agent Advertisement built from fields (flags, care-of
 *      addresses, sequence number, lifetimes), sent with TTL 1
 *   2  a UDP datagram to port 434, raw bytes (optionally truncated)
 *   3  a reply to the last request sent, built from fields: code,
 *      lifetime, home address, Identification (echoed, low half with
 *      another high half, or any), raw extensions, and the home agent's
 *      authenticator under the right key, a wrong key, an unknown SPI or
 *      none
 *   4  a link event; 5  a timer fires (time has passed): agent lifetime,
 *      retransmission, renewal, solicitation; 6  `mmlctl mip register` or
 *      `deregister`
 * What must hold after each event:
 *   - the state machine's bookkeeping: a known state; registered, the
 *     granted lifetime is above 0 and at most the one asked for, and the
 *     renewal timer is armed;
 *   - only the home agent registers the mobile node or moves its clock:
 *     a change of registration (state, granted lifetime, expiry) or of the
 *     clock offset follows only a reply authenticated with the mobile
 *     node's key (event 3 with the right key); raw bytes never do;
 *   - every request sent parses, names our home address and home agent,
 *     and carries an authenticator the home agent accepts. */
#define mip_udp_send fuzz_udp_send
#define mip_icmp_send fuzz_icmp_send
#define mip_udp_recv fuzz_udp_recv
#define mip_icmp_recv fuzz_icmp_recv
#define nl_route_replace fuzz_route_replace
#define nl_route_del fuzz_route_del
#include "keyd/mip_mh.c"
#undef mip_udp_send
#undef mip_icmp_send
#undef mip_udp_recv
#undef mip_icmp_recv
#undef nl_route_replace
#undef nl_route_del

#include <stdio.h>

#include "tests/fuzz/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPI 300
static const uint8_t secret[16] = { 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static const uint8_t other_secret[16] = { 1, 2, 3 };

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static struct loop *fz_loop;
static struct mip_stats fz_stats;
static struct mip_key ha_key, wrong_key, unknown_spi_key;
static uint32_t home, ha, fa1, coa1, fa2, coa2;
static FILE *out;

/* What the mobile node sent last, and what its handlers will read next. */
static struct {
	uint8_t req[256];
	size_t req_len;
	bool have_req;
	uint8_t msg[MIP_MSG_MAX + 64];
	size_t len;
	bool queued;
	struct mip_rx rx;
} io;

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(out ? out : stderr, "fuzz_mip_mh: invariant broken: %s\n", what);
		abort();
	}
}

int fuzz_udp_send(int fd, uint32_t dst, uint16_t port, const void *buf, size_t len)
{
	struct mip_reg_request req;
	struct mip_err err;

	check(len <= sizeof(io.req), "request too long");
	check(mip_parse_request(buf, len, &req, &err) == 0, "sent an unparsable request");
	check(req.home_addr == home && req.ha_addr == ha, "request for another node");
	check(req.has_mh_auth && mip_auth_verify(&ha_key, buf, len, &req.mh_auth),
	      "sent a request the home agent cannot authenticate");
	memcpy(io.req, buf, len);
	io.req_len = len;
	io.have_req = true;
	return 0;
}

int fuzz_icmp_send(int fd, uint32_t dst, const void *buf, size_t len)
{
	return 0;
}

ssize_t fuzz_udp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx);
ssize_t fuzz_udp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx)
{
	size_t n = io.len < size ? io.len : size;

	if (!io.queued)
		return -EAGAIN;
	io.queued = false;
	memcpy(buf, io.msg, n);
	*rx = io.rx;
	return (ssize_t)n;
}

ssize_t fuzz_icmp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx);
ssize_t fuzz_icmp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx)
{
	return fuzz_udp_recv(fd, buf, size, rx);
}

int fuzz_route_replace(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, uint32_t oif,
		       uint32_t table, uint32_t prefsrc, bool onlink, uint32_t mtu)
{
	return 0;
}

int fuzz_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t oif, uint32_t table)
{
	return 0;
}

static void init(void)
{
	FILE *null = fopen("/dev/null", "w");

	out = stderr;
	mml_log_open("fuzz", false, getenv("FUZZ_VERBOSE") ? MML_LOG_DEBUG : MML_LOG_ERR);
	if (null && !getenv("FUZZ_VERBOSE"))
		stderr = null;
	home = ip(10, 1, 0, 10);
	ha = ip(10, 1, 0, 1);
	fa1 = ip(10, 2, 1, 1);
	coa1 = ip(10, 0, 2, 2);
	fa2 = ip(10, 3, 1, 1);
	coa2 = ip(10, 0, 3, 2);
	check(loop_new(&fz_loop) == 0, "loop");
	check(!mip_key_init(&ha_key, SPI, MIP_ALG_HMAC_MD5, secret, 16) &&
		      !mip_key_init(&wrong_key, SPI, MIP_ALG_HMAC_MD5, other_secret, 16) &&
		      !mip_key_init(&unknown_spi_key, SPI + 1, MIP_ALG_HMAC_MD5, secret, 16),
	      "keys");
}

/* What mip_mh_start() sets up, without sockets, netlink or maps. */
static struct mip_mh *mh_new(void)
{
	struct mip_mh *mh = calloc(1, sizeof(*mh));

	check(mh != NULL, "calloc");
	mh->loop = fz_loop;
	mh->st = &fz_stats;
	mh->udp_fd = mh->icmp_fd = -1;
	mip_maps_init(&mh->maps, NULL);
	loop_timer_init(&mh->agent_timer, agent_lost, mh);
	loop_timer_init(&mh->retransmit, retransmit, mh);
	loop_timer_init(&mh->renew, renew, mh);
	loop_timer_init(&mh->solicit_timer, solicit_tick, mh);
	mh->cfg = (struct mh_cfg){ .home = home,
				   .ha = ha,
				   .ifindex = 7,
				   .lifetime = 300,
				   .reverse = true,
				   .prev_fa_ext = true,
				   .default_route = true,
				   .table = 254,
				   .retransmit_ms = 500,
				   .retransmit_max_ms = 8000,
				   .solicit_ms = 100 };
	check(!mip_key_init(&mh->keys[0], SPI, MIP_ALG_HMAC_MD5, secret, 16), "key");
	mh->n_keys = 1;
	mh->link_up = true;
	return mh;
}

static uint32_t pick_addr(struct cursor *c)
{
	const uint32_t addrs[] = { fa1, fa2, coa1, coa2, ha, home, 0 };
	uint8_t b = cur_u8(c);

	return b < 7 * 32 ? addrs[b % 7] : cur_u32(c);
}

static void deliver(struct mip_mh *mh, bool icmp, uint32_t src, uint8_t ttl, bool truncated)
{
	io.rx = (struct mip_rx){
		.src = src, .src_port = MIP_PORT, .ttl = ttl, .truncated = truncated
	};
	io.queued = true;
	if (icmp)
		icmp_readable(mh, EPOLLIN);
	else
		udp_readable(mh, EPOLLIN);
}

static void ev_raw(struct mip_mh *mh, struct cursor *c, bool icmp)
{
	uint8_t b = cur_u8(c);
	uint32_t src = pick_addr(c);

	io.len = cur_blob16(c, io.msg, sizeof(io.msg));
	deliver(mh, icmp, src, b & 1 ? 1 : b, b & 0x80);
}

static void ev_advert(struct mip_mh *mh, struct cursor *c)
{
	uint8_t b = cur_u8(c);
	struct mip_advert adv = { .icmp_lifetime = cur_u16(c),
				  .seq = cur_u16(c),
				  .reg_lifetime = cur_u16(c),
				  .flags = b & 1 ? cur_u16(c) : MIP_MAA_R | MIP_MAA_F | MIP_MAA_T };
	uint32_t src = b & 2 ? pick_addr(c) : b & 4 ? fa2 : fa1;
	int len;

	adv.n_coas = (uint8_t)(b >> 6) + (b & 8 ? 0 : 1);
	if (adv.n_coas > MIP_MAA_MAX_COAS)
		adv.n_coas = MIP_MAA_MAX_COAS;
	for (int i = 0; i < adv.n_coas; i++)
		adv.coas[i] = b & 16 ? pick_addr(c) : src == fa2 ? coa2 : coa1;
	len = mip_build_advert(&adv, io.msg, sizeof(io.msg));
	if (len <= 0)
		return;
	io.len = (size_t)len;
	deliver(mh, true, src, 1, false);
}

static void ev_reply(struct mip_mh *mh, struct cursor *c, bool *authentic)
{
	uint8_t how = cur_u8(c);
	struct mip_reg_request req = { 0 };
	struct mip_reg_reply rep = { .code = cur_u8(c), .lifetime = cur_u16(c) };
	struct mip_err err;
	const struct mip_key *keys[4] = { &ha_key, &wrong_key, &unknown_spi_key, NULL };
	const struct mip_key *k = keys[(how >> 4) & 3];
	int len;

	if (io.have_req)
		mip_parse_request(io.req, io.req_len, &req, &err);
	rep.home_addr = how & 1 ? pick_addr(c) : home;
	rep.ha_addr = ha;
	switch ((how >> 1) & 3) {
	case 0:
		rep.ident = req.ident;
		break;
	case 1: /* code 133: the home agent's time in the high half */
		rep.ident = (uint32_t)req.ident | (uint64_t)cur_u32(c) << 32;
		break;
	default:
		rep.ident = cur_u64(c);
		break;
	}
	len = mip_build_reply(&rep, io.msg, sizeof(io.msg));
	check(len > 0, "build reply");
	if (how & 8)
		len += (int)cur_blob(c, io.msg + len, sizeof(io.msg) - (size_t)len);
	if (k)
		len = mip_auth_append(k, MIP_EXT_MH_AUTH, io.msg, sizeof(io.msg), (size_t)len);
	if (len <= 0)
		return;
	io.len = (size_t)len;
	*authentic = k == &ha_key;
	deliver(mh, false, how & 64 ? fa2 : fa1, 64, false);
}

static void ev_link(struct mip_mh *mh, struct cursor *c)
{
	uint8_t b = cur_u8(c);
	struct nl_link_ev ev = { .ifindex = b & 1 ? 8 : 7,
				 .up = b & 2,
				 .deleted = b & 4,
				 .has_downs = b & 8,
				 .carrier_downs = b >> 4 };

	link_changed(mh, &ev);
}

static void fire(struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	loop_timer_cancel(fz_loop, t);
	t->fn(t->arg);
}

static void ev_timer(struct mip_mh *mh, struct cursor *c)
{
	struct loop_timer *timers[] = { &mh->agent_timer, &mh->retransmit, &mh->renew,
					&mh->solicit_timer };

	fire(timers[cur_u8(c) % 4]);
}

struct reg_state {
	enum mh_state state;
	uint16_t granted;
	uint64_t expires;
	int64_t clock_offset_ns;
};

static struct reg_state reg_of(const struct mip_mh *mh)
{
	return (struct reg_state){ mh->state == MH_REGISTERED ? MH_REGISTERED : MH_IDLE,
				   mh->granted, mh->expires, mh->clock_offset_ns };
}

static void check_mh(const struct mip_mh *mh, const struct reg_state *before, bool authentic)
{
	struct reg_state now = reg_of(mh);

	check(mh->state == MH_IDLE || mh->state == MH_REGISTERING || mh->state == MH_REGISTERED,
	      "unknown state");
	if (mh->state == MH_REGISTERED) {
		check(mh->granted > 0, "registered for 0 s");
		check(mh->granted <= mh->req_lifetime, "granted more than asked for");
		check(loop_timer_armed(&mh->renew), "registered without a renewal timer");
	}
	/* Leaving REGISTERED for REGISTERING (a renewal, a move, a request
	 * to deregister) is the node's own doing; entering it, or a new
	 * lifetime or clock, only the home agent's. */
	if (now.state == MH_REGISTERED || now.clock_offset_ns != before->clock_offset_ns)
		check(authentic || (now.state == before->state && now.granted == before->granted &&
				    now.expires == before->expires &&
				    now.clock_offset_ns == before->clock_offset_ns),
		      "registration or clock changed by a reply the home agent did not "
		      "authenticate");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, data + size };
	struct mip_mh *mh;

	if (!fz_loop)
		init();
	if (size > 8192)
		return 0;
	memset(&io, 0, sizeof(io));
	mh = mh_new();
	while (cur_more(&c)) {
		struct reg_state before = reg_of(mh);
		uint8_t op = cur_u8(&c);
		bool authentic = false;

		switch (op % 8) {
		case 0:
			ev_raw(mh, &c, true);
			break;
		case 1:
		case 2:
			ev_advert(mh, &c);
			break;
		case 3:
			ev_raw(mh, &c, false);
			break;
		case 4:
			ev_reply(mh, &c, &authentic);
			break;
		case 5:
			ev_link(mh, &c);
			break;
		case 6:
			ev_timer(mh, &c);
			break;
		default:
			if (op & 8)
				mip_mh_deregister(mh);
			else
				mip_mh_register(mh);
			break;
		}
		check_mh(mh, &before, authentic);
	}
	mip_mh_stop(mh);
	return 0;
}
