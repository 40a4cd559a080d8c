/* bench-functions: the paper's Tables 6 and 7 time KLIPS's and SNOOP's
 * functions one by one; this times our code's counterpart of each, one call
 * at a time in batches, without rings or kernel (docs/results.md, "Tables 6
 * and 7", says which of the paper's functions each line stands for, and
 * which have none).
 *   Table 6: ML-ESP, zone 1 ChaCha20-Poly1305 over 40 bytes, zone 2
 *   AES-256-GCM, 1400-byte inner packets; the worker's protect and
 *   unprotect (worker/proto.c), the codec (lib/mlesp.c) and its steps: the
 *   layout, each zone's AEAD seal and open, the join, the replay window;
 *   the lookups, the lifetime and receive-policy checks, the IPv4 checksum
 *   and the outer header.
 *   Table 7: lib/snoop.c's entry points over the FA worker's frame ledger:
 *   a connection's lookup, take-on and teardown, a data segment cached, a
 *   new ACK, a cached frame's release, the timers idle and collecting.
 * One line per function: NAME NS "ns" COUNTERPART, ns per call, the best of
 * ROUNDS rounds each at least round_ns long; the load average is printed.
 * -q: short rounds (make experiments-smoke); FUNCTION...: only those (to
 * profile one). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/ep_setup.h"
#include "bench/snoop_setup.h"
#include "lib/bytes.h"
#include "lib/mlesp.h"
#include "worker/pkt.h"

#define ROUNDS 9
#define NPKT 256
#define BUF 2048
#define INNER 1400
#define MSS 1400u
#define FRAME_LEN (14u + 20u + 20u + MSS)

static uint64_t round_ns = 20000000ull;
static volatile uint64_t sink; /* keeps results the compiler could drop */

struct codec {
	struct mml_sa out, in;
	struct bench_side ha, mh;
	struct mml_csa in_csa, life;
	const struct mml_binding *b;
	uint32_t home, peer;
	uint8_t inner[BUF], scratch[BUF], plain[BUF];
	uint8_t pkts[NPKT][BUF]; /* ML-ESP, sequence numbers 1..NPKT */
	uint8_t ips[NPKT][BUF];	 /* the same as the HA worker sends them */
	size_t esp_len, ip_len, l1, p_len;
	uint32_t seq; /* running: replay window, lifetime */
};

/* ns per call of a batch function (returns its calls, 0 on a failure) over
 * one round: batches until round_ns is spent in them; -1 on a failure.
 * main takes the best of ROUNDS rounds, every function's round in turn, so
 * that the parts and the whole they are subtracted from (the paper's
 * "others") see the same moments of a shared machine. */
typedef long (*batch_fn)(void *ctx, uint64_t *spent);

static double one_round(batch_fn fn, void *ctx)
{
	uint64_t spent = 0;
	long calls = 0, n;

	while (spent < round_ns) {
		n = fn(ctx, &spent);
		if (n <= 0)
			return -1;
		calls += n;
	}
	return (double)spent / (double)calls;
}

/* The time of a batch of calls, added to *spent. */
static uint64_t batch_start(void)
{
	return bench_mono_ns();
}

static void batch_end(uint64_t *spent, uint64_t t0)
{
	*spent += bench_mono_ns() - t0;
}

static void zone_iv(uint8_t iv[8], const uint8_t *esp)
{
	memset(iv, 0, 4);
	memcpy(iv + 4, esp + 4, 4); /* RFC 8750's implicit IV, as lib/mlesp.c */
}

/* ---- Table 6: the endpoint ---- */

/* One call of a codec function on packet i: true if it did its work. */
typedef bool (*codec_op)(struct codec *c, int i);

/* A batch of NPKT calls of op; inlined with op known, so that each batch
 * function times op's own code, no indirect call. The barrier keeps the
 * compiler from hoisting a call whose arguments do not change. */
