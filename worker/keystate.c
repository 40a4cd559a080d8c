/* The node-wide state that follows a key (worker/sacache.h): outbound
 * sequence counters persisted ahead in mml_seq_hwm, inbound replay windows
 * shared by the threads with their top in mml_rx_mark. */
#include "worker/sacache.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "lib/err.h"
#include "worker/keyfp.h"

int ep_seqstore_init(struct ep_seqstore *s, int hwm_fd, struct mml_rx_mark *marks, uint32_t nmarks)
{
	memset(s, 0, sizeof(*s));
	s->hwm_fd = hwm_fd;
	s->rekey_fd = -1;
	s->marks = marks;
	s->nmarks = marks ? nmarks : 0;
	return -pthread_mutex_init(&s->lock, NULL);
}

void ep_seqstore_free(struct ep_seqstore *s)
{
	for (int i = 0; i < EP_INWIN_MAX; i++)
		mml_replay_free(&s->in[i].win);
	pthread_mutex_destroy(&s->lock);
}

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
	struct ep_outseq *spare = NULL;

	for (int i = 0; i < EP_OUTSEQ_MAX; i++) {
		if (!s->out[i].used)
			return &s->out[i];
		if (!s->out[i].refs && !spare)
			spare = &s->out[i];
	}
	return spare;
}

struct ep_outseq *ep_outseq_get(struct ep_seqstore *s, const struct mml_csa *csa,
				const struct mml_key_fp *fp)
{
	struct ep_outseq *o = NULL;
	struct mml_seq_hwm hwm;
	uint64_t start = 0;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < EP_OUTSEQ_MAX && !o; i++)
		if (s->out[i].used && ep_key_fp_eq(&s->out[i].fp, fp))
			o = &s->out[i];
	if (!o) {
		o = outseq_free_slot(s);
		if (!o)
			goto out;
		if (s->hwm_fd >= 0 && !bpf_map_lookup_elem(s->hwm_fd, fp, &hwm))
			start = hwm.reserved;
		memset(&o->inst, 0, sizeof(o->inst));
		o->store = s;
		o->fp = *fp;
		o->used = true;
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

static bool mark_in_use(const struct ep_seqstore *s, const struct mml_rx_mark *m)
{
	for (int i = 0; i < EP_INWIN_MAX; i++)
		if (s->in[i].used && s->in[i].refs && s->in[i].mark == m)
			return true;
	return false;
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
	for (uint32_t i = 0; i < s->nmarks && !m; i++)
		if (!mark_in_use(s, &s->marks[i]))
			m = &s->marks[i];
	if (!m)
		return NULL;
	/* A remembered window still pointing at it forgets its key. */
	for (int i = 0; i < EP_INWIN_MAX; i++)
		if (s->in[i].used && s->in[i].mark == m) {
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
	struct ep_inwin *spare = NULL;

	for (int i = 0; i < EP_INWIN_MAX; i++) {
		if (!s->in[i].used)
			return &s->in[i];
		if (!s->in[i].refs && !spare)
			spare = &s->in[i];
	}
	return spare;
}

static struct ep_inwin *inwin_new(struct ep_seqstore *s, const struct mml_csa *csa,
				  const struct mml_key_fp *fp)
{
	struct ep_inwin *w = inwin_free_slot(s);
	struct mml_rx_mark *m;

	if (!w)
		return NULL;
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
	return w;
}

struct ep_inwin *ep_inwin_get(struct ep_seqstore *s, const struct mml_csa *csa,
			      const struct mml_key_fp *fp)
{
	struct ep_inwin *w = NULL;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < EP_INWIN_MAX && !w; i++)
		if (s->in[i].used && ep_key_fp_eq(&s->in[i].fp, fp))
			w = &s->in[i];
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
