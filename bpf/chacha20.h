/* ChaCha20 block function (RFC 8439 section 2.3) for BPF programs.
 *
 * The 16-word state lives in locals so that clang keeps what fits of it in
 * the ten BPF registers; the 10 double rounds are a rolled loop (the verifier
 * walks it 10 times, the JIT emits it once). All arithmetic is 32-bit, which
 * with -mcpu=v3 compiles to ALU32 instructions: no masking after adds. BPF has
 * no rotate instruction: a rotation is mov, lsh, rsh, or. Words are loaded in
 * host order, which is little-endian on every architecture the data plane runs
 * on (x86-64, arm64), as ChaCha20 wants. */
#ifndef MML_BPF_CHACHA20_H
#define MML_BPF_CHACHA20_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#define CHACHA20_BLOCK_WORDS 16
#define CHACHA20_BLOCK_LEN 64

/* Rounds per loop iteration, 2 (one double round, rolled) by default; 4 or 10
 * unroll the loop further (bench/ compares them). */
#ifndef CHACHA20_ROUNDS_PER_ITER
#define CHACHA20_ROUNDS_PER_ITER 2
#endif

#define CHACHA20_ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))

#define CHACHA20_QR(a, b, c, d)           \
	do {                              \
		a += b;                   \
		d ^= a;                   \
		d = CHACHA20_ROTL(d, 16); \
		c += d;                   \
		b ^= c;                   \
		b = CHACHA20_ROTL(b, 12); \
		a += b;                   \
		d ^= a;                   \
		d = CHACHA20_ROTL(d, 8);  \
		c += d;                   \
		b ^= c;                   \
		b = CHACHA20_ROTL(b, 7);  \
	} while (0)

#define CHACHA20_DOUBLE_ROUND()                \
	do {                                   \
		CHACHA20_QR(x0, x4, x8, x12);  \
		CHACHA20_QR(x1, x5, x9, x13);  \
		CHACHA20_QR(x2, x6, x10, x14); \
		CHACHA20_QR(x3, x7, x11, x15); \
		CHACHA20_QR(x0, x5, x10, x15); \
		CHACHA20_QR(x1, x6, x11, x12); \
		CHACHA20_QR(x2, x7, x8, x13);  \
		CHACHA20_QR(x3, x4, x9, x14);  \
	} while (0)

/* The input state of RFC 8439 section 2.3: constants, key, counter, nonce. */
static __always_inline void chacha20_init(__u32 state[CHACHA20_BLOCK_WORDS], const __u32 key[8],
					  __u32 counter, __u32 nonce0, __u32 nonce1, __u32 nonce2)
{
	state[0] = 0x61707865;
	state[1] = 0x3320646e;
	state[2] = 0x79622d32;
	state[3] = 0x6b206574;
	state[4] = key[0];
	state[5] = key[1];
	state[6] = key[2];
	state[7] = key[3];
	state[8] = key[4];
	state[9] = key[5];
	state[10] = key[6];
	state[11] = key[7];
	state[12] = counter;
	state[13] = nonce0;
	state[14] = nonce1;
	state[15] = nonce2;
}

/* out = the first nout words (8 or 16, a constant) of the ChaCha20 block of
 * in (in's word 12 is the block counter): the Poly1305 key needs only 8. */
static __always_inline void chacha20_block(const __u32 in[CHACHA20_BLOCK_WORDS],
					   __u32 out[CHACHA20_BLOCK_WORDS], int nout)
{
	__u32 x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
	__u32 x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
	__u32 x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
	__u32 x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];
	int i;

#pragma clang loop unroll(disable)
	for (i = 0; i < 20; i += CHACHA20_ROUNDS_PER_ITER) {
		CHACHA20_DOUBLE_ROUND();
#if CHACHA20_ROUNDS_PER_ITER >= 4
		CHACHA20_DOUBLE_ROUND();
#endif
#if CHACHA20_ROUNDS_PER_ITER >= 10
		CHACHA20_DOUBLE_ROUND();
		CHACHA20_DOUBLE_ROUND();
		CHACHA20_DOUBLE_ROUND();
#endif
	}

	out[0] = x0 + in[0];
	out[1] = x1 + in[1];
	out[2] = x2 + in[2];
	out[3] = x3 + in[3];
	out[4] = x4 + in[4];
	out[5] = x5 + in[5];
	out[6] = x6 + in[6];
	out[7] = x7 + in[7];
	if (nout <= 8)
		return;
	out[8] = x8 + in[8];
	out[9] = x9 + in[9];
	out[10] = x10 + in[10];
	out[11] = x11 + in[11];
	out[12] = x12 + in[12];
	out[13] = x13 + in[13];
	out[14] = x14 + in[14];
	out[15] = x15 + in[15];
}

#endif