static inline __attribute__((always_inline)) long codec_batch(struct codec *c, codec_op op,
							      uint64_t *spent)
{
	uint64_t t0 = batch_start();
	long ok = 0;

	for (int i = 0; i < NPKT; i++) {
		ok += op(c, i);
		__asm__ volatile("" : : : "memory");
	}
	batch_end(spent, t0);
	return ok == NPKT ? ok : 0;
}

static inline bool protect_one(struct codec *c, int i)
{
	unsigned int stat;

	return ep_protect(&c->ha.t, EP_SIDE_HA, c->b, c->inner, INNER, c->ips[i], BUF, &stat) > 0;
}

static inline bool seal_one(struct codec *c, int i)
{
	return mml_mlesp_seal(&c->out, (uint32_t)i + 1, c->inner, INNER, c->scratch, BUF) > 0;
}

static inline bool layout_one(struct codec *c, int i)
{
	return mml_mlesp_layout(&c->out, c->inner, INNER, c->scratch) == c->l1;
}

/* Zone z's seal over the packet laid out in scratch (z1: L1 bytes, z2:
 * the rest), in place as mml_mlesp_seal does (sealing ciphertext again
 * takes the same time). */
static inline bool zone_seal_one(struct codec *c, int z, int i)
{
	uint8_t iv[8] = { 0 }, *c1 = c->scratch + MML_MLESP_HDR_LEN;
	uint8_t *p = z ? c1 + c->l1 + MML_TAG_LEN : c1;
	size_t len = z ? c->p_len - c->l1 : c->l1;

	put_be32(iv + 4, (uint32_t)i + 1);
	return !mml_aead_seal(&c->out.zone[z], iv, c->scratch, MML_MLESP_HDR_LEN, p, p, len,
			      p + len);
}

static inline bool zone1_seal_one(struct codec *c, int i)
{
	return zone_seal_one(c, 0, i);
}

static inline bool zone2_seal_one(struct codec *c, int i)
{
	return zone_seal_one(c, 1, i);
}

/* Zone z's open of packet i, out of place (its ciphertext stays for the
 * next batch). */
static inline bool zone_open_one(struct codec *c, int z, int i)
{
	size_t len = z ? c->p_len - c->l1 : c->l1;
	size_t off = MML_MLESP_HDR_LEN + (z ? c->l1 + MML_TAG_LEN : 0);
	const uint8_t *esp = c->pkts[i];
	uint8_t iv[8];

	zone_iv(iv, esp);
	return !mml_aead_open(&c->in.zone[z], iv, esp, MML_MLESP_HDR_LEN, esp + off, c->scratch,
			      len, esp + off + len);
}

static inline bool zone1_open_one(struct codec *c, int i)
{
	return zone_open_one(c, 0, i);
}

static inline bool zone2_open_one(struct codec *c, int i)
{
	return zone_open_one(c, 1, i);
}

/* Over a packet as both opens leave it: plaintext, T1's gap still there
 * (what the layout makes); moving zone 1 again leaves the trailer as it is. */
static inline bool join_one(struct codec *c, int i)
{
	return mml_mlesp_join(c->plain, c->l1, c->p_len) == INNER;
}

/* Sequence numbers 1..NPKT, new to the window fresh_window left. */
static inline bool replay_one(struct codec *c, int i)
{
	struct mml_replay *r = mml_sa_replay(&c->in);

	return !mml_replay_check(r, (uint32_t)i + 1) && !mml_replay_update(r, (uint32_t)i + 1);
}

static inline bool lifetime_one(struct codec *c, int i)
{
	uint64_t now = 1000000000ull + (uint64_t)i * 1000;

	return !mml_csa_time_expired(&c->life, now) && !mml_csa_seq_expired(&c->life, ++c->seq);
}

/* The flow key of the inner packet, as the worker forms it (the HA's view:
 * home is the destination). */
