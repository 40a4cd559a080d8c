#include "tests/bpf/fa-packets.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"
#include "lib/mlesp.h"

uint32_t ip4(const char *dotted)
{
	struct in_addr a;

	if (inet_pton(AF_INET, dotted, &a) != 1)
		abort();
	return a.s_addr;
}

void ipv4_fix_csum(uint8_t *iph)
{
	iph[10] = iph[11] = 0;
	put_be16(iph + 10, inet_csum(iph, (size_t)(iph[0] & 0xf) * 4));
}

void put_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t tot_len, size_t opt_len)
{
	memset(p, 0, IP_LEN + opt_len);
	p[0] = (uint8_t)(0x40 | ((IP_LEN + opt_len) / 4));
	p[1] = 0x10;
	put_be16(p + 2, (uint16_t)tot_len);
	put_be16(p + 4, 0x1234);
	put_be16(p + 6, 0x4000); /* DF */
	p[8] = 63;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	memset(p + IP_LEN, 1, opt_len); /* NOP options */
	ipv4_fix_csum(p);
}

void put_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put_be16(p + 12, type);
}

size_t build_inner(uint8_t *out, size_t len, uint32_t src, uint32_t dst,
		   const struct tcp_fields *tcp)
{
	size_t i;

	put_ipv4(out, src, dst, len >= 40 ? 6 : 253, len, 0);
	for (i = IP_LEN; i < len; i++)
		out[i] = (uint8_t)(i * 7);
	if (len >= 40) {
		uint8_t *t = out + IP_LEN;

		put_be16(t, tcp->sport);
		put_be16(t + 2, tcp->dport);
		put_be32(t + 4, tcp->seq);
		put_be32(t + 8, tcp->ack);
		t[12] = 5 << 4;
		t[13] = tcp->flags;
		put_be16(t + 14, tcp->window);
		put_be16(t + 16, 0); /* the FA does not check it */
		put_be16(t + 18, 0);
	}
	return len;
}

long build_mlesp(uint8_t *out, size_t cap, struct mml_sa *sa, uint32_t seq, uint32_t src,
		 uint32_t dst, const uint8_t *inner, size_t inner_len)
{
	ssize_t n;

	if (cap < IP_LEN)
		return -1;
	n = mml_mlesp_seal(sa, seq, inner, inner_len, out + IP_LEN, cap - IP_LEN);
	if (n < 0)
		return n;
	put_ipv4(out, src, dst, 50, IP_LEN + (size_t)n, 0);
	return IP_LEN + n;
}

void build_tunnel(struct frame *f, const uint8_t eth_dst[6], const uint8_t eth_src[6], uint32_t src,
		  uint32_t dst, const uint8_t *pkt, size_t len)
{
	put_eth(f->b, eth_dst, eth_src, 0x0800);
	put_ipv4(f->b + ETH_LEN, src, dst, 4, IP_LEN + len, 0);
	memcpy(f->b + ETH_LEN + IP_LEN, pkt, len);
	f->len = ETH_LEN + IP_LEN + len;
}

void build_eth(struct frame *f, const uint8_t eth_dst[6], const uint8_t eth_src[6],
	       const uint8_t *pkt, size_t len)
{
	put_eth(f->b, eth_dst, eth_src, 0x0800);
	memcpy(f->b + ETH_LEN, pkt, len);
	f->len = ETH_LEN + len;
}
