/* Poly1305 (RFC 8439 section 2.5) for BPF programs, in radix 2^26.
 *
 * BPF multiplies 64 x 64 -> 64 bits only (no high half, no __int128), so the
 * 44-bit-limb form of 64-bit CPUs is out of reach; five 26-bit limbs make
 * every partial product fit in 64 bits: h_i < 2^27, r_i < 2^26, 5 r_i < 2^29,
 * a sum of five products < 2^59. The accumulator lives in a struct the caller
 * owns (scratch map memory), because the limbs, r, 5r and the message words
 * do not fit in the ten BPF registers anyway. */
#ifndef MML_BPF_POLY1305_H
#define MML_BPF_POLY1305_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#define POLY1305_KEY_LEN 32
#define POLY1305_BLOCK_LEN 16
#define POLY1305_TAG_LEN 16
#define POLY1305_MASK26 0x3ffffffu

struct poly1305_state {
	__u32 r[5];   /* clamped r in radix 2^26 */
	__u32 s[4];   /* 5 * r[1..4]: the reduction folded into the multiplication */
	__u32 h[5];   /* accumulator */
	__u32 pad[4]; /* s of the RFC: added at the end */
};

static __always_inline void poly1305_init(struct poly1305_state *st,
					  const __u32 key[POLY1305_KEY_LEN / 4])
{
	__u32 t0 = key[0], t1 = key[1], t2 = key[2], t3 = key[3];

	/* r &= 0x0ffffffc0ffffffc0ffffffc0fffffff, applied limb by limb. */
	st->r[0] = t0 & 0x3ffffff;
	st->r[1] = ((t0 >> 26) | (t1 << 6)) & 0x3ffff03;
	st->r[2] = ((t1 >> 20) | (t2 << 12)) & 0x3ffc0ff;
	st->r[3] = ((t2 >> 14) | (t3 << 18)) & 0x3f03fff;
	st->r[4] = (t3 >> 8) & 0x00fffff;
	st->s[0] = st->r[1] * 5;
	st->s[1] = st->r[2] * 5;
	st->s[2] = st->r[3] * 5;
	st->s[3] = st->r[4] * 5;
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

/* h = (h + m) * r mod 2^130 - 5 for one 16-byte block given as four
 * little-endian words; hibit is 1 << 24 for a full block (the 2^128 bit),
 * 0 for a final block already padded with 0x01. */
static __always_inline void poly1305_block(struct poly1305_state *st, __u32 m0, __u32 m1, __u32 m2,
					   __u32 m3, __u32 hibit)
{
	__u64 r0 = st->r[0], r1 = st->r[1], r2 = st->r[2], r3 = st->r[3], r4 = st->r[4];
	__u64 s1 = st->s[0], s2 = st->s[1], s3 = st->s[2], s4 = st->s[3];
	__u64 h0, h1, h2, h3, h4, d0, d1, d2, d3, d4, c;

	h0 = st->h[0] + (m0 & POLY1305_MASK26);
	h1 = st->h[1] + (((m0 >> 26) | (m1 << 6)) & POLY1305_MASK26);
	h2 = st->h[2] + (((m1 >> 20) | (m2 << 12)) & POLY1305_MASK26);
	h3 = st->h[3] + (((m2 >> 14) | (m3 << 18)) & POLY1305_MASK26);
	h4 = st->h[4] + ((m3 >> 8) | hibit);

	d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
	d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
	d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
	d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
	d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;

	/* Partial carry: limbs end below 2^26 except h1 (< 2^26 + 2^6). */
	c = d0 >> 26;
	h0 = d0 & POLY1305_MASK26;
	d1 += c;
	c = d1 >> 26;
	h1 = d1 & POLY1305_MASK26;
	d2 += c;
	c = d2 >> 26;
	h2 = d2 & POLY1305_MASK26;
	d3 += c;
	c = d3 >> 26;
	h3 = d3 & POLY1305_MASK26;
	d4 += c;
	c = d4 >> 26;
	h4 = d4 & POLY1305_MASK26;
	h0 += c * 5;
	c = h0 >> 26;
	h0 &= POLY1305_MASK26;
	h1 += c;

	st->h[0] = h0;
	st->h[1] = h1;
	st->h[2] = h2;
	st->h[3] = h3;
	st->h[4] = h4;
}

/* tag = (h mod 2^130 - 5) + s mod 2^128, as four little-endian words. */
static __always_inline void poly1305_final(const struct poly1305_state *st,
					   __u32 tag[POLY1305_TAG_LEN / 4])
{
	__u32 h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], h3 = st->h[3], h4 = st->h[4];
	__u32 g0, g1, g2, g3, g4, c, mask;
	__u64 f;

	/* Full carry. */
	c = h1 >> 26;
	h1 &= POLY1305_MASK26;
	h2 += c;
	c = h2 >> 26;
	h2 &= POLY1305_MASK26;
	h3 += c;
	c = h3 >> 26;
	h3 &= POLY1305_MASK26;
	h4 += c;
	c = h4 >> 26;
	h4 &= POLY1305_MASK26;
	h0 += c * 5;
	c = h0 >> 26;
	h0 &= POLY1305_MASK26;
	h1 += c;

	/* g = h + -p; keep g if h >= p (no borrow out of bit 130). */
	g0 = h0 + 5;
	c = g0 >> 26;
	g0 &= POLY1305_MASK26;
	g1 = h1 + c;
	c = g1 >> 26;
	g1 &= POLY1305_MASK26;
	g2 = h2 + c;
	c = g2 >> 26;
	g2 &= POLY1305_MASK26;
	g3 = h3 + c;
	c = g3 >> 26;
	g3 &= POLY1305_MASK26;
	g4 = h4 + c - (1u << 26);

	mask = (g4 >> 31) - 1; /* all ones if g4 did not go negative */
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);
	h2 = (h2 & ~mask) | (g2 & mask);
	h3 = (h3 & ~mask) | (g3 & mask);
	h4 = (h4 & ~mask) | (g4 & mask);

	/* Back to radix 2^32, then + s with carries. */
	h0 = h0 | (h1 << 26);
	h1 = (h1 >> 6) | (h2 << 20);
	h2 = (h2 >> 12) | (h3 << 14);
	h3 = (h3 >> 18) | (h4 << 8);

	f = (__u64)h0 + st->pad[0];
	tag[0] = (__u32)f;
	f = (__u64)h1 + st->pad[1] + (f >> 32);
	tag[1] = (__u32)f;
	f = (__u64)h2 + st->pad[2] + (f >> 32);
	tag[2] = (__u32)f;
	f = (__u64)h3 + st->pad[3] + (f >> 32);
	tag[3] = (__u32)f;
}

#endif