static struct mml_flow_key inner_key(const struct codec *c)
{
	return (struct mml_flow_key){ .home_addr = c->home,
				      .peer_addr = c->peer,
				      .home_port = 40000,
				      .peer_port = 5001,
				      .proto = EP_PROTO_TCP };
}

static inline bool rx_policy_one(struct codec *c, int i)
{
	struct mml_flow_key k = inner_key(c);
	struct mml_flow learned;

	return ep_flow_rx_check(&c->mh.t.flows, &k, 0, MML_MODE_MLESP, c->mh.t.now_ns, &learned) ==
	       EP_FLOW_RX_OK;
}

static inline bool flow_sa_one(struct codec *c, int i)
{
	struct mml_flow_key k = inner_key(c);
	struct ep_flow_ent *ent;
	uint32_t spi;

	return ep_flow_mode_ent(&c->ha.t.flows, &k, 0, c->b, &spi, &ent) == MML_MODE_MLESP &&
	       ep_sacache_get(&c->ha.t.sas, spi);
}

static inline bool binding_one(struct codec *c, int i)
{
	return ep_binding_get(&c->ha.t.binds, c->home) != NULL;
}

static inline bool csum_one(struct codec *c, int i)
{
	c->inner[4] = (uint8_t)i; /* the IP ID: a new header each time */
	sink += inet_csum(c->inner, EP_IP_HLEN);
	return true;
}

static inline bool outer_hdr_one(struct codec *c, int i)
{
	inet_ip4_write(c->scratch, c->b->ha_addr, c->home, EP_PROTO_ESP,
		       (uint16_t)(c->esp_len + EP_IP_HLEN), 0, (uint16_t)i, false, EP_TTL);
	return true;
}

/* A new receiver for a batch: the sequence numbers are new to it. */
static void fresh_window(struct mml_replay *r)
{
	r->top = 0;
	memset(r->bits, 0, r->nwords * sizeof(uint64_t));
}

/* Decapsulation works in place: each packet of src (len bytes) is copied
 * to scratch first, then op (NULL: the copy alone, timed so that it can be
 * subtracted where the report says so) works on the copy; returns op's
 * successes (the copies with no op). */
typedef bool (*in_place_fn)(struct codec *c, size_t len);

static long copy_then(struct codec *c, uint8_t (*src)[BUF], size_t len, in_place_fn op,
		      uint64_t *spent)
{
	uint64_t t0 = batch_start();
	long ok = 0;

	for (int i = 0; i < NPKT; i++) {
		memcpy(c->scratch, src[i], len);
		__asm__ volatile("" : : "r"(c->scratch) : "memory");
		ok += op ? op(c, len) : 1;
	}
	batch_end(spent, t0);
	return ok == NPKT ? ok : 0;
}

static bool decap_one(struct codec *c, size_t len)
{
	uint8_t *inner;

	return mml_mlesp_decap(&c->in, c->scratch, len, &inner) == INNER;
}

static long b_decap(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;

	fresh_window(mml_sa_replay(&c->in));
	return copy_then(c, c->pkts, c->esp_len, decap_one, spent);
}

static long b_copy(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;

	return copy_then(c, c->pkts, c->esp_len, NULL, spent);
}

/* The batch functions one_round calls (ctx: the struct codec). */
#define CODEC_BATCH(name, op)                        \
	static long name(void *ctx, uint64_t *spent) \
	{                                            \
		return codec_batch(ctx, op, spent);  \
	}
CODEC_BATCH(b_protect, protect_one)
CODEC_BATCH(b_seal, seal_one)
CODEC_BATCH(b_layout, layout_one)
CODEC_BATCH(b_zone1_open, zone1_open_one)
CODEC_BATCH(b_zone2_open, zone2_open_one)
CODEC_BATCH(b_join, join_one)
CODEC_BATCH(b_lifetime, lifetime_one)
CODEC_BATCH(b_rx_policy, rx_policy_one)
CODEC_BATCH(b_flow_sa, flow_sa_one)
CODEC_BATCH(b_binding, binding_one)
CODEC_BATCH(b_csum, csum_one)
CODEC_BATCH(b_outer_hdr, outer_hdr_one)

