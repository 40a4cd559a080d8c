/* Foreign agent core: relay of requests and replies, the visitor list,
 * every denial the FA itself sends (RFC 5944 3.7, RFC 3024), pending
 * timeouts and expiry, solicitations. Sockets are replaced by recorders. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stdio.h>

#include "keyd/keyd.h"
#include "keyd/mip_fa.h"

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

struct sent {
	int n;
	uint8_t msg[1100];
	size_t len;
	uint32_t dst;
	struct mip_fa_link link;
	uint8_t mac[6];
};

struct fixture {
	struct loop *loop;
	struct mip_stats st;
	struct mip_fa *fa;
	struct mip_key key;
	struct sent to_mh, to_ha, icmp;
	struct mip_fa_link mh;
	uint64_t ident;
	uint32_t home, ha, coa;
};

static int rec_mh(void *ctx, const struct mip_fa_link *l, const uint8_t *msg, size_t len)
{
	struct fixture *f = ctx;

	f->to_mh.n++;
	memcpy(f->to_mh.msg, msg, len);
	f->to_mh.len = len;
	f->to_mh.link = *l;
	return 0;
}

static int rec_ha(void *ctx, uint32_t ha, const uint8_t *msg, size_t len)
{
	struct fixture *f = ctx;

	f->to_ha.n++;
	memcpy(f->to_ha.msg, msg, len);
	f->to_ha.len = len;
	f->to_ha.dst = ha;
	return 0;
}

static int rec_icmp(void *ctx, const uint8_t mac[6], uint32_t dst, const uint8_t *msg, size_t len)
{
	struct fixture *f = ctx;

	f->icmp.n++;
	memcpy(f->icmp.msg, msg, len);
	f->icmp.len = len;
	f->icmp.dst = dst;
	memcpy(f->icmp.mac, mac, 6);
	return 0;
}

static const uint8_t secret[16] = { 9, 9, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 1, 1 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mip_fa_cfg cfg = {
		.addr = addr(10, 2, 1, 1),
		.prefix_len = 24,
		.ifindex = 7,
		.mac = { 2, 0, 0, 0, 0, 1 },
		.max_lifetime = 300,
		.advert_interval_ms = 1000,
		.reverse = MIP_RT_REQUIRED,
		.pending_timeout_ms = 100,
		.max_visitors = 4,
	};
	struct mip_fa_io io = { .ctx = f, .to_mh = rec_mh, .to_ha = rec_ha, .icmp = rec_icmp };

	f->home = addr(10, 1, 0, 10);
	f->ha = addr(10, 1, 0, 1);
	f->coa = cfg.coa = addr(10, 0, 2, 2);
	f->ident = (uint64_t)3970000000U << 32;
	f->mh = (struct mip_fa_link){
		.ifindex = 7, .mac = { 2, 0, 0, 0, 0, 0x10 }, .ip = f->home, .port = 40000
	};
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(mip_fa_core_new(f->loop, NULL, &cfg, &f->st, &io, &f->fa), 0);
	assert_int_equal(mip_key_init(&f->key, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mip_fa_core_free(f->fa);
	mip_key_free(&f->key);
	loop_free(f->loop);
	free(f);
	return 0;
}

static size_t request(struct fixture *f, uint8_t *buf, uint8_t flags, uint16_t lifetime,
		      uint32_t coa)
{
	struct mip_reg_request req = {
		.flags = flags,
		.lifetime = lifetime,
		.home_addr = f->home,
		.ha_addr = f->ha,
		.coa = coa,
		.ident = f->ident += 0x1000,
		.has_prev_fa = true,
		.prev_fa = { .lifetime = lifetime, .prev_fa = addr(10, 2, 2, 1), .new_coa = coa },
	};
	int len = mip_build_request(&req, buf, 256);

	len = mip_auth_append(&f->key, MIP_EXT_MH_AUTH, buf, 256, (size_t)len);
	assert_true(len > 0);
	return (size_t)len;
}

static size_t reply(struct fixture *f, uint8_t *buf, uint8_t code, uint16_t lifetime)
{
	struct mip_reg_reply rep = {
		.code = code,
		.lifetime = lifetime,
		.home_addr = f->home,
		.ha_addr = f->ha,
		.ident = f->ident,
	};
	int len = mip_build_reply(&rep, buf, 256);

	len = mip_auth_append(&f->key, MIP_EXT_MH_AUTH, buf, 256, (size_t)len);
	return (size_t)len;
}

/* DKM's hook: what the relay told ML-IKE. */
static struct {
	unsigned int n;
	uint32_t home, ha, prev;
} prev_seen;

