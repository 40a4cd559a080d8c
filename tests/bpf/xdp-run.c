#include "tests/bpf/xdp-run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "lib/log.h"

void xdp_require_bpf(const char *suite)
{
	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root to load BPF programs, skipped\n", suite);
		exit(SKIP_STATUS);
	}
	mml_log_libbpf();
}

int xdp_run(int prog_fd, const void *in, size_t in_len, void *out, size_t cap, size_t *out_len,
	    uint32_t ifindex)
{
	struct xdp_md ctx = { .data_end = (uint32_t)in_len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)in_len,
		    .data_out = out, .data_size_out = (uint32_t)cap, .repeat = 1);
	int err;

	if (ifindex) {
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
	}
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		return -errno;
	if (out_len)
		*out_len = opts.data_size_out;
	return (int)opts.retval;
}

/* xorshift64*: reproducible from the seed the suite prints. */
static uint64_t rng_state;

uint64_t test_seed(void)
{
	const char *env = getenv("MML_TEST_SEED");

	if (!rng_state) {
		rng_state = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
		if (!rng_state)
			rng_state = 1;
		fprintf(stderr, "random cases: MML_TEST_SEED=%llu\n",
			(unsigned long long)rng_state);
	}
	return rng_state;
}

static uint64_t rng_next(void)
{
	uint64_t x = test_seed();

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void test_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(rng_next() >> 56);
}

uint32_t test_random_below(uint32_t bound)
{
	return (uint32_t)((rng_next() >> 32) % bound);
}