/* The zones' seals work on a laid-out packet. */
static long b_zone1_seal(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;

	mml_mlesp_layout(&c->out, c->inner, INNER, c->scratch);
	return codec_batch(c, zone1_seal_one, spent);
}

static long b_zone2_seal(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;

	mml_mlesp_layout(&c->out, c->inner, INNER, c->scratch);
	return codec_batch(c, zone2_seal_one, spent);
}

static long b_replay(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;

	fresh_window(mml_sa_replay(&c->in));
	return codec_batch(c, replay_one, spent);
}

static bool unprotect_one(struct codec *c, size_t len)
{
	unsigned int stat;
	uint8_t *inner;

	return ep_unprotect(&c->mh.t, EP_SIDE_MH, c->home, 0, c->scratch, len, &inner, &stat) ==
	       INNER;
}

static long b_unprotect(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;
	struct ep_sa *sa = ep_sacache_get(&c->mh.t.sas, c->in_csa.spi);

	/* The worker's window outlives a reload of its SA cache: reset it. */
	if (!sa)
		return 0;
	fresh_window(mml_sa_replay(&sa->sa));
	return copy_then(c, c->ips, c->ip_len, unprotect_one, spent);
}

static long b_ip_copy(void *ctx, uint64_t *spent)
{
	struct codec *c = ctx;

	return copy_then(c, c->ips, c->ip_len, NULL, spent);
}

static int codec_init(struct codec *c)
{
	struct mml_csa out = bench_csa(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1000);
	unsigned int stat;
	char why[128];
	ssize_t n = 0;

	c->in_csa = bench_csa(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_IN, 0x1000);
	/* A lifetime to check against (none would make the check one test). */
	c->life = c->in_csa;
	c->life.soft_lifetime_s = 3000;
	c->life.hard_lifetime_s = 3600;
	c->home = htonl(0x0a01000a);
	c->peer = htonl(0x0a000101);
	if (mml_sa_init(&c->out, &out, why, sizeof(why)) ||
	    mml_sa_init(&c->in, &c->in_csa, why, sizeof(why))) {
		fprintf(stderr, "bench-functions: SA: %s\n", why);
		return -1;
	}
	bench_side_init(&c->ha, &out, MML_MODE_MLESP, c->home);
	bench_side_init(&c->mh, &c->in_csa, MML_MODE_MLESP, c->home);
	c->b = ep_binding_get(&c->ha.t.binds, c->home);
	bench_inner_packet(c->inner, INNER, c->peer, c->home);
	c->p_len = INNER + mml_trailer_len(INNER);
	c->l1 = mml_mlesp_layout(&c->out, c->inner, INNER, c->plain);
	for (int i = 0; i < NPKT; i++) {
		n = mml_mlesp_seal(&c->out, (uint32_t)i + 1, c->inner, INNER, c->pkts[i], BUF);
		if (n <= 0)
			break;
		c->esp_len = (size_t)n;
		n = c->b ? ep_protect(&c->ha.t, EP_SIDE_HA, c->b, c->inner, INNER, c->ips[i], BUF,
				      &stat) :
			   -1;
		if (n <= 0)
			break;
		c->ip_len = (size_t)n;
	}
	if (n <= 0) {
		fprintf(stderr, "bench-functions: could not make the packets\n");
		return -1;
	}
	return 0;
}

static void codec_free(struct codec *c)
{
	mml_sa_free(&c->out);
	mml_sa_free(&c->in);
	bench_side_free(&c->ha);
	bench_side_free(&c->mh);
}

/* ---- Table 7: SNOOP at the FA ---- */

struct snoop_ctx {
	struct snoop_bench b;
	uint64_t now;
	uint32_t seq;
	uint64_t frame; /* next frame slot */
};

