#include "bench/snoop_setup.h"

#include <string.h>

#include "lib/snoop_cfg.h"

static bool sink_tx(void *ctx, int port, uint64_t addr, uint32_t len)
{
	((struct snoop_bench_sink *)ctx)->sent++;
	return true;
}

static void sink_free(void *ctx, uint64_t addr)
{
	((struct snoop_bench_sink *)ctx)->freed++;
}

static void sink_mark(void *ctx, uint64_t addr, uint32_t len)
{
}

/* The worker's callbacks (worker/fa_snoop.c), minus its map updates. */
static void snoop_xmit(void *ctx, uint64_t frame, uint32_t frame_len)
{
	struct snoop_bench *b = ctx;

	b->sink.rxmits++;
	fa_frames_rxmit(&b->frames, frame);
}

static void snoop_release(void *ctx, uint64_t frame)
{
	struct snoop_bench *b = ctx;

	fa_frames_release(&b->frames, frame);
}

int snoop_bench_init(struct snoop_bench *b)
{
	struct fa_frames_ops fops = {
		.tx = sink_tx, .free = sink_free, .mark = sink_mark, .ctx = &b->sink
	};
	struct snoop_ops sops = { .xmit = snoop_xmit, .release = snoop_release, .ctx = b };
	struct mml_snoop_cfg cfg;
	int err;

	memset(b, 0, sizeof(*b));
	mml_snoop_cfg_default(&cfg);
	cfg.enabled = 1;
	err = fa_frames_init(&b->frames, SNOOP_BENCH_NFRAMES, SNOOP_BENCH_FRAME, &fops);
	if (err)
		return err;
	err = snoop_init(&b->snoop, &cfg, &sops);
	if (err)
		fa_frames_free(&b->frames);
	return err;
}

void snoop_bench_free(struct snoop_bench *b)
{
	snoop_free(&b->snoop);
	fa_frames_free(&b->frames);
}

struct mml_snoop_key snoop_bench_key(unsigned int c)
{
	return (struct mml_snoop_key){ .saddr = 0x0a000001u,
				       .daddr = 0x0a010000u + c,
				       .sport = 5001,
				       .dport = (uint16_t)(40000 + c) };
}
