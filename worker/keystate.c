/* The node-wide state that follows a key (worker/sacache.h): outbound
 * sequence counters persisted ahead in mml_seq_hwm, inbound replay windows
 * shared by the threads with their top in mml_rx_mark. */
#include "worker/sacache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "lib/err.h"
#include "worker/keyfp.h"

int ep_seqstore_init(struct ep_seqstore *s, int hwm_fd, struct mml_rx_mark *marks, uint32_t nmarks)
{
	return ep_seqstore_init_cap(s, 0, hwm_fd, marks, nmarks);
}

int ep_seqstore_init_cap(struct ep_seqstore *s, uint32_t cap, int hwm_fd, struct mml_rx_mark *marks,
			 uint32_t nmarks)
{
	uint32_t buckets = 16;

	memset(s, 0, sizeof(*s));
	s->cap = cap ? cap : EP_KEYS_DEFAULT;
	while (buckets < s->cap)
		buckets *= 2;
	s->mask = buckets - 1;
	s->out = calloc(s->cap, sizeof(*s->out));
	s->in = calloc(s->cap, sizeof(*s->in));
	s->out_head = calloc(buckets, sizeof(*s->out_head));
	s->in_head = calloc(buckets, sizeof(*s->in_head));
	if (!s->out || !s->in || !s->out_head || !s->in_head) {
		ep_seqstore_free(s);
		return -ENOMEM;
	}
	s->hwm_fd = hwm_fd;
	s->rekey_fd = -1;
	s->marks = marks;
	s->nmarks = marks ? nmarks : 0;
	return -pthread_mutex_init(&s->lock, NULL);
}

void ep_seqstore_free(struct ep_seqstore *s)
{
	for (uint32_t i = 0; s->in && i < s->cap; i++)
		mml_replay_free(&s->in[i].win);
	free(s->out);
	free(s->in);
	free(s->out_head);
	free(s->in_head);
	s->out = NULL;
	s->in = NULL;
	s->out_head = s->in_head = NULL;
	pthread_mutex_destroy(&s->lock);
}

/* The key index: FNV-1a over the fingerprint, chains through hnext. */
static uint32_t fp_bucket(const struct ep_seqstore *s, const struct mml_key_fp *fp)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(fp->b); i++)
		h = (h ^ fp->b[i]) * 16777619u;
	return h & s->mask;
}

#define INDEX_FNS(name, type, arr, head)                                                 \
	static type *name##_find(struct ep_seqstore *s, const struct mml_key_fp *fp)     \
	{                                                                                \
		for (uint32_t i = s->head[fp_bucket(s, fp)]; i; i = s->arr[i - 1].hnext) \
			if (s->arr[i - 1].used && ep_key_fp_eq(&s->arr[i - 1].fp, fp))   \
				return &s->arr[i - 1];                                   \
		return NULL;                                                             \
	}                                                                                \
	static void name##_link(struct ep_seqstore *s, type *e)                          \
	{                                                                                \
		uint32_t b = fp_bucket(s, &e->fp);                                       \
                                                                                         \
		e->hnext = s->head[b];                                                   \
		s->head[b] = (uint32_t)(e - s->arr) + 1;                                 \
	}                                                                                \
	static void name##_unlink(struct ep_seqstore *s, type *e)                        \
	{                                                                                \
		uint32_t self = (uint32_t)(e - s->arr) + 1;                              \
		uint32_t *p = &s->head[fp_bucket(s, &e->fp)];                            \
                                                                                         \
		while (*p && *p != self)                                                 \
			p = &s->arr[*p - 1].hnext;                                       \
		if (*p)                                                                  \
			*p = e->hnext;                                                   \
		e->hnext = 0;                                                            \
	}

INDEX_FNS(outseq, struct ep_outseq, out, out_head)
INDEX_FNS(inwin, struct ep_inwin, in, in_head)

/* A new installation of the key (not another thread loading the same one)
 * that finds state in use. Under the store lock. */
static bool new_install(struct ep_install *inst, const struct mml_csa *csa, bool state_used)
{
	bool changed = inst->spi != csa->spi || inst->add_time_ns != csa->add_time_ns;

	inst->spi = csa->spi;
	inst->add_time_ns = csa->add_time_ns;
	return changed && state_used;
}

/* ------------------------------------------------------------ outbound */

/* A free slot: never used first, else one no cache holds (its counter is
 * persisted in mml_seq_hwm, or, without the map, forgotten: tests only). */
