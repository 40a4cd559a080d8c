/* The SNOOP state machine with scripted segment/ACK sequences: what it
 * forwards, caches, retransmits, suppresses and frees, and its timers. */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/snoop.h"

#define MS 1000000ULL
#define MSS 1000

struct record {
	uint64_t xmit[256];
	int n_xmit;
	uint64_t released[4096];
	int n_released;
};

static void rec_xmit(void *ctx, uint64_t frame, uint32_t frame_len)
{
	struct record *r = ctx;

	assert_true(frame_len > 0);
	assert_true(r->n_xmit < 256);
	r->xmit[r->n_xmit++] = frame;
}

static void rec_release(void *ctx, uint64_t frame)
{
	struct record *r = ctx;

	assert_true(r->n_released < 4096);
	r->released[r->n_released++] = frame;
}

struct bed {
	struct snoop s;
	struct record rec;
	struct snoop_key key;
	uint32_t isn;
};

static struct bed *bed_new(uint32_t isn, void (*tune)(struct snoop_cfg *))
{
	struct bed *b = test_calloc(1, sizeof(*b));
	struct snoop_ops ops = { .xmit = rec_xmit, .release = rec_release, .ctx = &b->rec };
	struct snoop_cfg cfg;

	snoop_cfg_default(&cfg);
	if (tune)
		tune(&cfg);
	assert_int_equal(snoop_init(&b->s, &cfg, &ops), 0);
	b->key = (struct snoop_key){ 0x0101000a, 0x0a00010a, 0x8913, 0x409c };
	b->isn = isn;
	return b;
}

static void bed_free(struct bed *b)
{
	snoop_free(&b->s);
	test_free(b);
}

/* Segment i of the transfer (MSS bytes each), in frame 100 + i. */
static enum snoop_verdict data(struct bed *b, uint32_t i, uint64_t t_ms)
{
	return snoop_data(&b->s, &b->key, b->isn + i * MSS, MSS, 100 + i, 1500, t_ms * MS);
}

/* The MH acknowledges everything before segment i. */
static enum snoop_verdict ack(struct bed *b, uint32_t i, uint64_t t_ms)
{
	return snoop_ack(&b->s, &b->key, b->isn + i * MSS, true, t_ms * MS);
}

static uint64_t ctr(struct bed *b, enum snoop_counter c)
{
	return b->s.counters[c];
}

static void one_segment_lost(void **state)
{
	struct bed *b = bed_new(1000, NULL);

	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(data(b, i, 0), SNOOP_FORWARD_CACHED);
	assert_int_equal(ack(b, 1, 10), SNOOP_FORWARD); /* segment 1 lost on the air */
	assert_int_equal(b->rec.n_released, 1);
	/* Segments 2..9 arrive: eight duplicates of ACK 1. The first triggers a
	 * local retransmission; none reaches the sender. */
	for (int d = 0; d < 8; d++)
		assert_int_equal(ack(b, 1, 11 + d), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 1);
	assert_int_equal(b->rec.xmit[0], 101);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_DUPACK), 1);
	assert_int_equal(ctr(b, SNOOP_C_DUPACK_SUPPRESSED), 8);
	/* The retransmission arrives: one cumulative ACK frees everything. */
	assert_int_equal(ack(b, 10, 30), SNOOP_FORWARD);
	assert_int_equal(b->rec.n_released, 10);
	assert_int_equal(snoop_lookup(&b->s, &b->key)->count, 0);
	bed_free(b);
}

static void two_losses_in_one_window(void **state)
{
	struct bed *b = bed_new(5000, NULL);

	for (uint32_t i = 0; i < 10; i++)
		data(b, i, 0);
	ack(b, 2, 10); /* 0 and 1 arrived; 2 and 5 lost */
	for (int d = 0; d < 6; d++)
		assert_int_equal(ack(b, 2, 11 + d), SNOOP_DROP); /* from 3, 4, 6, 7, 8, 9 */
	assert_int_equal(b->rec.n_xmit, 1);
	assert_int_equal(b->rec.xmit[0], 102);
	/* 2 repaired: the MH now lacks 5, and no duplicate will come for it
	 * (6..9 are already there): the local timer repairs it. */
	assert_int_equal(ack(b, 5, 40), SNOOP_FORWARD);
	snoop_tick(&b->s, 139 * MS);
	assert_int_equal(b->rec.n_xmit, 1);
	snoop_tick(&b->s, 140 * MS);
	assert_int_equal(b->rec.n_xmit, 2);
	assert_int_equal(b->rec.xmit[1], 105);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_TIMER), 1);
	assert_int_equal(ack(b, 10, 160), SNOOP_FORWARD);
	assert_int_equal(b->rec.n_released, 10);
	bed_free(b);
}