static uint64_t next_frame(struct snoop_ctx *s)
{
	s->frame = (s->frame + 1) % SNOOP_BENCH_NFRAMES;
	return s->frame * SNOOP_BENCH_FRAME;
}

/* A fresh state machine for a batch (its set-up untimed). */
static int snoop_fresh(struct snoop_ctx *s)
{
	snoop_bench_free(&s->b);
	s->now = 1000000000ull;
	s->seq = 0;
	return snoop_bench_init(&s->b);
}

/* conns connections, each with one ACK seen and nothing cached. */
static void snoop_conns(struct snoop_ctx *s, unsigned int conns)
{
	for (unsigned int c = 0; c < conns; c++) {
		struct mml_snoop_key k = snoop_bench_key(c);

		snoop_data(&s->b.snoop, &k, 0, 0, 0, 0, s->now);
		snoop_ack(&s->b.snoop, &k, 0, false, s->now);
	}
}

static long lookup(struct snoop_ctx *s, unsigned int conns, uint64_t *spent)
{
	struct mml_snoop_key k = snoop_bench_key(conns - 1); /* the last slot */
	long ok = 0;

	if (snoop_fresh(s))
		return 0;
	snoop_conns(s, conns);
	{
		uint64_t t0_ = batch_start();

		for (int i = 0; i < NPKT; i++) {
			ok += snoop_lookup(&s->b.snoop, &k) != NULL;
			__asm__ volatile("" : : : "memory");
		}
		batch_end(spent, t0_);
	}
	return ok == NPKT ? ok : 0;
}

static long b_lookup_1(void *ctx, uint64_t *spent)
{
	return lookup(ctx, 1, spent);
}

static long b_lookup_64(void *ctx, uint64_t *spent)
{
	return lookup(ctx, ((struct snoop_ctx *)ctx)->b.snoop.cfg.max_conns, spent);
}

/* op once per connection of the full table, timed as one batch; returns
 * the table's size. Inlined with op known (no indirect call timed). */
typedef void (*conn_op)(struct snoop_ctx *s, const struct mml_snoop_key *k);

static inline __attribute__((always_inline)) uint32_t table_batch(struct snoop_ctx *s, conn_op op,
								  uint64_t *spent)
{
	uint32_t n = s->b.snoop.cfg.max_conns;
	uint64_t t0 = batch_start();

	for (uint32_t c = 0; c < n; c++) {
		struct mml_snoop_key k = snoop_bench_key(c);

		op(s, &k);
	}
	batch_end(spent, t0);
	return n;
}

/* One tick advance_ns after the set-up, timed; returns the table's size. */
static uint32_t tick_batch(struct snoop_ctx *s, uint64_t advance_ns, uint64_t *spent)
{
	uint64_t t0;

	s->now += advance_ns;
	t0 = batch_start();
	snoop_tick(&s->b.snoop, s->now);
	batch_end(spent, t0);
	return s->b.snoop.cfg.max_conns;
}

/* A connection's first packet (a segment without payload, so that nothing
 * else happens) takes a slot. */
static inline void addconn_one(struct snoop_ctx *s, const struct mml_snoop_key *k)
{
	snoop_data(&s->b.snoop, k, 0, 0, 0, 0, s->now);
}

static inline void done_one(struct snoop_ctx *s, const struct mml_snoop_key *k)
{
	snoop_rst(&s->b.snoop, k);
}

/* The first duplicate ACK of a loss: the cached segment retransmitted
 * locally (through the ledger), the ACK suppressed. */
static inline void dupack_one(struct snoop_ctx *s, const struct mml_snoop_key *k)
{
	snoop_ack(&s->b.snoop, k, 0, true, s->now);
}

/* The table filled from empty. */
static long b_addconn(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint32_t n;

	if (snoop_fresh(s))
		return 0;
	n = table_batch(s, addconn_one, spent);
	return s->b.snoop.counters[SNOOP_C_CONN_NEW] == n ? n : 0;
}