static void on_prev_fa(void *arg, uint32_t home, uint32_t ha, uint32_t prev)
{
	(void)arg;
	prev_seen.n++;
	prev_seen.home = home;
	prev_seen.ha = ha;
	prev_seen.prev = prev;
}

static void registration_relay(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256], rep[256];
	size_t len = request(f, msg, MIP_REQ_T, 200, f->coa), rlen;

	memset(&prev_seen, 0, sizeof(prev_seen));
	keyd_prev_fa_subscribe(on_prev_fa, NULL);
	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	/* The previous-FA extension reaches ML-IKE (DKM) with the relay. */
	assert_int_equal(prev_seen.n, 1);
	assert_int_equal(prev_seen.home, f->home);
	assert_int_equal(prev_seen.ha, f->ha);
	assert_int_equal(prev_seen.prev, addr(10, 2, 2, 1));
	/* Relayed unchanged to the home agent named in the request. */
	assert_int_equal(f->to_ha.n, 1);
	assert_int_equal(f->to_ha.dst, f->ha);
	assert_int_equal(f->to_ha.len, len);
	assert_memory_equal(f->to_ha.msg, msg, len);
	assert_int_equal(f->to_mh.n, 0);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 2);

	/* The reply goes back unchanged to the MAC and port of the request. */
	rlen = reply(f, rep, MIP_ACCEPTED, 300);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(f->to_mh.n, 1);
	assert_memory_equal(f->to_mh.msg, rep, rlen);
	assert_memory_equal(f->to_mh.link.mac, f->mh.mac, 6);
	assert_int_equal(f->to_mh.link.port, 40000);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 1);
	assert_int_equal(f->st.ctr[MIP_C_VISITOR_ADD], 1);
	assert_int_equal(f->st.ctr[MIP_C_RELAYED_REQUEST], 1);
	assert_int_equal(f->st.ctr[MIP_C_RELAYED_REPLY], 1);

	/* A second copy of the reply matches nothing pending. */
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(f->to_mh.n, 1);
	assert_int_equal(f->st.ctr[MIP_C_NO_PENDING], 1);

	/* Deregistration accepted: the visitor goes. */
	len = request(f, msg, MIP_REQ_T, 0, f->home);
	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	rlen = reply(f, rep, MIP_ACCEPTED, 0);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), -ENOENT);
	assert_int_equal(f->st.ctr[MIP_C_VISITOR_DEREG], 1);
	assert_int_equal(prev_seen.n, 1); /* a deregistration asks no one */
	keyd_prev_fa_subscribe(NULL, NULL);
}

static void ha_denial_relayed(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256], rep[256];
	size_t len = request(f, msg, MIP_REQ_T, 200, f->coa), rlen;

	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	rlen = reply(f, rep, MIP_HA_MN_AUTH, 0);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(f->to_mh.n, 1);
	assert_memory_equal(f->to_mh.msg, rep, rlen);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), -ENOENT);
	/* 133 carries the home agent's time in the high half: still matched. */
	len = request(f, msg, MIP_REQ_T, 200, f->coa);
	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	f->ident += (uint64_t)100 << 32;
	rlen = reply(f, rep, MIP_HA_IDENT_MISMATCH, 0);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(f->to_mh.n, 2);
	assert_int_equal(f->st.code_tx[MIP_HA_IDENT_MISMATCH], 1);
}

