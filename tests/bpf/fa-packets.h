/* Frame builders of the FA suites: plain Ethernet/IPv4/TCP written field by
 * field, ML-ESP through the project's codec (lib/mlesp.h). Addresses are in
 * network order. */
#ifndef MML_TESTS_BPF_FA_PACKETS_H
#define MML_TESTS_BPF_FA_PACKETS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sa.h"

#define FRAME_MAX 2048
#define ETH_LEN	  14
#define IP_LEN	  20

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

struct tcp_fields {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
};

/* IPv4 header at p: 20 bytes + opt_len option bytes (NOP), checksum set. */
void put_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t tot_len,
	      size_t opt_len);
void put_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
void ipv4_fix_csum(uint8_t *iph);

/* An inner IPv4 packet of len bytes (20..FRAME_MAX): TCP with tcp's fields
 * and a patterned payload if len >= 40, else protocol 253 and filler. */
size_t build_inner(uint8_t *out, size_t len, uint32_t src, uint32_t dst,
		   const struct tcp_fields *tcp);

/* IPv4(src -> dst, protocol 50) + ML-ESP sealed by the codec; returns the
 * length or a negative error. */
long build_mlesp(uint8_t *out, size_t cap, struct mml_sa *sa, uint32_t seq, uint32_t src,
		 uint32_t dst, const uint8_t *inner, size_t inner_len);

/* Ethernet + IPv4(src -> dst, protocol 4) + pkt. */
void build_tunnel(struct frame *f, const uint8_t eth_dst[6], const uint8_t eth_src[6], uint32_t src,
		  uint32_t dst, const uint8_t *pkt, size_t len);
/* Ethernet + pkt. */
void build_eth(struct frame *f, const uint8_t eth_dst[6], const uint8_t eth_src[6],
	       const uint8_t *pkt, size_t len);

uint32_t ip4(const char *dotted);

#endif
