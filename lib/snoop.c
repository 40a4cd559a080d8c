#include "lib/snoop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ULL

/* TCP sequence space is modulo 2^32: compare by the sign of the distance. */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

void snoop_cfg_default(struct snoop_cfg *cfg)
{
	*cfg = (struct snoop_cfg){
		.max_segs = 50,
		.max_conns = 64,
		.rto_init_ms = 100,
		.rto_min_ms = 100,
		.rto_max_ms = 2000,
		.persist_ms = 1000,
		.garbage_ms = 10000,
		.rxmit_thresh = 4,
	};
}

int snoop_cfg_validate(const struct snoop_cfg *c, char *why, unsigned long why_len)
{
	const char *bad = NULL;

	if (c->max_segs < 1 || c->max_segs > 4096)
		bad = "max_segs: must be 1..4096";
	else if (c->max_conns < 1 || c->max_conns > 65536)
		bad = "max_conns: must be 1..65536";
	else if (c->rto_min_ms < 1 || c->rto_init_ms < c->rto_min_ms)
		bad = "rto_init_ms: must be at least rto_min_ms (>= 1)";
	else if (c->rto_max_ms < c->rto_init_ms)
		bad = "rto_max_ms: must be at least rto_init_ms";
	else if (c->persist_ms < 1 || c->garbage_ms < c->persist_ms)
		bad = "garbage_ms: must be at least persist_ms (>= 1)";
	else if (c->rxmit_thresh < 1 || c->rxmit_thresh > 255)
		bad = "rxmit_thresh: must be 1..255";
	if (!bad)
		return 0;
	if (why && why_len)
		snprintf(why, why_len, "%s", bad);
	return -EINVAL;
}

static const char *const counter_names[SNOOP_C_MAX] = {
	[SNOOP_C_CACHED] = "cached",
	[SNOOP_C_NOT_CACHED_FULL] = "not_cached_full",
	[SNOOP_C_SENDER_RXMIT] = "sender_rxmit",
	[SNOOP_C_RXMIT_DUPACK] = "local_rxmit_dupack",
	[SNOOP_C_RXMIT_TIMER] = "local_rxmit_timer",
	[SNOOP_C_RXMIT_PERSIST] = "local_rxmit_persist",
	[SNOOP_C_DUPACK_SUPPRESSED] = "dupack_suppressed",
	[SNOOP_C_STALE_ACK] = "stale_ack_dropped",
	[SNOOP_C_NEW_ACK] = "new_ack",
	[SNOOP_C_RTT_SAMPLES] = "rtt_samples",
	[SNOOP_C_CONN_NEW] = "conn_new",
	[SNOOP_C_CONN_FULL] = "conn_table_full",
	[SNOOP_C_CONN_GARBAGE] = "conn_garbage",
	[SNOOP_C_CONN_CLOSED] = "conn_closed",
	[SNOOP_C_RXMIT_GIVEUP] = "rxmit_giveup",
	[SNOOP_C_EVICTED_FOR_HOLE] = "evicted_for_hole",
};

const char *snoop_counter_name(unsigned int c)
{
	return c < SNOOP_C_MAX ? counter_names[c] : NULL;
}

int snoop_init(struct snoop *s, const struct snoop_cfg *cfg, const struct snoop_ops *ops)
{
	int err = snoop_cfg_validate(cfg, NULL, 0);

	memset(s, 0, sizeof(*s));
	if (err)
		return err;
	s->cfg = *cfg;
	s->ops = *ops;
	s->conns = calloc(cfg->max_conns, sizeof(*s->conns));
	if (!s->conns)
		return -ENOMEM;
	for (uint32_t i = 0; i < cfg->max_conns; i++) {
		s->conns[i].segs = calloc(cfg->max_segs, sizeof(struct snoop_seg));
		if (!s->conns[i].segs) {
			snoop_free(s);
			return -ENOMEM;
		}
	}
	return 0;
}

static void count(struct snoop *s, struct snoop_conn *c, enum snoop_counter k)
{
	s->counters[k]++;
	c->counters[k]++;
}

static struct snoop_seg *seg_at(const struct snoop *s, const struct snoop_conn *c, uint32_t i)
{
	return &c->segs[(c->head + i) % s->cfg.max_segs];
}

