/* mmlkeyd's "flows" (keyd/flows.c, issue 19): what a configuration says
 * becomes key and class entries, malformed elements are refused with one
 * error naming the line, and a reload writes only what changed (entries
 * the configuration no longer has removed, the rest left as the workers
 * or ML-IKE have them). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "keyd/flows.h"
#include "keyd/keyd.h"

static int parse(const char *text, struct keyd_flow **v, size_t *n)
{
	config_t cfg;
	int err;

	config_init(&cfg);
	assert_int_equal(config_read_string(&cfg, text), CONFIG_TRUE);
	err = keyd_flows_parse(config_root_setting(&cfg), v, n);
	config_destroy(&cfg);
	return err;
}

static void flows_parsed(void **state)
{
	struct keyd_flow *v;
	size_t n;

	assert_int_equal(parse("flows = ( { peer = \"10.0.0.5\"; peer_port = 22; proto = \"tcp\"; "
			       "mode = \"mlesp\"; },\n"
			       "  { dscp = 10; mode = \"esp\"; every = 10; accept = \"plain\"; },\n"
			       "  { home = \"10.1.0.10\"; home_port = 5001; mode = \"plain\"; "
			       "spi = 0x1100; },\n  { mode = \"esp\"; } );",
			       &v, &n),
			 0);
	assert_int_equal(n, 4);
	assert_false(v[0].by_dscp);
	assert_int_equal(v[0].key.peer_addr, inet_addr("10.0.0.5"));
	assert_int_equal(v[0].key.peer_port, 22);
	assert_int_equal(v[0].key.proto, 6);
	assert_int_equal(v[0].key.home_addr, 0);
	assert_int_equal(v[0].f.mode, MML_MODE_MLESP);
	assert_true(v[1].by_dscp);
	assert_int_equal(v[1].dscp, 10);
	assert_int_equal(v[1].f.mode, MML_MODE_ESP);
	assert_int_equal(v[1].f.every_n, 10);
	assert_int_equal(v[1].f.flags, MML_FLOW_F_ACCEPT_PLAIN);
	assert_int_equal(v[2].key.home_port, 5001);
	assert_int_equal(v[2].f.spi, 0x1100);
	assert_false(v[3].by_dscp); /* no key field: the default */
	assert_int_equal(v[3].key.proto, 0);
	free(v);
	assert_int_equal(parse("node = \"x\";", &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
}

static void flows_malformed_refused(void **state)
{
	static const char *const bad[] = {
		"flows = ( { peer_port = 22; } );",			       /* no mode */
		"flows = ( { mode = \"strong\"; } );",			       /* unknown mode */
		"flows = ( { mode = \"esp\"; peer_prot = 22; } );",	       /* a typo */
		"flows = ( { mode = \"esp\"; dscp = 64; } );",		       /* out of range */
		"flows = ( { mode = \"esp\"; dscp = 10; peer_port = 22; } );", /* class and key */
		"flows = ( { mode = \"esp\"; peer_port = 70000; } );",
		"flows = ( { mode = \"esp\"; every = -1; } );",
		"flows = ( { mode = \"esp\"; peer = \"10.0.0\"; } );",
		"flows = ( { mode = \"esp\"; proto = \"sctp\"; } );",
		"flows = ( { mode = \"esp\"; accept = \"all\"; } );",
		"flows = ( { mode = \"esp\"; dscp = 10; }, { dscp = 10; mode = \"plain\"; } );",
		"flows = ( { mode = \"esp\"; peer_port = 22; }, { mode = \"plain\"; peer_port = 22; } );",
		"flows = ( 1 );",
		"flows = { mode = \"esp\"; };",
	};
	struct keyd_flow *v;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &v, &n) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_null(v);
	}
}

/* A recording map: the entries as a sync leaves them. */
struct rec {
	struct keyd_flow e[16];
	int n, puts, dels;
};

static int rec_find(struct rec *r, const struct keyd_flow *e)
{
	for (int i = 0; i < r->n; i++)
		if (r->e[i].by_dscp == e->by_dscp &&
		    (e->by_dscp ? r->e[i].dscp == e->dscp :
				  !memcmp(&r->e[i].key, &e->key, sizeof(e->key))))
			return i;
	return -1;
}

static int rec_put(void *ctx, const struct keyd_flow *e)
{
	struct rec *r = ctx;
	int i = rec_find(r, e);

	r->puts++;
	r->e[i < 0 ? r->n++ : i] = *e;
	return 0;
}

static int rec_del(void *ctx, const struct keyd_flow *e)
{
	struct rec *r = ctx;
	int i = rec_find(r, e);

	r->dels++;
	if (i >= 0)
		r->e[i] = r->e[--r->n];
	return 0;
}

static void flows_reload_writes_changes(void **state)
{
	struct rec r = { .n = 0 };
	struct keyd_flow_ops ops = { rec_put, rec_del, &r };
	struct keyd_flow *a, *b;
	size_t na, nb;

	assert_int_equal(parse("flows = ( { peer_port = 22; proto = \"tcp\"; mode = \"mlesp\"; },"
			       " { dscp = 10; mode = \"esp\"; every = 10; },"
			       " { dscp = 46; mode = \"esp\"; } );",
			       &a, &na),
			 0);
	assert_int_equal(keyd_flows_sync(NULL, 0, a, na, &ops), 3);
	assert_int_equal(r.n, 3);
	/* The same again: nothing written (what was learned or agreed stays). */
	assert_int_equal(keyd_flows_sync(a, na, a, na, &ops), 0);
	assert_int_equal(r.puts, 3);
	/* ssh changed to esp, dscp 46 removed, dscp 12 added, dscp 10 kept. */
	assert_int_equal(parse("flows = ( { peer_port = 22; proto = \"tcp\"; mode = \"esp\"; },"
			       " { dscp = 10; mode = \"esp\"; every = 10; },"
			       " { dscp = 12; mode = \"mlesp\"; } );",
			       &b, &nb),
			 0);
	assert_int_equal(keyd_flows_sync(a, na, b, nb, &ops), 3);
	assert_int_equal(r.puts, 5);
	assert_int_equal(r.dels, 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.e[rec_find(&r, &b[0])].f.mode, MML_MODE_ESP);
	assert_true(rec_find(&r, &a[2]) < 0);
	assert_true(rec_find(&r, &b[2]) >= 0);
	/* All removed. */
	assert_int_equal(keyd_flows_sync(b, nb, NULL, 0, &ops), 3);
	assert_int_equal(r.n, 0);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flows_parsed),
		cmocka_unit_test(flows_malformed_refused),
		cmocka_unit_test(flows_reload_writes_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
