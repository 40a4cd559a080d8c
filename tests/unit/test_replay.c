/* Anti-replay window (RFC 4303 3.4.3) and outbound sequence numbers. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/esp.h"
#include "lib/mlesp.h"
#include "lib/replay.h"
#include "lib/seq.h"
#include "tests/unit/fixtures.h"

static int accept(struct mml_replay *r, uint32_t seq)
{
	int err = mml_replay_check(r, seq);

	if (!err)
		err = mml_replay_update(r, seq);
	return err;
}

static void in_order_and_duplicates(void **state)
{
	struct mml_replay r;

	assert_int_equal(mml_replay_init(&r, 0), 0);
	assert_int_equal(r.size, MML_REPLAY_WINDOW_DEFAULT);
	assert_int_equal(accept(&r, 0), -MML_E_REPLAY); /* never sent */
	for (uint32_t s = 1; s <= 5000; s++)
		assert_int_equal(accept(&r, s), 0);
	for (uint32_t s = 5000 - 1023; s <= 5000; s++)
		assert_int_equal(accept(&r, s), -MML_E_REPLAY);
	mml_replay_free(&r);
}

/* SNOOP retransmits old segments locally: anything not yet seen inside the
 * window is accepted, once. */
static void out_of_order_inside_window(void **state)
{
	struct mml_replay r;

	assert_int_equal(mml_replay_init(&r, 1024), 0);
	for (uint32_t s = 2; s <= 3000; s += 2)
		assert_int_equal(accept(&r, s), 0);
	/* top 3000: 1977..3000 is the window. */
	assert_int_equal(accept(&r, 1977), 0);
	assert_int_equal(accept(&r, 1977), -MML_E_REPLAY);
	assert_int_equal(accept(&r, 1975), -MML_E_REPLAY); /* left of the window */
	for (uint32_t s = 1979; s < 3000; s += 2)
		assert_int_equal(accept(&r, s), 0);
	for (uint32_t s = 1977; s <= 3000; s++)
		assert_int_equal(mml_replay_check(&r, s), -MML_E_REPLAY);
	mml_replay_free(&r);
}

static void window_edges(void **state)
{
	struct mml_replay r;

	assert_int_equal(mml_replay_init(&r, 2048), 0);
	assert_int_equal(accept(&r, 10000), 0);
	assert_int_equal(mml_replay_check(&r, 10000 - 2047), 0); /* oldest in window */
	assert_int_equal(mml_replay_check(&r, 10000 - 2048), -MML_E_REPLAY);
	/* Numbers below the first one received but inside the window count. */
	assert_int_equal(accept(&r, 9000), 0);
	mml_replay_free(&r);
}

/* A jump far beyond the window forgets everything before it. */
static void huge_jump(void **state)
{
	struct mml_replay r;

	assert_int_equal(mml_replay_init(&r, 1024), 0);
	for (uint32_t s = 1; s <= 100; s++)
		assert_int_equal(accept(&r, s), 0);
	assert_int_equal(accept(&r, 0xfffffff0u), 0);
	assert_int_equal(mml_replay_check(&r, 100), -MML_E_REPLAY);
	for (uint32_t s = 0xfffffff0u - 1023; s < 0xfffffff0u; s++)
		assert_int_equal(accept(&r, s), 0); /* stale bits were cleared */
	assert_int_equal(accept(&r, 0xfffffffeu), 0);
	assert_int_equal(accept(&r, 0xfffffffeu), -MML_E_REPLAY);
	mml_replay_free(&r);
}

/* Jumps of every size around the ring's word boundaries against a simple
 * reference model. */
static void matches_reference_model(void **state)
{
	static uint8_t seen[1 << 16];
	struct mml_replay r;
	uint32_t top = 0, x = 12345;

	memset(seen, 0, sizeof(seen));
	assert_int_equal(mml_replay_init(&r, 1024), 0);
	for (int i = 0; i < 200000; i++) {
		uint32_t seq;
		int want;

		x = x * 1103515245 + 12345;
		seq = top > 1500 ? top - 1500 + (x >> 8) % 1700 : 1 + (x >> 8) % 1700;
		if (seq >= sizeof(seen))
			break;
		want = seq == 0 || (seq <= top && (top - seq >= 1024 || seen[seq])) ?
			       -MML_E_REPLAY :
			       0;
		assert_int_equal(accept(&r, seq), want);
		if (!want) {
			seen[seq] = 1;
			if (seq > top)
				top = seq;
		}
	}
	mml_replay_free(&r);
}

