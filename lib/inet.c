#include "lib/inet.h"

#include <string.h>

#include <arpa/inet.h>

#include "lib/bytes.h"

uint16_t inet_l4_csum(const uint8_t *ip, uint8_t proto, const void *l4, size_t len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = proto;
	put_be16(pseudo + 10, (uint16_t)len);
	return inet_csum_field(inet_csum_add(inet_csum_add(0, pseudo, sizeof(pseudo)), l4, len));
}

void inet_csum_replace16(uint8_t *csum, uint16_t old_word, uint16_t new_word)
{
	/* HC' = ~(~HC + ~m + m') (RFC 1624, eqn. 3) */
	uint32_t sum = (uint16_t)~get_be16(csum);

	sum += (uint16_t)~old_word;
	sum += new_word;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	put_be16(csum, (uint16_t)~sum);
}

void inet_ip4_write(uint8_t *p, uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t tot_len,
		    uint8_t tos, uint16_t id, bool df, uint8_t ttl)
{
	uint32_t s = ntohl(saddr), d = ntohl(daddr), sum;
	uint16_t frag = df ? 0x4000 : 0;

	/* The checksum from the field values, not by reading back the bytes
	 * just stored: wide loads of fresh byte stores stall the pipeline
	 * (store forwarding), and this runs per tunnelled packet. */
	sum = (0x45u << 8 | tos) + tot_len + id + frag + ((uint32_t)ttl << 8 | proto);
	sum += (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff);
	p[0] = 0x45;
	p[1] = tos;
	put_be16(p + 2, tot_len);
	put_be16(p + 4, id);
	put_be16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	put_be16(p + 10, (uint16_t)~inet_csum_fold(sum));
	memcpy(p + 12, &saddr, 4);
	memcpy(p + 16, &daddr, 4);
}
