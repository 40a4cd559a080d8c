/* The Internet checksum (RFC 1071, incremental update RFC 1624) and the
 * IPv4 header every userspace packet builder writes: the worker's tunnel
 * headers and TSO segments, mmlkeyd's Mobile IP packets, the tests and the
 * benches. The worker calls these per packet: sums run over 32-bit words
 * in the data's own byte order. */
#ifndef MML_LIB_INET_H
#define MML_LIB_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>

#define INET_IP4_HLEN 20 /* headers we write carry no options */

/* One's-complement sum of p[0, len) added to sum, in the byte order of the
 * data (RFC 1071 1.2(B): the sum does not depend on it); an odd last byte
 * is padded with zero. Chain calls over pieces of even length. Inline: the
 * worker sums a 20-byte header per packet, and a constant length unrolls. */
static inline uint32_t inet_csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t acc = sum;
	uint32_t w;
	size_t i = 0;

	for (; i + 4 <= len; i += 4) {
		memcpy(&w, b + i, 4);
		acc += w;
	}
	if (i + 2 <= len) {
		uint16_t h;

		memcpy(&h, b + i, 2);
		acc += h;
		i += 2;
	}
	if (i < len) {
		uint8_t last[2] = { b[i], 0 };
		uint16_t h;

		memcpy(&h, last, 2);
		acc += h;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/* sum folded to 16 bits, not complemented, in the byte order of the data. */
static inline uint16_t inet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A sum in the data's byte order as the value of a big-endian field. */
static inline uint16_t inet_csum_field(uint32_t sum)
{
	return (uint16_t)~ntohs(inet_csum_fold(sum));
}

/* The checksum field for p[0, len), host order for put_be16. Over data
 * that holds its correct checksum: 0. */
static inline uint16_t inet_csum(const void *p, size_t len)
{
	return inet_csum_field(inet_csum_add(0, p, len));
}

/* The same for a TCP/UDP segment l4[0, len) under the pseudo-header of
 * the IPv4 header at ip (its addresses) with protocol proto. */
uint16_t inet_l4_csum(const uint8_t *ip, uint8_t proto, const void *l4, size_t len);
/* The 16-bit word old_word of a header became new_word: patch the
 * big-endian checksum field at csum without summing the header again. */
void inet_csum_replace16(uint8_t *csum, uint16_t old_word, uint16_t new_word);

/* A 20-byte IPv4 header with its checksum at p; addresses in network
 * order, df sets Don't Fragment (no other flags, offset 0). */
void inet_ip4_write(uint8_t *p, uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t tot_len,
		    uint8_t tos, uint16_t id, bool df, uint8_t ttl);

#endif
