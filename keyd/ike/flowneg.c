/* A flow's mode changed by agreement (keyd/ike/flowneg.h): what each end
 * writes into mml_flow, and when. */
#include "keyd/ike/flowneg.h"

#include <errno.h>
#include <string.h>

#include "keyd/ike/ike_const.h"

#define ACCEPT_FLAGS (MML_FLOW_F_ACCEPT_ESP | MML_FLOW_F_ACCEPT_PLAIN)

void flowneg_init(struct flowneg_table *t, const struct flowneg_map *map, uint8_t min_mode)
{
	memset(t, 0, sizeof(*t));
	t->map = *map;
	t->min_mode = min_mode;
}

uint8_t flowneg_floor(uint8_t mode, uint16_t every_n)
{
	struct mml_flow f = { .mode = mode, .every_n = every_n };

	return mml_flow_rx_floor(&f);
}

static uint8_t accept_of(uint8_t floor)
{
	return floor == MML_MODE_PLAIN ? MML_FLOW_F_ACCEPT_PLAIN :
	       floor == MML_MODE_ESP   ? MML_FLOW_F_ACCEPT_ESP :
					 0;
}

static bool key_eq(const struct mml_flow_key *a, const struct mml_flow_key *b)
{
	return a->home_addr == b->home_addr && a->peer_addr == b->peer_addr &&
	       a->home_port == b->home_port && a->peer_port == b->peer_port && a->proto == b->proto;
}

static struct flowneg *find(struct flowneg_table *t, const struct mml_flow_key *k)
{
	for (unsigned int i = 0; i < FLOWNEG_MAX; i++)
		if (t->e[i].state != FN_FREE && key_eq(&t->e[i].key, k))
			return &t->e[i];
	return NULL;
}

static struct flowneg *slot(struct flowneg_table *t, const struct mml_flow_key *k)
{
	struct flowneg *r = find(t, k);

	for (unsigned int i = 0; !r && i < FLOWNEG_MAX; i++)
		if (t->e[i].state == FN_FREE)
			r = &t->e[i];
	return r;
}

static void put(struct flowneg_table *t, const struct mml_flow_key *k, const struct mml_flow *f)
{
	t->map.put(t->map.ctx, k, f);
	t->map.changed(t->map.ctx, k);
}

static void del(struct flowneg_table *t, const struct mml_flow_key *k)
{
	t->map.del(t->map.ctx, k);
	t->map.changed(t->map.ctx, k);
}

/* f, also accepting the floor other if that is weaker than f's own. */
static void put_accepting(struct flowneg_table *t, const struct mml_flow_key *k,
			  const struct mml_flow *f, uint8_t other)
{
	struct mml_flow w = *f;

	if (other < mml_flow_rx_floor(&w))
		w.flags |= accept_of(other);
	put(t, k, &w);
}

static void result_set(struct flowneg_table *t, const struct flowneg *r, uint8_t state,
		       uint16_t notify)
{
	struct flowneg_result *res = &t->res[r->id % FLOWNEG_RESULTS];

	if (!r->id)
		return;
	res->id = r->id;
	res->state = state;
	res->notify = notify;
	res->upgrade = r->upgrade;
}

const struct flowneg_result *flowneg_result(const struct flowneg_table *t, uint64_t id)
{
	const struct flowneg_result *res = &t->res[id % FLOWNEG_RESULTS];

	return id && res->id == id ? res : NULL;
}

/* The record r for key with mode/every_n: what a packet of key finds now
 * (an agreed change's entry, the exact entry, a wildcard's; without any,
 * the binding's strongest mode, taken as ML-ESP), and the entry wanted. */
static void fill(struct flowneg_table *t, struct flowneg *r, const struct mml_flow_key *key,
		 uint8_t mode, uint16_t every_n, uint32_t duration_s)
{
	bool agreed = r->state == FN_AGREED && !r->reverting;
	struct mml_flow cur = agreed ? r->want : (struct mml_flow){ .mode = MML_MODE_MLESP };
	bool had = agreed;

	if (!agreed) {
		had = !t->map.get(t->map.ctx, key, &cur);
		if (!had && t->map.match(t->map.ctx, key, &cur))
			cur = (struct mml_flow){ .mode = MML_MODE_MLESP };
	}
	cur.flags &= ACCEPT_FLAGS; /* a learned entry's content is agreed content */
	memset(r, 0, sizeof(*r));
	r->key = *key;
	r->had_prev = had;
	r->prev = cur;
	r->cur = cur;
	r->want = (struct mml_flow){ .mode = mode,
				     .flags = cur.flags,
				     .every_n = every_n,
				     .spi = mode == cur.mode ? cur.spi : 0 };
	r->duration_s = duration_s;
	r->upgrade = flowneg_floor(mode, every_n) >= mml_flow_rx_floor(&cur);
}

