/* libFuzzer harness for the foreign agent (keyd/mip_fa.c, with the
 * Foreign-Home authentication of keyd/mip_fh.c): one agent per input, fed
 * a script of events, its sockets replaced by recorders as in
 * tests/mip/test_mip_fa.c.
 *
 * The agent relays for two home agents: HA1, with which it shares
 * Foreign-Home keys (its replies must carry a valid extension), and HA2,
 * without (address checks only). Three mobile nodes on the link, at most
 * three visitors. Events (one opcode byte, then its fields):
 *   0  a request from a mobile node, raw bytes (optionally "truncated")
 *   1  a request built from fields: flags, lifetime, home, home agent
 *      (HA1, HA2, our own address, 0, broadcast or any), care-of address,
 *      Identification, a previous-FA extension, raw extensions, and a
 *      Mobile-Home authenticator (the FA only looks for its presence)
 *   2  a reply, raw bytes, from HA1, HA2 or elsewhere
 *   3  a reply to a pending visitor's request, built from fields: code,
 *      lifetime, home agent field, Identification (echoed, low half, or
 *      any), raw extensions, a Foreign-Home authenticator under HA1's key,
 *      another key or none, and the source it comes from
 *   4  a solicitation; 5  an advertisement; 6  a visitor's pending or
 *      expiry timer fires (time has passed), or the advertisement timer
 * What must hold after each event:
 *   - the visitor list's bookkeeping: no more than max_visitors, the
 *     registered count right, a record only while pending or registered,
 *     its pending timer armed exactly while pending and its expiry timer
 *     exactly while registered;
 *   - issue 18 item 2: no reply changes a visitor (registers, renews,
 *     deregisters it, or changes its home agent) unless it comes from the
 *     home agent its pending request went to and, for HA1, carries HA1's
 *     valid authenticator; the fuzzer's raw bytes never can for HA1;
 *   - everything sent to a mobile node parses as a reply, everything sent
 *     to a home agent as a request, and a request relayed to HA1 carries
 *     a Foreign-Home authenticator HA1 accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyd/mip_fa_int.h"
#include "lib/log.h"
#include "tests/fuzz/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_MH 3

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static struct loop *loop;
static struct mip_stats stats;
static uint32_t ha1, ha2, fa_addr, coa, other;
static struct mip_fa_link mhs[N_MH];
static struct mip_fh_peer ha1_peer, wrong_peer; /* HA1's keys; a stranger's */
static struct mip_key mh_key;
static FILE *out;

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(out ? out : stderr, "fuzz_mip_fa: invariant broken: %s\n", what);
		abort();
	}
}

static int to_mh(void *ctx, const struct mip_fa_link *l, const uint8_t *msg, size_t len)
{
	struct mip_reg_reply rep;
	struct mip_err err;

	check(mip_parse_reply(msg, len, &rep, &err) == 0, "sent a mobile node an unparsable reply");
	return 0;
}

static int to_ha(void *ctx, uint32_t ha, const uint8_t *msg, size_t len)
{
	struct mip_reg_request req;
	struct mip_err err;

	check(len <= MIP_MSG_MAX, "relayed a request longer than MIP_MSG_MAX");
	check(mip_parse_request(msg, len, &req, &err) == 0, "relayed an unparsable request");
	check(req.ha_addr == ha, "relayed a request to another home agent than it names");
	if (ha == ha1)
		check(!mip_fh_check(&ha1_peer, msg, len, req.has_fh_auth, &req.fh_auth),
		      "relayed a request to HA1 without its valid Foreign-Home authenticator");
	return 0;
}

static int icmp(void *ctx, const uint8_t mac[6], uint32_t dst, const uint8_t *msg, size_t len)
{
	struct mip_advert adv;
	struct mip_err err;

	check(mip_parse_advert(msg, len, &adv, &err) == 0, "sent an unparsable advertisement");
	return 0;
}

