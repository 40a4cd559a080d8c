/* SNOOP (Balakrishnan et al., as ported in the paper's section 5.1.2; DESIGN.md
 * section 5): a link-layer-aware TCP cache at the base station. Downlink data
 * segments are cached (the cache is the frame itself, referred to by an
 * opaque handle) and forwarded; a new ACK from the mobile host frees the
 * segments it covers and gives an RTT sample; a duplicate ACK for a cached
 * segment triggers a local retransmission at high priority and the duplicate
 * ACKs that retransmission covers are suppressed; timers retransmit locally
 * (RTO), retransmit everything unacknowledged (persist) and free idle
 * connections (garbage).
 *
 * This file is the state machine only: no packets, no clock. The caller
 * passes the current time and receives its decisions through snoop_ops
 * (transmit a cached frame, release a frame) and return values, which makes
 * every path testable with scripted sequences. */
#ifndef MML_LIB_SNOOP_H
#define MML_LIB_SNOOP_H

#include <stdbool.h>
#include <stdint.h>

/* Table 4 of the paper. */
struct snoop_cfg {
	uint32_t max_segs;     /* cached segments per connection (50) */
	uint32_t max_conns;    /* connections (64) */
	uint32_t rto_init_ms;  /* local retransmission timeout before any sample (100) */
	uint32_t rto_min_ms;   /* floor of the local RTO (100) */
	uint32_t rto_max_ms;   /* ceiling after back-off (2000) */
	uint32_t persist_ms;   /* idle both ways -> retransmit all unacknowledged (1000) */
	uint32_t garbage_ms;   /* idle -> connection freed (10000) */
	uint32_t rxmit_thresh; /* local retransmissions of one segment, at most (4) */
};

void snoop_cfg_default(struct snoop_cfg *cfg);
/* -EINVAL with the field named in why when a value is out of range. */
int snoop_cfg_validate(const struct snoop_cfg *cfg, char *why, unsigned long why_len);

/* A TCP connection in the data direction (CN -> MH); addresses and ports in
 * network byte order as on the wire. ACKs are looked up reversed. */