static void window_size_limits(void **state)
{
	struct mml_replay r;

	assert_int_equal(mml_replay_init(&r, 1000), -EINVAL); /* below 1024 */
	assert_int_equal(mml_replay_init(&r, 70000), -EINVAL);
	assert_int_equal(mml_replay_init(&r, 1030), 0);
	assert_int_equal(r.size, 1088); /* rounded up to 64 */
	mml_replay_free(&r);
}

/* A forged packet with a high sequence number must not move the window. */
static void window_moves_only_after_authentication(void **state)
{
	struct csa_spec spec = { MML_FMT_MLESP, 40, MML_ALG_CHACHA20_POLY1305, 0 };
	uint8_t inner[100], first[300], forged[300], esp[300], *out;
	struct sa_set s;
	ssize_t n1, n2;

	fixture_sas(&s, &spec);
	fixture_inner(inner, sizeof(inner), 1);
	n1 = mml_mlesp_encap(&s.out, inner, sizeof(inner), first, sizeof(first));
	mml_seq_resume(&s.out.seq, 5000000);
	n2 = mml_mlesp_encap(&s.out, inner, sizeof(inner), forged, sizeof(forged));
	forged[n2 - 1] ^= 1;
	assert_int_equal(mml_mlesp_decap(&s.in, forged, (size_t)n2, &out), -MML_E_AUTH_ZONE2);
	memcpy(esp, first, (size_t)n1);
	assert_int_equal(mml_mlesp_decap(&s.in, esp, (size_t)n1, &out), sizeof(inner));
	memcpy(esp, first, (size_t)n1);
	assert_int_equal(mml_mlesp_decap(&s.in, esp, (size_t)n1, &out), -MML_E_REPLAY);
	fixture_sas_free(&s);
}

