/* SNOOP at the Foreign Agent (DESIGN.md section 5, docs/snoop.md): the
 * layouts shared by the FA's XDP programs (bpf/snoop.h), the FA worker
 * (mmlworker --role fa, worker/fa_*.c) and mmlctl (loader/snoop_cmd.c).
 *
 * Who writes what:
 *   mml_snoop_cfg     mmlctl (fa attach ... snoop on|off, snoop set): the
 *                     switch XDP reads per packet, Table 4 for the worker
 *   mml_snoop_ack     XDP: the classification state of each snooped
 *                     connection (highest ACK and its window); the worker
 *                     creates an entry when it starts caching a connection
 *                     and deletes it when the connection goes
 *   mml_snoop         the worker: a mirror of its connection state, for
 *                     bpftool and mmlctl snoop show (nothing reads it to
 *                     decide)
 *   mml_snoop_stats   the worker: its counters (mmapable array)
 *   mml_snoop_events  XDP -> worker ring buffer: new ACKs, SYN/RST
 * Two maps for one connection so that each field has one writer: XDP moves
 * last_ack forward the moment a new ACK passes, the worker mirrors the rest
 * when it gets to it, and neither can roll the other back. */
#ifndef MML_MAPS_SNOOP_H
#define MML_MAPS_SNOOP_H

#include "maps/types.h"

#ifndef __bpf__
#include <stddef.h> /* NULL in mml_snoop_stat_name */
#endif

/* Entries of the connection maps: at least max_conns (checked by mmlctl). */
#ifndef MML_SNOOP_MAP_MAX
#define MML_SNOOP_MAP_MAX 1024
#endif
#define MML_SNOOP_STATS_CAP 32
#define MML_SNOOP_EVENTS_BYTES (256 * 1024)

/* A TCP connection in the data direction, CN -> MH: the inner addresses
 * and ports as on the wire (network order). The key of the SNOOP state
 * machine (lib/snoop.h) too. */
struct mml_snoop_key {
	__u32 saddr; /* correspondent */
	__u32 daddr; /* mobile host (home address) */
	__u16 sport;
	__u16 dport;
};

MML_STATIC_ASSERT(sizeof(struct mml_snoop_key) == 12, "mml_snoop_key layout");

/* Map mml_snoop_cfg (array, one entry). Table 4 of the paper as defaults
 * (MML_SNOOP_CFG_DEFAULT). enabled is read by XDP for every packet, the
 * rest by the worker, which follows gen; the state machine (lib/snoop.h)
 * takes this struct as its configuration. */
struct mml_snoop_cfg {
	__u32 enabled;	    /* 0: XDP forwards everything as without SNOOP */
	__u32 gen;	    /* bumped by every writer */
	__u32 mss;	    /* Table 4 "maximum segment size": informational, see docs/snoop.md */
	__u32 max_segs;	    /* cached segments per connection (50) */
	__u32 max_conns;    /* connections (64) */
	__u32 rto_init_ms;  /* local RTO before any RTT sample (100) */
	__u32 rto_min_ms;   /* floor of the local RTO (100) */
	__u32 rto_max_ms;   /* ceiling of its back-off (2000) */
	__u32 persist_ms;   /* no packet either way: resend everything unacknowledged (1000) */
	__u32 garbage_ms;   /* idle connection freed (10000) */
	__u32 rxmit_thresh; /* local retransmissions of one segment, at most (4) */
	__u32 prio_dscp;    /* outer DSCP of a local retransmission (46, EF) */
	__u32 mirror_ms;    /* how often the worker refreshes mml_snoop (20) */
	__u32 pad;
};

MML_STATIC_ASSERT(sizeof(struct mml_snoop_cfg) == 56, "mml_snoop_cfg layout");

#define MML_SNOOP_CFG_DEFAULT                                                                   \
	{                                                                                       \
		.enabled = 1, .mss = 1460, .max_segs = 50, .max_conns = 64, .rto_init_ms = 100, \
		.rto_min_ms = 100, .rto_max_ms = 2000, .persist_ms = 1000, .garbage_ms = 10000, \
		.rxmit_thresh = 4, .prio_dscp = 46, .mirror_ms = 20,                            \
	}

