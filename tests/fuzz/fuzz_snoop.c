/* libFuzzer harness for the SNOOP state machine (lib/snoop.c) and the
 * keyword parser of its configuration (lib/snoop_cfg.c, `mmlctl snoop
 * set`). The input is a configuration followed by a script of events: data
 * segments and ACKs of four connections, SYN, RST and clock steps. The
 * harness owns the frames: it gives each cached segment a fresh handle and
 * checks what the machine does with them.
 *
 * Invariants checked after every event (a violation aborts, so libFuzzer
 * keeps the input):
 *   - a frame is released or retransmitted only while the cache holds it,
 *     and released once;
 *   - the frames held are exactly those in the connections' rings, and no
 *     ring holds more than max_segs;
 *   - snoop_tick() asks to be called again in the future (or never), not
 *     at a time already past, which would spin the worker;
 *   - snoop_free() releases every frame still held.
 *
 * Input: byte 0 bit 0 picks the configuration's form: 0 = eight bytes
 * mapped onto valid ranges, 1 = "key value" lines for mml_snoop_cfg_set up
 * to a NUL byte (the machine then runs only if the result passes
 * mml_snoop_cfg_check and is small enough to allocate). Events follow, one
 * opcode byte and its arguments each. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/snoop.h"
#include "lib/snoop_cfg.h"
#include "tests/fuzz/cursor.h"

#define MS 1000000ULL
#define N_KEYS 4
#define MAX_FRAMES 65536
#define MAX_CELLS 4096 /* max_segs * max_conns the harness allocates */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum frame_state { F_NEVER, F_HELD, F_RELEASED };

struct run {
	struct cursor c;
	struct snoop s;
	uint8_t state[MAX_FRAMES];
	uint32_t next_frame, held;
	uint64_t now, next_deadline;
	uint32_t hi[N_KEYS]; /* one past the highest byte each sender sent */
};

static const struct mml_snoop_key keys[N_KEYS] = {
	{ 0x0101000a, 0x0a00010a, 0x8913, 0x409c },
	{ 0x0101000a, 0x0a00010a, 0x8a13, 0x409c },
	{ 0x0201000a, 0x0b00010a, 0x8913, 0x419c },
	{ 0x0101000a, 0x0a00010a, 0x409c, 0x8913 }, /* the first one's reverse */
};

static uint8_t u8(struct run *r)
{
	return cur_u8(&r->c);
}

static uint16_t u16(struct run *r)
{
	return cur_u16(&r->c);
}

static uint32_t u32(struct run *r)
{
	return cur_u32(&r->c);
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_snoop: invariant broken: %s\n", what);
		abort();
	}
}

static void on_xmit(void *ctx, uint64_t frame, uint32_t frame_len)
{
	struct run *r = ctx;

	check(frame < MAX_FRAMES && r->state[frame] == F_HELD, "retransmitted a frame not held");
	check(frame_len > 0, "retransmitted an empty frame");
}

static void on_release(void *ctx, uint64_t frame)
{
	struct run *r = ctx;

	check(frame < MAX_FRAMES && r->state[frame] == F_HELD, "released a frame not held");
	r->state[frame] = F_RELEASED;
	r->held--;
}

/* The rings hold exactly the frames the harness counts as held. */
static void check_rings(struct run *r)
{
	uint32_t in_rings = 0;

	for (uint32_t i = 0; i < r->s.cfg.max_conns; i++) {
		const struct snoop_conn *c = &r->s.conns[i];

		if (!c->used) {
			check(c->count == 0, "a free slot holds segments");
			continue;
		}
		check(c->count <= r->s.cfg.max_segs, "a ring holds more than max_segs");
		check(c->head < r->s.cfg.max_segs, "ring head out of range");
		for (uint32_t k = 0; k < c->count; k++) {
			const struct snoop_seg *seg = &c->segs[(c->head + k) % r->s.cfg.max_segs];

			check(seg->frame < MAX_FRAMES && r->state[seg->frame] == F_HELD,
			      "a ring holds a frame that was released");
		}
		in_rings += c->count;
	}
	check(in_rings == r->held, "frames held and frames in the rings differ");
}

static void tick(struct run *r)
{
	uint64_t next = snoop_tick(&r->s, r->now);

	check(!next || next > r->now, "snoop_tick asks to run again at a time already past");
	r->next_deadline = next;
}

static void ev_data(struct run *r)
{
	uint8_t b = u8(r);
	uint32_t k = b % N_KEYS, seq, len = (uint32_t)u8(r) * 8;
	uint32_t frame = r->next_frame;
	enum snoop_verdict v;

	switch ((b >> 2) & 3) {
	case 0: /* the next segment */
		seq = r->hi[k];
		break;
	case 1: /* a retransmission of something sent */
		seq = r->hi[k] - (uint32_t)u16(r);
		break;
	case 2: /* a large jump either way, across the wrap */
		seq = r->hi[k] + (uint32_t)(int32_t)(int16_t)u16(r) * 4096u;
		break;
	default:
		seq = u32(r);
		break;
	}
	if (b & 0x40)
		len = u32(r); /* any length, up to 4 GB */
	if (frame >= MAX_FRAMES)
		return;
	v = snoop_data(&r->s, &keys[k], seq, len, frame, 64 + len % 1500, r->now);
	check(v == SNOOP_FORWARD || v == SNOOP_FORWARD_CACHED, "data verdict");
	if (v == SNOOP_FORWARD_CACHED) {
		r->state[frame] = F_HELD;
		r->held++;
		r->next_frame++;
	}
	if ((int32_t)(seq + len - r->hi[k]) > 0)
		r->hi[k] = seq + len;
}

