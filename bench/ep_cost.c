/* bench-ep-cost: the endpoint worker's own cost per packet, with the same
 * code the worker runs (worker/proto.c, worker/pkt.c), without the rings:
 *   HA encapsulation: TTL, flow lookup, protect (the out-of-place copy into
 *   a TX frame included), Mobile IP and Ethernet headers;
 *   MH decapsulation: SA lookup, authenticate + decrypt in place, replay
 *   window, trailer, inner-address check (a copy of the frame is made first
 *   so that every round decrypts fresh ciphertext; its cost is printed apart).
 * Best of several rounds, 1400-byte inner packets unless given. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/ep_setup.h"
#include "lib/bytes.h"
#include "worker/pkt.h"
#include "worker/proto.h"

#define ROUNDS 5
#define NPKT 256 /* frames in flight: the pool hands out recently freed ones */
#define FRAME 2048

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };

/* One HA downlink packet, as worker/loop.c's ha_down + send_protected. */
static size_t ha_encap(struct bench_side *s, uint8_t *rx, size_t len, uint8_t *tx)
{
	const struct mml_binding *b;
	unsigned int stat;
	struct ep_ip ip;
	ssize_t n;

	rx[EP_ETH_HLEN + 8] = 64; /* the same TTL every time */
	put_be16(rx + EP_ETH_HLEN + 10, 0);
	put_be16(rx + EP_ETH_HLEN + 10, inet_csum(rx + EP_ETH_HLEN, 20));
	if (ep_ip_parse(rx + EP_ETH_HLEN, len - EP_ETH_HLEN, &ip))
		abort();
	b = ep_binding_get(&s->t.binds, ip.daddr);
	if (!b || ep_ip_ttl_dec(rx + EP_ETH_HLEN))
		abort();
	n = ep_protect(&s->t, EP_SIDE_HA, b, rx + EP_ETH_HLEN, ip.tot, tx + 34, FRAME - 34, &stat);
	if (n < 0)
		abort();
	inet_ip4_write(tx + 14, b->ha_addr, b->coa, EP_PROTO_IPIP, (uint16_t)(n + 20), tx[35], 1,
		       false, EP_TTL);
	ep_eth_write(tx, mac, mac);
	return (size_t)n + 34;
}

static void bench(const char *name, uint8_t format, uint8_t alg, uint8_t mode, size_t len)
{
	uint32_t home = htonl(0x0a01000a), peer = htonl(0x0a000101);
	struct mml_csa out = bench_csa(format, alg, MML_DIR_OUT, 0x1000);
	struct mml_csa in = bench_csa(format, alg, MML_DIR_IN, 0x1000);
	static uint8_t rx[FRAME], pkts[NPKT][FRAME], work[FRAME];
	static size_t plen[NPKT];
	double best_enc = 1e18, best_dec = 1e18, best_copy = 1e18;
	struct bench_side ha, mh;
	uint8_t *inner;

	bench_side_init(&ha, mode ? &out : NULL, mode, home);
	bench_side_init(&mh, mode ? &in : NULL, mode, home);
	ep_eth_write(rx, mac, mac);
	bench_inner_packet(rx + EP_ETH_HLEN, len, peer, home);
	for (int r = 0; r < ROUNDS; r++) {
		long long t0 = now_ns();

		for (int i = 0; i < NPKT; i++)
			plen[i] = ha_encap(&ha, rx, len + EP_ETH_HLEN, pkts[i]);
		best_enc = (double)(now_ns() - t0) / NPKT < best_enc ?
				   (double)(now_ns() - t0) / NPKT :
				   best_enc;
		if (!mode)
			continue;
		/* A new receiver per round: the sequence numbers are new to it. */
		ep_sacache_load(&mh.t.sas, NULL, 0);
		ep_sacache_load(&mh.t.sas, &in, 1);
		t0 = now_ns();
		for (int i = 0; i < NPKT; i++) {
			unsigned int stat;

			memcpy(work, pkts[i], plen[i]);
			if (ep_unprotect(&mh.t, EP_SIDE_MH, home, 0, work + 34, plen[i] - 34,
					 &inner, &stat) != (ssize_t)len)
				abort();
		}
		best_dec = (double)(now_ns() - t0) / NPKT < best_dec ?
				   (double)(now_ns() - t0) / NPKT :
				   best_dec;
		t0 = now_ns();
		for (int i = 0; i < NPKT; i++) {
			memcpy(work, pkts[i], plen[i]);
			__asm__ volatile("" : : "r"(work) : "memory");
		}
		best_copy = (double)(now_ns() - t0) / NPKT < best_copy ?
				    (double)(now_ns() - t0) / NPKT :
				    best_copy;
	}
	if (mode)
		printf("%-28s %5zu B   HA encap %6.0f ns   MH decap %6.0f ns (incl. %3.0f ns copy)\n",
		       name, len, best_enc, best_dec, best_copy);
	else
		printf("%-28s %5zu B   HA encap %6.0f ns   MH decap   (stack, no worker)\n", name,
		       len, best_enc);
	bench_side_free(&ha);
	bench_side_free(&mh);
}

int main(int argc, char **argv)
{
	size_t len = argc > 1 ? strtoul(argv[1], NULL, 0) : 1400;

	if (len < 40 || len > 1500) {
		fprintf(stderr, "usage: bench-ep-cost [INNER_LEN 40..1500]\n");
		return 2;
	}
	bench("plaintext", 0, 0, MML_MODE_PLAIN, len);
	bench("ESP aes256gcm", MML_FMT_ESP, MML_ALG_AES256_GCM, MML_MODE_ESP, len);
	bench("ESP chacha20poly1305", MML_FMT_ESP, MML_ALG_CHACHA20_POLY1305, MML_MODE_ESP, len);
	bench("ML-ESP z2 aes256gcm", MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_MODE_MLESP, len);
	bench("ML-ESP z2 chacha20poly1305", MML_FMT_MLESP, MML_ALG_CHACHA20_POLY1305,
	      MML_MODE_MLESP, len);
	return 0;
}