/* Map mml_snoop_ack (hash): key -> what XDP classifies an uplink ACK by.
 * Host byte order. */
struct mml_snoop_ack {
	__u32 last_ack; /* highest cumulative ACK from the MH */
	__u16 window;	/* its window field */
	__u8 have_ack;	/* last_ack is valid */
	__u8 pad;
	__u32 new_acks; /* XDP's own per-connection counts */
	__u32 dupacks;	/* sent to the worker */
};

MML_STATIC_ASSERT(sizeof(struct mml_snoop_ack) == 16, "mml_snoop_ack layout");

/* Map mml_snoop (LRU hash): key -> the worker's state of the connection,
 * host byte order, times CLOCK_MONOTONIC. */
struct mml_snoop_conn {
	__u32 last_ack;	      /* highest ACK the worker has processed */
	__u32 next_seq;	      /* one past the highest byte from the CN */
	__u32 cached;	      /* segments in the cache now */
	__u32 cached_bytes;   /* their payload bytes */
	__u32 dupacks;	      /* duplicates of last_ack seen */
	__u32 expect_dupacks; /* of those, explained by a local retransmission */
	__u32 srtt_us;	      /* FA <-> MH round trip */
	__u32 rttvar_us;
	__u32 rto_ms; /* local retransmission timeout */
	__u32 pad;
	__u64 last_data_ns;
	__u64 last_ack_ns;
	__u64 updated_ns; /* when the worker wrote this entry */
	/* per connection, since it was created */
	__u64 segs_cached;
	__u64 rxmit_dupack;
	__u64 rxmit_timer;
	__u64 rxmit_persist;
	__u64 dupacks_suppressed;
	__u64 sender_rxmit;
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_snoop_conn, last_data_ns) == 40, "conn times");
MML_STATIC_ASSERT(sizeof(struct mml_snoop_conn) == 112, "mml_snoop_conn layout");

/* Ring buffer mml_snoop_events: what XDP forwarded at once and the worker
 * must still learn about. */
enum mml_snoop_event_kind {
	MML_SNOOP_EV_NEW_ACK = 1, /* ack > last_ack: forwarded */
	MML_SNOOP_EV_SYN = 2,	  /* SYN either way: state restarts */
	MML_SNOOP_EV_RST = 3,	  /* RST either way: connection gone */
};

struct mml_snoop_event {
	struct mml_snoop_key key;
	__u32 ack; /* host order */
	__u16 window;
	__u8 kind; /* enum mml_snoop_event_kind */
	__u8 tcp_flags;
	__u64 ts_ns; /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
};

MML_STATIC_ASSERT(sizeof(struct mml_snoop_event) == 32, "mml_snoop_event layout");

/* The record XDP pushes in front of a frame steered to the FA worker
 * (xsk_record_push, bpf/xsk_maps.h; 32 bytes, the size the XDP metadata area
 * it once used allowed). The frame is ready to send: downlink data
 * decapsulated with the MH's MACs, an uplink duplicate ACK reverse-tunnelled
 * with the next hop's. */
#define MML_SNOOP_META_MAGIC 0x4d4d5331 /* "MMS1" */

enum mml_snoop_meta_kind {
	MML_SNOOP_META_DATA = 1,   /* downlink TCP segment with payload */
	MML_SNOOP_META_DUPACK = 2, /* uplink duplicate ACK */
};

struct mml_snoop_meta {
	__u32 magic;
	__u8 kind; /* enum mml_snoop_meta_kind */
	__u8 tcp_flags;
	__u16 l3_off; /* the (outer) IPv4 header in the frame */
	struct mml_snoop_key key;
	__u32 seq_ack;	   /* DATA: sequence number; DUPACK: ack (host order) */
	__u16 payload_len; /* DATA: TCP payload bytes */
	__u16 window;	   /* DUPACK */
	__u32 out_ifindex; /* where the frame goes next */
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_snoop_meta, key) == 8, "meta key offset");
MML_STATIC_ASSERT(sizeof(struct mml_snoop_meta) == 32, "mml_snoop_meta layout");