/* The local timer repairs a segment that was only queued on the air: the
 * high-priority copy arrives first, the late original then makes the MH
 * repeat its ACK once. That duplicate is absorbed, not taken for the loss
 * of the next segment (which would chain: each late original triggering
 * the next spurious repair); a real loss afterwards is still repaired. */
static void late_original_after_local_repair(void **state)
{
	struct bed *b = bed_new(4000, NULL);

	for (uint32_t i = 0; i < 10; i++)
		data(b, i, 0);
	assert_int_equal(ack(b, 1, 10), SNOOP_FORWARD);
	snoop_tick(&b->s, 110 * MS); /* segment 1 still queued: the timer fires */
	assert_int_equal(b->rec.n_xmit, 1);
	assert_int_equal(b->rec.xmit[0], 101);
	assert_int_equal(ack(b, 2, 115), SNOOP_FORWARD); /* the priority copy */
	assert_int_equal(ack(b, 2, 116), SNOOP_DROP);	 /* the late original */
	assert_int_equal(b->rec.n_xmit, 1);
	assert_int_equal(ctr(b, SNOOP_C_DUPACK_SUPPRESSED), 1);
	assert_int_equal(ack(b, 3, 120), SNOOP_FORWARD);
	/* Segment 3 really lost, 4 arrives: repaired at the first duplicate. */
	assert_int_equal(ack(b, 3, 121), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 2);
	assert_int_equal(b->rec.xmit[1], 103);
	bed_free(b);
}

static void retransmission_lost_too(void **state)
{
	struct bed *b = bed_new(77, NULL);

	for (uint32_t i = 0; i < 5; i++)
		data(b, i, 0);
	ack(b, 1, 10);
	for (int d = 0; d < 3; d++) /* from 2, 3, 4 */
		assert_int_equal(ack(b, 1, 11 + d), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 1);
	/* The local retransmission is lost as well: a duplicate beyond those
	 * the segments in flight explain means exactly that. */
	assert_int_equal(ack(b, 1, 40), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 2);
	assert_int_equal(b->rec.xmit[1], 101);
	/* ...and when no duplicate comes, the timer retransmits again. */
	snoop_tick(&b->s, 140 * MS);
	assert_int_equal(b->rec.n_xmit, 3);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_TIMER), 1);
	/* New data during the repair adds one expected duplicate each. */
	data(b, 5, 150);
	assert_int_equal(ack(b, 1, 151), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 3);
	bed_free(b);
}

static void gives_up_after_threshold(void **state)
{
	struct bed *b = bed_new(1, NULL);

	data(b, 0, 0);
	data(b, 1, 0);
	ack(b, 0, 5);
	for (int n = 0; n < 4; n++) /* each duplicate beyond expectation: again */
		assert_int_equal(ack(b, 0, 10 + n), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 4);
	/* Four local retransmissions of one segment: the sender takes over. */
	assert_int_equal(ack(b, 0, 20), SNOOP_FORWARD);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_GIVEUP), 1);
	bed_free(b);
}

/* Lost ACKs on the uplink: the next cumulative ACK covers more. */
static void ack_lost(void **state)
{
	struct bed *b = bed_new(9, NULL);

	for (uint32_t i = 0; i < 5; i++)
		data(b, i, 0);
	assert_int_equal(ack(b, 3, 20), SNOOP_FORWARD);
	assert_int_equal(b->rec.n_released, 3);
	assert_int_equal(b->rec.n_xmit, 0);
	/* A stale ACK (reordered, below the last one) is dropped. */
	assert_int_equal(ack(b, 2, 21), SNOOP_DROP);
	assert_int_equal(ctr(b, SNOOP_C_STALE_ACK), 1);
	/* An ACK carrying data is not a duplicate. */
	assert_int_equal(snoop_ack(&b->s, &b->key, b->isn + 3 * MSS, false, 22 * MS),
			 SNOOP_FORWARD);
	assert_int_equal(b->rec.n_xmit, 0);
	bed_free(b);
}