static void ev_ack(struct run *r, unsigned int repeat)
{
	uint8_t b = u8(r);
	uint32_t k = b % N_KEYS, ack;
	bool dup = b & 4;

	switch ((b >> 3) & 3) {
	case 0:
		ack = r->hi[k] - (uint32_t)u16(r);
		break;
	case 1:
		ack = r->hi[k] - (uint32_t)u8(r) * 8;
		break;
	case 2:
		ack = r->hi[k];
		break;
	default:
		ack = u32(r);
		break;
	}
	for (unsigned int i = 0; i < repeat; i++) {
		enum snoop_verdict v = snoop_ack(&r->s, &keys[k], ack, dup, r->now);

		check(v == SNOOP_FORWARD || v == SNOOP_DROP, "ACK verdict");
		check_rings(r);
	}
}

static void step(struct run *r)
{
	static const uint64_t scale[4] = { 1000, MS, 10 * MS, 1000 * MS };
	uint8_t op = u8(r);

	switch (op % 8) {
	case 0:
	case 1:
		ev_data(r);
		break;
	case 2:
		ev_ack(r, 1);
		break;
	case 3: /* a burst of duplicates */
		ev_ack(r, 1 + op / 8 % 8);
		break;
	case 4: {
		uint8_t b = u8(r);

		r->now += (uint64_t)u8(r) * scale[b % 4];
		tick(r);
		break;
	}
	case 5: /* straight to the next deadline */
		if (r->next_deadline)
			r->now = r->next_deadline;
		tick(r);
		break;
	case 6:
		snoop_syn(&r->s, &keys[u8(r) % N_KEYS], r->now);
		break;
	default:
		snoop_rst(&r->s, &keys[u8(r) % N_KEYS]);
		break;
	}
	check_rings(r);
}

/* Eight bytes onto ranges snoop_cfg_validate accepts. */
static void cfg_compact(struct run *r, struct mml_snoop_cfg *c)
{
	mml_snoop_cfg_default(c);
	c->max_segs = 1 + u8(r) % 64;
	c->max_conns = 1 + u8(r) % 4;
	c->rto_min_ms = 1 + u8(r);
	c->rto_init_ms = c->rto_min_ms + u8(r);
	c->rto_max_ms = c->rto_init_ms + (uint32_t)u8(r) * 16;
	c->persist_ms = 1 + (uint32_t)u8(r) * 8;
	c->garbage_ms = c->persist_ms + (uint32_t)u8(r) * 64;
	c->rxmit_thresh = 1 + u8(r) % 8;
}

/* "key value" lines up to a NUL; false when the result is not usable. */
static bool cfg_text(struct run *r, struct mml_snoop_cfg *c)
{
	const uint8_t *nul = memchr(r->c.p, 0, (size_t)(r->c.end - r->c.p));
	size_t n = nul ? (size_t)(nul - r->c.p) : (size_t)(r->c.end - r->c.p);
	char *text = malloc(n + 1), *line, *save = NULL, why[200];
	bool ok = true;

	if (!text)
		return false;
	memcpy(text, r->c.p, n);
	text[n] = '\0';
	r->c.p += nul ? n + 1 : n;
	mml_snoop_cfg_default(c);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');

		if (!value)
			continue;
		*value++ = '\0';
		why[0] = '\0';
		if (mml_snoop_cfg_set(c, line, value, why, sizeof(why)))
			check(why[0] != '\0', "a refused setting without a reason");
	}
	free(text);
	why[0] = '\0';
	if (mml_snoop_cfg_check(c, why, sizeof(why))) {
		check(why[0] != '\0', "a refused configuration without a reason");
		ok = false;
	} else {
		check(snoop_cfg_validate(c, NULL, 0) == 0, "checked but not valid");
		ok = (uint64_t)c->max_segs * c->max_conns <= MAX_CELLS;
	}
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run run;
	struct run *r = &run;
	struct snoop_ops ops = { .xmit = on_xmit, .release = on_release, .ctx = r };
	struct mml_snoop_cfg cfg;

	if (size < 1 || size > 16384)
		return 0;
	memset(r->state, 0, sizeof(r->state));
	r->c = (struct cursor){ data + 1, data + size };
	r->next_frame = r->held = 0;
	r->now = 1000 * MS;
	r->next_deadline = 0;
	for (int k = 0; k < N_KEYS; k++)
		r->hi[k] = 1000000u * (uint32_t)(k + 1);
	if (data[0] & 1) {
		if (!cfg_text(r, &cfg))
			return 0;
	} else {
		cfg_compact(r, &cfg);
	}
	check(snoop_init(&r->s, &cfg, &ops) == 0, "snoop_init refused a valid configuration");
	while (cur_more(&r->c))
		step(r);
	snoop_free(&r->s);
	check(r->held == 0, "snoop_free left frames held");
	return 0;
}
