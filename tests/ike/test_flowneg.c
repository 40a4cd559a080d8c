/* Flow modes by agreement (keyd/ike/flowneg.c, issue 19): what each end
 * writes into a flow table, and when, over a table in memory and a set
 * clock: the initiator's downgrade (accepting the new mode before asking,
 * switching on the answer), the responder's policy, refusals undoing the
 * change, an upgrade in force at once, the settle time, expiry back to the
 * entry before at both ends, the IKE SA's end and a busy window. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/flowneg.h"
#include "keyd/ike/ike_const.h"

#define S 1000000000ull
#define TAB_MAX 8

struct tab {
	struct mml_flow_key k[TAB_MAX];
	struct mml_flow f[TAB_MAX];
	bool used[TAB_MAX];
	unsigned int changes;
};

static int find(struct tab *t, const struct mml_flow_key *k)
{
	for (int i = 0; i < TAB_MAX; i++)
		if (t->used[i] && !memcmp(&t->k[i], k, sizeof(*k)))
			return i;
	return -1;
}

static int t_get(void *ctx, const struct mml_flow_key *k, struct mml_flow *f)
{
	int i = find(ctx, k);

	if (i < 0)
		return -ENOENT;
	*f = ((struct tab *)ctx)->f[i];
	return 0;
}

/* Exact, then the default entry (the shapes between are the glue's). */
static int t_match(void *ctx, const struct mml_flow_key *k, struct mml_flow *f)
{
	const struct mml_flow_key any = { 0 };

	return t_get(ctx, k, f) ? t_get(ctx, &any, f) : 0;
}

static int t_put(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f)
{
	struct tab *t = ctx;
	int i = find(t, k);

	for (int j = 0; i < 0 && j < TAB_MAX; j++)
		if (!t->used[j])
			i = j;
	assert_true(i >= 0);
	t->used[i] = true;
	t->k[i] = *k;
	t->f[i] = *f;
	return 0;
}

static int t_del(void *ctx, const struct mml_flow_key *k)
{
	struct tab *t = ctx;
	int i = find(t, k);

	if (i < 0)
		return -ENOENT;
	t->used[i] = false;
	return 0;
}

static void t_changed(void *ctx, const struct mml_flow_key *k)
{
	(void)k;
	((struct tab *)ctx)->changes++;
}

/* Two ends: the MH (initiator here) and the HA, each with its table. */
struct ends {
	struct tab mh_tab, ha_tab;
	struct flowneg_table mh, ha;
};

static const struct mml_flow_key KEY = {
	.home_addr = 0x0a0a0a0a, .peer_addr = 0x0102a8c0, .home_port = 9001, .proto = 6
};

static void ends_init(struct ends *e, uint8_t ha_min, const struct mml_flow *start)
{
	struct flowneg_map m = {
		.get = t_get, .match = t_match, .put = t_put, .del = t_del, .changed = t_changed
	};

	memset(e, 0, sizeof(*e));
	m.ctx = &e->mh_tab;
	flowneg_init(&e->mh, &m, MML_MODE_MLESP);
	m.ctx = &e->ha_tab;
	flowneg_init(&e->ha, &m, ha_min);
	if (start) {
		t_put(&e->mh_tab, &KEY, start);
		t_put(&e->ha_tab, &KEY, start);
	}
}

/* The entry of KEY: "mode/every/flags", or "none". */
static const char *entry(struct tab *t)
{
	static char buf[32];
	struct mml_flow f;

	if (t_get(t, &KEY, &f))
		return "none";
	snprintf(buf, sizeof(buf), "%u/%u/%u", f.mode, f.every_n, f.flags);
	return buf;
}

/* The MH asks; the request reaches the HA, whose answer reaches the MH. */
static uint16_t exchange(struct ends *e, uint64_t now, uint64_t id)
{
	struct mlike_flow_mode_pl fm;
	struct flowneg *r = flowneg_next_queued(&e->mh);
	uint16_t answer;

	assert_non_null(r);
	assert_int_equal(r->id, id);
	flowneg_to_pl(r, &fm);
	flowneg_sent(&e->mh, r, 0, now);
	assert_int_equal(r->state, FN_ASKING);
	answer = flowneg_peer(&e->ha, &fm, now);
	flowneg_answer(&e->mh, &fm, answer, now);
	return answer;
}