static void expect_denial(struct fixture *f, const uint8_t *msg, size_t len, uint8_t code)
{
	struct mip_reg_reply rep;
	struct mip_err err;
	int before = f->to_mh.n;

	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	assert_int_equal(f->to_mh.n, before + 1);
	assert_int_equal(mip_parse_reply(f->to_mh.msg, f->to_mh.len, &rep, &err), 0);
	assert_int_equal(rep.code, code);
	assert_int_equal(rep.lifetime, 0);
	assert_int_equal(rep.home_addr, f->home);
	assert_true(rep.ident == f->ident);
	assert_false(rep.has_mh_auth);
	assert_int_equal(f->to_ha.n, 0);
}

static void fa_denials(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256];
	size_t len;

	len = request(f, msg, MIP_REQ_T, 301, f->coa);
	expect_denial(f, msg, len, MIP_FA_LIFETIME);
	len = request(f, msg, MIP_REQ_T, 100, addr(10, 0, 9, 9));
	expect_denial(f, msg, len, MIP_FA_BAD_COA);
	len = request(f, msg, 0, 100, f->coa);
	expect_denial(f, msg, len, MIP_FA_RT_MANDATORY);
	len = request(f, msg, MIP_REQ_T | MIP_REQ_M, 100, f->coa);
	expect_denial(f, msg, len, MIP_FA_ENCAP);
	len = request(f, msg, MIP_REQ_T | MIP_REQ_G, 100, f->coa);
	expect_denial(f, msg, len, MIP_FA_ENCAP);
	/* No MH-HA authentication: poorly formed. */
	len = request(f, msg, MIP_REQ_T, 100, f->coa);
	expect_denial(f, msg, MIP_REQ_FIXED_LEN + 12, MIP_FA_BAD_REQUEST);
	/* Unknown non-skippable extension: poorly formed. */
	len = request(f, msg, MIP_REQ_T, 100, f->coa);
	msg[MIP_REQ_FIXED_LEN] = 99;
	expect_denial(f, msg, len, MIP_FA_BAD_REQUEST);
	/* Extension cut short: poorly formed. */
	len = request(f, msg, MIP_REQ_T, 100, f->coa);
	expect_denial(f, msg, len - 1, MIP_FA_BAD_REQUEST);
	/* A home agent address that cannot be one. */
	f->ha = 0xffffffffu;
	len = request(f, msg, MIP_REQ_T, 100, f->coa);
	expect_denial(f, msg, len, MIP_FA_HA_UNREACH);
	assert_int_equal(f->st.ctr[MIP_C_DENIED], 9);
	assert_int_equal(f->st.reason[MIP_R_EXT_UNKNOWN], 1);
	/* Truncated: nothing to address a reply to. */
	mip_fa_from_mh(f->fa, msg, 23, false, &f->mh);
	mip_fa_from_mh(f->fa, msg, 300, true, &f->mh);
	assert_int_equal(f->to_mh.n, 9);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 2);
}

static void reverse_tunnel_off(void **state)
{
	struct fixture *f = *state;
	struct mip_fa_cfg cfg = { .addr = addr(10, 2, 1, 1),
				  .coa = f->coa,
				  .ifindex = 7,
				  .max_lifetime = 300,
				  .advert_interval_ms = 1000,
				  .reverse = MIP_RT_OFF,
				  .pending_timeout_ms = 100,
				  .max_visitors = 4 };
	struct mip_fa_io io = { .ctx = f, .to_mh = rec_mh, .to_ha = rec_ha, .icmp = rec_icmp };
	uint8_t msg[256];
	size_t len;

	mip_fa_core_free(f->fa);
	assert_int_equal(mip_fa_core_new(f->loop, NULL, &cfg, &f->st, &io, &f->fa), 0);
	len = request(f, msg, MIP_REQ_T, 100, f->coa);
	expect_denial(f, msg, len, MIP_FA_RT_UNAVAIL);
}

static void stop(void *arg)
{
	loop_stop(arg);
}

static void run_for(struct fixture *f, unsigned int ms)
{
	struct loop_timer t;

	loop_timer_init(&t, stop, f->loop);
	loop_timer_in(f->loop, &t, ms * NS_PER_MS);
	assert_int_equal(loop_run(f->loop), 0);
}

