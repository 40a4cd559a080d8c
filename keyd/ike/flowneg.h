/* A flow's mode changed by agreement between MH and HA (issue 19, paper
 * §5.2/§5.5; docs/endpoints.md "Switching modes"): the state of each
 * change at one end, on top of mml_flow. The exchange itself is the
 * engine's (MLIKE_N_FLOW_MODE in an INFORMATIONAL, keyd/ike/ike_info.c);
 * this file decides what each end writes when, so that no packet of the
 * flow is refused while the two ends switch:
 *
 *   initiator, downgrade: accepts the new mode (a temporary accept flag),
 *     asks; agreed: sends in the new mode; refused: back as before.
 *   initiator, upgrade: sends in the new mode at once (receivers take a
 *     stronger mode anyway) and tells the peer; the old mode is accepted
 *     until the settle time.
 *   responder: checks its policy (the weakest mode a peer may ask for),
 *     writes the new mode (accepting the old one until the settle time if
 *     that is weaker) and agrees.
 *   both: after FLOWNEG_SETTLE_NS the temporary flag goes; a change with a
 *     duration reverts to the entry it replaced when that ends (the same
 *     way: the old entry accepting the new mode until the settle time).
 *
 * Pure logic over a map interface (struct flowneg_map) and a clock given
 * by the caller: keyd/ike/flow_ctl.c runs it on mml_flow, the unit tests
 * on a table. */
#ifndef MML_KEYD_IKE_FLOWNEG_H
#define MML_KEYD_IKE_FLOWNEG_H

#include <stdbool.h>
#include <stdint.h>

#include "keyd/ike/ike_wire.h"
#include "maps/ep.h"

#define FLOWNEG_MAX 32
#define FLOWNEG_RESULTS 32
/* Longer than the worker's EP_FLOW_SETTLE_NS (worker/tables.h, 2 s): a
 * worker learns no upgrade from an entry changed less than that ago, and
 * the packets of the old mode still in flight have arrived by then. */
#define FLOWNEG_SETTLE_NS 2500000000ull
/* A request not sent within this (the IKE SA's window busy) fails. */
#define FLOWNEG_QUEUE_NS 5000000000ull

struct flowneg_map {
	/* 0 with *f, or -ENOENT: the entry of exactly k (get), the entry a
	 * packet of k finds (match: the one with the fewest wildcards). */
	int (*get)(void *ctx, const struct mml_flow_key *k, struct mml_flow *f);
	int (*match)(void *ctx, const struct mml_flow_key *k, struct mml_flow *f);
	int (*put)(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f);
	int (*del)(void *ctx, const struct mml_flow_key *k);
	/* After every write: learned entries under k go, the workers reload. */
	void (*changed)(void *ctx, const struct mml_flow_key *k);
	void *ctx;
};

enum flowneg_state {
	FN_FREE,
	FN_QUEUED, /* ours, waiting for the IKE SA's window */
	FN_ASKING, /* ours, the request out */
	FN_AGREED, /* agreed (or kept): settle_ns and expire_ns still to come */
};

struct flowneg {
	uint8_t state; /* enum flowneg_state */
	bool initiator;
	bool upgrade;	/* not weaker than before: in force without waiting */
	bool had_prev;	/* an entry of exactly this key was there before */
	bool reverting; /* the duration is over: settling back, then the record ends */
	struct mml_flow_key key;
	struct mml_flow prev; /* the entry the change replaced (had_prev) */
	struct mml_flow cur;  /* what a packet of the key found before (prev or a wildcard's) */
	struct mml_flow want; /* the entry agreed, without the temporary flag */
	uint32_t duration_s;
	uint64_t settle_ns; /* the temporary accept flag goes (0 = none) */
	uint64_t expire_ns; /* the duration ends (0 = none) */
	uint64_t queued_until_ns;
	uint64_t id; /* ours: the control request's, for flowneg_result */
};

enum flowneg_result_state { FNR_NONE, FNR_PENDING, FNR_AGREED, FNR_REFUSED, FNR_FAILED };

struct flowneg_result {
	uint64_t id;
	uint8_t state;	 /* enum flowneg_result_state */
	uint16_t notify; /* FNR_REFUSED: the peer's notify */
	bool upgrade;	 /* switched without waiting for the answer */
};

struct flowneg_table {
	struct flowneg e[FLOWNEG_MAX];
	struct flowneg_result res[FLOWNEG_RESULTS];
	uint64_t next_id;
	uint8_t min_mode; /* the weakest receive floor a peer may ask for */
	struct flowneg_map map;
	uint64_t asked, agreed, refused, peer_agreed, peer_refused, expired, failed;
};

void flowneg_init(struct flowneg_table *t, const struct flowneg_map *map, uint8_t min_mode);

/* The weakest mode a receiver of entry f takes (mml_flow_rx_floor), for an
 * entry made of mode and every_n alone. */
uint8_t flowneg_floor(uint8_t mode, uint16_t every_n);

/* Ours (mmlctl flow set): key gets mode/every_n for duration_s (0 = until
 * changed). Writes what must precede the request and queues it: returns
 * 0 with *id (flowneg_result) and the record; -ENOSPC when the table is
 * full, -EINVAL for a key without home address or plaintext every n. An
 * upgrade is in force on return. */
int flowneg_start(struct flowneg_table *t, const struct mml_flow_key *key, uint8_t mode,
		  uint16_t every_n, uint32_t duration_s, uint64_t now_ns, uint64_t *id);
/* The request to send for a queued record (its payload), NULL if none. */
struct flowneg *flowneg_next_queued(struct flowneg_table *t);
void flowneg_to_pl(const struct flowneg *r, struct mlike_flow_mode_pl *fm);
/* The queued record r was sent (err 0: now ASKING), or could not be
 * (-EBUSY: stays queued until its bound; else it fails, reverted). */
void flowneg_sent(struct flowneg_table *t, struct flowneg *r, int err, uint64_t now_ns);
/* The peer answered ours about fm: 0 agreed, else its refusal. */
void flowneg_answer(struct flowneg_table *t, const struct mlike_flow_mode_pl *fm, uint16_t notify,
		    uint64_t now_ns);
/* The peer asks: 0 after writing its entry, or the refusal to send
 * (MLIKE_N_FLOW_MODE_REFUSED: below our policy, or the table full). The
 * caller has checked that the flow is the peer's (its home address). */
uint16_t flowneg_peer(struct flowneg_table *t, const struct mlike_flow_mode_pl *fm,
		      uint64_t now_ns);
/* The IKE SA with the mobile home went down: our requests for its flows
 * fail and revert; agreed changes stay (until their expiry). */
void flowneg_sa_down(struct flowneg_table *t, uint32_t home, uint64_t now_ns);
/* Settle and expiry times; queued requests past their bound. Returns the
 * next time it has work (0 = none). */
uint64_t flowneg_tick(struct flowneg_table *t, uint64_t now_ns);
const struct flowneg_result *flowneg_result(const struct flowneg_table *t, uint64_t id);

#endif
