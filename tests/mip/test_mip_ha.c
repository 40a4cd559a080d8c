/* Home agent core: acceptance, renewal, move, deregistration, expiry, and
 * every rejection with the RFC 5944 / RFC 3024 reply code, its counter and
 * whether the reply is authenticated. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/mip_ha.h"

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

struct fixture {
	struct loop *loop;
	struct mip_stats st;
	struct mip_ha *ha;
	struct mip_key key; /* the mobile node's copy */
	uint64_t ntp;	    /* the HA's clock in the tests */
	uint64_t ident;
	uint32_t home, ha_addr, coa1, coa2;
};

static const uint8_t secret[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mip_ha_cfg cfg = {
		.max_lifetime = 600,
		.replay_window = 7,
		.reverse = MIP_RT_OPTIONAL,
		.max_bindings = 2,
	};
	struct mip_key k;

	f->home = addr(10, 1, 0, 10);
	f->ha_addr = cfg.addr = addr(10, 1, 0, 1);
	f->coa1 = addr(10, 0, 2, 2);
	f->coa2 = addr(10, 0, 3, 2);
	f->ntp = (uint64_t)3970000000U << 32;
	f->ident = f->ntp;
	assert_int_equal(loop_new(&f->loop), 0);
	assert_int_equal(mip_ha_core_new(f->loop, NULL, &cfg, &f->st, &f->ha), 0);
	assert_int_equal(mip_key_init(&k, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);
	assert_int_equal(mip_ha_add_mobile(f->ha, f->home, &k, 1), 0);
	assert_int_equal(mip_key_init(&f->key, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mip_ha_core_free(f->ha);
	mip_key_free(&f->key);
	loop_free(f->loop);
	free(f);
	return 0;
}

/* A request as a mobile node sends it: fixed part, then MH-HA auth. */
static size_t request(struct fixture *f, uint8_t *buf, uint8_t flags, uint16_t lifetime,
		      uint32_t coa)
{
	struct mip_reg_request req = {
		.flags = flags,
		.lifetime = lifetime,
		.home_addr = f->home,
		.ha_addr = f->ha_addr,
		.coa = coa,
		.ident = f->ident += 0x1000,
	};
	int len = mip_build_request(&req, buf, 256);

	len = mip_auth_append(&f->key, MIP_EXT_MH_AUTH, buf, 256, (size_t)len);
	assert_true(len > 0);
	return (size_t)len;
}

/* Runs the HA on msg and parses its reply (which must exist). */
static struct mip_reg_reply process(struct fixture *f, const uint8_t *msg, size_t len,
				    bool *authentic)
{
	uint8_t out[256];
	struct mip_reg_reply rep;
	struct mip_err err;
	int n = mip_ha_process(f->ha, msg, len, false, f->coa1, loop_now(), f->ntp, out,
			       sizeof(out));

	assert_true(n > 0);
	assert_int_equal(mip_parse_reply(out, (size_t)n, &rep, &err), 0);
	*authentic = rep.has_mh_auth && mip_auth_verify(&f->key, out, (size_t)n, &rep.mh_auth);
	return rep;
}

static void accept_renew_move_dereg(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256];
	size_t len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	struct mip_reg_reply rep;
	uint64_t expires;
	uint32_t coa;
	bool auth;

	rep = process(f, msg, len, &auth);
	assert_int_equal(rep.code, MIP_ACCEPTED);
	assert_int_equal(rep.lifetime, 300);
	assert_int_equal(rep.home_addr, f->home);
	assert_int_equal(rep.ha_addr, f->ha_addr);
	assert_true(rep.ident == f->ident);
	assert_true(auth);
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), 0);
	assert_int_equal(coa, f->coa1);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_ADD], 1);

	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	assert_int_equal(process(f, msg, len, &auth).code, MIP_ACCEPTED);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_RENEW], 1);

	/* Handoff: the binding follows the new care-of address at once. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa2);
	assert_int_equal(process(f, msg, len, &auth).code, MIP_ACCEPTED);
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), 0);
	assert_int_equal(coa, f->coa2);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_MOVE], 1);

	/* Longer than allowed: granted the maximum. Simultaneous bindings
	 * asked for: accepted with code 1. */
	len = request(f, msg, MIP_REQ_T | MIP_REQ_S, 65000, f->coa2);
	rep = process(f, msg, len, &auth);
	assert_int_equal(rep.code, MIP_ACCEPTED_NO_SIMUL);
	assert_int_equal(rep.lifetime, 600);

	/* Lifetime 0 for another care-of address: nothing to remove. */
	len = request(f, msg, MIP_REQ_T, 0, f->coa1);
	rep = process(f, msg, len, &auth);
	assert_int_equal(rep.code, MIP_ACCEPTED);
	assert_int_equal(rep.lifetime, 0);
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), 0);
	/* Lifetime 0 with the home address as care-of address: back home. */
	len = request(f, msg, 0, 0, f->home);
	rep = process(f, msg, len, &auth);
	assert_int_equal(rep.code, MIP_ACCEPTED);
	assert_true(auth);
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), -ENOENT);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_DEREG], 1);
	assert_int_equal(f->st.code_tx[MIP_ACCEPTED], 5);
}