/* Drops the connection's cache and state; the slot stays allocated. */
static void conn_clear(struct snoop *s, struct snoop_conn *c)
{
	struct snoop_seg *segs = c->segs;

	if (s->ops.conn_change)
		s->ops.conn_change(s->ops.ctx, c, false);
	for (uint32_t i = 0; i < c->count; i++)
		s->ops.release(s->ops.ctx, seg_at(s, c, i)->frame);
	memset(c, 0, sizeof(*c));
	c->segs = segs;
}

void snoop_free(struct snoop *s)
{
	if (!s->conns)
		return;
	for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
		if (s->conns[i].used)
			conn_clear(s, &s->conns[i]);
		free(s->conns[i].segs);
	}
	free(s->conns);
	s->conns = NULL;
}

static bool key_eq(const struct snoop_key *a, const struct snoop_key *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport;
}

static struct snoop_conn *conn_find(const struct snoop *s, const struct snoop_key *k)
{
	for (uint32_t i = 0; i < s->cfg.max_conns; i++)
		if (s->conns[i].used && key_eq(&s->conns[i].key, k))
			return &s->conns[i];
	return NULL;
}

const struct snoop_conn *snoop_lookup(const struct snoop *s, const struct snoop_key *k)
{
	return conn_find(s, k);
}

/* A new connection takes a free slot; when all are taken it is simply not
 * snooped (its packets are forwarded untouched) until the garbage timer
 * frees an idle one, as in the original SNOOP. */
static struct snoop_conn *conn_new(struct snoop *s, const struct snoop_key *k, uint32_t seq,
				   uint64_t now)
{
	for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
		struct snoop_conn *c = &s->conns[i];

		if (c->used)
			continue;
		c->used = true;
		c->key = *k;
		c->next_seq = seq;
		c->rto_ms = s->cfg.rto_init_ms;
		c->last_data_ns = c->last_ack_ns = now;
		count(s, c, SNOOP_C_CONN_NEW);
		if (s->ops.conn_change)
			s->ops.conn_change(s->ops.ctx, c, true);
		return c;
	}
	s->counters[SNOOP_C_CONN_FULL]++;
	return NULL;
}

static uint32_t clamp_rto(const struct snoop *s, uint64_t rto)
{
	return rto < s->cfg.rto_min_ms ? s->cfg.rto_min_ms :
	       rto > s->cfg.rto_max_ms ? s->cfg.rto_max_ms :
					 (uint32_t)rto;
}

/* The local retransmission timer of the head segment: the data estimate
 * until the head was retransmitted locally, then the estimate of local
 * retransmissions (if there is one yet); doubled per firing. */
static void arm_rxmit_timer(const struct snoop *s, struct snoop_conn *c, uint64_t now)
{
	const struct snoop_seg *head = c->count ? &c->segs[c->head] : NULL;
	uint64_t rto;

	if (!head) {
		c->rxmit_deadline_ns = 0;
		return;
	}
	rto = c->rto_ms;
	if (head->rxmits && c->srtt_prio_us)
		rto = clamp_rto(s, (c->srtt_prio_us + 4ull * c->rttvar_prio_us) / 1000);
	rto = clamp_rto(s, rto << (c->backoff < 16 ? c->backoff : 16));
	c->rxmit_deadline_ns = now + rto * NS_PER_MS;
}

static void retransmit(struct snoop *s, struct snoop_conn *c, struct snoop_seg *seg,
		       enum snoop_counter why, uint64_t now)
{
	seg->rxmits++;
	seg->rxmit_ns = now;
	c->late_dup_ack = seg->seq + seg->len;
	c->late_dup_armed = true;
	count(s, c, why);
	s->ops.xmit(s->ops.ctx, seg->frame, seg->frame_len);
}

/* Index of the cached segment starting at seq, or -1. */
static int find_seg(const struct snoop *s, const struct snoop_conn *c, uint32_t seq)
{
	for (uint32_t i = 0; i < c->count; i++)
		if (seg_at(s, c, i)->seq == seq)
			return (int)i;
	return -1;
}

/* A retransmission by the sender of something not cached (it came while the
 * cache was full): keep the ring ordered by sequence number. */
static void insert_sorted(struct snoop *s, struct snoop_conn *c, const struct snoop_seg *seg)
{
	uint32_t i = c->count;

	while (i > 0 && seq_lt(seg->seq, seg_at(s, c, i - 1)->seq)) {
		*seg_at(s, c, i) = *seg_at(s, c, i - 1);
		i--;
	}
	*seg_at(s, c, i) = *seg;
	c->count++;
}

