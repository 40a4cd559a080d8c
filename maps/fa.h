/* Foreign Agent data plane (bpf/fa.bpf.c): its load-time configuration and
 * the record its classifier hook leaves per CPU. */
#ifndef MML_MAPS_FA_H
#define MML_MAPS_FA_H

#include "maps/csa.h"
#include "maps/types.h"

#define MML_FA_LOCAL_ADDRS 4

/* Read-only data of the FA programs, set between skeleton open and load
 * (lib/role.h); changing it means reloading the programs. */
struct mml_fa_cfg {
	__u32 coa; /* care-of address, network order: the tunnel endpoint */
	/* Further addresses of this FA, network order, 0 = unused: uplink
	 * packets from a visitor to one of them (or to coa) go to the stack. */
	__u32 local_addrs[MML_FA_LOCAL_ADDRS];
	__u8 unknown_spi_drop; /* 1: drop protocol 50 with an SPI not in mml_csa */
	__u8 pad[3];
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_fa_cfg, local_addrs) == 4, "cfg addrs offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_fa_cfg, unknown_spi_drop) == 20, "cfg policy");
MML_STATIC_ASSERT(sizeof(struct mml_fa_cfg) == 24, "mml_fa_cfg layout");

enum mml_fa_dir {
	MML_FA_DOWN = 1, /* HA -> FA -> MH */
	MML_FA_UP = 2,	 /* MH -> FA -> HA */
};

enum mml_fa_via {
	MML_FA_VIA_PLAIN = 1, /* read from the packet itself */
	MML_FA_VIA_MLESP = 2, /* read from the verified zone-1 plaintext */
};

/* Flags of struct mml_fa_seen. */
#define MML_FA_SEEN_TCP 0x1 /* sport..window hold a TCP header */

/* Map mml_fa_seen (per-CPU array, one entry): what the classifier hook was
 * handed for the last packet this CPU forwarded. SNOOP will consume the same
 * hook; today it is the observable proof that the FA read the right header.
 * Addresses in network order, the other fields in host order. */
struct mml_fa_seen {
	__u64 count; /* headers handed to the hook on this CPU */
	__u32 saddr; /* innermost IPv4 source */
	__u32 daddr;
	__u32 seq; /* TCP */
	__u32 ack;
	__u16 sport;
	__u16 dport;
	__u16 window;
	__u8 tcp_flags;
	__u8 proto; /* innermost IP protocol */
	__u8 dir;   /* enum mml_fa_dir */
	__u8 via;   /* enum mml_fa_via */
	__u8 flags; /* MML_FA_SEEN_* */
	__u8 pad;
	__u32 spi; /* ML-ESP only */
	__u32 esp_seq;
	__u32 out_ifindex;    /* where the packet was redirected */
	__u32 hdr_len;	      /* valid bytes in hdr */
	__u8 hdr[MML_Z1_MAX]; /* zone-1 plaintext (ML-ESP) or the packet's first bytes */
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_fa_seen, saddr) == 8, "seen saddr offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_fa_seen, sport) == 24, "seen ports offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_fa_seen, spi) == 36, "seen spi offset");
MML_STATIC_ASSERT(__builtin_offsetof(struct mml_fa_seen, hdr) == 52, "seen hdr offset");
MML_STATIC_ASSERT(sizeof(struct mml_fa_seen) == 184, "mml_fa_seen layout");

#endif
