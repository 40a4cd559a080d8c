/* Poly1305 (RFC 8439 section 2.5) for BPF programs, in radix 2^32.
 *
 * BPF multiplies 64 x 64 -> 64 bits only (no high half, no __int128), so the
 * 44-bit limbs of 64-bit CPUs are out of reach. Radix 2^32 fits: clamping
 * leaves r_i < 2^28 with r_1..r_3 divisible by 4, so r_j * 2^128 folds
 * modulo 2^130 - 5 into s_j = r_j + r_j / 4 (< 2^28.4), and a column of
 * four 34 x 28-bit products plus a tiny h4 term stays below 2^64. That is 20
 * multiplies a block and no limb splitting of the message, against 25 and a
 * split for radix 2^26 (which measured ~25% slower here).
 *
 * The accumulator, r and s live in locals for a whole run of blocks
 * (poly1305_blocks), and in struct poly1305_state only between runs. */
#ifndef MML_BPF_POLY1305_H
#define MML_BPF_POLY1305_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#define POLY1305_KEY_LEN 32
#define POLY1305_BLOCK_LEN 16
#define POLY1305_TAG_LEN 16

struct poly1305_state {
	__u32 r[4];   /* clamped r */
	__u64 h[5];   /* accumulator, lazily carried limbs; h[4] holds bits 128.. */
	__u32 pad[4]; /* s of the RFC: added at the end */
};

static __always_inline void poly1305_init(struct poly1305_state *st,
					  const __u32 key[POLY1305_KEY_LEN / 4])
{
	st->r[0] = key[0] & 0x0fffffff;
	st->r[1] = key[1] & 0x0ffffffc;
	st->r[2] = key[2] & 0x0ffffffc;
	st->r[3] = key[3] & 0x0ffffffc;
	st->h[0] = 0;
	st->h[1] = 0;
	st->h[2] = 0;
	st->h[3] = 0;
	st->h[4] = 0;
	st->pad[0] = key[4];
	st->pad[1] = key[5];
	st->pad[2] = key[6];
	st->pad[3] = key[7];
}

/* h = (h + m) * r mod 2^130 - 5 over the 16-byte blocks msg[0, nblocks),
 * given as little-endian words; hibit is 1 for full blocks (the 2^128 bit),
 * 0 for a final block already padded with 0x01. max_blocks is a constant
 * bound for the verifier.
 *
 * Carries are lazy, because a block's latency is what a run of blocks costs
 * (each depends on the last): the message words are added without carrying
 * between limbs, and after the multiply every column passes its carry one
 * limb up, all at once, instead of rippling through all five. With the
 * largest clamped r and all-ones messages the limbs then stay below
 * 2.23 * 2^32 (h4 <= 3) between blocks and a column of products below
 * 0.87 * 2^64 (docs/fa.md); poly1305_final carries fully. */
static __always_inline void poly1305_blocks(struct poly1305_state *st, const __u32 *msg,
					    __u32 nblocks, __u32 max_blocks, __u32 hibit)
{
	__u64 r0 = st->r[0], r1 = st->r[1], r2 = st->r[2], r3 = st->r[3];
	__u64 s1 = r1 + (r1 >> 2), s2 = r2 + (r2 >> 2), s3 = r3 + (r3 >> 2);
	__u64 h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], h3 = st->h[3], h4 = st->h[4];
	__u64 d0, d1, d2, d3, c;
	__u32 i;

	for (i = 0; i < max_blocks; i++) {
		const __u32 *m = &msg[i * 4];

		if (i >= nblocks)
			break;
		h0 += m[0];
		h1 += m[1];
		h2 += m[2];
		h3 += m[3];
		h4 += hibit;

		/* h * r, the 2^128 multiples folded in through s. */
		d0 = h0 * r0 + h1 * s3 + h2 * s2 + h3 * s1;
		d1 = h0 * r1 + h1 * r0 + h2 * s3 + h3 * s2 + h4 * s1;
		d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s3 + h4 * s2;
		d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s3;
		c = h4 * r0 + (d3 >> 32);

		/* One carry step per column; bits 130 and up times 2^130 are 5
		 * times as much below: (c >> 2) * 5 = (c & ~3) + (c >> 2). */
		h0 = (d0 & 0xffffffff) + (c & ~3ULL) + (c >> 2);
		h1 = (d1 & 0xffffffff) + (d0 >> 32);
		h2 = (d2 & 0xffffffff) + (d1 >> 32);
		h3 = (d3 & 0xffffffff) + (d2 >> 32);
		h4 = c & 3;
	}
	st->h[0] = h0;
	st->h[1] = h1;
	st->h[2] = h2;
	st->h[3] = h3;
	st->h[4] = h4;
}