/* A full cache and a sender's retransmission of a segment it does not hold,
 * below segments it does: the sender is filling the hole that holds the
 * MH's ACK back (its first copy came while the cache was full, Table 4's 50
 * segments being less than a 64 KB window). That is the segment the cache
 * most needs: uncached, a loss of it again waits for the sender's RTO,
 * backed off with every timeout and kept so by Karn, while the persist
 * timer resends the held segments behind it to no effect. The newest
 * segment makes room; if it is lost, the sender repairs it as any uncached
 * one. */
static bool evict_newest_for(struct snoop *s, struct snoop_conn *c, uint32_t seq)
{
	struct snoop_seg *newest = seg_at(s, c, c->count - 1);

	if (!seq_lt(seq, newest->seq))
		return false;
	s->ops.release(s->ops.ctx, newest->frame);
	c->count--;
	count(s, c, SNOOP_C_EVICTED_FOR_HOLE);
	return true;
}

enum snoop_verdict snoop_data(struct snoop *s, const struct snoop_key *k, uint32_t seq,
			      uint32_t len, uint64_t frame, uint32_t frame_len, uint64_t now)
{
	struct snoop_conn *c = conn_find(s, k);
	struct snoop_seg seg = {
		.seq = seq, .len = len, .frame = frame, .frame_len = frame_len, .sent_ns = now
	};
	int i;

	if (!c)
		c = conn_new(s, k, seq, now);
	if (!c || len == 0)
		return SNOOP_FORWARD;
	c->last_data_ns = now;

	/* Already acknowledged: the receiver will answer it; nothing to keep. */
	if (c->have_ack && seq_leq(seq + len, c->last_ack))
		return SNOOP_FORWARD;

	if (!seq_lt(seq, c->next_seq)) {
		c->next_seq = seq + len;
		/* While a loss is being repaired, every new segment that reaches
		 * the receiver produces one more duplicate ACK to suppress. */
		if (c->expect_dupacks)
			c->expect_dupacks++;
		if (c->count == s->cfg.max_segs) {
			count(s, c, SNOOP_C_NOT_CACHED_FULL);
			return SNOOP_FORWARD;
		}
		*seg_at(s, c, c->count++) = seg;
		count(s, c, SNOOP_C_CACHED);
		if (!c->rxmit_deadline_ns)
			arm_rxmit_timer(s, c, now);
		return SNOOP_FORWARD_CACHED;
	}

	/* The sender retransmitted (its own timeout or fast retransmit): keep
	 * the newest copy, take no RTT sample from it (Karn), and end the local
	 * loss episode: the sender is recovering by itself. */
	count(s, c, SNOOP_C_SENDER_RXMIT);
	c->expect_dupacks = 0;
	c->dupacks = 0;
	seg.sender_rxmit = true;
	i = find_seg(s, c, seq);
	if (i >= 0) {
		struct snoop_seg *old = seg_at(s, c, (uint32_t)i);

		s->ops.release(s->ops.ctx, old->frame);
		seg.rxmits = old->rxmits;
		*old = seg;
		return SNOOP_FORWARD_CACHED;
	}
	if (c->count == s->cfg.max_segs && !evict_newest_for(s, c, seq)) {
		count(s, c, SNOOP_C_NOT_CACHED_FULL);
		return SNOOP_FORWARD;
	}
	insert_sorted(s, c, &seg);
	count(s, c, SNOOP_C_CACHED);
	return SNOOP_FORWARD_CACHED;
}

/* The RTO the estimator gives, clamped; the initial one before any sample. */
static uint32_t restored_rto(const struct snoop *s, const struct snoop_conn *c)
{
	uint32_t rto;

	if (!c->srtt_us)
		return s->cfg.rto_init_ms;
	rto = (c->srtt_us + 4 * c->rttvar_us) / 1000;
	return rto < s->cfg.rto_min_ms ? s->cfg.rto_min_ms :
	       rto > s->cfg.rto_max_ms ? s->cfg.rto_max_ms :
					 rto;
}

/* RFC 6298 smoothing of one round trip, in microseconds. */
static void rtt_smooth(uint32_t *srtt, uint32_t *rttvar, uint64_t rtt_ns)
{
	uint32_t r = (uint32_t)(rtt_ns / 1000);

	if (!*srtt) {
		*srtt = r ? r : 1;
		*rttvar = r / 2;
	} else {
		uint32_t diff = *srtt > r ? *srtt - r : r - *srtt;

		*rttvar = (3 * *rttvar + diff) / 4;
		*srtt = (7 * *srtt + r) / 8;
	}
}

