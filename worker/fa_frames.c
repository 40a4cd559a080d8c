#include "worker/fa_frames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"

int fa_frames_init(struct fa_frames *fr, uint32_t nframes, uint32_t frame_size,
		   const struct fa_frames_ops *ops)
{
	memset(fr, 0, sizeof(*fr));
	fr->f = calloc(nframes, sizeof(*fr->f));
	if (!fr->f)
		return -ENOMEM;
	fr->nframes = nframes;
	fr->frame_size = frame_size;
	fr->ops = *ops;
	return 0;
}

void fa_frames_free(struct fa_frames *fr)
{
	free(fr->f);
	fr->f = NULL;
}

struct fa_frame *fa_frames_get(struct fa_frames *fr, uint64_t addr)
{
	uint64_t i = addr / fr->frame_size;

	return i < fr->nframes ? &fr->f[i] : NULL;
}

static bool submit(struct fa_frames *fr, struct fa_frame *f)
{
	if (!fr->ops.tx(fr->ops.ctx, f->port, f->addr, f->len)) {
		fr->tx_full++;
		return false;
	}
	f->inflight++;
	return true;
}

/* Nothing holds the frame any more: back to the pool. */
static void maybe_free(struct fa_frames *fr, struct fa_frame *f)
{
	if (f->cached || f->inflight || f->rxmit_pending)
		return;
	fr->ops.free(fr->ops.ctx, f->addr);
	memset(f, 0, sizeof(*f));
}

bool fa_frames_send(struct fa_frames *fr, uint64_t addr, uint32_t len, int port, bool cached)
{
	struct fa_frame *f = fa_frames_get(fr, addr);
	bool sent;

	if (!f)
		return false;
	*f = (struct fa_frame){ .addr = addr, .len = len, .port = (uint8_t)port, .cached = cached };
	sent = submit(fr, f);
	maybe_free(fr, f);
	return sent;
}

void fa_frames_rxmit(struct fa_frames *fr, uint64_t addr)
{
	struct fa_frame *f = fa_frames_get(fr, addr);

	if (!f || !f->cached)
		return;
	if (f->inflight) {
		if (!f->rxmit_pending)
			fr->deferred++;
		f->rxmit_pending = true;
		return;
	}
	fr->ops.mark(fr->ops.ctx, f->addr, f->len);
	submit(fr, f);
}

void fa_frames_release(struct fa_frames *fr, uint64_t addr)
{
	struct fa_frame *f = fa_frames_get(fr, addr);

	if (!f)
		return;
	f->cached = false;
	f->rxmit_pending = false;
	maybe_free(fr, f);
}

void fa_frames_tx_done(struct fa_frames *fr, uint64_t addr)
{
	struct fa_frame *f = fa_frames_get(fr, addr);

	if (!f)
		return;
	if (f->inflight)
		f->inflight--;
	if (!f->inflight && f->rxmit_pending && f->cached) {
		f->rxmit_pending = false;
		fr->ops.mark(fr->ops.ctx, f->addr, f->len);
		submit(fr, f);
	}
	maybe_free(fr, f);
}

void fa_ipv4_set_dscp(uint8_t *ip, uint8_t dscp)
{
	uint16_t old_word = get_be16(ip);

	ip[1] = (uint8_t)(dscp << 2 | (ip[1] & 0x3));
	inet_csum_replace16(ip + 10, old_word, get_be16(ip));
}