static void stop(void *arg)
{
	loop_stop(arg);
}

static void binding_expires(void **state)
{
	struct fixture *f = *state;
	struct loop_timer t;
	uint8_t msg[256];
	size_t len = request(f, msg, MIP_REQ_T, 1, f->coa1);
	uint64_t expires;
	uint32_t coa;
	bool auth;

	assert_int_equal(process(f, msg, len, &auth).code, MIP_ACCEPTED);
	loop_timer_init(&t, stop, f->loop);
	loop_timer_in(f->loop, &t, 1100 * NS_PER_MS);
	assert_int_equal(loop_run(f->loop), 0);
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), -ENOENT);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_EXPIRE], 1);
}

static void expect_code(struct fixture *f, const uint8_t *msg, size_t len, uint8_t code,
			bool authentic)
{
	bool auth;
	struct mip_reg_reply rep = process(f, msg, len, &auth);

	assert_int_equal(rep.code, code);
	assert_int_equal(rep.lifetime, 0);
	assert_int_equal(auth, authentic);
}

static void auth_failures(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256];
	size_t len;

	/* Authenticator changed. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	msg[len - 1] ^= 1;
	expect_code(f, msg, len, MIP_HA_MN_AUTH, true);
	/* Covered data changed (the lifetime). */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	msg[3] ^= 1;
	expect_code(f, msg, len, MIP_HA_MN_AUTH, true);
	assert_int_equal(f->st.ctr[MIP_C_AUTH_FAILED], 2);
	/* No authentication extension at all. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	expect_code(f, msg, MIP_REQ_FIXED_LEN, MIP_HA_MN_AUTH, false);
	/* SPI we do not have: no key to authenticate the reply with. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	msg[MIP_REQ_FIXED_LEN + 5] ^= 1;
	expect_code(f, msg, len, MIP_HA_MN_AUTH, false);
	assert_int_equal(f->st.ctr[MIP_C_UNKNOWN_SPI], 1);
	/* A home address we do not serve. */
	f->home = addr(10, 1, 0, 99);
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	expect_code(f, msg, len, MIP_HA_MN_AUTH, false);
	assert_int_equal(f->st.ctr[MIP_C_UNKNOWN_HOME], 1);
	assert_int_equal(f->st.code_tx[MIP_HA_MN_AUTH], 5);
	assert_int_equal(f->st.ctr[MIP_C_DENIED], 5);
}

