/* Test and bench entry points over the FA's own headers (never attached to
 * an interface):
 *   test_chacha20_block, test_poly1305, test_aead_open: the BPF crypto on
 *     inputs in crypto_io (global data), for the RFC 8439 known answers and
 *     random cases checked against OpenSSL (tests/bpf/fa-crypto.c);
 *   bench_fa_down, bench_fa_up, bench_restore_only, bench_empty: the real
 *     workers, then
 *     the frame put back as it was, so that BPF_PROG_TEST_RUN's repeat mode
 *     (which reuses one frame) measures the same packet every time
 *     (bench/fa-bench.c). */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "fa.h"

#include "fa_test.h"

#define POLY_MSG_MAX FA_TEST_MSG_MAX
_Static_assert(FA_TEST_CT_MAX == AEAD_CT_MAX && FA_TEST_AAD_MAX == AEAD_AAD_MAX, "io sizes");

struct crypto_io crypto_io = {};

static __always_inline struct aead_work *test_work(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&mml_fa_scratch, &zero);
}

SEC("xdp")
int test_chacha20_block(struct xdp_md *ctx)
{
	struct aead_work *w = test_work();

	if (!w)
		return XDP_ABORTED;
	chacha20_init(w->state, crypto_io.key, crypto_io.counter, crypto_io.nonce[0],
		      crypto_io.nonce[1], crypto_io.nonce[2]);
	chacha20_block(w->state, crypto_io.out, CHACHA20_BLOCK_WORDS);
	return XDP_PASS;
}

SEC("xdp")
int test_poly1305(struct xdp_md *ctx)
{
	struct aead_work *w = test_work();
	__u32 len = crypto_io.len, full, i, rest;
	__u32 last[4] = {};

	if (!w || len > POLY_MSG_MAX)
		return XDP_ABORTED;
	poly1305_init(&w->poly, crypto_io.key);
	full = len / POLY1305_BLOCK_LEN;
	poly1305_blocks(&w->poly, (const __u32 *)crypto_io.msg, full,
			POLY_MSG_MAX / POLY1305_BLOCK_LEN, 1);
	/* A final partial block gets a 0x01 byte after it and no 2^128 bit. */
	rest = len % POLY1305_BLOCK_LEN;
	if (rest) {
		for (i = 0; i < POLY1305_BLOCK_LEN; i++) {
			__u32 at = full * POLY1305_BLOCK_LEN + i;

			if (i > rest || at >= POLY_MSG_MAX)
				break;
			((__u8 *)last)[i] = i == rest ? 1 : crypto_io.msg[at];
		}
		poly1305_blocks(&w->poly, last, 1, 1, 0);
	}
	poly1305_final(&w->poly, crypto_io.out);
	return XDP_PASS;
}

SEC("xdp")
int test_aead_open(struct xdp_md *ctx)
{
	struct aead_work *w = test_work();

	if (!w || crypto_io.aad_len > AEAD_AAD_MAX || crypto_io.len > AEAD_CT_MAX)
		return XDP_ABORTED;
	__builtin_memset(w->mac, 0, AEAD_AAD_MAX);
	__builtin_memcpy(w->mac, crypto_io.aad, AEAD_AAD_MAX);
	__builtin_memcpy(&w->mac[AEAD_AAD_MAX], crypto_io.msg, AEAD_CT_MAX);
	__builtin_memcpy(w->tag, crypto_io.tag, POLY1305_TAG_LEN);
	crypto_io.result =
		aead_open(w, crypto_io.key, crypto_io.nonce[0], crypto_io.nonce[1],
			  crypto_io.nonce[2], crypto_io.aad_len, crypto_io.len, crypto_io.out);
	return XDP_PASS;
}

#define BENCH_SAVE_LEN (ETH_HLEN + 2 * IPV4_MIN_HLEN)

/* Run a worker, then move the head back and restore the bytes it
 * overwrote (decap writes the new Ethernet header over the outer IPv4
 * header, encap writes in front of the frame). Bench frames have a 20-byte
 * outer header, and only a redirect moved the head: by +20 for a decap,
 * -20 for an encap. */
static __always_inline int bench_restore(struct xdp_md *ctx, int verdict, int moved,
					 const __u8 *saved)
{
	void *data, *end;

	if (moved && bpf_xdp_adjust_head(ctx, (int)-moved))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + BENCH_SAVE_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, saved, BENCH_SAVE_LEN);
	return verdict;
}

static __always_inline int bench_run(struct xdp_md *ctx, int up)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 saved[BENCH_SAVE_LEN];
	int verdict, moved = 0;

	if (data + BENCH_SAVE_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(saved, data, BENCH_SAVE_LEN);
	verdict = up ? fa_up(ctx) : fa_down(ctx);
	if (verdict == XDP_REDIRECT)
		moved = up ? -IPV4_MIN_HLEN : IPV4_MIN_HLEN;
	return bench_restore(ctx, verdict, moved, saved);
}

SEC("xdp")
int bench_fa_down(struct xdp_md *ctx)
{
	return bench_run(ctx, 0);
}

SEC("xdp")
int bench_fa_up(struct xdp_md *ctx)
{
	return bench_run(ctx, 1);
}

/* The test run's own per-packet cost: a program that does nothing. */
SEC("xdp")
int bench_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Two head moves: half of this is the one adjust_head of a real decap that
 * bench_restore_only also performs. */
SEC("xdp")
int bench_adjust_pair(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, IPV4_MIN_HLEN) || bpf_xdp_adjust_head(ctx, -IPV4_MIN_HLEN))
		return XDP_ABORTED;
	return XDP_PASS;
}

/* The harness plus the decap's own head move: save, move, move back,
 * restore. */
SEC("xdp")
int bench_restore_only(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 saved[BENCH_SAVE_LEN];

	if (data + BENCH_SAVE_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(saved, data, BENCH_SAVE_LEN);
	if (bpf_xdp_adjust_head(ctx, IPV4_MIN_HLEN))
		return XDP_ABORTED;
	return bench_restore(ctx, XDP_REDIRECT, IPV4_MIN_HLEN, saved);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
