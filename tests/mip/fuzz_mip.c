/* libFuzzer harness for the Mobile IPv4 parsers and the home agent
 * (keyd/mip_ha.c compiled in, so that its bindings and timers can be
 * checked), with Foreign-Home keys shared with one foreign agent. Byte 0
 * picks the target:
 *   0-3  the parsers of requests (and the authenticator over a parsed
 *        one), replies, advertisements, solicitations, on the rest;
 *   4    one raw request to the home agent, from the source byte 1 picks;
 *   6    the checks of a packet off the wireless link (mip_ip_payload, the
 *        foreign agent's packet socket): IPv4, UDP, checksums;
 *   5    a script of events for one home agent: raw requests, requests
 *        built from fields (home address, flags, lifetime, care-of
 *        address, Identification now / stale / a replay / any, the mobile
 *        node's authenticator under its key, another key, an unknown SPI or
 *        none, a Foreign-Home authenticator under FA1's key, another or
 *        none, raw extensions, the source: FA1 (keys), FA2, anyone), and
 *        time passing (binding expiry timers fire).
 * What must hold in the script (a violation traps):
 *   - a binding changes (made, moved, renewed, removed by request) only on
 *     a request authenticated with the mobile node's key, whose
 *     Identification is above the last one accepted for it, and which from
 *     FA1 carries FA1's valid Foreign-Home authenticator;
 *   - every reply parses, carries the mobile node's valid authenticator
 *     when the request did, and FA1's when it goes to FA1;
 *   - the bookkeeping: bound count, expiry timer armed exactly while
 *     bound, granted lifetime within max_lifetime. */
#include "keyd/mip_ha.c"

#include <netinet/in.h>
#include <stdio.h>

#include "tests/fuzz/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_HOMES 2
#define SPI 300

static struct loop *fz_loop;
static struct mip_key key, wrong_key, unknown_spi_key;
static struct mip_fh_peer fa1_peer, wrong_fa_peer;
static uint32_t ha_addr, homes[N_HOMES], stranger, fa1, fa2, coa2;
static FILE *out;

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(out ? out : stderr, "fuzz_mip: invariant broken: %s\n", what);
		abort();
	}
}

static const uint8_t secret[16] = { 0x42 }, fa_secret[16] = { 0x24, 1 }, other[16] = { 7 };

static void init(void)
{
	FILE *null = fopen("/dev/null", "w");

	out = stderr;
	mml_log_open("fuzz", false, getenv("FUZZ_VERBOSE") ? MML_LOG_DEBUG : MML_LOG_ERR);
	if (null && !getenv("FUZZ_VERBOSE"))
		stderr = null;
	ha_addr = ip(10, 1, 0, 1);
	homes[0] = ip(10, 1, 0, 10);
	homes[1] = ip(10, 1, 0, 11);
	stranger = ip(10, 1, 0, 99);
	fa1 = ip(10, 0, 2, 2);
	fa2 = ip(10, 0, 3, 2);
	coa2 = ip(10, 0, 4, 2);
	check(loop_new(&fz_loop) == 0, "loop");
	fa1_peer.addr = wrong_fa_peer.addr = fa1;
	fa1_peer.n_keys = wrong_fa_peer.n_keys = 1;
	check(!mip_key_init(&key, SPI, MIP_ALG_HMAC_MD5, secret, 16) &&
		      !mip_key_init(&wrong_key, SPI, MIP_ALG_HMAC_MD5, other, 16) &&
		      !mip_key_init(&unknown_spi_key, SPI + 1, MIP_ALG_HMAC_MD5, secret, 16) &&
		      !mip_key_init(&fa1_peer.keys[0], 2000, MIP_ALG_HMAC_SHA1, fa_secret, 16) &&
		      !mip_key_init(&wrong_fa_peer.keys[0], 2000, MIP_ALG_HMAC_SHA1, other, 16),
	      "keys");
}