static void init(void)
{
	static const uint8_t k1[16] = { 0x11, 0x22 }, k2[16] = { 0x33 }, k3[16] = { 0x44 };
	FILE *null = fopen("/dev/null", "w");

	out = stderr;
	mml_log_open("fuzz", false, getenv("FUZZ_VERBOSE") ? MML_LOG_DEBUG : MML_LOG_ERR);
	if (null && !getenv("FUZZ_VERBOSE"))
		stderr = null;
	ha1 = ip(10, 1, 0, 1);
	ha2 = ip(10, 5, 0, 1);
	fa_addr = ip(10, 2, 1, 1);
	coa = ip(10, 0, 2, 2);
	other = ip(10, 9, 9, 9);
	for (int i = 0; i < N_MH; i++)
		mhs[i] = (struct mip_fa_link){ .ifindex = 7,
					       .mac = { 2, 0, 0, 0, 0, (uint8_t)(0x10 + i) },
					       .ip = ip(10, 1, 0, (uint8_t)(10 + i)),
					       .port = (uint16_t)(40000 + i) };
	check(loop_new(&loop) == 0, "loop");
	ha1_peer.addr = ha1;
	ha1_peer.n_keys = 1;
	wrong_peer.addr = ha1;
	wrong_peer.n_keys = 1;
	check(!mip_key_init(&ha1_peer.keys[0], 2000, MIP_ALG_HMAC_SHA256, k1, 16) &&
		      !mip_key_init(&wrong_peer.keys[0], 2000, MIP_ALG_HMAC_SHA256, k2, 16) &&
		      !mip_key_init(&mh_key, 300, MIP_ALG_HMAC_MD5, k3, 16),
	      "keys");
}

static struct mip_fa *fa_new(void)
{
	static const uint8_t k1[16] = { 0x11, 0x22 };
	struct mip_fa_cfg cfg = { .coa = coa,
				  .addr = fa_addr,
				  .prefix_len = 24,
				  .ifindex = 7,
				  .mac = { 2, 0, 0, 0, 0, 1 },
				  .max_lifetime = 300,
				  .advert_interval_ms = 1000,
				  .reverse = MIP_RT_REQUIRED,
				  .pending_timeout_ms = 100,
				  .max_visitors = 3 };
	struct mip_fa_io io = { .to_mh = to_mh, .to_ha = to_ha, .icmp = icmp };
	struct mip_key key;
	struct mip_fa *fa;

	check(mip_fa_core_new(loop, NULL, &cfg, &stats, &io, &fa) == 0, "fa");
	check(!mip_key_init(&key, 2000, MIP_ALG_HMAC_SHA256, k1, 16) &&
		      !mip_fa_add_ha_keys(fa, ha1, &key, 1),
	      "FA's HA1 keys");
	return fa;
}

static uint32_t pick_addr(struct cursor *c)
{
	uint8_t b = cur_u8(c);
	const uint32_t addrs[] = { ha1, ha2, fa_addr, coa, 0, 0xffffffffu, other };

	return b < sizeof(addrs) / sizeof(addrs[0]) * 32 ? addrs[b % 7] : cur_u32(c);
}

static void ev_raw_request(struct mip_fa *fa, struct cursor *c)
{
	uint8_t b = cur_u8(c), msg[MIP_MSG_MAX];
	size_t len = cur_blob16(c, msg, sizeof(msg));

	mip_fa_from_mh(fa, msg, len, b & 0x80, &mhs[b % N_MH]);
}

/* Raw extension bytes the fuzzer adds after the fixed part. */
static size_t add_ext(struct cursor *c, uint8_t *msg, size_t len, size_t size)
{
	return len + cur_blob(c, msg + len, size - len);
}

