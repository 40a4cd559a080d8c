/* SNOOP as the FA's worker runs it (lib/snoop.c, the state machine, over
 * worker/fa_frames.c, the frame ledger), with sinks in place of the rings:
 * the set-up bench-snoop-cost and bench-functions share. */
#ifndef MML_BENCH_SNOOP_SETUP_H
#define MML_BENCH_SNOOP_SETUP_H

#include <stdint.h>

#include "bench/clock.h"
#include "lib/snoop.h"
#include "worker/fa_frames.h"

#define SNOOP_BENCH_FRAME 4096u
#define SNOOP_BENCH_NFRAMES 4096u

struct snoop_bench_sink {
	uint64_t sent, freed, rxmits;
};

struct snoop_bench {
	struct fa_frames frames;
	struct snoop snoop;
	struct snoop_bench_sink sink;
};

/* Table 4's configuration (lib/snoop_cfg.c's defaults), SNOOP on. */
int snoop_bench_init(struct snoop_bench *b);
void snoop_bench_free(struct snoop_bench *b);

/* The key of connection c (CN port 5001 -> MH 10.1.0.c). */
struct mml_snoop_key snoop_bench_key(unsigned int c);

#endif