static void identification(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[256], replay[256];
	size_t len, replay_len;
	struct mip_reg_reply rep;
	bool auth;

	/* 8 s ahead and 8 s behind: outside the 7 s window. */
	f->ident = f->ntp + ((uint64_t)8 << 32);
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	rep = process(f, msg, len, &auth);
	assert_int_equal(rep.code, MIP_HA_IDENT_MISMATCH);
	assert_true(auth);
	/* Our time in the high half, the request's low half kept. */
	assert_int_equal(rep.ident >> 32, f->ntp >> 32);
	assert_int_equal((uint32_t)rep.ident, (uint32_t)f->ident);
	f->ident = f->ntp - ((uint64_t)8 << 32);
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	assert_int_equal(process(f, msg, len, &auth).code, MIP_HA_IDENT_MISMATCH);
	assert_int_equal(f->st.ctr[MIP_C_IDENT_STALE], 2);

	/* Accepted once, then replayed: refused. An older one too. */
	f->ident = f->ntp;
	replay_len = request(f, replay, MIP_REQ_T, 300, f->coa1);
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	assert_int_equal(process(f, msg, len, &auth).code, MIP_ACCEPTED);
	assert_int_equal(process(f, msg, len, &auth).code, MIP_HA_IDENT_MISMATCH);
	assert_int_equal(process(f, replay, replay_len, &auth).code, MIP_HA_IDENT_MISMATCH);
	assert_int_equal(f->st.ctr[MIP_C_IDENT_REPLAY], 2);
	/* A replayed deregistration does not remove the binding. */
	{
		uint64_t expires;
		uint32_t coa;

		assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), 0);
	}
}

static void policy(void **state)
{
	struct fixture *f = *state;
	struct mip_reg_request req;
	struct mip_err err;
	uint8_t msg[256];
	size_t len;

	/* Home Agent field not ours. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	assert_int_equal(mip_parse_request(msg, len, &req, &err), 0);
	req.ha_addr = addr(10, 1, 0, 2);
	len = (size_t)mip_build_request(&req, msg, sizeof(msg));
	len = (size_t)mip_auth_append(&f->key, MIP_EXT_MH_AUTH, msg, sizeof(msg), len);
	{
		bool auth;
		struct mip_reg_reply rep = process(f, msg, len, &auth);

		assert_int_equal(rep.code, MIP_HA_UNKNOWN_HA);
		assert_int_equal(rep.ha_addr, f->ha_addr); /* tells the right one */
		assert_true(auth);
	}
	len = request(f, msg, MIP_REQ_T | MIP_REQ_M, 300, f->coa1);
	expect_code(f, msg, len, MIP_HA_ENCAP, true);
	len = request(f, msg, MIP_REQ_T | MIP_REQ_G, 300, f->coa1);
	expect_code(f, msg, len, MIP_HA_ENCAP, true);
	len = request(f, msg, MIP_REQ_T | MIP_REQ_D, 300, f->coa1);
	expect_code(f, msg, len, MIP_HA_PROHIBITED, true);
}