/* The first full block when h is still 0 and the block's upper 8 bytes are
 * zero, as ML-ESP's AAD block (SPI || Seq || 0^8) is: h = m holds two words
 * and the 2^128 bit, so h * r takes 8 multiplies instead of 20. The result
 * is reduced as in poly1305_blocks. */
static __always_inline void poly1305_block_2words(struct poly1305_state *st, __u32 m0, __u32 m1)
{
	__u64 r0 = st->r[0], r1 = st->r[1], r2 = st->r[2], r3 = st->r[3];
	__u64 s1 = r1 + (r1 >> 2), s2 = r2 + (r2 >> 2), s3 = r3 + (r3 >> 2);
	__u64 h0 = m0, h1 = m1, d0, d1, d2, d3, c;

	d0 = h0 * r0 + h1 * s3;
	d1 = h0 * r1 + h1 * r0 + s1;
	d2 = h0 * r2 + h1 * r1 + s2;
	d3 = h0 * r3 + h1 * r2 + s3;
	c = r0 + (d3 >> 32);
	st->h[0] = (d0 & 0xffffffff) + (c & ~3ULL) + (c >> 2);
	st->h[1] = (d1 & 0xffffffff) + (d0 >> 32);
	st->h[2] = (d2 & 0xffffffff) + (d1 >> 32);
	st->h[3] = (d3 & 0xffffffff) + (d2 >> 32);
	st->h[4] = c & 3;
}

/* tag = (h mod 2^130 - 5) + s mod 2^128, as four little-endian words. */
static __always_inline void poly1305_final(const struct poly1305_state *st,
					   __u32 tag[POLY1305_TAG_LEN / 4])
{
	__u64 h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], h3 = st->h[3], h4 = st->h[4];
	__u64 g, mask;
	__u32 g0, g1, g2, g3;

	/* The blocks leave carries pending: propagate them. */
	h1 += h0 >> 32;
	h0 &= 0xffffffff;
	h2 += h1 >> 32;
	h1 &= 0xffffffff;
	h3 += h2 >> 32;
	h2 &= 0xffffffff;
	h4 += h3 >> 32;
	h3 &= 0xffffffff;

	/* h < 2^131 here, so h mod p is h or h - p: g = h + 5 reaches 2^130
	 * exactly when h >= p, and then its low 130 bits are h - p. */
	g = h0 + 5;
	g0 = (__u32)g;
	g = h1 + (g >> 32);
	g1 = (__u32)g;
	g = h2 + (g >> 32);
	g2 = (__u32)g;
	g = h3 + (g >> 32);
	g3 = (__u32)g;
	g = h4 + (g >> 32);
	mask = 0 - (g >> 2); /* all ones: take g */
	mask &= 0xffffffff;
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);
	h2 = (h2 & ~mask) | (g2 & mask);
	h3 = (h3 & ~mask) | (g3 & mask);

	g = h0 + st->pad[0];
	tag[0] = (__u32)g;
	g = h1 + st->pad[1] + (g >> 32);
	tag[1] = (__u32)g;
	g = h2 + st->pad[2] + (g >> 32);
	tag[2] = (__u32)g;
	g = h3 + st->pad[3] + (g >> 32);
	tag[3] = (__u32)g;
}

#endif