/* The full table emptied by RSTs, nothing cached. */
static long b_done(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint32_t n;

	if (snoop_fresh(s))
		return 0;
	snoop_conns(s, s->b.snoop.cfg.max_conns);
	n = table_batch(s, done_one, spent);
	return s->b.snoop.counters[SNOOP_C_CONN_CLOSED] == n ? n : 0;
}

/* One connection: max_segs in-order segments cached, then (untimed) sent,
 * their transmissions completed, and freed by an ACK. */
static long b_data(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	struct mml_snoop_key k = snoop_bench_key(0);
	uint32_t n = s->b.snoop.cfg.max_segs, seq;
	uint64_t f0, cached;

	if (snoop_fresh(s))
		return 0;
	snoop_conns(s, 1);
	f0 = s->frame;
	seq = s->seq;
	{
		uint64_t t0_ = batch_start();

		for (uint32_t i = 0; i < n; i++) {
			snoop_data(&s->b.snoop, &k, s->seq, MSS, next_frame(s), FRAME_LEN, s->now);
			s->seq += MSS;
		}
		batch_end(spent, t0_);
	}
	cached = s->b.snoop.counters[SNOOP_C_CACHED];
	s->frame = f0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t f = next_frame(s);

		fa_frames_send(&s->b.frames, f, FRAME_LEN, 1, true);
		fa_frames_tx_done(&s->b.frames, f);
	}
	snoop_ack(&s->b.snoop, &k, seq + n * MSS, false, s->now);
	return cached == n && s->b.sink.freed == n ? n : 0;
}

/* max_segs segments cached (untimed), then new ACKs each covering two (a
 * delayed ACK): the ACK's processing, the two releases included. */
static long b_new_ack(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	struct mml_snoop_key k = snoop_bench_key(0);
	uint32_t n = s->b.snoop.cfg.max_segs / 2, seq0 = 0;
	uint64_t freed;

	if (snoop_fresh(s))
		return 0;
	snoop_conns(s, 1);
	for (uint32_t i = 0; i < 2 * n; i++) {
		uint64_t f = next_frame(s);

		s->now += 1000;
		snoop_data(&s->b.snoop, &k, s->seq, MSS, f, FRAME_LEN, s->now);
		fa_frames_send(&s->b.frames, f, FRAME_LEN, 1, true);
		fa_frames_tx_done(&s->b.frames, f);
		s->seq += MSS;
	}
	freed = s->b.sink.freed;
	s->now += 100000;
	{
		uint64_t t0_ = batch_start();

		for (uint32_t i = 0; i < n; i++) {
			seq0 += 2 * MSS;
			snoop_ack(&s->b.snoop, &k, seq0, false, s->now);
		}
		batch_end(spent, t0_);
	}
	return s->b.sink.freed - freed == 2 * n ? n : 0;
}

/* The ledger's release of a cached frame whose transmission completed: it
 * goes back to the free frames. */
static long b_release(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint64_t f[NPKT], freed;

	if (snoop_fresh(s))
		return 0;
	freed = s->b.sink.freed;
	for (int i = 0; i < NPKT; i++) {
		f[i] = next_frame(s);
		fa_frames_send(&s->b.frames, f[i], FRAME_LEN, 1, true);
		fa_frames_tx_done(&s->b.frames, f[i]);
	}
	{
		uint64_t t0_ = batch_start();

		for (int i = 0; i < NPKT; i++)
			fa_frames_release(&s->b.frames, f[i]);
		batch_end(spent, t0_);
	}
	return s->b.sink.freed - freed == NPKT ? NPKT : 0;
}

/* n connections, each with one ACK seen and one segment cached, sent and
 * its transmission completed (a local retransmission goes out at once). */