static void downgrade_agreed(void **state)
{
	const struct mml_flow mlesp = { .mode = MML_MODE_MLESP };
	struct ends e;
	uint64_t id;

	(void)state;
	ends_init(&e, MML_MODE_PLAIN, &mlesp);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_ESP, 0, 0, 10 * S, &id), 0);
	/* Before asking: still ML-ESP, ESP accepted already. */
	assert_string_equal(entry(&e.mh_tab), "2/0/1");
	assert_int_equal(flowneg_result(&e.mh, id)->state, FNR_PENDING);
	assert_int_equal(exchange(&e, 10 * S, id), 0);
	assert_string_equal(entry(&e.mh_tab), "1/0/0");
	assert_string_equal(entry(&e.ha_tab), "1/0/0");
	assert_int_equal(flowneg_result(&e.mh, id)->state, FNR_AGREED);
	assert_int_equal(e.mh.agreed, 1);
	assert_int_equal(e.ha.peer_agreed, 1);
	/* No duration: the records end after the settle time. */
	assert_int_not_equal(flowneg_tick(&e.mh, 11 * S), 0);
	assert_int_equal(flowneg_tick(&e.mh, 10 * S + FLOWNEG_SETTLE_NS), 0);
	assert_int_equal(flowneg_tick(&e.ha, 10 * S + FLOWNEG_SETTLE_NS), 0);
	assert_string_equal(entry(&e.mh_tab), "1/0/0");
	assert_string_equal(entry(&e.ha_tab), "1/0/0");
	assert_true(e.mh_tab.changes >= 2 && e.ha_tab.changes >= 1);

	/* Further down, to every 10th: plaintext in between. */
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_MLESP, 10, 0, 20 * S, &id), 0);
	assert_string_equal(entry(&e.mh_tab), "1/0/2");
	assert_int_equal(exchange(&e, 20 * S, id), 0);
	assert_string_equal(entry(&e.mh_tab), "2/10/0");
	assert_string_equal(entry(&e.ha_tab), "2/10/0");
}

static void refused_below_policy(void **state)
{
	const struct mml_flow mlesp = { .mode = MML_MODE_MLESP, .spi = 0x1234 };
	struct mlike_flow_mode_pl fm;
	struct ends e;
	uint64_t id;

	(void)state;
	ends_init(&e, MML_MODE_ESP, &mlesp);
	/* ESP is allowed, every 10th (plaintext between) is not. */
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_MLESP, 10, 0, S, &id), 0);
	assert_string_equal(entry(&e.mh_tab), "2/0/2");
	assert_int_equal(exchange(&e, S, id), MLIKE_N_FLOW_MODE_REFUSED);
	/* Both as before, the SPI override too. */
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
	assert_string_equal(entry(&e.ha_tab), "2/0/0");
	assert_int_equal(e.mh_tab.f[find(&e.mh_tab, &KEY)].spi, 0x1234);
	assert_int_equal(flowneg_result(&e.mh, id)->state, FNR_REFUSED);
	assert_int_equal(flowneg_result(&e.mh, id)->notify, MLIKE_N_FLOW_MODE_REFUSED);
	assert_int_equal(e.ha.peer_refused, 1);
	assert_int_equal(e.mh.refused, 1);
	assert_int_equal(flowneg_tick(&e.mh, 2 * S), 0);

	/* Plaintext refused too; ESP agreed. */
	fm = (struct mlike_flow_mode_pl){ .home_addr = KEY.home_addr,
					  .peer_addr = KEY.peer_addr,
					  .home_port = KEY.home_port,
					  .proto = KEY.proto,
					  .mode = MML_MODE_PLAIN };
	assert_int_equal(flowneg_peer(&e.ha, &fm, 3 * S), MLIKE_N_FLOW_MODE_REFUSED);
	assert_string_equal(entry(&e.ha_tab), "2/0/0");
	fm.mode = MML_MODE_ESP;
	assert_int_equal(flowneg_peer(&e.ha, &fm, 3 * S), 0);
	assert_string_equal(entry(&e.ha_tab), "1/0/0");
	/* Malformed content never gets written. */
	fm.mode = 3;
	assert_int_equal(flowneg_peer(&e.ha, &fm, 3 * S), IKE_N_INVALID_SYNTAX);
	fm.mode = MML_MODE_PLAIN;
	fm.every_n = 5;
	assert_int_equal(flowneg_peer(&e.ha, &fm, 3 * S), IKE_N_INVALID_SYNTAX);
	assert_string_equal(entry(&e.ha_tab), "1/0/0");
	/* The default policy: no downgrade at all. */
	ends_init(&e, MML_MODE_MLESP, &mlesp);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_ESP, 0, 0, S, &id), 0);
	assert_int_equal(exchange(&e, S, id), MLIKE_N_FLOW_MODE_REFUSED);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
}