static bool valid(const struct mml_flow_key *key, uint8_t mode, uint16_t every_n)
{
	return key->home_addr && mode < MML_MODE_MAX && !(every_n > 1 && mode == MML_MODE_PLAIN);
}

int flowneg_start(struct flowneg_table *t, const struct mml_flow_key *key, uint8_t mode,
		  uint16_t every_n, uint32_t duration_s, uint64_t now_ns, uint64_t *id)
{
	struct flowneg *r;

	if (!valid(key, mode, every_n))
		return -EINVAL;
	r = slot(t, key);
	if (!r)
		return -ENOSPC;
	if (r->state == FN_QUEUED || r->state == FN_ASKING)
		return -EBUSY;
	fill(t, r, key, mode, every_n, duration_s);
	r->initiator = true;
	r->state = FN_QUEUED;
	r->queued_until_ns = now_ns + FLOWNEG_QUEUE_NS;
	r->id = ++t->next_id;
	if (r->upgrade) {
		/* Receivers take a stronger mode anyway: in force now, the
		 * peer's packets of the old mode accepted until settled. */
		put_accepting(t, key, &r->want, mml_flow_rx_floor(&r->cur));
		r->settle_ns = now_ns + FLOWNEG_SETTLE_NS;
	} else {
		/* Ready to receive the new mode before asking for it. */
		put_accepting(t, key, &r->cur, flowneg_floor(mode, every_n));
	}
	t->asked++;
	result_set(t, r, FNR_PENDING, 0);
	*id = r->id;
	return 0;
}

struct flowneg *flowneg_next_queued(struct flowneg_table *t)
{
	for (unsigned int i = 0; i < FLOWNEG_MAX; i++)
		if (t->e[i].state == FN_QUEUED)
			return &t->e[i];
	return NULL;
}

void flowneg_to_pl(const struct flowneg *r, struct mlike_flow_mode_pl *fm)
{
	*fm = (struct mlike_flow_mode_pl){ .home_addr = r->key.home_addr,
					   .peer_addr = r->key.peer_addr,
					   .home_port = r->key.home_port,
					   .peer_port = r->key.peer_port,
					   .proto = r->key.proto,
					   .mode = r->want.mode,
					   .every_n = r->want.every_n,
					   .duration_s = r->duration_s };
}

/* Puts back the entry before the change: the exact entry, or none. */
static void restore(struct flowneg_table *t, struct flowneg *r)
{
	if (r->had_prev)
		put(t, &r->key, &r->prev);
	else
		del(t, &r->key);
}

/* Our request failed (never sent, refused, the IKE SA gone): a downgrade
 * is undone; an upgrade stays, in force here (the peer learns it from our
 * packets, docs/endpoints.md "implicit upgrade"). */
static void ours_failed(struct flowneg_table *t, struct flowneg *r, uint8_t state, uint16_t notify)
{
	result_set(t, r, state, notify);
	if (state == FNR_REFUSED)
		t->refused++;
	else
		t->failed++;
	if (r->upgrade) {
		r->state = FN_AGREED;
		r->expire_ns = 0;
		return;
	}
	restore(t, r);
	r->state = FN_FREE;
}

void flowneg_sent(struct flowneg_table *t, struct flowneg *r, int err, uint64_t now_ns)
{
	if (r->state != FN_QUEUED)
		return;
	if (!err)
		r->state = FN_ASKING;
	else if (err != -EBUSY || now_ns >= r->queued_until_ns)
		ours_failed(t, r, FNR_FAILED, 0);
}

static void agreed_times(struct flowneg *r, uint64_t now_ns)
{
	r->state = FN_AGREED;
	r->settle_ns = now_ns + FLOWNEG_SETTLE_NS;
	r->expire_ns = r->duration_s ? now_ns + (uint64_t)r->duration_s * 1000000000ull : 0;
}

void flowneg_answer(struct flowneg_table *t, const struct mlike_flow_mode_pl *fm, uint16_t notify,
		    uint64_t now_ns)
{
	struct mml_flow_key key = { .home_addr = fm->home_addr,
				    .peer_addr = fm->peer_addr,
				    .home_port = fm->home_port,
				    .peer_port = fm->peer_port,
				    .proto = fm->proto };
	struct flowneg *r = find(t, &key);

	if (!r || r->state != FN_ASKING)
		return;
	if (notify) {
		ours_failed(t, r, FNR_REFUSED, notify);
		return;
	}
	/* The peer sends the new mode now; we switch too (an upgrade did). */
	if (!r->upgrade)
		put(t, &key, &r->want);
	agreed_times(r, now_ns);
	t->agreed++;
	result_set(t, r, FNR_AGREED, 0);
}

