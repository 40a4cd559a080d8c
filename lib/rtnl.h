/* rtnetlink over libmnl, the one copy mmlkeyd (keyd/nl.c) and mmlworker
 * (worker/netlink.c) share: a request socket whose requests are
 * acknowledged and answered synchronously, an optional non-blocking socket
 * subscribed to notification groups for an event loop, and the address
 * and route requests both daemons make. Functions return 0 or a negative
 * errno (the kernel's answer, or the socket's error). Link with -lmnl. */
#ifndef MML_LIB_RTNL_H
#define MML_LIB_RTNL_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

struct mml_rtnl {
	struct mnl_socket *req;
	struct mnl_socket *events; /* NULL without notification groups */
	uint32_t portid;
	uint32_t seq;
};

/* groups: RTMGRP_* to subscribe to (0: no events socket). rcv_timeout_ms:
 * how long a request waits for its answer (0: for ever), for callers that
 * must not stall on a kernel that does not answer. */
int mml_rtnl_open(struct mml_rtnl *nl, unsigned int groups, unsigned int rcv_timeout_ms);
/* Safe on a zeroed or half-opened struct. */
void mml_rtnl_close(struct mml_rtnl *nl);

/* Sends nlh with NLM_F_ACK and the next sequence number and runs cb (may
 * be NULL) over the answer's messages until the acknowledgement. */
int mml_rtnl_talk(struct mml_rtnl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* The events socket to poll, or -1. */
int mml_rtnl_events_fd(const struct mml_rtnl *nl);
/* Reads notifications until none is pending, running cb (NULL: discard)
 * over each message. Returns the number of datagrams read. */
int mml_rtnl_events_read(struct mml_rtnl *nl, mnl_cb_t cb, void *data);

/* addr/plen (network order) on ifindex. replace: an address already there
 * is updated (NLM_F_REPLACE), else left alone (NLM_F_EXCL); neither is an
 * error. */
int mml_rtnl_addr_add(struct mml_rtnl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen,
		      bool replace);

/* An IPv4 unicast route; addresses in network order. */
struct mml_rtnl_route {
	uint32_t dst;
	uint8_t plen;
	uint8_t protocol; /* RTPROT_*, or the owner's own number */
	bool onlink;	  /* gw need not be in a connected prefix */
	uint32_t gw;	  /* 0: on-link route (scope link) */
	uint32_t oif;	  /* 0: any */
	uint32_t table;
	uint32_t prefsrc; /* 0: none */
	uint32_t mtu;	  /* 0: no MTU metric */
};

/* Creates or replaces the route with r's key. */
int mml_rtnl_route_replace(struct mml_rtnl *nl, const struct mml_rtnl_route *r);
/* Deletes the route dst/plen out of oif in table; a missing one is fine. */
int mml_rtnl_route_del(struct mml_rtnl *nl, const struct mml_rtnl_route *r);

#endif
