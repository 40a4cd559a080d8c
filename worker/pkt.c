#include "worker/pkt.h"

#include <string.h>

#include "lib/bytes.h"

int ep_ip_parse(const uint8_t *p, size_t len, struct ep_ip *ip)
{
	uint16_t frag;

	if (len < EP_IP_HLEN || p[0] >> 4 != 4)
		return -1;
	ip->hlen = (uint16_t)((p[0] & 0xf) * 4);
	ip->tot = get_be16(p + 2);
	if (ip->hlen < EP_IP_HLEN || ip->tot < ip->hlen || ip->tot > len)
		return -1;
	ip->tos = p[1];
	frag = get_be16(p + 6);
	ip->df = frag & 0x4000;
	ip->fragment = frag & 0x3fff;
	ip->later_fragment = frag & 0x1fff;
	ip->ttl = p[8];
	ip->proto = p[9];
	memcpy(&ip->saddr, p + 12, 4);
	memcpy(&ip->daddr, p + 16, 4);
	return 0;
}

uint16_t ep_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (i < len)
		sum += (uint32_t)b[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void ep_ip_write(uint8_t *p, uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t tot_len,
		 uint8_t tos, uint16_t id, bool df)
{
	p[0] = 0x45;
	p[1] = tos;
	put_be16(p + 2, tot_len);
	put_be16(p + 4, id);
	put_be16(p + 6, df ? 0x4000 : 0);
	p[8] = EP_TTL;
	p[9] = proto;
	put_be16(p + 10, 0);
	memcpy(p + 12, &saddr, 4);
	memcpy(p + 16, &daddr, 4);
	put_be16(p + 10, ep_csum(p, EP_IP_HLEN));
}

void ep_eth_write(uint8_t *p, const uint8_t dst[EP_ETH_ALEN], const uint8_t src[EP_ETH_ALEN])
{
	memcpy(p, dst, EP_ETH_ALEN);
	memcpy(p + EP_ETH_ALEN, src, EP_ETH_ALEN);
	p[12] = 0x08;
	p[13] = 0x00;
}

int ep_ip_ttl_dec(uint8_t *p)
{
	uint32_t sum;

	if (p[8] <= 1)
		return -1;
	p[8]--;
	/* HC' = ~(~HC + ~m + m') with m = TTL<<8 | proto: the word drops by 0x100. */
	sum = (uint32_t)(uint16_t)~get_be16(p + 10) + 0xfeff;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	put_be16(p + 10, (uint16_t)~sum);
	return 0;
}

void ep_ports(const uint8_t *p, const struct ep_ip *ip, uint16_t *sport, uint16_t *dport)
{
	*sport = *dport = 0;
	if ((ip->proto != EP_PROTO_TCP && ip->proto != EP_PROTO_UDP) || ip->later_fragment ||
	    ip->tot < ip->hlen + 4u)
		return;
	*sport = get_be16(p + ip->hlen);
	*dport = get_be16(p + ip->hlen + 2);
}
