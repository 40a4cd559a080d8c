/* rtnetlink through libmnl for the mobile node: host and default routes,
 * the home address, and link events (carrier changes that may mean a
 * handoff). Requests are synchronous (the kernel answers at once); events
 * arrive on a second, non-blocking socket served by the event loop. */
#ifndef MML_KEYD_NL_H
#define MML_KEYD_NL_H

#include <stdbool.h>
#include <stdint.h>

/* Routes mmlkeyd installs carry this protocol number, so that they can be
 * told from the administrator's (ip route ... proto 77 shows them). */
#define MIP_RTPROT 77

struct nl;

int nl_open(struct nl **out, bool link_events);
void nl_close(struct nl *nl);

/* dst/plen via gw (0 = on-link, scope link) out of oif, in table;
 * replaces an existing route with the same key. onlink: gw need not be in
 * a connected prefix (the FA's address on a link where we only hold the
 * home address). mtu != 0 sets the route's MTU metric (and so the TCP MSS
 * advertised over it). */
int nl_route_replace(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, uint32_t oif,
		     uint32_t table, uint32_t prefsrc, bool onlink, uint32_t mtu);
int nl_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t oif, uint32_t table);
/* Adds addr/plen to ifindex; an address already there is fine. */
int nl_addr_add(struct nl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen);

/* One link as an RTM_NEWLINK/RTM_DELLINK reports it. up = IFF_UP and
 * IFF_LOWER_UP (carrier). The kernel reports carrier changes late and
 * coalesced (linkwatch): a carrier lost and regained between two reports
 * shows only as "up" again, with a higher carrier_downs
 * (IFLA_CARRIER_DOWN_COUNT; has_downs false when the kernel sent none). */
struct nl_link_ev {
	uint32_t ifindex;
	uint32_t carrier_downs;
	bool up, deleted, has_downs;
	/* An IPv4 address added to ifindex (RTM_NEWADDR; up etc. unset): a
	 * route with it as its source may be installed again. */
	bool addr_added;
	uint32_t addr; /* network order */
};

/* Link events: fd to poll, then nl_link_read() calls fn for each. */
int nl_link_fd(const struct nl *nl);
typedef void (*nl_link_fn)(void *arg, const struct nl_link_ev *ev);
int nl_link_read(struct nl *nl, nl_link_fn fn, void *arg);
/* Current state of one link. */
int nl_link_get(struct nl *nl, uint32_t ifindex, struct nl_link_ev *ev);

#endif
