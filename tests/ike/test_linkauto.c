/* The auto flow policy's decisions (keyd/ike/linkauto.c, issue 19): the
 * FA's hysteresis over its SNOOP counters (thresholds, K and M samples, no
 * flapping between or around the thresholds, idle samples, a counter
 * reset), the HA's refusal of a report from an FA serving none of its
 * mobiles, and an auto flow's switches, refusals and probes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "keyd/ike/linkauto.h"

#define S 1000000000ull

static const struct link_hyst_cfg cfg = { .high_ppm = 20000,
					  .low_ppm = 5000,
					  .lossy_samples = 2,
					  .clean_samples = 3,
					  .min_segments = 50 };

/* Cumulative counters fed one sample at a time: lost of segs. */
struct feed {
	struct link_hyst h;
	uint64_t lost, segs;
};

static bool step(struct feed *f, uint64_t lost, uint64_t segs)
{
	f->lost += lost;
	f->segs += segs;
	return link_hyst_sample(&f->h, f->lost, f->segs);
}

static void feed_init(struct feed *f)
{
	*f = (struct feed){ 0 };
	assert_int_equal(link_hyst_init(&f->h, &cfg), 0);
	assert_false(step(f, 0, 0)); /* primes */
}

static void test_cfg_invalid(void **state)
{
	struct link_hyst h;
	struct link_hyst_cfg c = cfg;

	(void)state;
	c.low_ppm = c.high_ppm + 1;
	assert_int_equal(link_hyst_init(&h, &c), -EINVAL);
	c = cfg;
	c.lossy_samples = 0;
	assert_int_equal(link_hyst_init(&h, &c), -EINVAL);
	c = cfg;
	c.high_ppm = 1000001;
	assert_int_equal(link_hyst_init(&h, &c), -EINVAL);
}

/* Lossy after exactly K samples above high, clean after exactly M below low. */
static void test_thresholds(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f);
	assert_int_equal(f.h.state, LINK_UNKNOWN);
	assert_false(step(&f, 3, 100)); /* 30000 ppm: 1 of 2 */
	assert_true(step(&f, 3, 100));
	assert_int_equal(f.h.state, LINK_LOSSY);
	assert_int_equal(f.h.last_ppm, 30000);
	assert_false(step(&f, 5, 100)); /* still lossy: no change */
	assert_false(step(&f, 0, 1000));
	assert_false(step(&f, 0, 1000));
	assert_true(step(&f, 0, 1000));
	assert_int_equal(f.h.state, LINK_CLEAN);
	assert_int_equal(f.h.to_lossy, 1);
	assert_int_equal(f.h.to_clean, 1);
	/* Exactly at a threshold is not beyond it. */
	assert_false(step(&f, 2, 100)); /* 20000 ppm = high */
	assert_false(step(&f, 2, 100));
	assert_false(step(&f, 2, 100));
	assert_int_equal(f.h.state, LINK_CLEAN);
	/* The first judgement of an unknown link can be clean. */
	feed_init(&f);
	assert_false(step(&f, 0, 100));
	assert_false(step(&f, 0, 100));
	assert_true(step(&f, 0, 100));
	assert_int_equal(f.h.state, LINK_CLEAN);
}

/* A rate between the thresholds, or crossing them every other sample,
 * never switches. */
static void test_no_flapping(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f);
	for (int i = 0; i < 3; i++)
		step(&f, 0, 100);
	assert_int_equal(f.h.state, LINK_CLEAN);
	for (int i = 0; i < 100; i++)
		assert_false(step(&f, i % 2 ? 6 : 19, 1000)); /* 6000..19000 ppm */
	for (int i = 0; i < 100; i++)
		assert_false(step(&f, i % 2 ? 3 : 0, 100)); /* 30000, 0, 30000, ... */
	assert_int_equal(f.h.state, LINK_CLEAN);
	/* And once lossy, the same oscillation keeps it lossy. */
	assert_false(step(&f, 10, 1000)); /* between: the run starts over */
	assert_false(step(&f, 5, 100));
	assert_true(step(&f, 5, 100));
	for (int i = 0; i < 100; i++)
		assert_false(step(&f, i % 2 ? 3 : 0, 100));
	for (int i = 0; i < 100; i++)
		assert_false(step(&f, i % 2 ? 6 : 19, 1000));
	assert_int_equal(f.h.state, LINK_LOSSY);
	assert_int_equal(f.h.to_lossy, 1);
	assert_int_equal(f.h.to_clean, 1);
}

/* Too few segments (an idle link, or flows the FA cannot read) neither
 * judges nor breaks a run; a counter going down starts over. */
static void test_idle_and_reset(void **state)
{
	struct feed f;

	(void)state;
	feed_init(&f);
	assert_false(step(&f, 5, 100));
	assert_false(step(&f, 10, 49)); /* idle: would be lossy */
	assert_false(step(&f, 0, 0));
	assert_int_equal(f.h.idle, 2);
	assert_true(step(&f, 5, 100)); /* the run went on */
	/* The worker restarted: its counters start at zero. */
	assert_false(link_hyst_sample(&f.h, 0, 10));
	assert_false(link_hyst_sample(&f.h, 0, 110));
	assert_false(link_hyst_sample(&f.h, 0, 210));
	assert_true(link_hyst_sample(&f.h, 0, 310));
	assert_int_equal(f.h.state, LINK_CLEAN);
}

