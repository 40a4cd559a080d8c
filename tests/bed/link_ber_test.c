/* link_ber_test: the wireless link's bit-error model through BPF_PROG_TEST_RUN.
 * Loads tests/bed/bpf/link_ber.bpf.c via tests/bed/link_ber (skeleton, unpinned), sets BERs
 * at run time and runs frames of known length through the TC and XDP entry
 * points. The measured frame loss must match 1-(1-BER)^bits within four
 * binomial standard deviations over at least 20 000 frames; BER 0 loses
 * nothing. Needs root (exit 77 otherwise). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "tests/bed/link_ber.h"
#include "lib/log.h"

#define FRAMES 20000

struct fixture {
	struct mml_link_ber *lb;
	struct mml_link_ber_maps maps;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || mml_link_ber_open(NULL, &f->lb)) {
		free(f);
		return -1;
	}
	f->maps = mml_link_ber_maps_of(f->lb);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mml_link_ber_close(f->lb);
	free(f);
	return 0;
}

/* An Ethernet + IPv4 frame of len bytes (the content does not matter to the
 * model, only the length does). */
static void make_frame(unsigned char *frame, size_t len)
{
	memset(frame, 0xa5, len);
	frame[12] = 0x08;
	frame[13] = 0x00;
	frame[14] = 0x45;
}

/* Run `frames` frames of frame_len bytes through a hook's program and return
 * the counter deltas. */
static struct mml_link_ber_counters run_frames(struct fixture *f, enum mml_link_ber_hook hook,
					       size_t frame_len, unsigned int frames)
{
	static unsigned char frame[1514];
	struct mml_link_ber_counters c;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)frame_len,
		    .repeat = frames);

	assert_true(frame_len <= sizeof(frame));
	make_frame(frame, frame_len);
	assert_int_equal(mml_link_ber_counters_reset(f->maps.stats_fd), 0);
	assert_int_equal(bpf_prog_test_run_opts(mml_link_ber_prog_fd(f->lb, hook), &opts), 0);
	assert_int_equal(mml_link_ber_counters_read(f->maps.stats_fd, &c), 0);
	assert_int_equal(c.frames_passed + c.frames_lost, frames);
	assert_int_equal(c.bytes_passed, c.frames_passed * frame_len);
	assert_int_equal(c.bytes_lost, c.frames_lost * frame_len);
	return c;
}

static void check_loss(struct fixture *f, enum mml_link_ber_hook hook, const char *ber_text,
		       size_t frame_len)
{
	double ber, p, sd, lost;
	struct mml_link_ber_counters c;

	assert_int_equal(mml_link_ber_parse(ber_text, &ber), 0);
	assert_int_equal(mml_link_ber_set(f->maps.cfg_fd, ber), 0);
	c = run_frames(f, hook, frame_len, FRAMES);
	p = 1 - pow(1 - ber, (double)frame_len * 8);
	sd = sqrt(FRAMES * p * (1 - p));
	lost = (double)c.frames_lost;
	printf("  %-5s BER %-8s frame %4zu B: lost %6.0f of %d, expected %8.1f +- %.1f (%+.2f "
	       "sd)\n",
	       mml_link_ber_hook_name(hook), ber_text, frame_len, lost, FRAMES, FRAMES * p, sd,
	       (lost - FRAMES * p) / sd);
	assert_true(fabs(lost - FRAMES * p) <= 4 * sd);
}

static void test_parse(void **state)
{
	double ber;

	assert_int_equal(mml_link_ber_parse("0", &ber), 0);
	assert_true(ber == 0);
	assert_int_equal(mml_link_ber_parse("1/65536", &ber), 0);
	assert_true(ber == 1.0 / 65536);
	assert_int_equal(mml_link_ber_parse("1/64K", &ber), 0);
	assert_true(ber == 1.0 / 65536);
	assert_int_equal(mml_link_ber_parse("1/8M", &ber), 0);
	assert_true(ber == 1.0 / (8 << 20));
	assert_int_equal(mml_link_ber_parse("1.9e-6", &ber), 0);
	assert_true(ber == 1.9e-6);
	assert_int_equal(mml_link_ber_parse("abc", &ber), -EINVAL);
	assert_int_equal(mml_link_ber_parse("1/", &ber), -EINVAL);
	assert_int_equal(mml_link_ber_parse("1/0", &ber), -EINVAL);
	assert_int_equal(mml_link_ber_parse("1e-6x", &ber), -EINVAL);
	assert_int_equal(mml_link_ber_parse("2", &ber), -ERANGE);
	assert_int_equal(mml_link_ber_parse("-1e-6", &ber), -ERANGE);
	assert_int_equal(mml_link_ber_parse("1e-13", &ber), -ERANGE);
}