static struct ep_outseq *outseq_free_slot(struct ep_seqstore *s)
{
	if (s->out_fresh < s->cap)
		return &s->out[s->out_fresh++];
	/* A slot given up first, else one no cache holds now. */
	for (uint32_t i = 0; i < s->cap; i++)
		if (!s->out[i].used)
			return &s->out[i];
	for (uint32_t i = 0; i < s->cap; i++)
		if (!s->out[i].refs)
			return &s->out[i];
	return NULL;
}

struct ep_outseq *ep_outseq_get(struct ep_seqstore *s, const struct mml_csa *csa,
				const struct mml_key_fp *fp)
{
	struct ep_outseq *o = NULL;
	struct mml_seq_hwm hwm;
	uint64_t start = 0;

	pthread_mutex_lock(&s->lock);
	o = outseq_find(s, fp);
	if (!o) {
		o = outseq_free_slot(s);
		if (!o)
			goto out;
		if (o->used)
			outseq_unlink(s, o);
		if (s->hwm_fd >= 0 && !bpf_map_lookup_elem(s->hwm_fd, fp, &hwm))
			start = hwm.reserved;
		memset(&o->inst, 0, sizeof(o->inst));
		o->store = s;
		o->fp = *fp;
		o->used = true;
		outseq_link(s, o);
		atomic_store(&o->last, start);
		atomic_store(&o->reserved, start);
		atomic_store(&o->rekey_posted, false);
	}
	if (new_install(&o->inst, csa, atomic_load(&o->last) > 0))
		s->seq_continued++;
	o->refs++;
out:
	pthread_mutex_unlock(&s->lock);
	return o;
}

void ep_outseq_put(struct ep_seqstore *s, struct ep_outseq *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&s->lock);
	o->refs--;
	pthread_mutex_unlock(&s->lock);
}

