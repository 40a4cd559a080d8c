/* ChaCha20 block function (RFC 8439 section 2.3) for BPF programs.
 *
 * The ten double rounds are a rolled loop (the verifier walks it ten times,
 * the JIT emits it once) whose body is one double round in inline BPF
 * assembly, because register allocation decides the speed here and clang's
 * does not fit BPF's ten registers well: the 16 words need 17 registers with
 * a temporary, and clang spilled and copied them (~300 instructions a double
 * round with 63 register moves alone, 324 once inlined into the XDP
 * program), which cost the FA's zone-1 path ~20 ns a block against this
 * fixed allocation (docs/fa.md):
 *
 *   - rows b (words 4..7) and d (12..15) stay in eight registers for the
 *     whole block: every step of every quarter round updates one of them;
 *   - rows a (0..3) and c (8..11) live in memory (the output block, map
 *     memory), read, added to and written back by the step that updates
 *     them, with the ninth register as temporary and the tenth pointing to
 *     the memory: a quarter round  a += b; d ^= a; d <<<= 16;
 *     c += d; b ^= c; b <<<= 12; ...  becomes four steps of the form
 *     t = mem; t += x; mem = t; y ^= t; y <<<= n;
 *   - each step is done for the four quarter rounds of a round in turn, so
 *     that four independent chains are in flight.
 *
 * That is 192 ALU instructions (rotation = mov, rsh, lsh, or: BPF has no
 * rotate) and 64 memory accesses a double round, no other copies (clang adds
 * 16 stack accesses around the asm statement, for rows b and d). All
 * arithmetic is ALU32 (the "w" registers: no masking after adds). Words are
 * in host order, which is little-endian on every architecture the data plane
 * runs on (x86-64, arm64), as ChaCha20 wants. */
#ifndef MML_BPF_CHACHA20_H
#define MML_BPF_CHACHA20_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#define CHACHA20_BLOCK_WORDS 16
#define CHACHA20_BLOCK_LEN 64

#define CHACHA20_STR_(x) #x
#define CHACHA20_STR(x) CHACHA20_STR_(x)

/* One step of a quarter round: the memory word at byte offset off (row a or
 * c) += register x, then register y ^= it and y <<<= n. (Kept as written:
 * clang-format would break the instructions apart.) */
/* clang-format off */
#define CHACHA20_STEP(off, x, y, n)                             \
	"%[t] = *(u32 *)(%[p] + " CHACHA20_STR(off) ")\n\t"     \
	"%[t] += %[" x "]\n\t"                                  \
	"*(u32 *)(%[p] + " CHACHA20_STR(off) ") = %[t]\n\t"     \
	"%[" y "] ^= %[t]\n\t"                                  \
	"%[t] = %[" y "]\n\t"                                   \
	"%[t] >>= " CHACHA20_STR(32 - n) "\n\t"                 \
	"%[" y "] <<= " CHACHA20_STR(n) "\n\t"                  \
	"%[" y "] |= %[t]\n\t"
/* clang-format on */

/* Four quarter rounds (a_i, b_i, c_i, d_i): a_i, c_i are byte offsets of
 * words in memory, b_i, d_i operand names; step by step across the four. */
#define CHACHA20_ROUND(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3) \
	CHACHA20_STEP(a0, b0, d0, 16)                                                  \
	CHACHA20_STEP(a1, b1, d1, 16)                                                  \
	CHACHA20_STEP(a2, b2, d2, 16)                                                  \
	CHACHA20_STEP(a3, b3, d3, 16)                                                  \
	CHACHA20_STEP(c0, d0, b0, 12)                                                  \
	CHACHA20_STEP(c1, d1, b1, 12)                                                  \
	CHACHA20_STEP(c2, d2, b2, 12)                                                  \
	CHACHA20_STEP(c3, d3, b3, 12)                                                  \
	CHACHA20_STEP(a0, b0, d0, 8)                                                   \
	CHACHA20_STEP(a1, b1, d1, 8)                                                   \
	CHACHA20_STEP(a2, b2, d2, 8)                                                   \
	CHACHA20_STEP(a3, b3, d3, 8)                                                   \
	CHACHA20_STEP(c0, d0, b0, 7)                                                   \
	CHACHA20_STEP(c1, d1, b1, 7)                                                   \
	CHACHA20_STEP(c2, d2, b2, 7)                                                   \
	CHACHA20_STEP(c3, d3, b3, 7)

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
 * in (in's word 12 is the block counter): the Poly1305 key needs only 8. out
 * must hold 16 words in map memory (rows a and c are worked on there). */
static __always_inline void chacha20_block(const __u32 in[CHACHA20_BLOCK_WORDS],
					   __u32 out[CHACHA20_BLOCK_WORDS], int nout)
{
	__u32 x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
	__u32 x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15], t;
	int i;

	out[0] = in[0];
	out[1] = in[1];
	out[2] = in[2];
	out[3] = in[3];
	out[8] = in[8];
	out[9] = in[9];
	out[10] = in[10];
	out[11] = in[11];
#pragma clang loop unroll(disable)
	for (i = 0; i < 10; i++) {
		/* Columns (0,4,8,12) .. (3,7,11,15), then diagonals
		 * (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14); row a at
		 * bytes 0..12, row c at 32..44. */
		asm volatile(CHACHA20_ROUND(0, "x4", 32, "x12", 4, "x5", 36, "x13", 8, "x6", 40,
					    "x14", 12, "x7", 44, "x15")
				     CHACHA20_ROUND(0, "x5", 40, "x15", 4, "x6", 44, "x12", 8, "x7",
						    32, "x13", 12, "x4", 36, "x14")
			     : [x4] "+w"(x4), [x5] "+w"(x5), [x6] "+w"(x6), [x7] "+w"(x7),
			       [x12] "+w"(x12), [x13] "+w"(x13), [x14] "+w"(x14), [x15] "+w"(x15),
			       [t] "=&w"(t)
			     : [p] "r"(out)
			     : "memory");
	}

	out[0] += in[0];
	out[1] += in[1];
	out[2] += in[2];
	out[3] += in[3];
	out[4] = x4 + in[4];
	out[5] = x5 + in[5];
	out[6] = x6 + in[6];
	out[7] = x7 + in[7];
	if (nout <= 8)
		return;
	out[8] += in[8];
	out[9] += in[9];
	out[10] += in[10];
	out[11] += in[11];
	out[12] = x12 + in[12];
	out[13] = x13 + in[13];
	out[14] = x14 + in[14];
	out[15] = x15 + in[15];
}

#endif