/* The interpolated inverse CDF is non-decreasing, starts at 0 and has the
 * mean 1/BER of the exponential distribution it tabulates. */
static void test_table(void **state)
{
	static struct mml_ber_cfg cfg;
	const double bers[] = { 1e-12, 1.0 / (8 << 20), 1.9e-6, 1.0 / 65536, 0.5 };

	for (size_t b = 0; b < sizeof(bers) / sizeof(bers[0]); b++) {
		double sum = 0, mean;

		assert_int_equal(mml_link_ber_table_fill(bers[b], &cfg), 0);
		assert_int_equal(cfg.enabled, 1);
		assert_int_equal(cfg.gap[0], 0);
		for (unsigned int i = 0; i < MML_BER_TABLE_CELLS; i++) {
			assert_true(cfg.gap[i] <= cfg.gap[i + 1]);
			sum += ((double)cfg.gap[i] + (double)cfg.gap[i + 1]) / 2;
		}
		mean = sum / MML_BER_TABLE_CELLS;
		assert_true(fabs(mean * bers[b] - 1) < 1e-3 || bers[b] > 0.1);
		assert_true(cfg.gap[MML_BER_TABLE_CELLS] < (1ULL << 44));
	}
	assert_int_equal(mml_link_ber_table_fill(0, &cfg), 0);
	assert_int_equal(cfg.enabled, 0);
	assert_int_equal(mml_link_ber_table_fill(1.5, &cfg), -ERANGE);
}

static void test_zero_loses_nothing(void **state)
{
	struct fixture *f = *state;
	struct mml_link_ber_counters c;

	assert_int_equal(mml_link_ber_set(f->maps.cfg_fd, 0), 0);
	c = run_frames(f, MML_LINK_BER_TC_INGRESS, 1514, FRAMES);
	assert_int_equal(c.frames_lost, 0);
	c = run_frames(f, MML_LINK_BER_XDP, 1514, FRAMES);
	assert_int_equal(c.frames_lost, 0);
}

static void test_tc_loss_matches_model(void **state)
{
	struct fixture *f = *state;

	check_loss(f, MML_LINK_BER_TC_INGRESS, "1/64K", 1514);
	check_loss(f, MML_LINK_BER_TC_INGRESS, "1/256K", 1514);
	check_loss(f, MML_LINK_BER_TC_INGRESS, "1/1M", 1514);
	check_loss(f, MML_LINK_BER_TC_INGRESS, "1/8M", 1514);
	check_loss(f, MML_LINK_BER_TC_INGRESS, "1.9e-6", 1000);
	check_loss(f, MML_LINK_BER_TC_INGRESS, "1e-3", 100);
	check_loss(f, MML_LINK_BER_TC_INGRESS, "1/64K", 66);
}

static void test_xdp_loss_matches_model(void **state)
{
	struct fixture *f = *state;

	check_loss(f, MML_LINK_BER_XDP, "1/64K", 1514);
	check_loss(f, MML_LINK_BER_XDP, "1e-4", 500);
}

/* A new BER applies to the next frame, without reloading; going back to 0
 * stops the losses at once (the old gap must not linger). */
static void test_set_at_run_time(void **state)
{
	struct fixture *f = *state;
	struct mml_link_ber_counters c;
	double ber;

	assert_int_equal(mml_link_ber_set(f->maps.cfg_fd, 1e-3), 0);
	assert_int_equal(mml_link_ber_get(f->maps.cfg_fd, &ber), 0);
	assert_true(fabs(ber - 1e-3) < 1e-12);
	c = run_frames(f, MML_LINK_BER_TC_INGRESS, 1514, 1000);
	assert_true(c.frames_lost > 900);
	assert_int_equal(mml_link_ber_set(f->maps.cfg_fd, 0), 0);
	assert_int_equal(mml_link_ber_get(f->maps.cfg_fd, &ber), 0);
	assert_true(ber == 0);
	c = run_frames(f, MML_LINK_BER_TC_INGRESS, 1514, 1000);
	assert_int_equal(c.frames_lost, 0);
	/* From 0 (no gap drawn) to a high BER: losses start at once. */
	assert_int_equal(mml_link_ber_set(f->maps.cfg_fd, 1e-3), 0);
	c = run_frames(f, MML_LINK_BER_TC_INGRESS, 1514, 100);
	assert_true(c.frames_lost > 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_zero_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_loss_matches_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xdp_loss_matches_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_at_run_time, setup, teardown),
	};
	int failed;

	if (geteuid() != 0) {
		fprintf(stderr, "link_ber_test: needs root to load BPF programs, skipped\n");
		return 77;
	}
	mml_log_libbpf();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	printf("%d passed, %d failed\n", (int)(sizeof(tests) / sizeof(tests[0])) - failed, failed);
	return failed ? 1 : 0;
}
