/* Shared by tests/bpf/fa_test.bpf.c and its userspace drivers (tests/bpf/,
 * bench/): the global that carries crypto test inputs and outputs. */
#ifndef MML_BPF_FA_TEST_H
#define MML_BPF_FA_TEST_H

#include "maps/types.h"

#define FA_TEST_AAD_MAX 16
#define FA_TEST_CT_MAX 128
#define FA_TEST_MSG_MAX 256
#define FA_TEST_BLOCK 16

struct crypto_io {
	__u32 key[8];
	__u32 nonce[3];
	__u32 counter;
	__u32 aad_len;
	__u32 len; /* message or ciphertext bytes */
	__s32 result;
	__u32 pad;
	__u8 aad[FA_TEST_AAD_MAX];
	__u8 tag[16];
	__u32 out[FA_TEST_CT_MAX / 4]; /* keystream block, MAC or plaintext */
	/* Slack of one block: the verifier sees full blocks * 16 + i. */
	__u8 msg[FA_TEST_MSG_MAX + FA_TEST_BLOCK];
};

MML_STATIC_ASSERT(sizeof(struct crypto_io) == 496, "crypto_io layout");

#endif
