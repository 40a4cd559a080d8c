#include "worker/gro.h"

#include <endian.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/inet.h"
#include "worker/pkt.h"

#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define OFF_IP_DF 0x40 /* in the flags byte, pkt[6] */

/* Offsets in an IPv4 packet without options (IHL 5) carrying TCP. */
enum {
	OFF_IP_TOS = 1,
	OFF_IP_LEN = 2,
	OFF_IP_FRAG = 6,
	OFF_IP_TTL = 8,
	OFF_IP_PROTO = 9,
	OFF_IP_CSUM = 10,
	OFF_IP_ADDRS = 12,
	OFF_TH = 20,
	OFF_TH_SEQ = OFF_TH + 4,
	OFF_TH_ACK = OFF_TH + 8,
	OFF_TH_DOFF = OFF_TH + 12,
	OFF_TH_FLAGS = OFF_TH + 13,
	OFF_TH_WIN = OFF_TH + 14,
	OFF_TH_CSUM = OFF_TH + 16,
	OFF_TH_OPTS = OFF_TH + 20,
};

/* A segment the coalescer may hold: its header and payload lengths. The
 * stack would drop a segment whose checksums are wrong; checked here so
 * that one folded into a super-packet is not taken for good. */
static bool segment_ok(const uint8_t *p, size_t len, size_t *hdr_len, size_t *payload)
{
	size_t tot, th_len;

	if (len < OFF_TH + 20 || p[0] != 0x45 || p[OFF_IP_PROTO] != EP_PROTO_TCP)
		return false;
	tot = get_be16(p + OFF_IP_LEN);
	if (tot > len || (get_be16(p + OFF_IP_FRAG) & 0x3fff))
		return false;
	th_len = (size_t)(p[OFF_TH_DOFF] >> 4) * 4;
	if (th_len < 20 || OFF_TH + th_len >= tot)
		return false;
	if ((p[OFF_TH_FLAGS] & ~(TCP_ACK | TCP_PSH)) || !(p[OFF_TH_FLAGS] & TCP_ACK))
		return false;
	if (inet_csum(p, OFF_TH) || inet_l4_csum(p, EP_PROTO_TCP, p + OFF_TH, tot - OFF_TH))
		return false;
	*hdr_len = OFF_TH + th_len;
	*payload = tot - *hdr_len;
	return true;
}

/* Every header field but the sequence number, lengths, identification and
 * checksums equal: the stack could not tell the super-packet from the
 * segments. */
static bool continues(const struct ep_gro *g, const uint8_t *p, size_t hdr_len, size_t payload)
{
	const uint8_t *h = g->buf + EP_VNET_HDR_LEN;

	return !g->sealed && hdr_len == g->hdr_len && payload <= g->mss &&
	       g->len + payload <= EP_GRO_MAX && get_be32(p + OFF_TH_SEQ) == g->next_seq &&
	       h[OFF_IP_TOS] == p[OFF_IP_TOS] && h[OFF_IP_TTL] == p[OFF_IP_TTL] &&
	       (h[OFF_IP_FRAG] & OFF_IP_DF) == (p[OFF_IP_FRAG] & OFF_IP_DF) &&
	       !memcmp(h + OFF_IP_ADDRS, p + OFF_IP_ADDRS,
		       OFF_TH_SEQ - OFF_IP_ADDRS) && /* addresses, ports */
	       !memcmp(h + OFF_TH_ACK, p + OFF_TH_ACK, 4) &&
	       h[OFF_TH_DOFF] == p[OFF_TH_DOFF] && !memcmp(h + OFF_TH_WIN, p + OFF_TH_WIN, 2) &&
	       !memcmp(h + OFF_TH_OPTS, p + OFF_TH_OPTS, hdr_len - OFF_TH_OPTS);
}

enum ep_gro_verdict ep_gro_add(struct ep_gro *g, const uint8_t *p, size_t len)
{
	uint8_t *h = g->buf + EP_VNET_HDR_LEN;
	size_t hdr_len, payload;

	if (!segment_ok(p, len, &hdr_len, &payload))
		return g->len ? EP_GRO_FLUSH : EP_GRO_PASS;
	if (!g->len) {
		memcpy(h, p, hdr_len + payload);
		g->len = hdr_len + payload;
		g->hdr_len = hdr_len;
		g->mss = payload;
		g->segs = 1;
	} else if (continues(g, p, hdr_len, payload)) {
		memcpy(h + g->len, p + hdr_len, payload);
		g->len += payload;
		g->segs++;
		h[OFF_TH_FLAGS] |= p[OFF_TH_FLAGS] & TCP_PSH;
	} else {
		return EP_GRO_FLUSH;
	}
	g->next_seq = get_be32(p + OFF_TH_SEQ) + (uint32_t)payload;
	g->sealed = payload < g->mss || (p[OFF_TH_FLAGS] & TCP_PSH);
	return EP_GRO_HELD;
}

const uint8_t *ep_gro_take(struct ep_gro *g, size_t *len, uint16_t *segs)
{
	struct virtio_net_hdr vh = { 0 };
	uint8_t *h = g->buf + EP_VNET_HDR_LEN;
	uint8_t pseudo[12];
	uint16_t sum;

	if (!g->len)
		return NULL;
	if (g->segs > 1) {
		put_be16(h + OFF_IP_LEN, (uint16_t)g->len);
		memset(h + OFF_IP_CSUM, 0, 2);
		put_be16(h + OFF_IP_CSUM, inet_csum(h, OFF_TH));
		/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the
		 * stack (or a device, if the packet is forwarded) folds in the
		 * rest. Every segment's own checksum was verified on entry. */
		memcpy(pseudo, h + OFF_IP_ADDRS, 8);
		pseudo[8] = 0;
		pseudo[9] = EP_PROTO_TCP;
		put_be16(pseudo + 10, (uint16_t)(g->len - OFF_TH));
		sum = inet_csum_fold(inet_csum_add(0, pseudo, sizeof(pseudo)));
		memcpy(h + OFF_TH_CSUM, &sum, 2);
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh.hdr_len = htole16((uint16_t)g->hdr_len);
		vh.gso_size = htole16((uint16_t)g->mss);
		vh.csum_start = htole16(OFF_TH);
		vh.csum_offset = htole16(OFF_TH_CSUM - OFF_TH);
	}
	memcpy(g->buf, &vh, sizeof(vh));
	*len = EP_VNET_HDR_LEN + g->len;
	*segs = g->segs;
	g->len = 0;
	g->sealed = false;
	return g->buf;
}
