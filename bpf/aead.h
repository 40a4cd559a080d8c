/* AEAD_CHACHA20_POLY1305 open (RFC 8439 section 2.8) for BPF programs, sized
 * for ML-ESP zone 1: AAD of at most 16 bytes, ciphertext of at most
 * AEAD_CT_MAX bytes. Everything happens in a caller-owned work area (per-CPU
 * map memory), never on the packet: the caller copies AAD, ciphertext and tag
 * in with bpf_xdp_load_bytes, and the verifier then sees map-value accesses
 * with known bounds only. */
#ifndef MML_BPF_AEAD_H
#define MML_BPF_AEAD_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "chacha20.h"
#include "poly1305.h"

#ifndef AEAD_CT_MAX
#define AEAD_CT_MAX 128
#endif
#define AEAD_AAD_MAX 16
/* Poly1305 input: AAD block | ciphertext padded to 16 | le64 lengths. */
#define AEAD_MAC_MAX (AEAD_AAD_MAX + AEAD_CT_MAX + 16)
#define AEAD_MAC_BLOCKS (AEAD_MAC_MAX / POLY1305_BLOCK_LEN)
#define AEAD_CT_WORDS (AEAD_CT_MAX / 4)

struct aead_work {
	__u32 state[CHACHA20_BLOCK_WORDS];			    /* ChaCha20 input */
	__u32 ks[CHACHA20_BLOCK_WORDS] __attribute__((aligned(8))); /* one keystream block */
	struct poly1305_state poly;
	__u32 tag[POLY1305_TAG_LEN / 4]; /* the received tag */
	/* AAD at 0, ciphertext at AEAD_AAD_MAX. 16 spare bytes: zeroing the
	 * padding may store 16 bytes past any ciphertext length, and the
	 * verifier cannot tie an empty AAD's one-block start to the shorter
	 * MAC that comes with it. */
	__u8 mac[AEAD_MAC_MAX + 16] __attribute__((aligned(8)));
};

/* Once mac holds the AAD (block 0 zero-padded by the caller) and ct_len
 * ciphertext bytes: zero the ciphertext's padding and append the lengths.
 * Returns the number of 16-byte Poly1305 blocks. */
static __always_inline __u32 aead_mac_finish(struct aead_work *w, __u32 aad_len, __u32 ct_len)
{
	__u32 padded = (ct_len + 15) & ~15u;
	__u64 *p;

	if (ct_len > AEAD_CT_MAX)
		return 0;
	/* Two unaligned 8-byte stores cover any padding (at most 15 bytes);
	 * the lengths block then overwrites what went past it. */
	p = (__u64 *)&w->mac[AEAD_AAD_MAX + ct_len];
	p[0] = 0;
	p[1] = 0;
	if (padded > AEAD_CT_MAX)
		return 0;
	p = (__u64 *)&w->mac[AEAD_AAD_MAX + padded];
	p[0] = aad_len;
	p[1] = ct_len;
	return (AEAD_AAD_MAX + padded + 16) / POLY1305_BLOCK_LEN;
}

/* Decrypt ct_len bytes of w->mac (already authenticated) into out, which
 * must hold ct_len rounded up to 4 bytes; state's words 4..11, 13..15 are
 * set. A keystream block at a time, XORed 8 bytes at a time (an odd last
 * word alone): per word, the loop's bookkeeping cost more than the XOR. */
static __always_inline void aead_decrypt(struct aead_work *w, __u32 ct_len, __u32 *out)
{
	const __u32 *ct = (const __u32 *)&w->mac[AEAD_AAD_MAX];
	__u32 words = (ct_len + 3) / 4, b, j, at;

	for (b = 0; b < AEAD_CT_MAX / CHACHA20_BLOCK_LEN; b++) {
		if (b * CHACHA20_BLOCK_WORDS >= words)
			break;
		w->state[12] = 1 + b;
		chacha20_block(w->state, w->ks, CHACHA20_BLOCK_WORDS);
#pragma unroll
		for (j = 0; j < CHACHA20_BLOCK_WORDS; j += 2) {
			at = b * CHACHA20_BLOCK_WORDS + j;
			if (at + 2 > words) {
				if (at < words)
					out[at] = ct[at] ^ w->ks[j];
				break;
			}
			*(__u64 *)&out[at] = *(const __u64 *)&ct[at] ^ *(const __u64 *)&w->ks[j];
		}
	}
}

/* Poly1305 key from block 0, MAC over w->mac, compare with w->tag, and only
 * if it matches decrypt into out. key and nonce are host-order words of the
 * little-endian byte strings. Returns 0, or -1 if the tag does not match. */
static __always_inline int aead_open(struct aead_work *w, const __u32 key[8], __u32 nonce0,
				     __u32 nonce1, __u32 nonce2, __u32 aad_len, __u32 ct_len,
				     __u32 *out)
{
	__u32 nblocks, first, diff, tag[4];

	nblocks = aead_mac_finish(w, aad_len, ct_len);
	if (!nblocks)
		return -1;
	chacha20_init(w->state, key, 0, nonce0, nonce1, nonce2);
	chacha20_block(w->state, w->ks, POLY1305_KEY_LEN / 4);
	poly1305_init(&w->poly, w->ks);

	/* An empty AAD has no padding either: the MAC starts at block 1. An
	 * AAD of up to 8 bytes (ML-ESP's) leaves half of its block zero. */
	first = aad_len ? 0 : 1;
	if (aad_len && aad_len <= 8) {
		poly1305_block_2words(&w->poly, ((const __u32 *)w->mac)[0],
				      ((const __u32 *)w->mac)[1]);
		first = 1;
	}
	poly1305_blocks(&w->poly, (const __u32 *)&w->mac[first * POLY1305_BLOCK_LEN],
			nblocks - first, AEAD_MAC_BLOCKS, 1);
	poly1305_final(&w->poly, tag);

	/* No early exit: how much of the tag matched stays unobservable. */
	diff = (tag[0] ^ w->tag[0]) | (tag[1] ^ w->tag[1]) | (tag[2] ^ w->tag[2]) |
	       (tag[3] ^ w->tag[3]);
	if (diff)
		return -1;
	aead_decrypt(w, ct_len, out);
	return 0;
}

#endif
