#include "worker/gso.h"

#include <endian.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"
#include "worker/pkt.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* TCP checksum of a whole segment: pseudo-header, header, payload. */
static void tcp_csum(uint8_t *ip, size_t ip_hlen, size_t tcp_len)
{
	uint8_t *th = ip + ip_hlen;

	memset(th + 16, 0, 2);
	put_be16(th + 16, inet_l4_csum(ip, EP_PROTO_TCP, th, tcp_len));
}

int ep_gso_begin(struct ep_gso *g, uint8_t *buf, size_t len)
{
	struct virtio_net_hdr vh;
	struct ep_ip ip;
	size_t start, off, th_len;

	memset(g, 0, sizeof(*g));
	if (len < EP_VNET_HDR_LEN)
		return -1;
	memcpy(&vh, buf, sizeof(vh));
	g->pkt = buf + EP_VNET_HDR_LEN;
	g->len = len - EP_VNET_HDR_LEN;
	if ((vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (ep_ip_parse(g->pkt, g->len, &ip) || ip.proto != EP_PROTO_TCP || ip.fragment ||
		    ip.tot < ip.hlen + 20u)
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
		put_be16(g->pkt + start + off, inet_csum(g->pkt + start, g->len - start));
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
	put_be16(seg + 10, inet_csum(seg, ip_hlen));
	/* TCP: sequence number; FIN and PSH on the last segment only, CWR on
	 * the first only. */
	put_be32(seg + ip_hlen + 4, g->seq + (uint32_t)g->off);
	flags = seg[ip_hlen + 13];
	if (g->off + n < payload)
		flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (g->n)
		flags &= (uint8_t)~TCP_CWR;
	seg[ip_hlen + 13] = flags;
	tcp_csum(seg, ip_hlen, g->hdr_len - ip_hlen + n);
	g->off += n;
	g->n++;
	*len = g->hdr_len + n;
	return seg;
}
