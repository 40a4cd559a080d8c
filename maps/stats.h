/* Counters of the data plane: map mml_stats, a per-CPU array of __u64 indexed
 * by enum mml_stat (DESIGN.md section 3). The XDP programs add, userspace sums
 * the CPUs (mmlctl stats). Indices are ABI of the pinned map: append new
 * counters at the end of MML_STAT_LIST, never reorder or remove. */
#ifndef MML_MAPS_STATS_H
#define MML_MAPS_STATS_H

#include "maps/types.h"

#ifndef __bpf__
#include <stddef.h>
#endif

/* X(ID, "name", "what it counts"): one list gives the enum, the printable
 * names and the help text. */
#define MML_STAT_LIST(X)                                                                            \
	X(RX_DOWN, "rx_down", "IP-in-IP packets to our care-of address (downlink)")                 \
	X(RX_UP, "rx_up", "packets from a visitor to reverse-tunnel (uplink)")                      \
	X(FWD_MLESP, "fwd_mlesp", "ML-ESP packets forwarded after zone 1 was verified")             \
	X(FWD_ESP, "fwd_esp", "ESP packets of a known SPI without a zone key, forwarded opaque")    \
	X(FWD_UNKNOWN_SPI, "fwd_unknown_spi", "protocol-50 packets of an unknown SPI, forwarded")   \
	X(FWD_PLAIN, "fwd_plain", "plaintext inner packets forwarded")                              \
	X(DROP_BAD_TAG, "drop_bad_tag", "zone 1 failed authentication (T1 mismatch)")               \
	X(DROP_UNKNOWN_SPI, "drop_unknown_spi", "unknown SPI dropped (policy drop)")                \
	X(DROP_MALFORMED_OUTER, "drop_malformed_outer", "bad tunnel IPv4 header")                   \
	X(DROP_MALFORMED_INNER, "drop_malformed_inner", "bad inner IPv4 header or ESP lengths")     \
	X(DROP_TRUNCATED, "drop_truncated", "frame shorter than its headers say")                   \
	X(DROP_FRAGMENT, "drop_fragment",                                                           \
	  "tunnel or ESP fragment (cannot be decapsulated/checked)")                                \
	X(DROP_BAD_CSA, "drop_bad_csa", "CSA in mml_csa with an invalid zone map")                  \
	X(DROP_TOO_BIG, "drop_too_big", "uplink: encapsulated packet over the egress MTU")          \
	X(PASS_NOT_VISITOR, "pass_not_visitor",                                                     \
	  "tunnelled to us, inner destination not a visitor")                                       \
	/* Was pass_foreign_tunnel (passed to the stack) until issue 18 item 9. */                  \
	X(DROP_FOREIGN_TUNNEL, "drop_foreign_tunnel",                                               \
	  "tunnel for a visitor not from its HA (source address, or interface/MAC), dropped")       \
	X(PASS_NO_ROUTE, "pass_no_route",                                                           \
	  "uplink: no route/neighbour to the HA, given to the stack")                               \
	X(Z1_SHORT, "z1_short", "verified, but the TCP header is not inside zone 1")                \
	/* Endpoints (HA, MH), XDP programs (bpf/ep.h) */                                           \
	X(EP_XDP_TO_WORKER, "ep_xdp_to_worker", "frames steered to the endpoint worker (AF_XDP)")   \
	X(EP_XDP_DECAP_PLAIN, "ep_xdp_decap_plain",                                                 \
	  "HA: plaintext reverse tunnel decapsulated in XDP")                                       \
	X(EP_XDP_NO_WORKER, "ep_xdp_no_worker", "dropped: no worker socket on this queue")          \
	X(EP_XDP_FRAGMENT, "ep_xdp_fragment", "dropped: fragment of a tunnelled or ESP packet")     \
	X(EP_XDP_NO_ROUTE, "ep_xdp_no_route", "HA: dropped, no route to the care-of address")       \
	X(EP_XDP_EXPIRED, "ep_xdp_expired", "HA: binding lifetime over, passed to the stack")       \
	/* Endpoints, the worker (mml_wstats) */                                                    \
	X(EP_ENCAP_PLAIN, "ep_encap_plain", "sent in plaintext mode (IP-in-IP or as is)")           \
	X(EP_ENCAP_ESP, "ep_encap_esp", "sent in ESP mode")                                         \
	X(EP_ENCAP_MLESP, "ep_encap_mlesp", "sent in ML-ESP mode")                                  \
	X(EP_DELIVER_ESP, "ep_deliver_esp", "ESP packets decrypted, verified and delivered")        \
	X(EP_DELIVER_MLESP, "ep_deliver_mlesp",                                                     \
	  "ML-ESP packets decrypted, verified and delivered")                                       \
	X(EP_DROP_TAG_Z1, "ep_drop_tag_z1", "ML-ESP: zone 1 failed authentication")                 \
	X(EP_DROP_TAG_Z2, "ep_drop_tag_z2", "ML-ESP: zone 2 failed authentication")                 \
	X(EP_DROP_TAG_HDR, "ep_drop_tag_hdr", "ML-ESP: both zones failed (SPI/sequence altered)")   \
	X(EP_DROP_TAG_ESP, "ep_drop_tag_esp", "ESP: ICV mismatch")                                  \
	X(EP_DROP_UNKNOWN_SPI, "ep_drop_unknown_spi", "inbound SPI not (or no longer) installed")   \
	X(EP_DROP_REPLAY, "ep_drop_replay", "sequence number replayed or left of the window")       \
	X(EP_DROP_MALFORMED, "ep_drop_malformed", "bad lengths, headers or trailer")                \
	X(EP_DROP_SEQ_EXHAUSTED, "ep_drop_seq_exhausted",                                           \
	  "outbound SA at its hard limit (rekey), or its mark not persisted")                       \
	X(EP_DROP_NO_SA, "ep_drop_no_sa", "flow mode needs an outbound SA that is not installed")   \
	X(EP_DROP_NO_BINDING, "ep_drop_no_binding", "no binding for the home address")              \
	X(EP_DROP_NO_NEIGH, "ep_drop_no_neigh", "next hop not resolved yet (resolution started)")   \
	X(EP_DROP_TOO_BIG, "ep_drop_too_big", "encapsulated packet larger than the egress MTU")     \
	X(EP_DROP_TX_FULL, "ep_drop_tx_full", "transmit ring or frame pool exhausted")              \
	X(EP_DROP_TTL, "ep_drop_ttl", "HA: inner TTL expired before tunnelling")                    \
	X(EP_DROP_SPOOF, "ep_drop_spoof",                                                           \
	  "decrypted inner packet not from/to the home address of its SA")                          \
	X(EP_TUN_RX, "ep_tun_rx", "packets read from the TUN device")                               \
	X(EP_TUN_TX, "ep_tun_tx", "packets written to the TUN device")                              \
	X(EP_TUN_TX_ERR, "ep_tun_tx_err", "TUN write failed (device down, queue full)")             \
	X(EP_SEQ_RESERVE, "ep_seq_reserve", "sequence-number blocks reserved in mml_seq_hwm")       \
	X(EP_CACHE_RELOAD, "ep_cache_reload", "SA/flow/binding caches reloaded after a change")     \
	/* FA, SNOOP classification (bpf/snoop.h) */                                                \
	X(SNOOP_DATA, "snoop_data", "downlink data segments steered to the FA worker")              \
	X(SNOOP_DUPACK, "snoop_dupack", "uplink duplicate ACKs steered to the FA worker")           \
	X(SNOOP_NEW_ACK, "snoop_new_ack", "uplink new ACKs forwarded, the worker told")             \
	X(SNOOP_STALE_ACK, "snoop_stale_ack", "uplink pure ACKs below the last one, dropped")       \
	X(SNOOP_WINDOW_UPDATE, "snoop_window_update", "last ACK, new window: forwarded")            \
	X(SNOOP_RESET, "snoop_reset", "SYN or RST of a snooped connection")                         \
	X(SNOOP_NO_WORKER, "snoop_no_worker", "SNOOP on, no FA worker socket: forwarded")           \
	X(SNOOP_EVENT_LOST, "snoop_event_lost", "ring buffer full: an ACK event lost")              \
	/* FA, PKD (bpf/mlesp.h) */                                                                 \
	X(FA_CSA_INACTIVE, "fa_csa_inactive",                                                       \
	  "ML-ESP of a CSA held inactive (its MH not registered here yet), dropped")                \
	/* Endpoints, the worker: state that follows a key (docs/endpoints.md) */                   \
	X(EP_SEQ_CONTINUED, "ep_seq_continued",                                                     \
	  "outbound CSA reinstalled with a key already used: its sequence continued")               \
	X(EP_RX_RESUMED, "ep_rx_resumed",                                                           \
	  "inbound CSA (re)loaded with a key already used: window starts above its mark")           \
	X(EP_DROP_OUTER_SRC, "ep_drop_outer_src",                                                   \
	  "protected packet from an outer source not its SA's (MH: its HA; HA: home, care-of)")     \
	/* Tunnel sources (issue 18 item 9, docs/security.md) */                                    \
	X(DROP_VISITOR_SPOOF, "drop_visitor_spoof",                                                 \
	  "FA uplink: a visitor's source address, not from its MAC on its interface, dropped")      \
	X(EP_DROP_TUNNEL_SRC, "ep_drop_tunnel_src",                                                 \
	  "HA: IP-in-IP not from a binding's care-of address (address, interface/MAC), dropped")    \
	/* CSA lifetimes (maps/csa.h): issue 17 */                                                  \
	X(EP_DROP_EXPIRED, "ep_drop_expired",                                                       \
	  "CSA past its hard lifetime (seconds or packets): nothing protected or accepted")         \
	X(FA_CSA_EXPIRED, "fa_csa_expired", "ML-ESP of a CSA past its hard lifetime, dropped")      \
	/* FA: the uplink's own traffic, so that rx_up is always accounted for */                   \
	X(PASS_LOCAL, "pass_local",                                                                 \
	  "uplink for the FA itself (its addresses, broadcast, multicast, UDP 434, "                \
	  "solicitation)")                                                                          \
	/* Endpoints: per-flow modes (issue 19, docs/endpoints.md) */                               \
	X(EP_DROP_DOWNGRADE, "ep_drop_downgrade",                                                   \
	  "flow packet in a weaker mode than its entry accepts (not negotiated), dropped")          \
	X(EP_FLOW_UPGRADE, "ep_flow_upgrade",                                                       \
	  "first packet of a flow in a stronger mode: its replies switched (learned)")              \
	/* Endpoints: TCP segments coalesced into the TUN device (issue 21) */                      \
	X(EP_TUN_GRO, "ep_tun_gro",                                                                 \
	  "TUN writes of coalesced TCP segments (one per super-packet; ep_tun_tx counts segments)") \
	/* Endpoints: every-n flows on one receive path (issue 19) */                               \
	X(EP_XDP_PLAIN_TO_WORKER, "ep_xdp_plain_to_worker",                                         \
	  "plaintext of an every-n flow steered to the worker, one path with its protected ones")   \
	X(EP_DELIVER_PLAIN, "ep_deliver_plain",                                                     \
	  "plaintext of an every-n flow delivered by the worker in arrival order")

enum mml_stat {
#define MML_STAT_ENUM(id, name, help) MML_STAT_##id,
	MML_STAT_LIST(MML_STAT_ENUM)
#undef MML_STAT_ENUM
		MML_STAT_MAX
};

/* Capacity of the pinned map, larger than MML_STAT_MAX so that new counters
 * do not change the map's shape under a running data plane. */
#define MML_STATS_CAP 96
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