static void ev_request(struct mip_fa *fa, struct cursor *c)
{
	uint8_t b = cur_u8(c), how = cur_u8(c), msg[MIP_MSG_MAX];
	struct mip_reg_request req = { .flags = cur_u8(c), .lifetime = cur_u16(c) % 400 };
	int len;

	req.home_addr = how & 1 ? pick_addr(c) : mhs[b % N_MH].ip;
	req.ha_addr = pick_addr(c);
	req.coa = how & 2 ? pick_addr(c) : coa;
	req.ident = cur_u64(c);
	if (how & 4) {
		req.has_prev_fa = true;
		req.prev_fa = (struct mip_prev_fa){ cur_u16(c), pick_addr(c), pick_addr(c) };
	}
	len = mip_build_request(&req, msg, sizeof(msg));
	check(len > 0, "build request");
	if (how & 8)
		len = (int)add_ext(c, msg, (size_t)len, sizeof(msg));
	if (!(how & 16))
		len = mip_auth_append(&mh_key, MIP_EXT_MH_AUTH, msg, sizeof(msg), (size_t)len);
	if (how & 32 && len > 0)
		len = (int)add_ext(c, msg, (size_t)len, sizeof(msg));
	if (len > 0)
		mip_fa_from_mh(fa, msg, (size_t)len, false, &mhs[b % N_MH]);
}

/* Per visitor, what a reply may change. */
struct snap {
	uint32_t home;
	bool present, registered;
	uint32_t ha, pend_ha;
	uint64_t registrations;
	uint16_t granted;
};

static size_t snapshot(struct mip_fa *fa, struct snap *s, size_t max)
{
	struct fa_visitor *v;
	size_t it = 0, n = 0;
	uint32_t key;

	while ((v = u32map_next(&fa->visitors, &it, &key)) && n < max)
		s[n++] = (struct snap){ .home = v->home,
					.present = true,
					.registered = v->registered,
					.ha = v->ha,
					.pend_ha = v->pend_ha,
					.registrations = v->registrations,
					.granted = v->granted };
	return n;
}

/* After a reply from src: a visitor that changed must have had its request
 * pending with src, and for HA1 the reply must have been authenticated. */
static void check_reply_effect(struct mip_fa *fa, const struct snap *before, size_t n, uint32_t src,
			       bool fh_valid)
{
	for (size_t i = 0; i < n; i++) {
		const struct snap *b = &before[i];
		struct fa_visitor *v = u32map_get(&fa->visitors, b->home);
		bool changed = !v ? b->registered :
				    v->registered != b->registered || v->ha != b->ha ||
					       v->registrations != b->registrations;

		if (!changed)
			continue;
		check(src == b->pend_ha, "a reply from another source than the pending request's "
					 "home agent changed a visitor");
		check(src != ha1 || fh_valid, "a reply from HA1 without its valid Foreign-Home "
					      "authenticator changed a visitor");
	}
}

static void ev_raw_reply(struct mip_fa *fa, struct cursor *c)
{
	uint8_t b = cur_u8(c), msg[MIP_MSG_MAX];
	uint32_t src = pick_addr(c);
	size_t len = cur_blob16(c, msg, sizeof(msg)), n;
	struct snap before[8];

	n = snapshot(fa, before, 8);
	mip_fa_from_ha(fa, msg, len, b & 0x80, src);
	check_reply_effect(fa, before, n, src, false);
}

static struct fa_visitor *pick_visitor(struct mip_fa *fa, uint8_t b)
{
	struct fa_visitor *v, *first = NULL;
	size_t it = 0;
	uint32_t key;
	int i = 0;

	while ((v = u32map_next(&fa->visitors, &it, &key))) {
		if (!first)
			first = v;
		if (i++ == b % 4)
			return v;
	}
	return first;
}