static void timeouts(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256], rep[256];
	struct mip_reg_reply r;
	struct mip_err err;
	size_t len = request(f, msg, MIP_REQ_T, 100, f->coa), rlen;

	/* No reply from the home agent within pending_timeout_ms: 78. */
	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	run_for(f, 150);
	assert_int_equal(f->to_mh.n, 1);
	assert_int_equal(mip_parse_reply(f->to_mh.msg, f->to_mh.len, &r, &err), 0);
	assert_int_equal(r.code, MIP_FA_TIMEOUT);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), -ENOENT);
	assert_int_equal(f->st.ctr[MIP_C_PENDING_TIMEOUT], 1);

	/* Registered for 1 s: the visitor expires by itself. */
	len = request(f, msg, MIP_REQ_T, 1, f->coa);
	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	rlen = reply(f, rep, MIP_ACCEPTED, 1);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 1);
	run_for(f, 1100);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), -ENOENT);
	assert_int_equal(f->st.ctr[MIP_C_VISITOR_EXPIRE], 1);
}

static void malformed_reply(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256], rep[256];
	struct mip_reg_reply r;
	struct mip_err err;
	size_t len = request(f, msg, MIP_REQ_T, 100, f->coa), rlen;

	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	rlen = reply(f, rep, MIP_ACCEPTED, 100);
	rep[MIP_REP_FIXED_LEN] = 98; /* unknown non-skippable */
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	/* The mobile node hears 71 at once instead of waiting. */
	assert_int_equal(f->to_mh.n, 1);
	assert_int_equal(mip_parse_reply(f->to_mh.msg, f->to_mh.len, &r, &err), 0);
	assert_int_equal(r.code, MIP_FA_BAD_REPLY);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), -ENOENT);
	/* Truncated and unexpected replies are dropped. */
	mip_fa_from_ha(f->fa, rep, 10, false, f->ha);
	rep[MIP_REP_FIXED_LEN] = MIP_EXT_MH_AUTH;
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(f->to_mh.n, 1);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 2);
}

static void advertisements(void **state)
{
	struct fixture *f = *state;
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x10 };
	struct mip_advert adv;
	struct mip_err err;

	mip_fa_solicited(f->fa, mac, f->home);
	assert_int_equal(f->icmp.n, 1);
	assert_int_equal(f->icmp.dst, f->home);
	assert_memory_equal(f->icmp.mac, mac, 6);
	assert_int_equal(mip_parse_advert(f->icmp.msg, f->icmp.len, &adv, &err), 0);
	assert_int_equal(adv.flags, MIP_MAA_R | MIP_MAA_F | MIP_MAA_T);
	assert_int_equal(adv.n_coas, 1);
	assert_int_equal(adv.coas[0], f->coa);
	assert_int_equal(adv.addrs[0], addr(10, 2, 1, 1));
	assert_int_equal(adv.reg_lifetime, 300);
	assert_int_equal(adv.icmp_lifetime, 3);
	assert_int_equal(adv.seq, 0);
	/* Solicitation from 0.0.0.0: broadcast; the sequence advances. */
	mip_fa_solicited(f->fa, mac, 0);
	assert_int_equal(f->icmp.dst, 0xffffffffu);
	assert_int_equal(mip_parse_advert(f->icmp.msg, f->icmp.len, &adv, &err), 0);
	assert_int_equal(adv.seq, 1);
	/* A flood of solicitations is answered at a bounded rate. */
	for (int i = 0; i < 500; i++)
		mip_fa_solicited(f->fa, mac, f->home);
	assert_true(f->icmp.n <= 2 + 100 + 100);
	assert_true(f->st.ctr[MIP_C_DISCARDED] >= 300);
}

static void visitor_list_full(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256];
	size_t len;

	for (int i = 0; i < 4; i++) {
		f->home = addr(10, 1, 0, (uint8_t)(20 + i));
		len = request(f, msg, MIP_REQ_T, 100, f->coa);
		mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	}
	assert_int_equal(f->to_ha.n, 4);
	f->home = addr(10, 1, 0, 30);
	f->to_ha.n = 0;
	len = request(f, msg, MIP_REQ_T, 100, f->coa);
	expect_denial(f, msg, len, MIP_FA_RESOURCES);
}

