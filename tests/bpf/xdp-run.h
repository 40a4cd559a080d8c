/* Helpers of the BPF_PROG_TEST_RUN suites: run an XDP program once on a
 * frame, skip (exit 77) where BPF cannot be loaded. */
#ifndef MML_TESTS_BPF_XDP_RUN_H
#define MML_TESTS_BPF_XDP_RUN_H

#include <stddef.h>
#include <stdint.h>

#define SKIP_STATUS 77

/* Exit with status 77 unless this process may load BPF programs. */
void xdp_require_bpf(const char *suite);

/* Run prog_fd once on in[0, in_len) arriving on ifindex (0: loopback).
 * The frame it leaves goes to out (cap bytes), its length to *out_len.
 * Returns the XDP verdict, or a negative errno if the run failed. */
int xdp_run(int prog_fd, const void *in, size_t in_len, void *out, size_t cap, size_t *out_len,
	    uint32_t ifindex);

/* Reproducible pseudo-random bytes: the seed comes from MML_TEST_SEED or
 * the clock and is printed once. */
uint64_t test_seed(void);
void test_random(void *buf, size_t len);
uint32_t test_random_below(uint32_t bound);

#endif
