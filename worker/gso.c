#include "worker/gso.h"

#include <endian.h>
#include <string.h>

#include "lib/bytes.h"
#include "worker/pkt.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

uint32_t ep_csum_add(uint32_t sum, const void *p, size_t len)
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

uint16_t ep_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* TCP checksum of a whole segment: pseudo-header, header, payload. */
static void tcp_csum(uint8_t *ip, size_t ip_hlen, size_t tcp_len)
{
	uint8_t pseudo[12];
	uint8_t *th = ip + ip_hlen;
	uint16_t c;
	uint32_t sum;

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = EP_PROTO_TCP;
	put_be16(pseudo + 10, (uint16_t)tcp_len);
	memset(th + 16, 0, 2);
	sum = ep_csum_add(ep_csum_add(0, pseudo, sizeof(pseudo)), th, tcp_len);
	c = (uint16_t)~ep_csum_fold(sum);
	memcpy(th + 16, &c, 2);
}

int ep_gso_begin(struct ep_gso *g, uint8_t *buf, size_t len)
{
	struct virtio_net_hdr vh;
	struct ep_ip ip;
	size_t start, off, th_len;
	uint16_t c;

	memset(g, 0, sizeof(*g));
	if (len < EP_VNET_HDR_LEN)
		return -1;
	memcpy(&vh, buf, sizeof(vh));
	g->pkt = buf + EP_VNET_HDR_LEN;
	g->len = len - EP_VNET_HDR_LEN;
	if ((vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (ep_ip_parse(g->pkt, g->len, &ip) || ip.proto != EP_PROTO_TCP ||
		    ip.fragment || ip.tot < ip.hlen + 20u)
			return -1;
		th_len = (size_t)(g->pkt[ip.hlen + 12] >> 4) * 4;
		g->mss = le16toh(vh.gso_size);
		if (th_len < 20 || ip.hlen + th_len > ip.tot || !g->mss)
			return -1;
		g->hdr_len = ip.hlen + th_len;
		g->len = ip.tot;
		g->seq = get_be32(g->pkt + ip.hlen + 4);
		g->id = get_be16(g->pkt + 4);
		return 0;
	}
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -1; /* not offered: TUN_F_TSO4 and TUN_F_CSUM only */
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		start = le16toh(vh.csum_start);
		off = le16toh(vh.csum_offset);
		if (start + off + 2 > g->len)
			return -1;
		/* The field holds the pseudo-header sum: fold the rest in. */
		c = (uint16_t)~ep_csum_fold(ep_csum_add(0, g->pkt + start, g->len - start));
		memcpy(g->pkt + start + off, &c, 2);
	}
	return 0;
}

const uint8_t *ep_gso_next(struct ep_gso *g, uint8_t *seg, size_t cap, size_t *len)
{
	size_t payload, n, ip_hlen;
	uint8_t flags;

	if (!g->hdr_len) {
		if (g->n++)
			return NULL;
		*len = g->len;
		return g->pkt;
	}
	payload = g->len - g->hdr_len;
	if (g->off >= payload && (g->n || payload))
		return NULL;
	n = payload - g->off < g->mss ? payload - g->off : g->mss;
	if (g->hdr_len + n > cap)
		return NULL;
	ip_hlen = (size_t)(g->pkt[0] & 0xf) * 4;
	memcpy(seg, g->pkt, g->hdr_len);
	memcpy(seg + g->hdr_len, g->pkt + g->hdr_len + g->off, n);
	/* IPv4: length, a fresh identification per segment, checksum. */
	put_be16(seg + 2, (uint16_t)(g->hdr_len + n));
	put_be16(seg + 4, (uint16_t)(g->id + g->n));
	memset(seg + 10, 0, 2);
	put_be16(seg + 10, ep_csum(seg, ip_hlen));
	/* TCP: sequence number; FIN and PSH on the last segment only, CWR on
	 * the first only. */
	put_be32(seg + ip_hlen + 4, g->seq + (uint32_t)g->off);
	flags = seg[ip_hlen + 13];
	if (g->off + n < payload)
		flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (g->n)
		flags &= (uint8_t)~TCP_CWR;
	seg[ip_hlen + 13] = flags;
	tcp_csum(seg, ip_hlen, g->hdr_len - ip_hlen + n);
	g->off += n;
	g->n++;
	*len = g->hdr_len + n;
	return seg;
}