static void snoop_conns_cached(struct snoop_ctx *s, unsigned int n)
{
	snoop_conns(s, n);
	for (unsigned int c = 0; c < n; c++) {
		struct mml_snoop_key k = snoop_bench_key(c);
		uint64_t f = next_frame(s);

		snoop_data(&s->b.snoop, &k, 0, MSS, f, FRAME_LEN, s->now);
		fa_frames_send(&s->b.frames, f, FRAME_LEN, 1, true);
		fa_frames_tx_done(&s->b.frames, f);
	}
}

/* One per connection of a full table. */
static long b_dupack(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint32_t n;

	if (snoop_fresh(s))
		return 0;
	snoop_conns_cached(s, s->b.snoop.cfg.max_conns);
	s->now += 1000000;
	n = table_batch(s, dupack_one, spent);
	return s->b.snoop.counters[SNOOP_C_RXMIT_DUPACK] == n ? n : 0;
}

/* The local RTO: one tick past rto_init_ms retransmits the head segment of
 * every connection of a full table; ns per retransmission. */
static long b_rto(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint32_t n;

	if (snoop_fresh(s))
		return 0;
	snoop_conns_cached(s, s->b.snoop.cfg.max_conns);
	n = tick_batch(s, (uint64_t)s->b.snoop.cfg.rto_init_ms * 1000000ull + 1, spent);
	return s->b.snoop.counters[SNOOP_C_RXMIT_TIMER] == n ? n : 0;
}

/* The garbage timer: one tick past garbage_ms frees every idle connection
 * of a full table; ns per connection freed. */
static long b_garbage(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint32_t n;

	if (snoop_fresh(s))
		return 0;
	snoop_conns(s, s->b.snoop.cfg.max_conns);
	n = tick_batch(s, (uint64_t)s->b.snoop.cfg.garbage_ms * 1000000ull, spent);
	return s->b.snoop.counters[SNOOP_C_CONN_GARBAGE] == n ? n : 0;
}

/* The timers over a full table, nothing due (the per-tick routine). */
static long b_tick_idle(void *ctx, uint64_t *spent)
{
	struct snoop_ctx *s = ctx;
	uint64_t next = 0;

	if (snoop_fresh(s))
		return 0;
	snoop_conns(s, s->b.snoop.cfg.max_conns);
	{
		uint64_t t0_ = batch_start();

		for (int i = 0; i < 64; i++)
			next += snoop_tick(&s->b.snoop, s->now + i);
		batch_end(spent, t0_);
	}
	sink += next;
	return s->b.snoop.counters[SNOOP_C_CONN_GARBAGE] ? 0 : 64;
}

/* ---- output ---- */

struct fn {
	const char *name;
	batch_fn fn;
	int snoop; /* the context: 0 codec, 1 snoop */
	const char *what;
};