static void cache_full(void **state)
{
	struct bed *b = bed_new(100, NULL);

	for (uint32_t i = 0; i < 60; i++)
		assert_int_equal(data(b, i, 0), i < 50 ? SNOOP_FORWARD_CACHED : SNOOP_FORWARD);
	assert_int_equal(ctr(b, SNOOP_C_NOT_CACHED_FULL), 10);
	assert_int_equal(ack(b, 10, 5), SNOOP_FORWARD);
	assert_int_equal(data(b, 60, 6), SNOOP_FORWARD_CACHED);
	/* 50..59 went by uncached; a duplicate for one of them is the
	 * sender's to repair. */
	ack(b, 50, 7);
	assert_int_equal(ack(b, 50, 8), SNOOP_FORWARD);
	assert_int_equal(b->rec.n_xmit, 0);
	bed_free(b);
}

/* Segment 50 went by while the cache was full and was lost; the cache then
 * filled with 51..100 behind the hole. The sender's retransmission of 50
 * is what the cache needs most: the newest segment makes room for it. */
static void hole_repair_evicts_newest(void **state)
{
	struct bed *b = bed_new(300, NULL);

	for (uint32_t i = 0; i <= 50; i++)
		data(b, i, 0);
	assert_int_equal(ctr(b, SNOOP_C_NOT_CACHED_FULL), 1);
	assert_int_equal(ack(b, 50, 10), SNOOP_FORWARD);
	for (uint32_t i = 51; i <= 101; i++)
		data(b, i, 20);
	assert_int_equal(ctr(b, SNOOP_C_NOT_CACHED_FULL), 2);
	/* Not ours: the sender repairs 50, and that copy is cached. */
	assert_int_equal(ack(b, 50, 30), SNOOP_FORWARD);
	assert_int_equal(data(b, 50, 40), SNOOP_FORWARD_CACHED);
	assert_int_equal(ctr(b, SNOOP_C_EVICTED_FOR_HOLE), 1);
	assert_int_equal(b->rec.released[b->rec.n_released - 1], 200);
	assert_int_equal(snoop_lookup(&b->s, &b->key)->count, 50);
	/* Its copy lost too: now repaired locally. */
	assert_int_equal(ack(b, 50, 50), SNOOP_DROP);
	assert_int_equal(b->rec.n_xmit, 1);
	assert_int_equal(b->rec.xmit[0], 150);
	/* A retransmission above everything cached makes no room. */
	assert_int_equal(data(b, 101, 60), SNOOP_FORWARD);
	assert_int_equal(ctr(b, SNOOP_C_EVICTED_FOR_HOLE), 1);
	assert_int_equal(ctr(b, SNOOP_C_NOT_CACHED_FULL), 3);
	bed_free(b);
}

static void sequence_wraparound(void **state)
{
	struct bed *b = bed_new(0xfffff000u, NULL); /* segment 4 wraps past 2^32 */

	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(data(b, i, 0), SNOOP_FORWARD_CACHED);
	ack(b, 5, 10);
	assert_int_equal(b->rec.n_released, 5);
	assert_int_equal(ack(b, 5, 11), SNOOP_DROP);
	assert_int_equal(b->rec.xmit[0], 105);
	assert_int_equal(ack(b, 10, 30), SNOOP_FORWARD);
	assert_int_equal(b->rec.n_released, 10);
	/* Already-acknowledged data retransmitted by the sender is not kept. */
	assert_int_equal(data(b, 3, 31), SNOOP_FORWARD);
	bed_free(b);
}

