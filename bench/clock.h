/* What every benchmark prints beside its numbers: a monotonic clock and the
 * machine's load. */
#ifndef MML_BENCH_CLOCK_H
#define MML_BENCH_CLOCK_H

#include <stdint.h>

uint64_t bench_mono_ns(void);
/* The 1-minute load average (0 when unreadable). */
double bench_load(void);

#endif
