/* mmlkeyd's SIGHUP reload (keyd/reload.c): which differences between the
 * running configuration and the one read again are applied, which refuse
 * the reload, and that no module applies anything unless every module
 * accepted its section. Two recorded modules stand in for mip and ike. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/keyd.h"

struct rec {
	int checks, applies, fail_check;
};

static struct rec recs[2];

static int rec_reload(struct rec *r, const config_setting_t *sec, bool apply)
{
	assert_non_null(sec);
	if (apply) {
		r->applies++;
		return 0;
	}
	r->checks++;
	return r->fail_check;
}

static int reload_a(void *state, const config_setting_t *sec, bool apply)
{
	return rec_reload(state, sec, apply);
}

static const char *const a_reloadable[] = { "max_lifetime", "peers.*.csa_soft_lifetime", NULL };
static const char *const b_reloadable[] = { "threshold", NULL };

static const struct keyd_module mod_a = {
	.name = "mip",
	.reloadable = a_reloadable,
	.reload = reload_a,
};
static const struct keyd_module mod_b = {
	.name = "ike",
	.reloadable = b_reloadable,
	.reload = reload_a,
};
static const struct keyd_module *const mods[] = { &mod_a, &mod_b };

static const char base[] =
	"node = \"n\"; log_level = \"info\";\n"
	"mip = { role = \"ha\"; address = \"10.0.0.1\"; max_lifetime = 600;\n"
	"        mobiles = ( { home = \"10.1.0.1\"; keys = ( { spi = 1000; key = \"00112233\"; } ); } );\n"
	"        peers = ( { name = \"p1\"; csa_soft_lifetime = 30; }, { name = \"p2\"; } ); };\n"
	"ike = { role = \"ha\"; threshold = 2; };\n";

/* The running daemon: base parsed, its key digest taken, its keys wiped
 * (as mmlkeyd does once the modules hold them). */
struct fixture {
	struct keyd kd;
	unsigned char digest[KEYD_KEYS_DIGEST_LEN];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	config_setting_t *key;

	assert_non_null(f);
	config_init(&f->kd.config);
	assert_int_equal(config_read_string(&f->kd.config, base), CONFIG_TRUE);
	keyd_keys_digest(&f->kd.config, f->digest);
	key = config_lookup(&f->kd.config, "mip.mobiles.[0].keys.[0].key");
	assert_non_null(key);
	config_setting_set_string(key, "");
	memset(recs, 0, sizeof(recs));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	config_destroy(&f->kd.config);
	free(f);
	return 0;
}

/* Reloads with base after the edit "from" -> "to" (once). */
static int reload_with(struct fixture *f, const char *from, const char *to)
{
	char text[sizeof(base) + 200];
	const char *at = strstr(base, from);
	void *states[] = { &recs[0], &recs[1] };
	config_t next;
	int err;

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	config_init(&next);
	assert_int_equal(config_read_string(&next, text), CONFIG_TRUE);
	err = keyd_reload(&f->kd, &next, f->digest, mods, states, 2);
	config_destroy(&next);
	return err;
}

static void assert_applied(int times)
{
	assert_int_equal(recs[0].applies, times);
	assert_int_equal(recs[1].applies, times);
}

static void test_same(void **state)
{
	assert_int_equal(reload_with(*state, "", ""), 0);
	assert_int_equal(recs[0].checks, 1);
	assert_int_equal(recs[1].checks, 1);
	assert_applied(1);
}

static void test_reloadable(void **state)
{
	assert_int_equal(reload_with(*state, "\"info\"", "\"debug\""), 0);
	assert_int_equal(reload_with(*state, "max_lifetime = 600", "max_lifetime = 60"), 0);
	assert_int_equal(reload_with(*state, "threshold = 2", "threshold = 5"), 0);
	assert_int_equal(reload_with(*state, "csa_soft_lifetime = 30", "csa_soft_lifetime = 10"),
			 0);
	/* Added where it was not set, removed where it was. */
	assert_int_equal(
		reload_with(*state, "name = \"p2\";", "name = \"p2\"; csa_soft_lifetime = 5;"), 0);
	assert_int_equal(reload_with(*state, " max_lifetime = 600;", ""), 0);
	/* The top-level flows (keyd/flows.h): added, whole. */
	assert_int_equal(reload_with(*state, "log_level = \"info\";",
				     "log_level = \"info\"; flows = ( { dscp = 10; mode = \"esp\"; "
				     "}, { peer_port = 22; mode = \"mlesp\"; } );"),
			 0);
	assert_applied(7);
}

static void test_refused(void **state)
{
	static const char *const edits[][2] = {
		{ "\"10.0.0.1\"", "\"10.0.0.2\"" }, /* a scalar */
		{ "node = \"n\"", "node = \"m\"" }, /* top level */
		{ "role = \"ha\"; threshold", "role = \"fa\"; threshold" },
		{ "\"10.0.0.1\"", "10" },					    /* a type */
		{ "{ name = \"p2\"; }", "{ name = \"p2\"; }, { name = \"p3\"; }" }, /* a list */
		{ "name = \"p2\";", "name = \"p2\"; port = 4500;" }, /* a setting added */
		{ "log_level = \"info\";", "log_level = \"info\"; pin_root = \"/x\";" },
		{ "ike = { role = \"ha\"; threshold = 2; };", "" }, /* a section removed */
		/* A reloadable name elsewhere is not reloadable. */
		{ "name = \"p1\";", "name = \"p1\"; max_lifetime = 3;" },
	};

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		assert_int_equal(reload_with(*state, edits[i][0], edits[i][1]), -EBUSY);
	assert_int_equal(recs[0].checks + recs[1].checks, 0);
	assert_applied(0);
}

/* The running key is wiped: the digest decides. */
static void test_keys(void **state)
{
	assert_int_equal(reload_with(*state, "\"00112233\"", "\"00112233\""), 0);
	assert_int_equal(reload_with(*state, "\"00112233\"", "\"00112234\""), -EBUSY);
	assert_int_equal(reload_with(*state, "key = \"00112233\"", "key_file = \"/k\""), -EBUSY);
	assert_applied(1);
}

/* One module refusing its section: none applies. */
static void test_all_or_nothing(void **state)
{
	recs[1].fail_check = -EINVAL;
	assert_int_equal(reload_with(*state, "max_lifetime = 600", "max_lifetime = 60"), -EINVAL);
	assert_applied(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reloadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