static void sender_retransmission_replaces_frame(void **state)
{
	struct bed *b = bed_new(1, NULL);

	data(b, 0, 0);
	data(b, 1, 0);
	ack(b, 1, 50);
	/* The sender resends segment 1 in a new frame (new ESP sequence). */
	assert_int_equal(snoop_data(&b->s, &b->key, b->isn + MSS, MSS, 999, 1500, 300 * MS),
			 SNOOP_FORWARD_CACHED);
	assert_int_equal(ctr(b, SNOOP_C_SENDER_RXMIT), 1);
	assert_int_equal(b->rec.released[b->rec.n_released - 1], 101);
	assert_int_equal(ack(b, 1, 301), SNOOP_DROP);
	assert_int_equal(b->rec.xmit[0], 999);
	/* Karn: no RTT sample from a retransmitted segment. */
	uint64_t samples = ctr(b, SNOOP_C_RTT_SAMPLES);
	ack(b, 2, 320);
	assert_int_equal(ctr(b, SNOOP_C_RTT_SAMPLES), samples);
	bed_free(b);
}

static void rtt_and_rto(void **state)
{
	struct bed *b = bed_new(1, NULL);

	data(b, 0, 0);
	ack(b, 1, 30);
	assert_int_equal(snoop_lookup(&b->s, &b->key)->srtt_us, 30000);
	assert_int_equal(snoop_lookup(&b->s, &b->key)->rto_ms, 100); /* minimum */
	data(b, 1, 100);
	ack(b, 2, 400);
	/* srtt 7/8*30 + 1/8*300 ms, rttvar 3/4*15 + 1/4*270 ms */
	assert_int_equal(snoop_lookup(&b->s, &b->key)->srtt_us, 63750);
	assert_int_equal(snoop_lookup(&b->s, &b->key)->rttvar_us, 78750);
	assert_int_equal(snoop_lookup(&b->s, &b->key)->rto_ms, 378);
	bed_free(b);
}

static void persist_timer(void **state)
{
	struct bed *b = bed_new(1, NULL);

	for (uint32_t i = 0; i < 3; i++)
		data(b, i, 0);
	snoop_tick(&b->s, 999 * MS);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_PERSIST), 0);
	snoop_tick(&b->s, 1000 * MS);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_PERSIST), 3);
	/* Once per period, not on every tick. */
	snoop_tick(&b->s, 1500 * MS);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_PERSIST), 3);
	snoop_tick(&b->s, 2000 * MS);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_PERSIST), 6);
	bed_free(b);
}

/* The persist timer resends segments a plaintext MH may already hold; the
 * duplicate ACKs they cause are SNOOP's doing and must not reach the sender
 * (a burst of them makes Linux raise its fast-retransmit threshold). Only
 * as many as were resent, and only until the next persist period. */
static void persist_duplicates_hidden(void **state)
{
	struct bed *b = bed_new(7000, NULL);

	for (uint32_t i = 0; i < 5; i++)
		data(b, i, 0);
	assert_int_equal(ack(b, 0, 10), SNOOP_FORWARD);
	/* Segment 0 was lost, 1..4 are held at the MH and their duplicate
	 * ACKs were lost on the uplink; the sender stalls. */
	snoop_tick(&b->s, 1010 * MS);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_PERSIST), 5);
	/* The resends arrive: 0 fills the hole, 1..4 are duplicates. */
	assert_int_equal(ack(b, 5, 1020), SNOOP_FORWARD);
	for (int d = 0; d < 4; d++)
		assert_int_equal(ack(b, 5, 1021 + d), SNOOP_DROP);
	assert_int_equal(ctr(b, SNOOP_C_DUPACK_SUPPRESSED), 4);
	/* An allowance of 5: one more is hidden, the next goes to the sender. */
	assert_int_equal(ack(b, 5, 1030), SNOOP_DROP);
	assert_int_equal(ack(b, 5, 1031), SNOOP_FORWARD);

	/* Another stall, resends of 5..6; the allowance lapses with the period. */
	data(b, 5, 1100);
	data(b, 6, 1100);
	snoop_tick(&b->s, 2100 * MS);
	assert_int_equal(ctr(b, SNOOP_C_RXMIT_PERSIST), 7);
	assert_int_equal(ack(b, 7, 2110), SNOOP_FORWARD);
	assert_int_equal(ack(b, 7, 2111), SNOOP_DROP);
	assert_int_equal(ack(b, 7, 3101), SNOOP_FORWARD);
	bed_free(b);
}