/* Map mml_snoop_stats (mmapable array of __u64): the worker's counters. */
#define MML_SNOOP_STAT_LIST(X)                                                                    \
	X(CACHED, "cached", "downlink segments taken into the cache")                             \
	X(NOT_CACHED_FULL, "not_cached_full", "forwarded uncached: the connection's cache full")  \
	X(SENDER_RXMIT, "sender_rxmit", "segments the CN itself sent again")                      \
	X(RXMIT_DUPACK, "local_rxmit_dupack", "local retransmissions on a duplicate ACK")         \
	X(RXMIT_TIMER, "local_rxmit_timer", "local retransmissions on the local RTO")             \
	X(RXMIT_PERSIST, "local_rxmit_persist", "local retransmissions by the persist timer")     \
	X(DUPACK_SUPPRESSED, "dupack_suppressed", "duplicate ACKs not passed to the CN")          \
	X(STALE_ACK, "stale_ack", "ACKs below the last one, dropped by the worker")               \
	X(NEW_ACK, "new_ack", "new ACKs processed (from XDP's events)")                           \
	X(RTT_SAMPLES, "rtt_samples", "local round-trip samples")                                 \
	X(CONN_NEW, "conn_new", "connections taken on")                                           \
	X(CONN_FULL, "conn_table_full", "connections not snooped: table full")                    \
	X(CONN_EVICTED, "conn_evicted", "idle connections freed by the garbage timer")            \
	X(CONN_CLOSED, "conn_closed", "connections ended by RST")                                 \
	X(RXMIT_GIVEUP, "rxmit_giveup", "segments left to the CN after the retransmission limit") \
	X(DUPACK_FORWARDED, "dupack_forwarded", "duplicate ACKs the worker passed to the CN")     \
	X(DATA_FORWARDED, "data_forwarded", "downlink segments sent on by the worker")            \
	X(TX_FULL, "tx_full", "frames dropped: transmit ring or frame pool full")                 \
	X(RXMIT_DEFERRED, "rxmit_deferred", "retransmissions held until the previous copy left")  \
	X(EVENTS, "events", "ring-buffer events consumed")                                        \
	X(BAD_META, "bad_meta", "frames without valid metadata")                                  \
	X(CFG_RELOAD, "cfg_reload", "configuration changes applied")                              \
	X(EVICTED_FOR_HOLE, "evicted_for_hole", "newest segments dropped for a CN's hole repair") \
	X(RXMIT_STALE_KEY, "rxmit_stale_key",                                                     \
	  "cached segments not sent again: their CSA is gone here")

enum mml_snoop_stat {
#define MML_SNOOP_STAT_ENUM(id, name, help) MML_SNOOP_STAT_##id,
	MML_SNOOP_STAT_LIST(MML_SNOOP_STAT_ENUM)
#undef MML_SNOOP_STAT_ENUM
		MML_SNOOP_STAT_MAX
};

MML_STATIC_ASSERT(MML_SNOOP_STAT_MAX <= MML_SNOOP_STATS_CAP, "mml_snoop_stats capacity");

#ifndef __bpf__
static inline const char *mml_snoop_stat_name(unsigned int stat)
{
	static const char *const names[] = {
#define MML_SNOOP_STAT_NAME(id, name, help) [MML_SNOOP_STAT_##id] = name,
		MML_SNOOP_STAT_LIST(MML_SNOOP_STAT_NAME)
#undef MML_SNOOP_STAT_NAME
	};

	return stat < MML_SNOOP_STAT_MAX ? names[stat] : NULL;
}

static inline const char *mml_snoop_stat_help(unsigned int stat)
{
	static const char *const help_texts[] = {
#define MML_SNOOP_STAT_HELP(id, name, help) [MML_SNOOP_STAT_##id] = help,
		MML_SNOOP_STAT_LIST(MML_SNOOP_STAT_HELP)
#undef MML_SNOOP_STAT_HELP
	};

	return stat < MML_SNOOP_STAT_MAX ? help_texts[stat] : NULL;
}
#endif

#endif