/* The attack of issue 18: with the home agent's reply held back, anyone on
 * the wired side who saw the request (home address, Identification) sends
 * an "accepted" reply naming itself as the home agent. It must change
 * nothing: no visitor, nothing relayed to the mobile node, the request
 * still pending so that the genuine reply is still taken; and counted. */
static size_t forged_reply(struct fixture *f, uint8_t *buf, uint32_t ha_field)
{
	struct mip_reg_reply rep = {
		.code = MIP_ACCEPTED,
		.lifetime = 300,
		.home_addr = f->home,
		.ha_addr = ha_field,
		.ident = f->ident,
	};
	int len = mip_build_reply(&rep, buf, 256);

	assert_int_equal(len, MIP_REP_FIXED_LEN);
	return (size_t)len;
}

static const char *visitor_ha(struct fixture *f, char *buf)
{
	json_object *list = mip_fa_visitors(f->fa), *ha;

	buf[0] = '\0';
	if (json_object_array_length(list) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(list, 0), "ha", &ha))
		snprintf(buf, 16, "%s", json_object_get_string(ha));
	json_object_put(list);
	return buf;
}

static void forged_reply_refused(void **state)
{
	struct fixture *f = *state;
	uint32_t forger = addr(10, 0, 2, 66);
	uint8_t msg[256], rep[256];
	size_t len = request(f, msg, MIP_REQ_T, 200, f->coa), rlen;
	char ha[16];

	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 2);
	/* From the forger, naming the forger as home agent (the bed attack). */
	rlen = forged_reply(f, rep, forger);
	mip_fa_from_ha(f->fa, rep, rlen, false, forger);
	/* From the forger, naming the real home agent. */
	rlen = forged_reply(f, rep, f->ha);
	mip_fa_from_ha(f->fa, rep, rlen, false, forger);
	/* From the real home agent's address, naming the forger. */
	rlen = forged_reply(f, rep, forger);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	/* Malformed, from the forger: must not end the pending request. */
	rlen = forged_reply(f, rep, f->ha);
	rep[rlen] = 98;
	rep[rlen + 1] = 0;
	mip_fa_from_ha(f->fa, rep, rlen + 2, false, forger);
	assert_int_equal(f->to_mh.n, 0);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 2);
	assert_int_equal(f->st.ctr[MIP_C_VISITOR_ADD], 0);
	assert_int_equal(f->st.ctr[MIP_C_REPLY_WRONG_SOURCE], 4);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 4);
	assert_int_equal(f->st.code_rx[MIP_ACCEPTED], 0);

	/* The genuine reply is still taken, with the real home agent. */
	rlen = reply(f, rep, MIP_ACCEPTED, 200);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(f->to_mh.n, 1);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 1);
	assert_string_equal(visitor_ha(f, ha), "10.1.0.1");
}

static const uint8_t fh_secret[20] = { 0x46, 0x48, 1,  2,  3,  4,  5,  6,  7,  8,
				       9,    10,   11, 12, 13, 14, 15, 16, 17, 18 };

/* With Foreign-Home keys for the home agent: its replies need a valid
 * extension even from its own address (which a forger on the wired side
 * can spoof), and relayed requests carry ours. */