struct snoop_key {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

struct snoop_conn;

struct snoop_ops {
	/* Send a cached frame again, with priority (local retransmission). */
	void (*xmit)(void *ctx, uint64_t frame, uint32_t frame_len);
	/* The cache no longer needs the frame. */
	void (*release)(void *ctx, uint64_t frame);
	/* Optional: a connection was taken on (up) or is about to be dropped
	 * (!up, its state still readable), e.g. to mirror it for XDP. */
	void (*conn_change)(void *ctx, const struct snoop_conn *c, bool up);
	void *ctx;
};

enum snoop_verdict {
	SNOOP_FORWARD,	      /* send the packet on as usual */
	SNOOP_FORWARD_CACHED, /* data: send it on, the cache keeps the frame */
	SNOOP_DROP,	      /* ACK suppressed (duplicate covered, or stale) */
};

enum snoop_counter {
	SNOOP_C_CACHED,
	SNOOP_C_NOT_CACHED_FULL, /* connection's cache full: forwarded uncached */
	SNOOP_C_SENDER_RXMIT,	 /* the sender retransmitted a segment */
	SNOOP_C_RXMIT_DUPACK,	 /* local retransmissions on a duplicate ACK */
	SNOOP_C_RXMIT_TIMER,	 /* ... on the local RTO */
	SNOOP_C_RXMIT_PERSIST,	 /* ... on the persist timer */
	SNOOP_C_DUPACK_SUPPRESSED,
	SNOOP_C_STALE_ACK, /* ACK below the last one: dropped */
	SNOOP_C_NEW_ACK,
	SNOOP_C_RTT_SAMPLES,
	SNOOP_C_CONN_NEW,
	SNOOP_C_CONN_FULL,	  /* no slot: the connection is not snooped */
	SNOOP_C_CONN_GARBAGE,	  /* idle connections freed */
	SNOOP_C_CONN_CLOSED,	  /* RST seen */
	SNOOP_C_RXMIT_GIVEUP,	  /* threshold reached: left to the sender */
	SNOOP_C_EVICTED_FOR_HOLE, /* newest segment dropped for a sender's hole repair */
	SNOOP_C_MAX
};

const char *snoop_counter_name(unsigned int c);

struct snoop_seg {
	uint32_t seq;
	uint32_t len;	/* TCP payload bytes */
	uint64_t frame; /* caller's handle (e.g. a UMEM address) */
	uint32_t frame_len;
	uint8_t rxmits;	   /* local retransmissions so far */
	bool sender_rxmit; /* sent more than once by the sender: no RTT sample */
	uint64_t sent_ns;
	uint64_t rxmit_ns; /* last local retransmission */
};

struct snoop_conn {
	struct snoop_key key;
	bool used;
	bool have_ack;		 /* last_ack holds an ACK seen from the MH */
	uint32_t last_ack;	 /* highest cumulative ACK */
	uint32_t next_seq;	 /* one past the highest byte seen from the sender */
	uint32_t dupacks;	 /* duplicates of last_ack seen */
	uint32_t expect_dupacks; /* after a local retransmission: dupacks it covers */
	uint32_t srtt_us, rttvar_us, rto_ms;
	/* Round trips of local retransmissions: they go at high priority,
	 * past the queue the first transmissions wait in, so their timer
	 * runs on its own estimate (docs/snoop.md). */
	uint32_t srtt_prio_us, rttvar_prio_us;
	uint32_t backoff; /* local RTO firings since the last new ACK */
	/* The ACK the first copy of the last locally repaired segment would
	 * repeat if it was only late, not lost (snoop.c, snoop_ack). */
	uint32_t late_dup_ack;
	bool late_dup_armed;
	/* Persist resends of segments the MH may already hold: each such
	 * duplicate makes a plaintext MH repeat its ACK, which the sender must
	 * not see (snoop.c, snoop_ack). Until own_dups_until_ns. */
	uint32_t own_dups;
	uint64_t own_dups_until_ns;
	uint64_t last_data_ns, last_ack_ns; /* activity, for persist and garbage */
	uint64_t persist_ns;		    /* when persist last fired */
	uint64_t rxmit_deadline_ns;	    /* 0 = timer off */
	uint32_t head, count;		    /* ring of segs, ordered by seq */
	struct snoop_seg *segs;
	uint64_t counters[SNOOP_C_MAX]; /* this connection's share of snoop.counters */
};

struct snoop {
	struct snoop_cfg cfg;
	struct snoop_ops ops;
	struct snoop_conn *conns;
	uint64_t counters[SNOOP_C_MAX];
};

int snoop_init(struct snoop *s, const struct snoop_cfg *cfg, const struct snoop_ops *ops);
/* Releases every cached frame. */
void snoop_free(struct snoop *s);

/* A downlink TCP segment carrying len > 0 payload bytes at seq, in frame.
 * Returns SNOOP_FORWARD_CACHED when the cache took the frame (the caller must
 * not reuse it until released), SNOOP_FORWARD otherwise. */
enum snoop_verdict snoop_data(struct snoop *s, const struct snoop_key *k, uint32_t seq,
			      uint32_t len, uint64_t frame, uint32_t frame_len, uint64_t now_ns);

/* An uplink ACK (key as in the data direction). dup_candidate: the segment
 * carries no payload and no SYN/FIN/RST and the window is unchanged, i.e. it
 * can be a duplicate ACK. */
enum snoop_verdict snoop_ack(struct snoop *s, const struct snoop_key *k, uint32_t ack,
			     bool dup_candidate, uint64_t now_ns);

/* SYN from either side restarts the connection's state; RST frees it. */
void snoop_syn(struct snoop *s, const struct snoop_key *k, uint64_t now_ns);
void snoop_rst(struct snoop *s, const struct snoop_key *k);

/* Runs the timers; call at least every few milliseconds. Returns the next
 * deadline (0 if none) so the caller can sleep until then. */
uint64_t snoop_tick(struct snoop *s, uint64_t now_ns);

/* Read-only view for inspection (mml_snoop, mmlctl snoop show). */
const struct snoop_conn *snoop_lookup(const struct snoop *s, const struct snoop_key *k);

#endif