static void ev_reply(struct mip_fa *fa, struct cursor *c)
{
	uint8_t b = cur_u8(c), how = cur_u8(c), msg[MIP_MSG_MAX];
	struct fa_visitor *v = pick_visitor(fa, b);
	struct mip_reg_reply rep = { .code = cur_u8(c), .lifetime = cur_u16(c) };
	struct snap before[8];
	uint32_t src;
	bool fh_valid = false;
	size_t n;
	int len;

	rep.home_addr = v ? v->home : mhs[b % N_MH].ip;
	rep.ha_addr = how & 1 ? pick_addr(c) : v ? v->pend_ha : ha1;
	switch ((how >> 1) & 3) {
	case 0:
		rep.ident = v ? v->pend_ident : 0;
		break;
	case 1: /* a home agent's 133 rewrites the high half */
		rep.ident = (v ? (uint32_t)v->pend_ident : 0) | (uint64_t)cur_u32(c) << 32;
		break;
	default:
		rep.ident = cur_u64(c);
		break;
	}
	src = how & 8 ? pick_addr(c) : rep.ha_addr;
	len = mip_build_reply(&rep, msg, sizeof(msg));
	check(len > 0, "build reply");
	if (how & 16)
		len = (int)add_ext(c, msg, (size_t)len, sizeof(msg));
	/* The home agent's authenticator for the mobile node: opaque here. */
	len = mip_auth_append(&mh_key, MIP_EXT_MH_AUTH, msg, sizeof(msg), (size_t)len);
	if (len > 0 && how & 32) {
		len = mip_fh_append(how & 64 ? &wrong_peer : &ha1_peer, msg, sizeof(msg),
				    (size_t)len);
		fh_valid = !(how & 64);
	}
	if (len > 0 && how & 128)
		len = (int)add_ext(c, msg, (size_t)len, sizeof(msg));
	if (len <= 0)
		return;
	n = snapshot(fa, before, 8);
	mip_fa_from_ha(fa, msg, (size_t)len, false, src);
	check_reply_effect(fa, before, n, src, fh_valid);
}

static void fire(struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	loop_timer_cancel(loop, t);
	t->fn(t->arg);
}

static void ev_timer(struct mip_fa *fa, struct cursor *c)
{
	uint8_t b = cur_u8(c);
	struct fa_visitor *v = pick_visitor(fa, b >> 2);

	if (b % 4 == 3) {
		mip_fa_advert_tick(fa);
		loop_timer_cancel(loop, &fa->advert_timer);
	} else if (v) {
		fire(b % 4 == 0 ? &v->pend_timer : &v->expiry);
	}
}

static void check_visitors(struct mip_fa *fa)
{
	struct fa_visitor *v;
	size_t it = 0, registered = 0;
	uint32_t key;

	check(fa->visitors.len <= fa->cfg.max_visitors, "more visitors than max_visitors");
	while ((v = u32map_next(&fa->visitors, &it, &key))) {
		check(key == v->home && v->fa == fa, "visitor record keyed wrong");
		check(v->pending || v->registered, "an idle visitor record kept");
		check(loop_timer_armed(&v->pend_timer) == v->pending,
		      "pending timer armed iff a request is pending");
		check(loop_timer_armed(&v->expiry) == v->registered,
		      "expiry timer armed iff registered");
		check(!v->registered || (v->granted && v->granted <= fa->cfg.max_lifetime),
		      "granted lifetime out of range");
		registered += v->registered;
	}
	check(registered == fa->n_registered, "n_registered differs from the list");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, data + size };
	struct mip_fa *fa;

	if (!loop)
		init();
	if (size > 8192)
		return 0;
	fa = fa_new();
	while (cur_more(&c)) {
		uint8_t op = cur_u8(&c);

		switch (op % 8) {
		case 0:
			ev_raw_request(fa, &c);
			break;
		case 1:
			ev_request(fa, &c);
			break;
		case 2:
			ev_raw_reply(fa, &c);
			break;
		case 3:
		case 4:
			ev_reply(fa, &c);
			break;
		case 5:
			if (op & 8)
				mip_fa_advertise(fa, mhs[0].mac, mhs[0].ip);
			else
				mip_fa_solicited(fa, mhs[op / 16 % N_MH].mac,
						 mhs[op / 16 % N_MH].ip);
			break;
		default:
			ev_timer(fa, &c);
			break;
		}
		check_visitors(fa);
	}
	mip_fa_core_free(fa);
	return 0;
}