static void expiry_reverts(void **state)
{
	const struct mml_flow mlesp = { .mode = MML_MODE_MLESP };
	struct ends e;
	uint64_t id;

	(void)state;
	ends_init(&e, MML_MODE_PLAIN, &mlesp);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_ESP, 0, 30, 10 * S, &id), 0);
	assert_int_equal(exchange(&e, 10 * S, id), 0);
	/* Held for 30 s: settled, then the timers point at the expiry. */
	assert_int_equal(flowneg_tick(&e.mh, 13 * S), 40 * S);
	assert_int_equal(flowneg_tick(&e.ha, 13 * S), 40 * S);
	assert_string_equal(entry(&e.mh_tab), "1/0/0");
	assert_int_equal(flowneg_tick(&e.mh, 39 * S), 40 * S);
	/* Expired: back to ML-ESP, ESP accepted until settled (the other
	 * end's timer is not exactly ours). */
	flowneg_tick(&e.mh, 40 * S);
	assert_string_equal(entry(&e.mh_tab), "2/0/1");
	flowneg_tick(&e.ha, 41 * S);
	assert_string_equal(entry(&e.ha_tab), "2/0/1");
	assert_int_equal(flowneg_tick(&e.mh, 40 * S + FLOWNEG_SETTLE_NS), 0);
	assert_int_equal(flowneg_tick(&e.ha, 41 * S + FLOWNEG_SETTLE_NS), 0);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
	assert_string_equal(entry(&e.ha_tab), "2/0/0");
	assert_int_equal(e.mh.expired, 1);
	assert_int_equal(e.ha.expired, 1);

	/* Without an entry of its own before: the default's mode again, the
	 * exact entry gone after the settle time. */
	ends_init(&e, MML_MODE_PLAIN, NULL);
	t_put(&e.mh_tab, &(struct mml_flow_key){ 0 }, &mlesp);
	t_put(&e.ha_tab, &(struct mml_flow_key){ 0 }, &mlesp);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_PLAIN, 0, 5, 0, &id), 0);
	assert_string_equal(entry(&e.mh_tab), "2/0/2");
	assert_int_equal(exchange(&e, 0, id), 0);
	assert_string_equal(entry(&e.ha_tab), "0/0/0");
	flowneg_tick(&e.mh, 5 * S);
	flowneg_tick(&e.ha, 5 * S);
	assert_string_equal(entry(&e.mh_tab), "2/0/2");
	assert_string_equal(entry(&e.ha_tab), "2/0/2");
	flowneg_tick(&e.mh, 5 * S + FLOWNEG_SETTLE_NS);
	flowneg_tick(&e.ha, 5 * S + FLOWNEG_SETTLE_NS);
	assert_string_equal(entry(&e.mh_tab), "none");
	assert_string_equal(entry(&e.ha_tab), "none");
}

static void upgrade_at_once(void **state)
{
	const struct mml_flow esp = { .mode = MML_MODE_ESP };
	struct ends e;
	uint64_t id;

	(void)state;
	ends_init(&e, MML_MODE_MLESP, &esp);
	/* In force before any answer, ESP still accepted. */
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_MLESP, 0, 0, S, &id), 0);
	assert_string_equal(entry(&e.mh_tab), "2/0/1");
	assert_true(flowneg_result(&e.mh, id)->upgrade);
	/* The strictest policy takes an upgrade. */
	assert_int_equal(exchange(&e, S, id), 0);
	assert_string_equal(entry(&e.ha_tab), "2/0/1");
	assert_string_equal(entry(&e.mh_tab), "2/0/1");
	flowneg_tick(&e.mh, S + FLOWNEG_SETTLE_NS);
	flowneg_tick(&e.ha, S + FLOWNEG_SETTLE_NS);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
	assert_string_equal(entry(&e.ha_tab), "2/0/0");
	/* Refused or unanswered, an upgrade stays. */
	ends_init(&e, MML_MODE_MLESP, &esp);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_MLESP, 0, 0, S, &id), 0);
	flowneg_sent(&e.mh, flowneg_next_queued(&e.mh), -EIO, S);
	assert_int_equal(flowneg_result(&e.mh, id)->state, FNR_FAILED);
	flowneg_tick(&e.mh, S + FLOWNEG_SETTLE_NS);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
}