static const struct fn fns[] = {
	{ "ha_protect", b_protect, 0, "worker ep_protect: flow, SA, sequence, seal, outer IPv4" },
	{ "mlesp_seal", b_seal, 0, "lib/mlesp.c mml_mlesp_seal (the encapsulation)" },
	{ "seal_layout", b_layout, 0, "mml_mlesp_layout: inner copied, trailer, zone 1 moved" },
	{ "zone1_seal", b_zone1_seal, 0, "zone 1's AEAD seal (ChaCha20-Poly1305, 40 B, Nettle)" },
	{ "zone2_seal", b_zone2_seal, 0, "zone 2's AEAD seal (AES-256-GCM, 1364 B, OpenSSL)" },
	{ "outer_hdr", b_outer_hdr, 0, "inet_ip4_write: outer IPv4 header with checksum" },
	{ "ip_csum", b_csum, 0, "inet_csum over a 20-byte IPv4 header" },
	{ "flow_sa_lookup", b_flow_sa, 0, "ep_flow_mode_ent + ep_sacache_get: mode and SA" },
	{ "binding_lookup", b_binding, 0, "ep_binding_get: home address -> care-of address" },
	{ "mh_unprotect", b_unprotect, 0, "worker ep_unprotect, a frame copy included" },
	{ "ip_copy", b_ip_copy, 0, "the copy of that frame alone" },
	{ "mlesp_decap", b_decap, 0, "lib/mlesp.c mml_mlesp_decap, a packet copy included" },
	{ "esp_copy", b_copy, 0, "the copy of that packet alone" },
	{ "zone1_open", b_zone1_open, 0, "zone 1's AEAD open (authenticate + decrypt, 40 B)" },
	{ "zone2_open", b_zone2_open, 0, "zone 2's AEAD open (authenticate + decrypt, 1364 B)" },
	{ "decap_join", b_join, 0, "mml_mlesp_join: zone 1 moved over T1, trailer checked" },
	{ "replay", b_replay, 0, "mml_replay_check + mml_replay_update" },
	{ "lifetime", b_lifetime, 0, "mml_csa_time_expired + mml_csa_seq_expired" },
	{ "rx_policy", b_rx_policy, 0, "ep_flow_rx_check: the flow's receive policy" },
	{ "snoop_lookup_1", b_lookup_1, 1, "snoop_lookup, 1 connection" },
	{ "snoop_lookup_64", b_lookup_64, 1, "snoop_lookup, the last of 64 connections" },
	{ "snoop_addconn", b_addconn, 1, "a new connection taken on (table filled from empty)" },
	{ "snoop_done", b_done, 1, "snoop_rst: a connection dropped (empty cache)" },
	{ "snoop_data", b_data, 1, "snoop_data: an in-order segment cached" },
	{ "snoop_new_ack", b_new_ack, 1, "snoop_ack: a new ACK freeing two segments" },
	{ "frame_release", b_release, 1, "fa_frames_release: a cached frame freed" },
	{ "snoop_dupack", b_dupack, 1, "snoop_ack: a duplicate ACK, the segment resent locally" },
	{ "snoop_rto", b_rto, 1, "snoop_tick: the local RTO fired, per segment resent" },
	{ "snoop_tick_idle", b_tick_idle, 1, "snoop_tick over 64 connections, nothing due" },
	{ "snoop_garbage", b_garbage, 1, "snoop_tick past garbage_ms, per connection freed" },
};

#define NFNS (sizeof(fns) / sizeof(fns[0]))

int main(int argc, char **argv)
{
	static struct codec c;
	static struct snoop_ctx s;
	double best[NFNS] = { 0 };
	bool only[NFNS] = { false }, some = false;
	int rc = 0;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		round_ns = 2000000ull;
		argv++;
		argc--;
	}
	for (int a = 1; a < argc; a++) {
		size_t i = 0;

		while (i < NFNS && strcmp(fns[i].name, argv[a]))
			i++;
		if (i == NFNS) {
			fprintf(stderr, "usage: bench-functions [-q] [FUNCTION...]\n");
			return 2;
		}
		only[i] = true;
		some = true;
	}
	if (codec_init(&c) || snoop_bench_init(&s.b)) {
		fprintf(stderr, "bench-functions: set-up failed\n");
		return 1;
	}
	printf("bench-functions: ns per call, best of %d rounds of %.0f ms; inner packet %d B, "
	       "MSS %u; load average %.2f\n",
	       ROUNDS, round_ns / 1e6, INNER, MSS, bench_load());
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < NFNS; i++) {
			if (some && !only[i])
				continue;
			double ns = best[i] < 0 ? -1 :
						  one_round(fns[i].fn,
							    fns[i].snoop ? (void *)&s : (void *)&c);

			if (ns < 0 || best[i] == 0 || ns < best[i])
				best[i] = ns;
		}
	}
	for (size_t i = 0; i < NFNS; i++) {
		if (some && !only[i])
			continue;
		if (best[i] < 0) {
			fprintf(stderr, "bench-functions: %s: a call failed\n", fns[i].name);
			rc = 1;
			continue;
		}
		printf("%-16s %9.1f ns  %s\n", fns[i].name, best[i], fns[i].what);
	}
	snoop_bench_free(&s.b);
	codec_free(&c);
	return rc;
}