static void foreign_home_auth(void **state)
{
	struct fixture *f = *state;
	struct mip_key fh, wrong, mine;
	uint8_t msg[256], rep[256];
	struct mip_reg_request req;
	struct mip_reg_reply r;
	struct mip_err err;
	size_t len = request(f, msg, MIP_REQ_T, 200, f->coa), rlen;
	int n;

	assert_int_equal(mip_key_init(&fh, 500, MIP_ALG_HMAC_SHA256, fh_secret, 20), 0);
	assert_int_equal(mip_key_init(&mine, 500, MIP_ALG_HMAC_SHA256, fh_secret, 20), 0);
	assert_int_equal(mip_key_init(&wrong, 500, MIP_ALG_HMAC_SHA256, secret, 16), 0);
	assert_int_equal(mip_fa_add_ha_keys(f->fa, f->ha, &fh, 1), 0);

	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	/* Relayed with our extension appended after the mobile node's. */
	assert_int_equal(f->to_ha.n, 1);
	assert_int_equal(f->to_ha.len, len + MIP_AUTH_HDR_LEN + 32);
	assert_memory_equal(f->to_ha.msg, msg, len);
	assert_int_equal(mip_parse_request(f->to_ha.msg, f->to_ha.len, &req, &err), 0);
	assert_true(req.has_fh_auth && req.fh_auth.spi == 500);
	assert_true(mip_auth_verify(&mine, f->to_ha.msg, f->to_ha.len, &req.fh_auth));

	/* Spoofed from the home agent's address: no extension, a wrong key,
	 * a tampered genuine one. */
	rlen = reply(f, rep, MIP_ACCEPTED, 200);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	n = mip_auth_append(&wrong, MIP_EXT_FH_AUTH, rep, sizeof(rep), rlen);
	mip_fa_from_ha(f->fa, rep, (size_t)n, false, f->ha);
	n = mip_auth_append(&mine, MIP_EXT_FH_AUTH, rep, sizeof(rep), rlen);
	rep[3] ^= 1; /* lifetime */
	mip_fa_from_ha(f->fa, rep, (size_t)n, false, f->ha);
	rep[3] ^= 1;
	assert_int_equal(f->to_mh.n, 0);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 2);
	assert_int_equal(f->st.ctr[MIP_C_FH_AUTH_FAILED], 3);
	/* Unparsable, from the home agent: cannot be authenticated. */
	mip_fa_from_ha(f->fa, rep, (size_t)n - 1, false, f->ha);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 2);
	assert_int_equal(f->to_mh.n, 0);

	/* The genuine one. */
	mip_fa_from_ha(f->fa, rep, (size_t)n, false, f->ha);
	assert_int_equal(f->to_mh.n, 1);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 1);
	assert_int_equal(mip_parse_reply(f->to_mh.msg, f->to_mh.len, &r, &err), 0);
	assert_int_equal(r.code, MIP_ACCEPTED);

	/* A mobile node's request that already has the extension is refused. */
	len = request(f, msg, MIP_REQ_T, 200, f->coa);
	n = mip_auth_append(&wrong, MIP_EXT_FH_AUTH, msg, sizeof(msg), len);
	mip_fa_from_mh(f->fa, msg, (size_t)n, false, &f->mh);
	assert_int_equal(f->to_ha.n, 1);
	assert_int_equal(f->to_mh.n, 2);
	assert_int_equal(mip_parse_reply(f->to_mh.msg, f->to_mh.len, &r, &err), 0);
	assert_int_equal(r.code, MIP_FA_BAD_REQUEST);
	mip_key_free(&mine);
	mip_key_free(&wrong);
}

/* A deregistration (lifetime 0) answered with a lifetime, by the home
 * agent it went to (fuzz-mip-fa found this): the visitor is deregistered,
 * not registered for 0 s, and ML-IKE is not told it arrived. */
static void dereg_answered_with_lifetime(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256], rep[256];
	size_t len = request(f, msg, MIP_REQ_T, 200, f->coa), rlen;

	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	rlen = reply(f, rep, MIP_ACCEPTED, 200);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), 1);
	len = request(f, msg, MIP_REQ_T, 0, f->coa);
	mip_fa_from_mh(f->fa, msg, len, false, &f->mh);
	rlen = reply(f, rep, MIP_ACCEPTED, 200);
	mip_fa_from_ha(f->fa, rep, rlen, false, f->ha);
	assert_int_equal(mip_fa_visitor_state(f->fa, f->home), -ENOENT);
	assert_int_equal(f->st.ctr[MIP_C_VISITOR_DEREG], 1);
	/* The reply still reaches the mobile node, which judges it. */
	assert_int_equal(f->to_mh.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(registration_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(ha_denial_relayed, setup, teardown),
		cmocka_unit_test_setup_teardown(fa_denials, setup, teardown),
		cmocka_unit_test_setup_teardown(reverse_tunnel_off, setup, teardown),
		cmocka_unit_test_setup_teardown(timeouts, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(advertisements, setup, teardown),
		cmocka_unit_test_setup_teardown(visitor_list_full, setup, teardown),
		cmocka_unit_test_setup_teardown(forged_reply_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_home_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(dereg_answered_with_lifetime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
