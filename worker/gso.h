/* Packets the TUN device hands over with TUN offloads on (IFF_VNET_HDR,
 * TUN_F_CSUM | TUN_F_TSO4): a virtio_net_hdr, then a packet whose TCP/UDP
 * checksum may be partial, or a TCP/IPv4 super-packet of up to 64 KB that
 * the stack did not segment. The worker completes the checksum in place, or
 * cuts the super-packet into MSS-sized segments with their own IPv4 and TCP
 * headers and checksums, before protecting each: one read and one pass
 * through the MH's TCP stack per super-packet instead of per segment. */
#ifndef MML_WORKER_GSO_H
#define MML_WORKER_GSO_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#define EP_VNET_HDR_LEN sizeof(struct virtio_net_hdr)

struct ep_gso {
	uint8_t *pkt; /* the IPv4 packet after the virtio_net_hdr */
	size_t len;
	size_t hdr_len; /* IPv4 + TCP header of a super-packet; 0: not one */
	size_t mss;
	size_t off; /* payload bytes already cut */
	uint32_t seq;
	uint16_t id;
	uint16_t n; /* segments handed out */
};

/* Takes one read from the TUN device (virtio_net_hdr + packet). Completes a
 * partial checksum in place. Returns 0, or -1 if the header does not fit
 * the packet (drop it). */
int ep_gso_begin(struct ep_gso *g, uint8_t *buf, size_t len);

/* The next packet to protect: the packet itself (not a super-packet), or
 * the next segment built in seg (cap bytes). NULL when done. */
const uint8_t *ep_gso_next(struct ep_gso *g, uint8_t *seg, size_t cap, size_t *len);

#endif