static void seq_starts_at_one_and_never_wraps(void **state)
{
	struct mml_seq q;
	uint32_t seq = 0;

	assert_int_equal(mml_seq_init(&q, 0, 0), 0);
	assert_int_equal(mml_seq_next(&q, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(mml_seq_next(&q, &seq), 0);
	assert_int_equal(seq, 2);

	/* Defaults: rekey wanted past 2^31, nothing after 0xfffffffe. */
	mml_seq_resume(&q, MML_SEQ_SOFT_DEFAULT - 1);
	assert_int_equal(mml_seq_next(&q, &seq), 0);
	assert_int_equal(seq, 0x80000000u);
	assert_int_equal(mml_seq_next(&q, &seq), MML_SEQ_REKEY);
	mml_seq_resume(&q, 0xfffffffdu);
	assert_int_equal(mml_seq_next(&q, &seq), MML_SEQ_REKEY);
	assert_int_equal(seq, 0xfffffffeu);
	seq = 7;
	for (int i = 0; i < 10; i++)
		assert_int_equal(mml_seq_next(&q, &seq), -MML_E_SEQ_EXHAUSTED);
	assert_int_equal(seq, 7); /* no number handed out */
}

static void seq_custom_limits(void **state)
{
	struct mml_seq q;
	uint32_t seq;

	assert_int_equal(mml_seq_init(&q, 10, 5), -EINVAL);
	assert_int_equal(mml_seq_init(&q, 1, 0x100000000ULL), -EINVAL);
	assert_int_equal(mml_seq_init(&q, 3, 5), 0);
	for (uint32_t want = 1; want <= 5; want++) {
		assert_int_equal(mml_seq_next(&q, &seq), want > 3 ? MML_SEQ_REKEY : 0);
		assert_int_equal(seq, want);
	}
	assert_int_equal(mml_seq_next(&q, &seq), -MML_E_SEQ_EXHAUSTED);
}

/* The SA raises rekey_wanted and refuses to encapsulate at the hard limit. */
static void sa_refuses_to_send_past_hard_limit(void **state)
{
	struct csa_spec spec = { MML_FMT_ESP, 0, MML_ALG_AES256_GCM, 0 };
	struct mml_csa csa = fixture_csa(&spec, MML_DIR_OUT);
	uint8_t inner[40], esp[200];
	struct mml_sa sa;

	csa.soft_packets = 2;
	csa.hard_packets = 3;
	assert_int_equal(mml_sa_init(&sa, &csa, NULL, 0), 0);
	fixture_inner(inner, sizeof(inner), 1);
	assert_true(mml_esp_encap(&sa, inner, sizeof(inner), esp, sizeof(esp)) > 0);
	assert_true(mml_esp_encap(&sa, inner, sizeof(inner), esp, sizeof(esp)) > 0);
	assert_false(atomic_load(&sa.rekey_wanted));
	assert_true(mml_esp_encap(&sa, inner, sizeof(inner), esp, sizeof(esp)) > 0);
	assert_true(atomic_load(&sa.rekey_wanted));
	assert_int_equal(mml_esp_encap(&sa, inner, sizeof(inner), esp, sizeof(esp)),
			 -MML_E_SEQ_EXHAUSTED);
	mml_sa_free(&sa);
}

/* Issue 18 item 5: one window shared by worker threads. Four threads
 * offer the same numbers (each in its own order, with duplicates); every
 * number inside the window is accepted exactly once in all, whatever the
 * interleaving: update() re-checks under the window's lock. */
#define RACE_THREADS 4
#define RACE_SEQS 20000

struct race {
	struct mml_replay *r;
	unsigned int seed;
	long accepted;
};

static void offer(struct race *x, uint32_t seq)
{
	if (!mml_replay_check(x->r, seq) && !mml_replay_update(x->r, seq))
		x->accepted++;
}

/* Each thread offers every number, each followed by a recent one again
 * (a duplicate, or one another thread has not reached yet). */
static void *race_run(void *arg)
{
	struct race *x = arg;

	for (uint32_t seq = 1; seq <= RACE_SEQS; seq++) {
		uint32_t back = (uint32_t)(rand_r(&x->seed) % 8);

		offer(x, seq);
		offer(x, seq > back ? seq - back : seq);
	}
	return NULL;
}

static void shared_window_accepts_each_number_once(void **state)
{
	pthread_t tid[RACE_THREADS];
	struct race x[RACE_THREADS];
	struct mml_replay r;
	long total = 0;

	assert_int_equal(mml_replay_init(&r, 65536), 0); /* all numbers inside */
	for (int i = 0; i < RACE_THREADS; i++) {
		x[i] = (struct race){ &r, (unsigned int)i + 1, 0 };
		assert_int_equal(pthread_create(&tid[i], NULL, race_run, &x[i]), 0);
	}
	for (int i = 0; i < RACE_THREADS; i++) {
		pthread_join(tid[i], NULL);
		total += x[i].accepted;
	}
	assert_int_equal(total, RACE_SEQS);
	for (uint32_t s = 1; s <= RACE_SEQS; s++)
		assert_int_equal(mml_replay_update(&r, s), -MML_E_REPLAY);
	mml_replay_free(&r);
}

/* After a restart the window starts above the persisted mark: everything at
 * or below it is refused, newer numbers (also those in the mark's own
 * 64-bit word) are accepted once. The mark follows the top. */
static void start_after_mark(void **state)
{
	_Atomic uint64_t mark = 0;
	struct mml_replay r;

	assert_int_equal(mml_replay_init(&r, 1024), 0);
	mml_replay_start_after(&r, 1000);
	for (uint32_t s = 1; s <= 1000; s++)
		assert_int_equal(mml_replay_check(&r, s), -MML_E_REPLAY);
	r.mark = &mark;
	assert_int_equal(accept(&r, 1005), 0);
	assert_int_equal(atomic_load(&mark), 1005);
	assert_int_equal(accept(&r, 1001), 0); /* same word as 1000, never seen */
	assert_int_equal(accept(&r, 1001), -MML_E_REPLAY);
	assert_int_equal(accept(&r, 1000), -MML_E_REPLAY);
	assert_int_equal(accept(&r, 5000), 0);
	assert_int_equal(accept(&r, 4000), 0); /* the ring cleared on the slide */
	assert_int_equal(atomic_load(&mark), 5000);
	mml_replay_start_after(&r, 63); /* the last bit of a word */
	assert_int_equal(accept(&r, 63), -MML_E_REPLAY);
	assert_int_equal(accept(&r, 64), 0);
	mml_replay_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_and_duplicates),
		cmocka_unit_test(out_of_order_inside_window),
		cmocka_unit_test(window_edges),
		cmocka_unit_test(huge_jump),
		cmocka_unit_test(matches_reference_model),
		cmocka_unit_test(window_size_limits),
		cmocka_unit_test(window_moves_only_after_authentication),
		cmocka_unit_test(seq_starts_at_one_and_never_wraps),
		cmocka_unit_test(seq_custom_limits),
		cmocka_unit_test(sa_refuses_to_send_past_hard_limit),
		cmocka_unit_test(shared_window_accepts_each_number_once),
		cmocka_unit_test(start_after_mark),
	};

	return cmocka_run_group_tests_name("replay+seq", tests, NULL, NULL);
}