static int outseq_reserve(struct ep_outseq *o, uint64_t n, uint64_t hard)
{
	struct ep_seqstore *s = o->store;
	struct mml_seq_hwm hwm = { .spi = o->inst.spi };
	int err = 0;

	pthread_mutex_lock(&s->lock);
	if (n > atomic_load(&o->reserved)) {
		hwm.reserved = n + EP_SEQ_BLOCK - 1 < hard ? n + EP_SEQ_BLOCK - 1 : hard;
		if (s->hwm_fd >= 0 && bpf_map_update_elem(s->hwm_fd, &o->fp, &hwm, BPF_ANY))
			err = -EIO;
		else
			atomic_store(&o->reserved, hwm.reserved);
		s->reservations++;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* Once per key, whichever thread gets there: mmlkeyd starts the rekey. A full map or a
 * lost update costs nothing but the rekey's timing: the soft lifetime in
 * seconds, or the hard limit, still ends the CSA. */
static void rekey_post(struct ep_seqstore *s, uint32_t spi, uint64_t seq)
{
	struct mml_rekey r = { .wanted_ns = 0, .seq = seq };
	struct timespec ts;

	if (s->rekey_fd < 0)
		return;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	r.wanted_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (!bpf_map_update_elem(s->rekey_fd, &spi, &r, BPF_NOEXIST))
		__atomic_fetch_add(&s->rekeys_wanted, 1, __ATOMIC_RELAXED);
}

int ep_sa_next_seq(struct ep_sa *s, uint32_t *seq)
{
	struct ep_outseq *o = s->out;
	uint64_t hard = s->sa.csa.hard_packets ? s->sa.csa.hard_packets : MML_SEQ_HARD_DEFAULT;
	uint64_t n = atomic_fetch_add_explicit(&o->last, 1, memory_order_relaxed) + 1;
	int err;

	/* Never parked back at the limit: another SA with the same key and a
	 * higher limit may have gone past it, and lowering the counter would
	 * hand its numbers out again. 2^64 failed calls do not happen. */
	if (n > hard)
		return -MML_E_SEQ_EXHAUSTED;
	if (n > atomic_load_explicit(&o->reserved, memory_order_acquire)) {
		err = outseq_reserve(o, n, hard);
		if (err)
			return err;
	}
	if (n > (s->sa.csa.soft_packets ? s->sa.csa.soft_packets : MML_SEQ_SOFT_DEFAULT) &&
	    !atomic_load_explicit(&s->sa.rekey_wanted, memory_order_relaxed)) {
		atomic_store_explicit(&s->sa.rekey_wanted, true, memory_order_relaxed);
		if (!atomic_exchange_explicit(&o->rekey_posted, true, memory_order_relaxed))
			rekey_post(o->store, s->sa.csa.spi, n);
	}
	*seq = (uint32_t)n;
	return 0;
}

/* ------------------------------------------------------------- inbound */

/* A mark no cache's window uses: one pass over the windows, not one per
 * mark (that was marks x windows per install once every mark was taken:
 * 4096 x 10,000 at an HA with 10,000 mobiles). */
static struct mml_rx_mark *mark_unused(const struct ep_seqstore *s)
{
	uint8_t *busy = calloc(s->nmarks, 1);
	struct mml_rx_mark *m = NULL;

	if (!busy)
		return NULL;
	for (uint32_t i = 0; i < s->in_fresh; i++)
		if (s->in[i].used && s->in[i].refs && s->in[i].mark)
			busy[s->in[i].mark - s->marks] = 1;
	for (uint32_t i = 0; i < s->nmarks && !m; i++)
		if (!busy[i])
			m = &s->marks[i];
	free(busy);
	return m;
}

/* The key's mark: found, or a free slot, or (all taken) the slot of a key
 * no cache holds, whose floor is then lost (docs/endpoints.md). */
static struct mml_rx_mark *mark_get(struct ep_seqstore *s, const struct mml_key_fp *fp)
{
	struct mml_rx_mark *m = NULL;

	for (uint32_t i = 0; i < s->nmarks; i++)
		if (s->marks[i].used && ep_key_fp_eq(&s->marks[i].fp, fp))
			return &s->marks[i];
	for (uint32_t i = 0; i < s->nmarks && !m; i++)
		if (!s->marks[i].used)
			m = &s->marks[i];
	if (!m)
		m = mark_unused(s);
	if (!m)
		return NULL;
	/* A remembered window still pointing at it forgets its key. */
	for (uint32_t i = 0; i < s->in_fresh; i++)
		if (s->in[i].used && s->in[i].mark == m) {
			inwin_unlink(s, &s->in[i]);
			mml_replay_free(&s->in[i].win);
			s->in[i].used = false;
			s->in[i].mark = NULL;
		}
	memset(m, 0, sizeof(*m));
	m->fp = *fp;
	m->used = 1;
	return m;
}

static struct ep_inwin *inwin_free_slot(struct ep_seqstore *s)
{
	if (s->in_fresh < s->cap)
		return &s->in[s->in_fresh++];
	/* A slot given up first, else one no cache holds now. */
	for (uint32_t i = 0; i < s->cap; i++)
		if (!s->in[i].used)
			return &s->in[i];
	for (uint32_t i = 0; i < s->cap; i++)
		if (!s->in[i].refs)
			return &s->in[i];
	return NULL;
}

static struct ep_inwin *inwin_new(struct ep_seqstore *s, const struct mml_csa *csa,
				  const struct mml_key_fp *fp)
{
	struct ep_inwin *w = inwin_free_slot(s);
	struct mml_rx_mark *m;

	if (!w)
		return NULL;
	if (w->used)
		inwin_unlink(s, w);
	mml_replay_free(&w->win);
	w->used = false;
	w->mark = NULL;
	if (mml_replay_init(&w->win, csa->replay_window))
		return NULL;
	m = s->marks ? mark_get(s, fp) : NULL;
	if (m && m->top)
		mml_replay_start_after(&w->win, (uint32_t)m->top);
	if (m)
		w->win.mark = (_Atomic uint64_t *)&m->top;
	w->mark = m;
	memset(&w->inst, 0, sizeof(w->inst));
	w->fp = *fp;
	w->used = true;
	inwin_link(s, w);
	return w;
}

struct ep_inwin *ep_inwin_get(struct ep_seqstore *s, const struct mml_csa *csa,
			      const struct mml_key_fp *fp)
{
	struct ep_inwin *w = NULL;

	pthread_mutex_lock(&s->lock);
	w = inwin_find(s, fp);
	if (!w)
		w = inwin_new(s, csa, fp);
	if (w) {
		if (new_install(&w->inst, csa, mml_replay_top(&w->win) > 0))
			s->rx_resumed++;
		if (w->mark)
			w->mark->spi = csa->spi;
		w->refs++;
	}
	pthread_mutex_unlock(&s->lock);
	return w;
}

void ep_inwin_put(struct ep_seqstore *s, struct ep_inwin *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&s->lock);
	w->refs--;
	pthread_mutex_unlock(&s->lock);
}