static struct mip_ha *ha_new(struct mip_stats *st)
{
	struct mip_ha_cfg cfg = { .addr = ha_addr,
				  .max_lifetime = 300,
				  .replay_window = 7,
				  .reverse = MIP_RT_OPTIONAL,
				  .max_bindings = 1 + N_HOMES / 2 };
	struct mip_key k;
	struct mip_ha *ha;

	check(mip_ha_core_new(fz_loop, NULL, &cfg, st, &ha) == 0, "ha");
	for (int i = 0; i < N_HOMES; i++)
		check(!mip_key_init(&k, SPI, MIP_ALG_HMAC_MD5, secret, 16) &&
			      !mip_ha_add_mobile(ha, homes[i], &k, 1),
		      "mobile");
	check(!mip_key_init(&k, 2000, MIP_ALG_HMAC_SHA1, fa_secret, 16) &&
		      !mip_ha_add_fa_keys(ha, fa1, &k, 1),
	      "FA1 keys");
	return ha;
}

/* The parsers, as before the script mode. */
static void parsers(uint8_t target, const uint8_t *data, size_t size)
{
	struct mip_reg_request req;
	struct mip_reg_reply rep;
	struct mip_advert adv;
	struct mip_err err;
	uint8_t *copy = malloc(size ? size : 1);
	char text[200];

	check(copy != NULL, "malloc");
	/* A copy of exactly the message's size, so that ASan sees overreads. */
	memcpy(copy, data, size);
	memset(&err, 0, sizeof(err));
	switch (target) {
	case 0:
		if (!mip_parse_request(copy, size, &req, &err) && req.has_mh_auth)
			mip_auth_verify(&key, copy, size, &req.mh_auth);
		break;
	case 1:
		if (!mip_parse_reply(copy, size, &rep, &err) && rep.has_mh_auth)
			mip_auth_verify(&key, copy, size, &rep.mh_auth);
		break;
	case 2:
		mip_parse_advert(copy, size, &adv, &err);
		break;
	default:
		mip_parse_solicit(copy, size, &err);
		break;
	}
	mip_err_str(&err, text, sizeof(text));
	free(copy);
}

struct run {
	struct mip_ha *ha;
	struct mip_stats st;
	uint64_t now, ntp_now, counter;
	uint64_t last_accepted[N_HOMES]; /* the oracle's own replay floor */
};

static uint32_t pick_src(struct cursor *c)
{
	uint8_t b = cur_u8(c);

	return b % 4 == 0 ? fa1 : b % 4 == 1 ? fa2 : b % 4 == 2 ? coa2 : cur_u32(c);
}

struct bind_snap {
	bool bound;
	uint32_t coa;
	uint64_t expires, registrations;
};

static void snap(struct run *r, struct bind_snap *s)
{
	for (int i = 0; i < N_HOMES; i++) {
		struct ha_mobile *mn = u32map_get(&r->ha->mobiles, homes[i]);

		s[i] = (struct bind_snap){ mn->bound, mn->coa, mn->expires, mn->registrations };
	}
}

/* Only home i's bindings may have changed, and only if allowed. */
static void check_bindings(struct run *r, const struct bind_snap *before, int home, bool allowed)
{
	struct bind_snap now[N_HOMES];

	snap(r, now);
	for (int i = 0; i < N_HOMES; i++) {
		bool changed = now[i].bound != before[i].bound || now[i].coa != before[i].coa ||
			       now[i].expires != before[i].expires ||
			       now[i].registrations != before[i].registrations;

		check(!changed || (i == home && allowed),
		      "a binding changed on a request that was not authentic, fresh and vouched "
		      "for");
	}
}

/* The reply the home agent wrote: parses, authenticated as promised. */
static void check_reply(const uint8_t *msg, int len, bool mh_auth, uint32_t src)
{
	struct mip_reg_reply rep;
	struct mip_err err;

	if (len == 0)
		return;
	check(len > 0 && mip_parse_reply(msg, (size_t)len, &rep, &err) == 0, "unparsable reply");
	check(rep.ha_addr == ha_addr, "reply names another home agent");
	if (mh_auth)
		check(rep.has_mh_auth && mip_auth_verify(&key, msg, (size_t)len, &rep.mh_auth),
		      "reply to an authentic request without the mobile node's authenticator");
	if (src == fa1)
		check(!mip_fh_check(&fa1_peer, msg, (size_t)len, rep.has_fh_auth, &rep.fh_auth),
		      "reply to FA1 without its valid Foreign-Home authenticator");
}

