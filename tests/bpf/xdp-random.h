/* The random-packet mode of the BPF_PROG_TEST_RUN suites: valid frames
 * mutated at random, reproducibly (the suite's seed, MML_TEST_SEED), as
 * many as MML_BPF_RANDOM says (the suite's own short default otherwise).
 * Each suite checks what its programs must do with any frame: a verdict
 * among those they use, and counters that account for the frame. */
#ifndef MML_TESTS_BPF_XDP_RANDOM_H
#define MML_TESTS_BPF_XDP_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* MML_BPF_RANDOM, or dflt. */
unsigned long xdp_random_count(unsigned long dflt);

/* Mutates the frame buf[0, *len) (capacity cap) in place with one to four
 * of: a bit flip, a byte written, a run of random bytes, a cut (never below
 * min_len), random bytes appended, a field of the outer or the inner IPv4
 * header (version/IHL, total length, fragment bits, protocol, an address
 * from addrs[n_addrs] or any); now and then the whole frame becomes random
 * bytes. Writes what it did into what (for failure messages). */
void xdp_mutate(uint8_t *buf, size_t *len, size_t cap, size_t min_len, const uint32_t *addrs,
		size_t n_addrs, char *what, size_t what_len);

#endif
