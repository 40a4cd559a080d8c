/* Header building and parsing for the worker's packets: Ethernet, the
 * IPv4 headers of the tunnels (written by lib/inet.h, with TTL EP_TTL),
 * TTL. Everything works on caller buffers and validates lengths before
 * reading. */
#ifndef MML_WORKER_PKT_H
#define MML_WORKER_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/inet.h"

#define EP_ETH_HLEN 14
#define EP_ETH_ALEN 6
#define EP_IP_HLEN INET_IP4_HLEN
#define EP_TTL 64
#define EP_PROTO_IPIP 4
#define EP_PROTO_TCP 6
#define EP_PROTO_UDP 17
#define EP_PROTO_ESP 50

/* A validated IPv4 header: version 4, 20 <= hlen <= tot <= buffer length. */
struct ep_ip {
	uint32_t saddr, daddr; /* network order */
	uint16_t hlen, tot;
	uint8_t proto, tos, ttl;
	bool df, fragment, later_fragment; /* DF set; MF or offset; offset != 0 */
};

/* 0, or -1 if p[0, len) does not start with a valid IPv4 header. */
int ep_ip_parse(const uint8_t *p, size_t len, struct ep_ip *ip);

void ep_eth_write(uint8_t *p, const uint8_t dst[EP_ETH_ALEN], const uint8_t src[EP_ETH_ALEN]);

/* Decrement the TTL of a valid header and patch its checksum (RFC 1624);
 * -1 if the packet must not be forwarded (TTL <= 1). */
int ep_ip_ttl_dec(uint8_t *p);

/* Transport ports (host order) of a TCP/UDP first fragment, else 0. */
void ep_ports(const uint8_t *p, const struct ep_ip *ip, uint16_t *sport, uint16_t *dport);

#endif
