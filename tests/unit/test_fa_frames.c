/* The FA worker's frame ledger (worker/fa_frames.c): a cached frame is
 * never freed while SNOOP holds it or a copy is in flight, a retransmission
 * never goes out twice at once, and the DSCP mark changes only the outer
 * header's DSCP and checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "worker/fa_frames.h"

#define FRAME 4096u

struct rec {
	int n_tx, n_free, n_mark;
	uint64_t tx[16], freed[16];
	bool ring_full;
};

static bool rec_tx(void *ctx, int port, uint64_t addr, uint32_t len)
{
	struct rec *r = ctx;

	if (r->ring_full)
		return false;
	r->tx[r->n_tx++] = addr;
	return true;
}

static void rec_free(void *ctx, uint64_t addr)
{
	struct rec *r = ctx;

	r->freed[r->n_free++] = addr;
}

static void rec_mark(void *ctx, uint64_t addr, uint32_t len)
{
	((struct rec *)ctx)->n_mark++;
}

static void init(struct fa_frames *fr, struct rec *r)
{
	struct fa_frames_ops ops = { .tx = rec_tx, .free = rec_free, .mark = rec_mark, .ctx = r };

	memset(r, 0, sizeof(*r));
	assert_int_equal(fa_frames_init(fr, 16, FRAME, &ops), 0);
}

static void uncached_freed_after_completion(void **state)
{
	struct fa_frames fr;
	struct rec r;

	init(&fr, &r);
	assert_true(fa_frames_send(&fr, 3 * FRAME + 256, 100, 1, false));
	assert_int_equal(r.n_free, 0);
	fa_frames_tx_done(&fr, 3 * FRAME + 256);
	assert_int_equal(r.n_free, 1);
	assert_int_equal(r.freed[0], 3 * FRAME + 256);
	fa_frames_free(&fr);
}

static void cached_lives_until_released(void **state)
{
	struct fa_frames fr;
	struct rec r;
	uint64_t a = 5 * FRAME + 256;

	init(&fr, &r);
	fa_frames_send(&fr, a, 1500, 1, true);
	fa_frames_tx_done(&fr, a);
	assert_int_equal(r.n_free, 0);
	/* Retransmission of a frame at rest: marked, sent at once. */
	fa_frames_rxmit(&fr, a);
	assert_int_equal(r.n_tx, 2);
	assert_int_equal(r.n_mark, 1);
	/* Asked again while that copy is in flight: waits, once. */
	fa_frames_rxmit(&fr, a);
	fa_frames_rxmit(&fr, a);
	assert_int_equal(r.n_tx, 2);
	assert_int_equal(fr.deferred, 1);
	fa_frames_tx_done(&fr, a);
	assert_int_equal(r.n_tx, 3);
	/* Released while in flight: freed at the completion, not before. */
	fa_frames_release(&fr, a);
	assert_int_equal(r.n_free, 0);
	fa_frames_tx_done(&fr, a);
	assert_int_equal(r.n_free, 1);
	fa_frames_free(&fr);
}

static void release_drops_pending_retransmission(void **state)
{
	struct fa_frames fr;
	struct rec r;
	uint64_t a = 2 * FRAME;

	init(&fr, &r);
	fa_frames_send(&fr, a, 1500, 0, true);
	fa_frames_rxmit(&fr, a); /* deferred: first copy in flight */
	fa_frames_release(&fr, a);
	fa_frames_tx_done(&fr, a);
	assert_int_equal(r.n_tx, 1);
	assert_int_equal(r.n_free, 1);
	fa_frames_free(&fr);
}

static void ring_full(void **state)
{
	struct fa_frames fr;
	struct rec r;

	init(&fr, &r);
	r.ring_full = true;
	/* Uncached: back to the pool at once. Cached: kept for a retry. */
	assert_false(fa_frames_send(&fr, 1 * FRAME, 100, 0, false));
	assert_int_equal(r.n_free, 1);
	assert_false(fa_frames_send(&fr, 2 * FRAME, 100, 0, true));
	assert_int_equal(r.n_free, 1);
	assert_int_equal(fr.tx_full, 2);
	r.ring_full = false;
	fa_frames_rxmit(&fr, 2 * FRAME);
	assert_int_equal(r.n_tx, 1);
	fa_frames_free(&fr);
}

static uint16_t csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void dscp_mark(void **state)
{
	uint8_t h[20] = { 0x45, 0x01, 0x05, 0xdc, 0x12, 0x34, 0x40, 0, 64, 50,
			  0,	0,    10,   1,	  0,	1,    10,   1, 0,  10 };
	uint8_t before[20];
	uint16_t c;

	c = csum(h);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	memcpy(before, h, 20);
	fa_ipv4_set_dscp(h, 46);
	assert_int_equal(h[1], 46 << 2 | 1); /* ECN bits kept */
	assert_int_equal(csum(h), 0);	     /* the checksum still verifies */
	assert_memory_equal(h + 2, before + 2, 8);
	assert_memory_equal(h + 12, before + 12, 8);
	fa_ipv4_set_dscp(h, 0);
	assert_memory_equal(h, before, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uncached_freed_after_completion),
		cmocka_unit_test(cached_lives_until_released),
		cmocka_unit_test(release_drops_pending_retransmission),
		cmocka_unit_test(ring_full),
		cmocka_unit_test(dscp_mark),
	};

	return cmocka_run_group_tests_name("fa-frames", tests, NULL, NULL);
}
