/* TCP segments the worker delivers to the TUN device, coalesced the way
 * the kernel's GRO would: consecutive in-order segments of one connection
 * become one TCP/IPv4 super-packet written with a virtio_net_hdr
 * (VIRTIO_NET_HDR_GSO_TCPV4, partial checksum), so the receiving stack
 * runs once per super-packet instead of once per segment (issue 21). The
 * reverse of gso.c. Segments are copied into the coalescer: a copy of
 * 1.4 KB costs far less than the write and the stack pass it saves. */
#ifndef MML_WORKER_GRO_H
#define MML_WORKER_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/gso.h"

/* An IPv4 packet's length field caps a super-packet. */
#define EP_GRO_MAX 65535

struct ep_gro {
	size_t len;	/* bytes of the IPv4 super-packet held; 0 = none */
	size_t hdr_len; /* its IPv4 + TCP header */
	size_t mss;	/* payload of its first segment */
	uint32_t next_seq;
	uint16_t segs;
	bool sealed; /* a short or PSH segment ended it: nothing may follow */
	uint8_t buf[EP_VNET_HDR_LEN + EP_GRO_MAX]; /* virtio_net_hdr, then the packet */
};

enum ep_gro_verdict {
	EP_GRO_HELD,  /* pkt is in the coalescer (merged, or the start of one) */
	EP_GRO_FLUSH, /* pkt does not continue what is held: take that first, then retry */
	EP_GRO_PASS,  /* pkt cannot be coalesced: take what is held, then write pkt alone */
};

/* Offers the IPv4 packet pkt[0, len). Only TCP segments with data, flags
 * no more than ACK and PSH, no IP options or fragments and a correct TCP
 * checksum are held (anything else passes, as before, to the stack, which
 * judges it). A segment continues what is held if it has the same
 * addresses, ports, TOS, TTL, DF, acknowledgment, window and options, the
 * next sequence number, and no more payload than the first. */
enum ep_gro_verdict ep_gro_add(struct ep_gro *g, const uint8_t *pkt, size_t len);

/* What is held, ready for one write(2) to the TUN device (virtio_net_hdr +
 * packet; a lone segment unchanged with an empty header), its length in
 * *len and the number of segments in it in *segs; the coalescer is empty
 * afterwards. NULL when nothing is held. */
const uint8_t *ep_gro_take(struct ep_gro *g, size_t *len, uint16_t *segs);

#endif