static void sa_down_and_busy(void **state)
{
	const struct mml_flow mlesp = { .mode = MML_MODE_MLESP };
	struct ends e;
	uint64_t id, id2;
	struct flowneg *r;

	(void)state;
	ends_init(&e, MML_MODE_PLAIN, &mlesp);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_ESP, 0, 0, S, &id), 0);
	r = flowneg_next_queued(&e.mh);
	flowneg_sent(&e.mh, r, 0, S);
	/* A second change of the same flow waits for the first. */
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_PLAIN, 0, 0, S, &id2), -EBUSY);
	/* Another mobile's IKE SA: nothing happens. */
	flowneg_sa_down(&e.mh, 0x0b0b0b0b, S);
	assert_int_equal(r->state, FN_ASKING);
	flowneg_sa_down(&e.mh, KEY.home_addr, S);
	assert_int_equal(flowneg_result(&e.mh, id)->state, FNR_FAILED);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
	/* A late answer for it changes nothing. */
	flowneg_answer(&e.mh,
		       &(struct mlike_flow_mode_pl){ .home_addr = KEY.home_addr,
						     .peer_addr = KEY.peer_addr,
						     .home_port = KEY.home_port,
						     .proto = KEY.proto,
						     .mode = MML_MODE_ESP },
		       0, 2 * S);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");

	/* The window busy: queued until the bound, then failed and undone. */
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_ESP, 0, 0, 10 * S, &id), 0);
	r = flowneg_next_queued(&e.mh);
	flowneg_sent(&e.mh, r, -EBUSY, 10 * S);
	assert_int_equal(r->state, FN_QUEUED);
	assert_int_equal(flowneg_tick(&e.mh, 11 * S), 10 * S + FLOWNEG_QUEUE_NS);
	flowneg_tick(&e.mh, 10 * S + FLOWNEG_QUEUE_NS);
	assert_int_equal(flowneg_result(&e.mh, id)->state, FNR_FAILED);
	assert_string_equal(entry(&e.mh_tab), "2/0/0");
	assert_null(flowneg_next_queued(&e.mh));
	/* Bad requests of ours are refused before anything is written. */
	assert_int_equal(flowneg_start(&e.mh, &(struct mml_flow_key){ .proto = 6 }, MML_MODE_ESP, 0,
				       0, S, &id),
			 -EINVAL);
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_PLAIN, 10, 0, S, &id), -EINVAL);
	assert_int_equal(flowneg_result(&e.mh, 999), NULL);
}

/* Both ends ask at once: the responder refuses while its own is out. */
static void collision(void **state)
{
	const struct mml_flow mlesp = { .mode = MML_MODE_MLESP };
	struct mlike_flow_mode_pl fm;
	struct ends e;
	uint64_t id;

	(void)state;
	ends_init(&e, MML_MODE_PLAIN, &mlesp);
	e.mh.min_mode = MML_MODE_PLAIN;
	assert_int_equal(flowneg_start(&e.mh, &KEY, MML_MODE_ESP, 0, 0, S, &id), 0);
	flowneg_to_pl(flowneg_next_queued(&e.mh), &fm);
	flowneg_sent(&e.mh, flowneg_next_queued(&e.mh), 0, S);
	assert_int_equal(flowneg_peer(&e.mh, &fm, S), IKE_N_TEMPORARY_FAILURE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(downgrade_agreed), cmocka_unit_test(refused_below_policy),
		cmocka_unit_test(expiry_reverts),   cmocka_unit_test(upgrade_at_once),
		cmocka_unit_test(sa_down_and_busy), cmocka_unit_test(collision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