/* HA: a report is taken only from an FA that serves one of our mobiles. */
static void test_ha_refuses_non_serving(void **state)
{
	struct link_ha t = { 0 };

	(void)state;
	assert_int_equal(link_ha_report(&t, 0x0a000001, LINK_CLEAN, false), -EPERM);
	assert_int_equal(link_ha_state(&t, 0x0a000001), LINK_UNKNOWN);
	assert_int_equal(t.refused, 1);
	assert_int_equal(link_ha_report(&t, 0x0a000002, LINK_CLEAN, true), 0);
	assert_int_equal(link_ha_state(&t, 0x0a000002), LINK_CLEAN);
	/* The other FA's claim does not touch the serving FA's link. */
	assert_int_equal(link_ha_report(&t, 0x0a000001, LINK_LOSSY, false), -EPERM);
	assert_int_equal(link_ha_state(&t, 0x0a000002), LINK_CLEAN);
	assert_int_equal(link_ha_report(&t, 0x0a000002, LINK_LOSSY, true), 0);
	assert_int_equal(link_ha_state(&t, 0x0a000002), LINK_LOSSY);
	assert_int_equal(link_ha_report(&t, 0x0a000002, 7, true), -EINVAL);
	assert_int_equal(t.taken, 2);
	assert_int_equal(t.to_clean, 1);
	assert_int_equal(t.to_lossy, 1);
	link_ha_forget(&t, 0x0a000002);
	assert_int_equal(link_ha_state(&t, 0x0a000002), LINK_UNKNOWN);
	for (uint32_t i = 1; i <= LINK_HA_MAX; i++)
		assert_int_equal(link_ha_report(&t, 0x0b000000 + i, LINK_CLEAN, true), 0);
	assert_int_equal(link_ha_report(&t, 0x0c000000, LINK_CLEAN, true), -ENOSPC);
}

static const struct link_auto_cfg acfg = { .probe_every_s = 30, .probe_s = 4, .retry_s = 5 };

/* Unknown and lossy keep ML-ESP; clean asks for ESP; a refusal waits
 * retry_s; lossy goes back up at once. */
static void test_auto_switches(void **state)
{
	struct link_auto a = { .used = true, .mode = MML_MODE_MLESP };
	uint64_t t = 100 * S;

	(void)state;
	assert_int_equal(link_auto_step(&a, &acfg, LINK_UNKNOWN, t), -1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_LOSSY, t), -1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t), MML_MODE_ESP);
	link_auto_asked(&a, MML_MODE_ESP, 7, t, &acfg);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t), -1); /* one at a time */
	link_auto_done(&a, false, true, t, &acfg);			/* the MH refused */
	assert_int_equal(a.mode, MML_MODE_MLESP);
	assert_int_equal(a.refused, 1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + 4 * S), -1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + 5 * S), MML_MODE_ESP);
	t += 5 * S;
	link_auto_asked(&a, MML_MODE_ESP, 8, t, &acfg);
	link_auto_done(&a, true, false, t, &acfg);
	assert_int_equal(a.mode, MML_MODE_ESP);
	assert_int_equal(a.to_esp, 1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + S), -1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_LOSSY, t + S), MML_MODE_MLESP);
	link_auto_asked(&a, MML_MODE_MLESP, 9, t + S, &acfg);
	link_auto_done(&a, false, false, t + S, &acfg); /* unanswered: in force all the same */
	assert_int_equal(a.mode, MML_MODE_MLESP);
	assert_int_equal(a.to_mlesp, 1);
	assert_int_equal(a.failed, 1);
	/* A request that could not start waits too. */
	t += 20 * S;
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t), MML_MODE_ESP);
	link_auto_asked(&a, MML_MODE_ESP, 0, t, &acfg);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + S), -1);
}

/* On a clean link an ESP flow probes: ML-ESP for probe_s every
 * probe_every_s, back to ESP unless the link turned lossy meanwhile. */
static void test_auto_probe(void **state)
{
	struct link_auto a = { .used = true, .mode = MML_MODE_MLESP };
	struct link_auto_cfg never = acfg;
	uint64_t t = 10 * S;

	(void)state;
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t), MML_MODE_ESP);
	link_auto_asked(&a, MML_MODE_ESP, 1, t, &acfg);
	link_auto_done(&a, true, false, t, &acfg);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + 29 * S), -1);
	t += 30 * S;
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t), MML_MODE_MLESP);
	assert_int_equal(a.probes, 1);
	link_auto_asked(&a, MML_MODE_MLESP, 2, t, &acfg);
	link_auto_done(&a, true, false, t, &acfg);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + 3 * S), -1);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t + 4 * S), MML_MODE_ESP);
	link_auto_asked(&a, MML_MODE_ESP, 3, t + 4 * S, &acfg);
	link_auto_done(&a, true, false, t + 4 * S, &acfg);
	/* The next probe finds losses: ML-ESP stays. */
	t += 34 * S;
	assert_int_equal(link_auto_step(&a, &acfg, LINK_CLEAN, t), MML_MODE_MLESP);
	link_auto_asked(&a, MML_MODE_MLESP, 4, t, &acfg);
	link_auto_done(&a, true, false, t, &acfg);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_LOSSY, t + 2 * S), -1);
	assert_int_equal(a.probe_until, 0);
	assert_int_equal(link_auto_step(&a, &acfg, LINK_LOSSY, t + 60 * S), -1);
	assert_int_equal(a.mode, MML_MODE_MLESP);
	/* probe_every_s 0: never. */
	never.probe_every_s = 0;
	a = (struct link_auto){ .used = true, .mode = MML_MODE_ESP };
	assert_int_equal(link_auto_step(&a, &never, LINK_CLEAN, 1000 * S), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_invalid),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_no_flapping),
		cmocka_unit_test(test_idle_and_reset),
		cmocka_unit_test(test_ha_refuses_non_serving),
		cmocka_unit_test(test_auto_switches),
		cmocka_unit_test(test_auto_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
