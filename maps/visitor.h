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
	/* CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) of the first ML-ESP packet of
	 * this visitor, either direction, whose zone 1 verified here since
	 * the entry was written: written by the FA's XDP programs when 0,
	 * which is what mmlkeyd writes with every accepted registration.
	 * Link-up -> first verified packet at a handoff (make bench-handoff). */
	__u64 first_mlesp_ns;
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, ifindex) == 4, "visitor ifindex offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, mh_mac) == 8, "visitor mh_mac offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, fa_mac) == 14, "visitor fa_mac offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, flags) == 20, "visitor flags offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_visitor, first_mlesp_ns) == 24,
		  "visitor first_mlesp_ns offset");
MML_STATIC_ASSERT(sizeof(struct mml_visitor) == 32, "mml_visitor layout");

#endif