/* Local (FA <-> MH) round trips of first transmissions. */
static void rtt_sample(struct snoop *s, struct snoop_conn *c, uint64_t rtt_ns)
{
	rtt_smooth(&c->srtt_us, &c->rttvar_us, rtt_ns);
	c->rto_ms = restored_rto(s, c);
	count(s, c, SNOOP_C_RTT_SAMPLES);
}

static void new_ack(struct snoop *s, struct snoop_conn *c, uint32_t ack, uint64_t now)
{
	const struct snoop_seg *sample = NULL, *first = c->count ? &c->segs[c->head] : NULL;
	bool clean = true;

	count(s, c, SNOOP_C_NEW_ACK);
	/* Karn, and more: a cumulative ACK that a repaired hole held back says
	 * nothing about the round trip of the segments behind the hole. Only
	 * an ACK whose first segment went once gives a sample; one whose first
	 * segment was repaired by exactly one local retransmission times that
	 * retransmission instead. */
	if (first && seq_leq(first->seq + first->len, ack)) {
		clean = !first->sender_rxmit && !first->rxmits;
		if (!first->sender_rxmit && first->rxmits == 1)
			rtt_smooth(&c->srtt_prio_us, &c->rttvar_prio_us, now - first->rxmit_ns);
	}
	while (c->count && seq_leq(c->segs[c->head].seq + c->segs[c->head].len, ack)) {
		struct snoop_seg *seg = &c->segs[c->head];

		if (clean && !seg->sender_rxmit && !seg->rxmits)
			sample = seg;
		s->ops.release(s->ops.ctx, seg->frame);
		c->head = (c->head + 1) % s->cfg.max_segs;
		c->count--;
	}
	if (sample)
		rtt_sample(s, c, now - sample->sent_ns);
	c->backoff = 0;
	if (c->late_dup_armed && ack != c->late_dup_ack)
		c->late_dup_armed = false;
	c->last_ack = ack;
	c->have_ack = true;
	c->dupacks = 0;
	c->expect_dupacks = 0;
	arm_rxmit_timer(s, c, now);
}

/* Whether this duplicate ACK may be the MH's answer to one of the persist
 * timer's resends of a segment it already held (each such duplicate is
 * counted once). A plaintext MH answers every one of them with a
 * duplicate ACK; forwarded, a burst of them is more duplicates than the
 * sender has segments in flight, which Linux takes for reordering and
 * answers by raising its fast-retransmit threshold (TCPRenoReorder): the
 * next losses wait for its RTO, which idles the link, which fires the
 * persist timer again. Nothing the sender could use is withheld: idle for
 * a persist period, it waits for its RTO or recovers from one, and without
 * SACK Linux ignores duplicate ACKs then (but for that bookkeeping). An
 * ML-ESP MH drops the resends it holds as replays and answers only those
 * it lacked. */
static bool own_dup_take(struct snoop_conn *c, uint64_t now)
{
	if (!c->own_dups || now >= c->own_dups_until_ns)
		return false;
	c->own_dups--;
	return true;
}

static enum snoop_verdict suppress(struct snoop *s, struct snoop_conn *c)
{
	count(s, c, SNOOP_C_DUPACK_SUPPRESSED);
	return SNOOP_DROP;
}