static void ev_raw(struct run *r, struct cursor *c)
{
	uint8_t b = cur_u8(c), msg[MIP_MSG_MAX], reply[512];
	uint32_t src = pick_src(c);
	size_t len = cur_blob16(c, msg, sizeof(msg));
	struct bind_snap before[N_HOMES];
	int n;

	snap(r, before);
	n = mip_ha_process(r->ha, msg, len, b & 0x80, src, r->now, r->ntp_now, reply,
			   sizeof(reply));
	check_bindings(r, before, -1, false);
	check_reply(reply, n, false, src);
}

static uint64_t pick_ident(struct run *r, struct cursor *c, int home)
{
	switch (cur_u8(c) % 5) {
	case 0:
	case 1: /* now, above anything sent before */
		return r->ntp_now + ++r->counter;
	case 2: /* a replay of the last accepted one */
		return home >= 0 ? r->last_accepted[home] : 0;
	case 3: /* out of the replay window */
		return r->ntp_now - ((uint64_t)(8 + cur_u8(c)) << 32) + ++r->counter;
	default:
		return cur_u64(c);
	}
}

static void ev_request(struct run *r, struct cursor *c)
{
	uint8_t who = cur_u8(c), how = cur_u8(c), msg[MIP_MSG_MAX], reply[512];
	int home = who % 3 < N_HOMES ? who % 3 : -1;
	const struct mip_key *keys[4] = { &key, &wrong_key, &unknown_spi_key, NULL };
	const struct mip_key *k = keys[how & 3];
	const struct mip_fh_peer *fh = how & 4 ? &fa1_peer : how & 8 ? &wrong_fa_peer : NULL;
	struct mip_reg_request req = { .flags = cur_u8(c), .lifetime = cur_u16(c) }, parsed;
	struct bind_snap before[N_HOMES];
	struct mip_err err;
	uint32_t src;
	bool fresh, authentic;
	int len, n;

	req.home_addr = home >= 0 ? homes[home] : stranger;
	req.ha_addr = how & 16 ? cur_u32(c) : ha_addr;
	req.coa = how & 32 ? (how & 64 ? req.home_addr : cur_u32(c)) : who & 8 ? coa2 : fa1;
	req.ident = pick_ident(r, c, home);
	src = pick_src(c);
	len = mip_build_request(&req, msg, sizeof(msg));
	check(len > 0, "build request");
	if (how & 128)
		len += (int)cur_blob(c, msg + len, sizeof(msg) - (size_t)len);
	if (k)
		len = mip_auth_append(k, MIP_EXT_MH_AUTH, msg, sizeof(msg), (size_t)len);
	if (len > 0 && fh)
		len = mip_fh_append(fh, msg, sizeof(msg), (size_t)len);
	if (len <= 0)
		return;
	/* Raw extensions may leave it unparsable, or swallow the extension
	 * appended after them: authentic means it carries one that verifies. */
	authentic = k == &key && home >= 0 && !mip_parse_request(msg, (size_t)len, &parsed, &err) &&
		    parsed.has_mh_auth && mip_auth_verify(&key, msg, (size_t)len, &parsed.mh_auth);
	snap(r, before);
	n = mip_ha_process(r->ha, msg, (size_t)len, false, src, r->now, r->ntp_now, reply,
			   sizeof(reply));
	/* The oracle's own view of what may change a binding. */
	fresh = home >= 0 && req.ident > r->last_accepted[home] &&
		(uint32_t)(req.ident >> 32) + 7u >= (uint32_t)(r->ntp_now >> 32) &&
		(uint32_t)(req.ident >> 32) <= (uint32_t)(r->ntp_now >> 32) + 7u;
	check_bindings(r, before, home, authentic && fresh && (src != fa1 || fh == &fa1_peer));
	check_reply(reply, n, authentic, src);
	/* The home agent takes an accepted Identification as its new floor. */
	if (authentic && n > 0) {
		struct mip_reg_reply rep;

		if (!mip_parse_reply(reply, (size_t)n, &rep, &err) && mip_code_accepted(rep.code)) {
			check(fresh, "accepted a request that was not fresh");
			r->last_accepted[home] = req.ident;
		}
	}
}