static void garbage_timer(void **state)
{
	struct bed *b = bed_new(1, NULL);

	data(b, 0, 0);
	data(b, 1, 0);
	ack(b, 1, 1000);
	snoop_tick(&b->s, 10999 * MS);
	assert_non_null(snoop_lookup(&b->s, &b->key));
	snoop_tick(&b->s, 11000 * MS);
	assert_null(snoop_lookup(&b->s, &b->key));
	assert_int_equal(ctr(b, SNOOP_C_CONN_GARBAGE), 1);
	assert_int_equal(b->rec.n_released, 2); /* every frame given back */
	bed_free(b);
}

static void connection_65_is_not_snooped(void **state)
{
	struct bed *b = bed_new(1, NULL);
	struct snoop_key k = b->key;

	for (uint16_t c = 0; c < 64; c++) {
		k.sport = c;
		assert_int_equal(snoop_data(&b->s, &k, 1, MSS, c, 1500, 0), SNOOP_FORWARD_CACHED);
	}
	k.sport = 64;
	assert_int_equal(snoop_data(&b->s, &k, 1, MSS, 64, 1500, 0), SNOOP_FORWARD);
	assert_null(snoop_lookup(&b->s, &k));
	assert_int_equal(ctr(b, SNOOP_C_CONN_FULL), 1);
	/* Connection 0 stays busy; the other 63 go idle and are collected. */
	k.sport = 0;
	for (uint64_t t = 1000; t <= 10000; t += 1000)
		snoop_ack(&b->s, &k, 1 + MSS, true, t * MS);
	snoop_tick(&b->s, 10000 * MS);
	assert_non_null(snoop_lookup(&b->s, &k));
	assert_int_equal(ctr(b, SNOOP_C_CONN_GARBAGE), 63);
	k.sport = 64;
	assert_int_equal(snoop_data(&b->s, &k, 1, MSS, 64, 1500, 10001 * MS), SNOOP_FORWARD_CACHED);
	bed_free(b);
}

static void syn_and_rst(void **state)
{
	struct bed *b = bed_new(1, NULL);

	data(b, 0, 0);
	snoop_rst(&b->s, &b->key);
	assert_null(snoop_lookup(&b->s, &b->key));
	assert_int_equal(b->rec.n_released, 1);
	data(b, 0, 1);
	snoop_syn(&b->s, &b->key, 2 * MS);
	assert_null(snoop_lookup(&b->s, &b->key));
	bed_free(b);
}

static void small_cfg(struct snoop_cfg *cfg)
{
	cfg->rto_min_ms = 0;
}

static void config_validation(void **state)
{
	struct snoop_cfg cfg;
	char why[80];

	snoop_cfg_default(&cfg);
	assert_int_equal(snoop_cfg_validate(&cfg, why, sizeof(why)), 0);
	small_cfg(&cfg);
	assert_int_equal(snoop_cfg_validate(&cfg, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "rto"));
	snoop_cfg_default(&cfg);
	cfg.max_conns = 0;
	assert_int_equal(snoop_cfg_validate(&cfg, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "max_conns"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_segment_lost),
		cmocka_unit_test(two_losses_in_one_window),
		cmocka_unit_test(retransmission_lost_too),
		cmocka_unit_test(late_original_after_local_repair),
		cmocka_unit_test(gives_up_after_threshold),
		cmocka_unit_test(ack_lost),
		cmocka_unit_test(cache_full),
		cmocka_unit_test(hole_repair_evicts_newest),
		cmocka_unit_test(sequence_wraparound),
		cmocka_unit_test(sender_retransmission_replaces_frame),
		cmocka_unit_test(rtt_and_rto),
		cmocka_unit_test(persist_timer),
		cmocka_unit_test(persist_duplicates_hidden),
		cmocka_unit_test(garbage_timer),
		cmocka_unit_test(connection_65_is_not_snooped),
		cmocka_unit_test(syn_and_rst),
		cmocka_unit_test(config_validation),
	};

	return cmocka_run_group_tests_name("snoop", tests, NULL, NULL);
}
