/* What the worker asks the kernel outside the packet path, over rtnetlink
 * (lib/rtnl.h) and a few ioctls: the TUN device's queues, address and routes,
 * the next hop (route + neighbour) toward a tunnel peer, and a
 * subscription to route/neighbour/link changes so that a handoff (new FA,
 * new MAC, new interface) is followed without a restart. */
#ifndef MML_WORKER_NETLINK_H
#define MML_WORKER_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/rtnl.h"

/* How long a request waits for the kernel's answer. */
#define EP_NL_TIMEOUT_MS 200

/* One queue of a multi-queue TUN device (created if missing), non-blocking,
 * with a virtio_net_hdr in front of every packet read or written and the
 * checksum and TSO4 offloads on (worker/gso.h). */
int ep_tun_open(const char *name);
/* MTU, up. */
int ep_link_setup(const char *name, unsigned int mtu);
int ep_link_mac(const char *name, uint8_t mac[6]);

struct ep_nl {
	struct mml_rtnl rt; /* events: route/neigh/link notifications */
	int probe_fd;	    /* UDP socket that makes the kernel resolve a neighbour */
};

int ep_nl_open(struct ep_nl *nl, bool events);
void ep_nl_close(struct ep_nl *nl);
/* Notifications: mml_rtnl_events_fd(&nl->rt) to poll, then
 * mml_rtnl_events_read(&nl->rt, NULL, NULL) > 0 means the caches are stale. */

/* Address addr/plen (network order) on ifindex; route dst/plen via ifindex. */
int ep_nl_addr_add(struct ep_nl *nl, int ifindex, uint32_t addr, int plen);
int ep_nl_route_add(struct ep_nl *nl, int ifindex, uint32_t dst, int plen);
/* That route removed; one already gone is no error. */
int ep_nl_route_del(struct ep_nl *nl, int ifindex, uint32_t dst, int plen);

/* Next hop toward dst: output interface and the neighbour's MAC. -ENOENT
 * without a route, -EAGAIN if the neighbour is not resolved (a resolution
 * has been started). */
int ep_nl_nexthop(struct ep_nl *nl, uint32_t dst, int *oif, uint8_t mac[6]);
/* Make the kernel resolve the next hop toward dst (one datagram to the
 * discard port). */
void ep_nl_probe(struct ep_nl *nl, uint32_t dst);

#endif