static void ev_time(struct run *r, struct cursor *c)
{
	uint64_t secs = cur_u8(c);

	r->now += secs * NS_PER_SEC;
	r->ntp_now += secs << 32;
	for (int i = 0; i < N_HOMES; i++) {
		struct ha_mobile *mn = u32map_get(&r->ha->mobiles, homes[i]);

		if (loop_timer_armed(&mn->expiry) && mn->expiry.deadline <= r->now) {
			loop_timer_cancel(fz_loop, &mn->expiry);
			mn->expiry.fn(mn->expiry.arg);
		}
	}
}

static void check_ha(struct run *r)
{
	uint32_t bound = 0;

	for (int i = 0; i < N_HOMES; i++) {
		struct ha_mobile *mn = u32map_get(&r->ha->mobiles, homes[i]);

		check(loop_timer_armed(&mn->expiry) == mn->bound, "expiry armed iff bound");
		check(!mn->bound || (mn->granted && mn->granted <= r->ha->cfg.max_lifetime),
		      "granted lifetime out of range");
		bound += mn->bound;
	}
	check(bound == r->ha->n_bound, "n_bound differs from the bindings");
	check(bound <= r->ha->cfg.max_bindings, "more bindings than max_bindings");
}

static void script(const uint8_t *data, size_t size)
{
	static struct run run;
	struct run *r = &run;
	struct cursor c = { data, data + size };

	memset(r, 0, sizeof(*r));
	r->ha = ha_new(&r->st);
	r->now = loop_now();
	r->ntp_now = (uint64_t)3970000000U << 32;
	while (cur_more(&c)) {
		switch (cur_u8(&c) % 4) {
		case 0:
			ev_raw(r, &c);
			break;
		case 1:
		case 2:
			ev_request(r, &c);
			break;
		default:
			ev_time(r, &c);
			break;
		}
		check_ha(r);
	}
	mip_ha_core_free(r->ha);
}

/* A packet as the FA's packet socket reads it: accepted only with the
 * payload inside the packet and the UDP header accounted for. */
static void ip_frame(bool csum_checked, const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), proto = 0;
	struct mip_rx rx = { 0 };
	size_t payload = 0;
	int off;

	check(copy != NULL, "malloc");
	memcpy(copy, data, size);
	off = mip_ip_payload(copy, size, csum_checked, &proto, &rx, &payload);
	if (off >= 0) {
		check(off >= 20 && (size_t)off + payload <= size, "payload outside the packet");
		check(proto != IPPROTO_UDP || (size_t)off == (size_t)(copy[0] & 0xf) * 4 + 8,
		      "UDP payload not after the UDP header");
	} else {
		check(off == -EBADMSG, "refused with another error than -EBADMSG");
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mip_stats stats;
	static struct mip_ha *ha;
	uint8_t out_buf[512];

	if (!fz_loop) {
		init();
		ha = ha_new(&stats);
	}
	if (size < 1 || size > 8192)
		return 0;
	switch (data[0] % 7) {
	case 6:
		if (size >= 2)
			ip_frame(data[1] & 1, data + 2, size - 2);
		break;
	case 4:
		if (size < 2 || size - 2 > MIP_MSG_MAX)
			return 0;
		mip_ha_process(ha, data + 2, size - 2, false, data[1] & 1 ? fa1 : 0x0202000a,
			       loop_now(), (uint64_t)3970000000U << 32, out_buf, sizeof(out_buf));
		break;
	case 5:
		script(data + 1, size - 1);
		break;
	default:
		if (size - 1 <= 1200)
			parsers(data[0] % 7, data + 1, size - 1);
		break;
	}
	return 0;
}
