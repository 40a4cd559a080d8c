/* Counters of the data plane: map mml_stats, a per-CPU array of __u64 indexed
 * by enum mml_stat (DESIGN.md section 3). The XDP programs add, userspace sums
 * the CPUs (mmlctl stats). Indices are ABI of the pinned map: append new
 * counters at the end of MML_STAT_LIST, never reorder or remove. */
#ifndef MML_MAPS_STATS_H
#define MML_MAPS_STATS_H

#include "maps/types.h"

/* X(ID, "name", "what it counts"): one list gives the enum, the printable
 * names and the help text. */
#define MML_STAT_LIST(X)                                                                           \
	X(RX_DOWN, "rx_down", "IP-in-IP packets to our care-of address (downlink)")                \
	X(RX_UP, "rx_up", "packets from a visitor to reverse-tunnel (uplink)")                     \
	X(FWD_MLESP, "fwd_mlesp", "ML-ESP packets forwarded after zone 1 was verified")            \
	X(FWD_ESP, "fwd_esp", "ESP packets of a known SPI without a zone key, forwarded opaque")   \
	X(FWD_UNKNOWN_SPI, "fwd_unknown_spi", "protocol-50 packets of an unknown SPI, forwarded")  \
	X(FWD_PLAIN, "fwd_plain", "plaintext inner packets forwarded")                             \
	X(DROP_BAD_TAG, "drop_bad_tag", "zone 1 failed authentication (T1 mismatch)")              \
	X(DROP_UNKNOWN_SPI, "drop_unknown_spi", "unknown SPI dropped (policy drop)")               \
	X(DROP_MALFORMED_OUTER, "drop_malformed_outer", "bad tunnel IPv4 header")                  \
	X(DROP_MALFORMED_INNER, "drop_malformed_inner", "bad inner IPv4 header or ESP lengths")    \
	X(DROP_TRUNCATED, "drop_truncated", "frame shorter than its headers say")                  \
	X(DROP_FRAGMENT, "drop_fragment",                                                          \
	  "tunnel or ESP fragment (cannot be decapsulated/checked)")                               \
	X(DROP_BAD_CSA, "drop_bad_csa", "CSA in mml_csa with an invalid zone map")                 \
	X(DROP_TOO_BIG, "drop_too_big", "uplink: encapsulated packet over the egress MTU")         \
	X(PASS_NOT_VISITOR, "pass_not_visitor",                                                    \
	  "tunnelled to us, inner destination not a visitor")                                      \
	X(PASS_FOREIGN_TUNNEL, "pass_foreign_tunnel",                                              \
	  "tunnel from an address not the visitor's HA")                                           \
	X(PASS_NO_ROUTE, "pass_no_route",                                                          \
	  "uplink: no route/neighbour to the HA, given to the stack")                              \
	X(Z1_SHORT, "z1_short", "verified, but the TCP header is not inside zone 1")

enum mml_stat {
#define MML_STAT_ENUM(id, name, help) MML_STAT_##id,
	MML_STAT_LIST(MML_STAT_ENUM)
#undef MML_STAT_ENUM
		MML_STAT_MAX
};

/* Capacity of the pinned map, larger than MML_STAT_MAX so that new counters
 * do not change the map's shape under a running data plane. */
#define MML_STATS_CAP 64
MML_STATIC_ASSERT(MML_STAT_MAX <= MML_STATS_CAP, "mml_stats capacity");

#ifndef __bpf__
static inline const char *mml_stat_name(unsigned int stat)
{
	static const char *const names[] = {
#define MML_STAT_NAME(id, name, help) [MML_STAT_##id] = name,
		MML_STAT_LIST(MML_STAT_NAME)
#undef MML_STAT_NAME
	};

	return stat < MML_STAT_MAX ? names[stat] : NULL;
}

static inline const char *mml_stat_help(unsigned int stat)
{
	static const char *const help_texts[] = {
#define MML_STAT_HELP(id, name, help) [MML_STAT_##id] = help,
		MML_STAT_LIST(MML_STAT_HELP)
#undef MML_STAT_HELP
	};

	return stat < MML_STAT_MAX ? help_texts[stat] : NULL;
}
#endif

#endif
