#include "worker/rx.h"

#include <string.h>

void ep_rx_parse(bool ha, const struct mml_xsk_meta *m, uint8_t *pkt, size_t len, struct ep_rx *rx)
{
	struct ep_ip outer;

	memset(rx, 0, sizeof(*rx));
	rx->kind = EP_RX_DROP;
	rx->stat = MML_STAT_EP_DROP_MALFORMED;
	if (m->magic != MML_META_MAGIC || len <= EP_ETH_HLEN)
		return;
	switch (m->kind) {
	case MML_META_HA_DOWN:
		if (!ha || m->l3_off != EP_ETH_HLEN ||
		    ep_ip_parse(pkt + EP_ETH_HLEN, len - EP_ETH_HLEN, &rx->hdr))
			return;
		rx->kind = EP_RX_HA_DOWN;
		rx->ip = pkt + EP_ETH_HLEN;
		rx->len = rx->hdr.tot;
		return;
	case MML_META_HA_UP:
	case MML_META_HA_UP_PLAIN:
		/* The Mobile IP tunnel from an FA: what it carries ends where
		 * the outer header says, not at the frame's end (link padding). */
		if (!ha || m->l3_off != EP_ETH_HLEN ||
		    ep_ip_parse(pkt + EP_ETH_HLEN, len - EP_ETH_HLEN, &outer) ||
		    outer.proto != EP_PROTO_IPIP)
			return;
		rx->kind = m->kind == MML_META_HA_UP ? EP_RX_DELIVER : EP_RX_PLAIN;
		rx->side = EP_SIDE_HA;
		rx->ip = pkt + EP_ETH_HLEN + outer.hlen;
		rx->len = (size_t)(outer.tot - outer.hlen);
		rx->tunnel_src = outer.saddr;
		return;
	case MML_META_MH_DOWN:
	case MML_META_MH_PLAIN:
		if (ha)
			return;
		rx->kind = m->kind == MML_META_MH_DOWN ? EP_RX_DELIVER : EP_RX_PLAIN;
		rx->side = EP_SIDE_MH;
		rx->ip = pkt + EP_ETH_HLEN;
		rx->len = len - EP_ETH_HLEN;
		return;
	default:
		return;
	}
}