static void reverse_tunnel_policy(void **state)
{
	struct fixture *f = *state;
	struct mip_ha_cfg cfg = {
		.addr = f->ha_addr, .max_lifetime = 600, .replay_window = 7, .max_bindings = 10
	};
	struct mip_key k;
	uint8_t msg[256];
	size_t len;

	for (int pol = MIP_RT_OFF; pol <= MIP_RT_REQUIRED; pol += 2) {
		mip_ha_core_free(f->ha);
		cfg.reverse = (enum mip_rt_policy)pol;
		assert_int_equal(mip_ha_core_new(f->loop, NULL, &cfg, &f->st, &f->ha), 0);
		assert_int_equal(mip_key_init(&k, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);
		assert_int_equal(mip_ha_add_mobile(f->ha, f->home, &k, 1), 0);
		if (pol == MIP_RT_OFF) {
			len = request(f, msg, MIP_REQ_T, 300, f->coa1);
			expect_code(f, msg, len, MIP_HA_RT_UNAVAIL, true);
		} else {
			len = request(f, msg, 0, 300, f->coa1);
			expect_code(f, msg, len, MIP_HA_RT_MANDATORY, true);
		}
	}
}

static void capacity(void **state)
{
	struct fixture *f = *state;
	uint32_t homes[3] = { addr(10, 1, 0, 11), addr(10, 1, 0, 12), addr(10, 1, 0, 13) };
	uint8_t msg[256];
	size_t len;
	bool auth;

	for (int i = 0; i < 3; i++) {
		struct mip_key k;

		assert_int_equal(mip_key_init(&k, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);
		assert_int_equal(mip_ha_add_mobile(f->ha, homes[i], &k, 1), 0);
	}
	/* max_bindings is 2 in this fixture. */
	for (int i = 0; i < 2; i++) {
		f->home = homes[i];
		len = request(f, msg, MIP_REQ_T, 300, f->coa1);
		assert_int_equal(process(f, msg, len, &auth).code, MIP_ACCEPTED);
	}
	f->home = homes[2];
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	expect_code(f, msg, len, MIP_HA_RESOURCES, true);
	/* A mobile node already bound may still renew. */
	f->home = homes[0];
	len = request(f, msg, MIP_REQ_T, 300, f->coa2);
	assert_int_equal(process(f, msg, len, &auth).code, MIP_ACCEPTED);
}

static void malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t msg[MIP_MSG_MAX + 64], out[256];
	size_t len = request(f, msg, MIP_REQ_T, 300, f->coa1);

	/* Truncated fixed part and over-long datagrams: silently discarded. */
	for (size_t l = 0; l < MIP_REQ_FIXED_LEN; l += 5)
		assert_int_equal(mip_ha_process(f->ha, msg, l, false, f->coa1, loop_now(), f->ntp,
						out, sizeof(out)),
				 0);
	memset(msg + len, 0, sizeof(msg) - len);
	msg[len] = 200; /* skippable padding out to the limit */
	msg[len + 1] = 255;
	assert_int_equal(mip_ha_process(f->ha, msg, MIP_MSG_MAX + 1, false, f->coa1, loop_now(),
					f->ntp, out, sizeof(out)),
			 0);
	assert_int_equal(mip_ha_process(f->ha, msg, 100, true, f->coa1, loop_now(), f->ntp, out,
					sizeof(out)),
			 0);
	assert_int_equal(f->st.reason[MIP_R_TRUNCATED], 5);
	assert_int_equal(f->st.reason[MIP_R_TOO_LONG], 2);
	assert_int_equal(f->st.ctr[MIP_C_DISCARDED], 7);
	/* Unknown non-skippable extension before the authenticator: 134. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	msg[MIP_REQ_FIXED_LEN] = 40;
	expect_code(f, msg, len, MIP_HA_BAD_REQUEST, false);
	/* Extension running past the end: 134. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	expect_code(f, msg, len - 2, MIP_HA_BAD_REQUEST, false);
	assert_int_equal(f->st.reason[MIP_R_EXT_UNKNOWN], 1);
	assert_int_equal(f->st.reason[MIP_R_EXT_LENGTH], 1);
	assert_int_equal(f->st.ctr[MIP_C_MALFORMED], 9);
}

static void skippable_extension(void **state)
{
	struct fixture *f = *state;
	struct mip_reg_request req = {
		.flags = MIP_REQ_T,
		.lifetime = 300,
		.home_addr = f->home,
		.ha_addr = f->ha_addr,
		.coa = f->coa1,
		.ident = f->ident + 0x1000,
	};
	uint8_t msg[256];
	int len = mip_build_request(&req, msg, sizeof(msg));
	bool auth;

	/* An unknown skippable extension, covered by the authenticator. */
	msg[len] = 222;
	msg[len + 1] = 3;
	memset(msg + len + 2, 0xaa, 3);
	len = mip_auth_append(&f->key, MIP_EXT_MH_AUTH, msg, sizeof(msg), (size_t)len + 5);
	assert_int_equal(process(f, msg, (size_t)len, &auth).code, MIP_ACCEPTED);
	assert_int_equal(f->st.ctr[MIP_C_EXT_SKIPPED], 1);
}

static const uint8_t fh_secret[16] = { 0x46, 0x48, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* Runs the HA on a request from src; returns the reply's length in out. */
static size_t process_from(struct fixture *f, const uint8_t *msg, size_t len, uint32_t src,
			   uint8_t *out, struct mip_reg_reply *rep)
{
	struct mip_err err;
	int n = mip_ha_process(f->ha, msg, len, false, src, loop_now(), f->ntp, out, 256);

	assert_true(n > 0);
	assert_int_equal(mip_parse_reply(out, (size_t)n, rep, &err), 0);
	return (size_t)n;
}

/* Foreign-Home keys for the FA at coa1: its requests need our shared
 * extension (else 132, no binding), and replies to it carry one, after the
 * Mobile-Home extension; an FA without keys is served as before. */
static void foreign_home_auth(void **state)
{
	struct fixture *f = *state;
	struct mip_key fh, fa_copy, wrong;
	uint8_t msg[256], out[256];
	struct mip_reg_reply rep;
	uint64_t expires;
	uint32_t coa;
	size_t len, n;
	int m;

	assert_int_equal(mip_key_init(&fh, 700, MIP_ALG_HMAC_MD5, fh_secret, 16), 0);
	assert_int_equal(mip_key_init(&fa_copy, 700, MIP_ALG_HMAC_MD5, fh_secret, 16), 0);
	assert_int_equal(mip_key_init(&wrong, 700, MIP_ALG_HMAC_MD5, secret, 16), 0);
	assert_int_equal(mip_ha_add_fa_keys(f->ha, f->coa1, &fh, 1), 0);

	/* No extension, a wrong key, a tampered one: 132, no binding. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	process_from(f, msg, len, f->coa1, out, &rep);
	assert_int_equal(rep.code, MIP_HA_FA_AUTH);
	m = mip_auth_append(&wrong, MIP_EXT_FH_AUTH, msg, sizeof(msg), len);
	assert_int_equal(process_from(f, msg, (size_t)m, f->coa1, out, &rep) > 0, 1);
	assert_int_equal(rep.code, MIP_HA_FA_AUTH);
	m = mip_auth_append(&fa_copy, MIP_EXT_FH_AUTH, msg, sizeof(msg), len);
	msg[m - 1] ^= 1;
	n = process_from(f, msg, (size_t)m, f->coa1, out, &rep);
	assert_int_equal(rep.code, MIP_HA_FA_AUTH);
	assert_int_equal(f->st.ctr[MIP_C_FH_AUTH_FAILED], 3);
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), -ENOENT);
	/* Even a denial to that FA carries our extension. */
	assert_true(rep.has_fh_auth && mip_auth_verify(&fa_copy, out, n, &rep.fh_auth));

	/* With the FA's extension: accepted, the reply authenticated twice. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa1);
	m = mip_auth_append(&fa_copy, MIP_EXT_FH_AUTH, msg, sizeof(msg), len);
	n = process_from(f, msg, (size_t)m, f->coa1, out, &rep);
	assert_int_equal(rep.code, MIP_ACCEPTED);
	assert_true(rep.has_mh_auth && mip_auth_verify(&f->key, out, n, &rep.mh_auth));
	assert_true(rep.has_fh_auth && rep.fh_auth.spi == 700);
	assert_true(rep.fh_auth.covered > rep.mh_auth_end);
	assert_true(mip_auth_verify(&fa_copy, out, n, &rep.fh_auth));
	assert_int_equal(mip_ha_binding(f->ha, f->home, &coa, &expires), 0);

	/* An FA without keys: no extension needed, none added. */
	len = request(f, msg, MIP_REQ_T, 300, f->coa2);
	process_from(f, msg, len, f->coa2, out, &rep);
	assert_int_equal(rep.code, MIP_ACCEPTED);
	assert_false(rep.has_fh_auth);
	mip_key_free(&fa_copy);
	mip_key_free(&wrong);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(accept_renew_move_dereg, setup, teardown),
		cmocka_unit_test_setup_teardown(binding_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(identification, setup, teardown),
		cmocka_unit_test_setup_teardown(policy, setup, teardown),
		cmocka_unit_test_setup_teardown(reverse_tunnel_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(skippable_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_home_auth, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