enum snoop_verdict snoop_ack(struct snoop *s, const struct snoop_key *k, uint32_t ack,
			     bool dup_candidate, uint64_t now)
{
	struct snoop_conn *c = conn_find(s, k);
	struct snoop_seg *lost;
	bool own_dup;
	int i;

	if (!c)
		return SNOOP_FORWARD;
	c->last_ack_ns = now;
	if (!c->have_ack || seq_lt(c->last_ack, ack)) {
		new_ack(s, c, ack, now);
		return SNOOP_FORWARD;
	}
	if (seq_lt(ack, c->last_ack)) {
		count(s, c, SNOOP_C_STALE_ACK);
		return SNOOP_DROP;
	}
	if (!dup_candidate)
		return SNOOP_FORWARD;

	/* A duplicate ACK: the segment at last_ack is missing at the MH. */
	own_dup = own_dup_take(c, now);
	i = find_seg(s, c, ack);
	if (i < 0) /* not ours to repair: the sender will */
		return own_dup ? suppress(s, c) : SNOOP_FORWARD;
	lost = seg_at(s, c, (uint32_t)i);
	/* A local retransmission goes at high priority, past the queue on the
	 * air: if the first copy was only queued, not lost, it reaches the MH
	 * after the repair, as a duplicate, and the MH's TCP repeats its ACK
	 * once. That says nothing about the next segment (queued as well);
	 * retransmitting it would start the same again, segment after
	 * segment (seen with plaintext flows; with ML-ESP the MH's replay
	 * window drops the late copy before TCP). Absorb that one duplicate. */
	if (c->late_dup_armed && ack == c->late_dup_ack) {
		c->late_dup_armed = false;
		return suppress(s, c);
	}
	c->dupacks++;
	if (c->expect_dupacks && c->dupacks <= c->expect_dupacks)
		return suppress(s, c);
	/* First duplicate of a loss, or more duplicates than the segments in
	 * flight explain: the (re)transmission was lost. */
	if (lost->rxmits >= s->cfg.rxmit_thresh) {
		count(s, c, SNOOP_C_RXMIT_GIVEUP);
		c->expect_dupacks = 0;
		return own_dup ? suppress(s, c) : SNOOP_FORWARD;
	}
	retransmit(s, c, lost, SNOOP_C_RXMIT_DUPACK, now);
	/* Every segment behind the lost one reaches the MH before the
	 * retransmission and repeats this ACK once: this duplicate was the
	 * first of them. */
	c->expect_dupacks = c->count - (uint32_t)i - 1;
	c->dupacks = 1;
	arm_rxmit_timer(s, c, now);
	return suppress(s, c);
}

void snoop_syn(struct snoop *s, const struct snoop_key *k, uint64_t now)
{
	struct snoop_conn *c = conn_find(s, k);

	(void)now;
	if (c)
		conn_clear(s, c);
}

void snoop_rst(struct snoop *s, const struct snoop_key *k)
{
	struct snoop_conn *c = conn_find(s, k);

	if (c) {
		conn_clear(s, c);
		s->counters[SNOOP_C_CONN_CLOSED]++;
	}
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static uint64_t later(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The timers of one connection; returns its next deadline. Garbage counts
 * from the last packet seen either way; persist also from its own last
 * firing, so it resends everything once per period, not on every tick. */
static uint64_t conn_tick(struct snoop *s, struct snoop_conn *c, uint64_t now)
{
	uint64_t active = later(c->last_data_ns, c->last_ack_ns);
	uint64_t garbage_at = active + (uint64_t)s->cfg.garbage_ms * NS_PER_MS;
	uint64_t persist_at =
		later(active, c->persist_ns) + (uint64_t)s->cfg.persist_ms * NS_PER_MS;

	if (now >= garbage_at) {
		conn_clear(s, c);
		s->counters[SNOOP_C_CONN_GARBAGE]++;
		return 0;
	}
	if (c->count && now >= persist_at) {
		for (uint32_t i = 0; i < c->count; i++)
			retransmit(s, c, seg_at(s, c, i), SNOOP_C_RXMIT_PERSIST, now);
		c->own_dups = c->count;
		c->own_dups_until_ns = now + (uint64_t)s->cfg.persist_ms * NS_PER_MS;
		c->persist_ns = now;
		persist_at = now + (uint64_t)s->cfg.persist_ms * NS_PER_MS;
		arm_rxmit_timer(s, c, now);
	}
	if (c->rxmit_deadline_ns && now >= c->rxmit_deadline_ns) {
		struct snoop_seg *head = c->count ? seg_at(s, c, 0) : NULL;

		if (head && head->rxmits < s->cfg.rxmit_thresh) {
			retransmit(s, c, head, SNOOP_C_RXMIT_TIMER, now);
			c->backoff++;
			arm_rxmit_timer(s, c, now);
		} else {
			if (head)
				count(s, c, SNOOP_C_RXMIT_GIVEUP);
			c->rxmit_deadline_ns = 0;
		}
	}
	return earliest(earliest(c->rxmit_deadline_ns, c->count ? persist_at : 0), garbage_at);
}

uint64_t snoop_tick(struct snoop *s, uint64_t now)
{
	uint64_t next = 0;

	for (uint32_t i = 0; i < s->cfg.max_conns; i++)
		if (s->conns[i].used)
			next = earliest(next, conn_tick(s, &s->conns[i], now));
	return next;
}
