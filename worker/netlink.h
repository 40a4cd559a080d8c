/* What the worker asks the kernel outside the packet path, over rtnetlink
 * (libmnl) and a few ioctls: the TUN device's queues, address and routes,
 * the next hop (route + neighbour) toward a tunnel peer, and a
 * subscription to route/neighbour/link changes so that a handoff (new FA,
 * new MAC, new interface) is followed without a restart. */
#ifndef MML_WORKER_NETLINK_H
#define MML_WORKER_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct mnl_socket;

/* One queue of a multi-queue TUN device (created if missing), non-blocking,
 * with a virtio_net_hdr in front of every packet read or written and the
 * checksum and TSO4 offloads on (worker/gso.h). */
int ep_tun_open(const char *name);
/* MTU, up. */
int ep_link_setup(const char *name, unsigned int mtu);
int ep_link_mac(const char *name, uint8_t mac[6]);

struct ep_nl {
	struct mnl_socket *req;	   /* requests */
	struct mnl_socket *events; /* route/neigh/link notifications */
	uint32_t seq;
	int probe_fd; /* UDP socket that makes the kernel resolve a neighbour */
};

int ep_nl_open(struct ep_nl *nl, bool events);
void ep_nl_close(struct ep_nl *nl);
int ep_nl_events_fd(const struct ep_nl *nl);
/* Read pending notifications; true if any arrived (the caches are stale). */
bool ep_nl_events_drain(struct ep_nl *nl);

/* Address addr/plen (network order) on ifindex; route dst/plen via ifindex. */
int ep_nl_addr_add(struct ep_nl *nl, int ifindex, uint32_t addr, int plen);
int ep_nl_route_add(struct ep_nl *nl, int ifindex, uint32_t dst, int plen);

/* Next hop toward dst: output interface and the neighbour's MAC. -ENOENT
 * without a route, -EAGAIN if the neighbour is not resolved (a resolution
 * has been started). */
int ep_nl_nexthop(struct ep_nl *nl, uint32_t dst, int *oif, uint8_t mac[6]);
/* Make the kernel resolve the next hop toward dst (one datagram to the
 * discard port). */
void ep_nl_probe(struct ep_nl *nl, uint32_t dst);

#endif
