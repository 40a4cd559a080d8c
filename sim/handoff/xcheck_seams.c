/* The cross-check's two link-time seams around mmlkeyd's ike module
 * (xcheck.c): the Mobile IP hooks, which in mmlkeyd have one subscriber
 * per process and here one per node (called by node), and the CSA store,
 * which in mmlkeyd writes the node's pinned mml_csa map and here keeps
 * what each node installed in memory. They replace keyd/hooks.c and
 * lib/csa_store.c in this program only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keyd/keyd.h"
#include "lib/csa.h"
#include "lib/csa_store.h"
#include "sim/handoff/xcheck.h"

static keyd_binding_fn binding_fn;
static void *binding_arg;
static struct prev_fa_sub {
	keyd_prev_fa_fn fn;
	void *arg;
} prev_fa[XC_FAS_MAX];
static struct visitor_sub {
	keyd_visitor_fn fn;
	void *arg;
} visitor[XC_FAS_MAX];
static unsigned int n_prev_fa, n_visitor;

void keyd_binding_subscribe(keyd_binding_fn fn, void *arg)
{
	if (fn) {
		binding_fn = fn;
		binding_arg = arg;
	}
}

void keyd_binding_changed(uint32_t home, uint32_t coa)
{
	if (binding_fn)
		binding_fn(binding_arg, home, coa);
}

/* FAs subscribe in the order they start: FA k is subscriber k. */
void keyd_prev_fa_subscribe(keyd_prev_fa_fn fn, void *arg)
{
	if (fn && n_prev_fa < XC_FAS_MAX)
		prev_fa[n_prev_fa++] = (struct prev_fa_sub){ fn, arg };
}

void keyd_prev_fa(uint32_t home, uint32_t ha, uint32_t prev)
{
	(void)home, (void)ha, (void)prev; /* by node only: xc_prev_fa */
}

void keyd_visitor_subscribe(keyd_visitor_fn fn, void *arg)
{
	if (fn && n_visitor < XC_FAS_MAX)
		visitor[n_visitor++] = (struct visitor_sub){ fn, arg };
}

void keyd_visitor_changed(uint32_t home, bool registered)
{
	(void)home, (void)registered; /* by node only: xc_visitor */
}

void xc_prev_fa(unsigned int fa, uint32_t home, uint32_t ha, uint32_t prev)
{
	if (fa < n_prev_fa)
		prev_fa[fa].fn(prev_fa[fa].arg, home, ha, prev);
}

void xc_visitor(unsigned int fa, uint32_t home, bool registered)
{
	if (fa < n_visitor)
		visitor[fa].fn(visitor[fa].arg, home, registered);
}

/* --- the CSA store: per node (by its pin directory), SPI and flags --- */

struct xc_store xc_stores[XC_NODES_MAX];

static struct xc_store *store_of(const struct mml_csa_store *st)
{
	for (unsigned int i = 0; i < XC_NODES_MAX; i++)
		if (xc_stores[i].used && !strcmp(xc_stores[i].dir, st->dir.path))
			return &xc_stores[i];
	for (unsigned int i = 0; i < XC_NODES_MAX; i++)
		if (!xc_stores[i].used) {
			xc_stores[i].used = true;
			snprintf(xc_stores[i].dir, sizeof(xc_stores[i].dir), "%s", st->dir.path);
			return &xc_stores[i];
		}
	return NULL;
}

static struct xc_csa *entry_of(struct xc_store *s, uint32_t spi, bool create)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->csa[i].spi == spi)
			return &s->csa[i];
	if (!create || s->n == XC_CSAS_MAX)
		return NULL;
	s->csa[s->n] = (struct xc_csa){ .spi = spi };
	return &s->csa[s->n++];
}

void mml_csa_store_init(struct mml_csa_store *st, const struct mml_pin_dir *dir)
{
	st->dir = *dir;
	st->fd = 0; /* "open": the store below never fails for want of a map */
}

int mml_csa_store_open(struct mml_csa_store *st)
{
	(void)st;
	return 0;
}

void mml_csa_store_close(struct mml_csa_store *st)
{
	st->fd = -1;
}

/* The store's ownership rule (lib/csa_store.h): only the installer, or
 * forced, replaces or deletes. */
static int owner_ok(const struct xc_csa *e, uint32_t owner, uint64_t flags, char *why,
		    size_t why_len)
{
	if (!e || e->owner == owner || (flags & MML_CSA_FORCE))
		return 0;
	snprintf(why, why_len, "owner: spi 0x%x is another's", e->spi);
	return -EPERM;
}

int mml_csa_store_may(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      char *why, size_t why_len)
{
	struct xc_store *s = store_of(st);

	why[0] = '\0';
	return owner_ok(s ? entry_of(s, spi, false) : NULL, owner, flags, why, why_len);
}

int mml_csa_store_put(struct mml_csa_store *st, const struct mml_csa *csa, uint64_t flags,
		      char *why, size_t why_len)
{
	struct xc_store *s = store_of(st);
	struct xc_csa *e;
	int err = mml_csa_validate(csa, why, why_len);

	if (!err)
		err = mml_csa_store_may(st, csa->spi, csa->owner, flags, why, why_len);
	if (err)
		return err;
	e = s ? entry_of(s, csa->spi, true) : NULL;
	if (!e) {
		snprintf(why, why_len, "cross-check store full");
		return -ENOSPC;
	}
	e->flags = csa->flags;
	e->owner = csa->owner;
	return 0;
}

int mml_csa_store_del(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      char *why, size_t why_len)
{
	struct xc_store *s = store_of(st);
	struct xc_csa *e = s ? entry_of(s, spi, false) : NULL;
	int err;

	why[0] = '\0';
	if (!e)
		return -ENOENT;
	err = owner_ok(e, owner, flags, why, why_len);
	if (!err)
		*e = s->csa[--s->n];
	return err;
}

int mml_csa_store_set_flags(struct mml_csa_store *st, uint32_t spi, uint8_t set, uint8_t clear)
{
	struct xc_store *s = store_of(st);
	struct xc_csa *e = s ? entry_of(s, spi, false) : NULL;

	if (!e)
		return -ENOENT;
	e->flags = (uint8_t)((e->flags | set) & ~clear);
	return 0;
}

uint64_t mml_csa_store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
