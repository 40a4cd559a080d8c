/* A registered visitor at a Foreign Agent: map mml_visitor, home address ->
 * struct mml_visitor (DESIGN.md section 3). Written by mmlkeyd on a
 * successful registration (or by mmlctl for static setups), read by the FA's
 * XDP programs (bpf/fa.h) for both directions. */
#ifndef MML_MAPS_VISITOR_H
#define MML_MAPS_VISITOR_H

#include "maps/types.h"

#ifndef MML_VISITOR_MAX
#define MML_VISITOR_MAX 1024
#endif

#define MML_ETH_ALEN 6

/* Key: the MH's home address, __u32 in network byte order (as in the IPv4
 * header, so the XDP program looks it up without a byte swap). */
struct mml_visitor {
	__u32 ha_addr;		   /* home agent, network order: the tunnel peer */
	__u32 ifindex;		   /* wireless interface the MH is on (key in mml_ports) */
	__u8 mh_mac[MML_ETH_ALEN]; /* the MH's MAC on that link: downlink destination */
	__u8 fa_mac[MML_ETH_ALEN]; /* our MAC on that link: downlink source */
	__u32 flags;		   /* reserved, 0 */
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, ifindex) == 4, "visitor ifindex offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, mh_mac) == 8, "visitor mh_mac offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, fa_mac) == 14, "visitor fa_mac offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, flags) == 20, "visitor flags offset");
MML_STATIC_ASSERT(sizeof(struct mml_visitor) == 24, "mml_visitor layout");

#endif
