#include "worker/pkt.h"

#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"

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

void ep_eth_write(uint8_t *p, const uint8_t dst[EP_ETH_ALEN], const uint8_t src[EP_ETH_ALEN])
{
	memcpy(p, dst, EP_ETH_ALEN);
	memcpy(p + EP_ETH_ALEN, src, EP_ETH_ALEN);
	p[12] = 0x08;
	p[13] = 0x00;
}

int ep_ip_ttl_dec(uint8_t *p)
{
	uint16_t old_word = get_be16(p + 8);

	if (p[8] <= 1)
		return -1;
	p[8]--;
	inet_csum_replace16(p + 10, old_word, get_be16(p + 8));
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