uint16_t flowneg_peer(struct flowneg_table *t, const struct mlike_flow_mode_pl *fm, uint64_t now_ns)
{
	struct mml_flow_key key = { .home_addr = fm->home_addr,
				    .peer_addr = fm->peer_addr,
				    .home_port = fm->home_port,
				    .peer_port = fm->peer_port,
				    .proto = fm->proto };
	uint8_t floor = flowneg_floor(fm->mode, fm->every_n);
	struct flowneg *r, probe = { 0 };

	if (!valid(&key, fm->mode, fm->every_n))
		return IKE_N_INVALID_SYNTAX;
	r = slot(t, &key);
	/* Both ends asked at once: ours decides (the peer's later request
	 * repeats or changes it). */
	if (r && (r->state == FN_QUEUED || r->state == FN_ASKING)) {
		t->peer_refused++;
		return IKE_N_TEMPORARY_FAILURE;
	}
	if (r)
		probe.state = r->state, probe.want = r->want, probe.reverting = r->reverting;
	fill(t, &probe, &key, fm->mode, fm->every_n, fm->duration_s);
	if (!probe.upgrade && floor < t->min_mode) {
		t->peer_refused++;
		return MLIKE_N_FLOW_MODE_REFUSED;
	}
	if (!r) {
		t->peer_refused++;
		return MLIKE_N_FLOW_MODE_REFUSED;
	}
	*r = probe;
	/* We send the new mode from now; the peer's old one still arrives
	 * until it has our answer. */
	put_accepting(t, &key, &r->want, mml_flow_rx_floor(&r->cur));
	agreed_times(r, now_ns);
	t->peer_agreed++;
	return 0;
}

void flowneg_sa_down(struct flowneg_table *t, uint32_t home, uint64_t now_ns)
{
	(void)now_ns;
	for (unsigned int i = 0; i < FLOWNEG_MAX; i++) {
		struct flowneg *r = &t->e[i];

		if ((r->state == FN_QUEUED || r->state == FN_ASKING) && r->key.home_addr == home)
			ours_failed(t, r, FNR_FAILED, 0);
	}
}

/* The duration is over: back to the entry before, accepting the mode of
 * the change until settled (the peer's timer is not exactly ours). */
static void revert(struct flowneg_table *t, struct flowneg *r, uint64_t now_ns)
{
	uint8_t floor = mml_flow_rx_floor(&r->want);
	struct mml_flow m;

	t->expired++;
	r->expire_ns = 0;
	r->reverting = true;
	if (r->had_prev) {
		put_accepting(t, &r->key, &r->prev, floor);
	} else {
		del(t, &r->key);
		/* What packets of the key find without it: accepting the
		 * change's mode for a while takes an exact entry. */
		if (t->map.match(t->map.ctx, &r->key, &m) || floor >= mml_flow_rx_floor(&m)) {
			r->state = FN_FREE;
			return;
		}
		m.flags &= ACCEPT_FLAGS;
		put_accepting(t, &r->key, &m, floor);
	}
	r->settle_ns = now_ns + FLOWNEG_SETTLE_NS;
}

uint64_t flowneg_tick(struct flowneg_table *t, uint64_t now_ns)
{
	uint64_t next = 0;

	for (unsigned int i = 0; i < FLOWNEG_MAX; i++) {
		struct flowneg *r = &t->e[i];

		if (r->state == FN_QUEUED && now_ns >= r->queued_until_ns)
			ours_failed(t, r, FNR_FAILED, 0);
		if (r->state == FN_FREE || r->state == FN_QUEUED || r->state == FN_ASKING) {
			if (r->state != FN_FREE && r->upgrade && r->settle_ns &&
			    now_ns >= r->settle_ns) {
				put(t, &r->key, &r->want);
				r->settle_ns = 0;
			}
			continue;
		}
		if (r->settle_ns && now_ns >= r->settle_ns) {
			r->settle_ns = 0;
			if (r->reverting) {
				restore(t, r);
				r->state = FN_FREE;
				continue;
			}
			put(t, &r->key, &r->want);
		}
		if (r->expire_ns && now_ns >= r->expire_ns)
			revert(t, r, now_ns);
		if (r->state == FN_AGREED && !r->settle_ns && !r->expire_ns) {
			r->state = FN_FREE;
			continue;
		}
		if (r->state != FN_FREE) {
			if (r->settle_ns && (!next || r->settle_ns < next))
				next = r->settle_ns;
			if (r->expire_ns && (!next || r->expire_ns < next))
				next = r->expire_ns;
		}
	}
	for (unsigned int i = 0; i < FLOWNEG_MAX; i++) {
		const struct flowneg *r = &t->e[i];

		if (r->state == FN_QUEUED || (r->state == FN_ASKING && r->settle_ns)) {
			uint64_t at = r->state == FN_QUEUED ? r->queued_until_ns : r->settle_ns;

			if (!next || at < next)
				next = at;
		}
	}
	return next;
}
