/* Sockets of the Mobile IPv4 roles.
 *
 * UDP 434 for registrations between IP hosts. On the FA's wireless link a
 * packet socket instead: a Registration Reply goes to the mobile node's
 * link-layer address taken from its Request (RFC 5944 3.7.2.3: the FA must
 * not ARP for a home address), and advertisements go to the link broadcast;
 * receiving there tells the FA that address. Raw ICMP for the mobile node's
 * advertisements and solicitations. */
#ifndef MML_KEYD_MIP_IO_H
#define MML_KEYD_MIP_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* UDP socket bound to addr:port (addr 0 = any), non-blocking, with
 * IP_PKTINFO and IP_FREEBIND; ifindex != 0 binds it to the device. */
int mip_udp_open(uint32_t addr, uint16_t port, uint32_t ifindex);

struct mip_rx {
	uint32_t src, dst;  /* network order */
	uint16_t src_port;  /* host order */
	uint32_t ifindex;   /* arrival interface */
	uint8_t src_mac[6]; /* packet sockets only */
	uint8_t ttl;	    /* raw/packet sockets only */
	bool truncated;	    /* the datagram was longer than the buffer */
};

/* One datagram: its length (payload) or -EAGAIN / -errno. */
ssize_t mip_udp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx);
int mip_udp_send(int fd, uint32_t dst, uint16_t port, const void *buf, size_t len);

/* Packet socket on ifindex receiving IPv4 UDP to port 434 and ICMP of
 * type icmp_type (classic BPF filter in the kernel). */
int mip_pkt_open(uint32_t ifindex, uint8_t icmp_type);
/* The IP payload (UDP payload for UDP, the ICMP message for ICMP) of one
 * accepted packet; *proto says which. Headers are validated here. */
ssize_t mip_pkt_recv(int fd, uint8_t *buf, size_t size, uint8_t *proto, struct mip_rx *rx);
/* mip_pkt_recv's checks of what came off the air: validates the IPv4
 * header (and the UDP header and checksum, unless csum_checked) of the
 * packet p[0, len) and returns the offset of its payload (*payload_len
 * bytes; proto, addresses, TTL and UDP source port in *proto and *rx), or
 * -EBADMSG. Apart from the socket so that the fuzz harness reaches it. */
int mip_ip_payload(const uint8_t *p, size_t len, bool csum_checked, uint8_t *proto,
		   struct mip_rx *rx, size_t *payload_len);
/* Builds IPv4 (+ UDP for proto 17) around payload and sends it to mac on
 * ifindex. ttl 1 for ICMP advertisements. */
int mip_pkt_send(int fd, uint32_t ifindex, const uint8_t mac[6], uint32_t src, uint32_t dst,
		 uint8_t proto, uint16_t sport, uint16_t dport, uint8_t ttl, const void *payload,
		 size_t len);

/* Raw ICMP socket on ifindex passing only Agent Advertisements in; sends
 * with TTL 1 and may broadcast. */
int mip_icmp_open(uint32_t ifindex, uint32_t src_addr);
ssize_t mip_icmp_recv(int fd, uint8_t *buf, size_t size, struct mip_rx *rx);
int mip_icmp_send(int fd, uint32_t dst, const void *buf, size_t len);

#endif
