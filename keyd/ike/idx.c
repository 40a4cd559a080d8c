/* keyd/ike/idx.h: chained hashing over slot numbers. */
#include "keyd/ike/idx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The key's high bits: addresses in network order differ in their low
 * bytes' high bits, which a low-bit mask of the plain value would drop
 * (the worker's binding hash had that bug, docs/results.md). */
static uint32_t bucket(const struct idx *x, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & x->mask;
}

static void link_slot(struct idx *x, uint32_t slot)
{
	uint32_t b = bucket(x, x->key[slot]);

	x->next[slot] = x->head[b];
	x->head[b] = slot + 1;
}

static void *grow_array(void *p, uint32_t old, uint32_t cap, size_t size)
{
	uint8_t *q = realloc(p, (size_t)cap * size);

	if (q)
		memset(q + (size_t)old * size, 0, (size_t)(cap - old) * size);
	return q;
}

/* Buckets at least as many as slots: chains of one or two on average. */
static int rehash(struct idx *x)
{
	uint32_t buckets = 16;
	uint32_t *head;

	while (buckets < x->cap)
		buckets *= 2;
	head = calloc(buckets, sizeof(*head));
	if (!head)
		return -ENOMEM;
	free(x->head);
	x->head = head;
	x->mask = buckets - 1;
	for (uint32_t s = 0; s < x->cap; s++)
		if (x->in[s])
			link_slot(x, s);
	return 0;
}

static int grow(struct idx *x, uint32_t cap)
{
	uint32_t old = x->cap;
	void *p;

	if (cap <= old)
		return 0;
	if (!(p = grow_array(x->next, old, cap, sizeof(*x->next))))
		return -ENOMEM;
	x->next = p;
	if (!(p = grow_array(x->key, old, cap, sizeof(*x->key))))
		return -ENOMEM;
	x->key = p;
	if (!(p = grow_array(x->in, old, cap, sizeof(*x->in))))
		return -ENOMEM;
	x->in = p;
	if (!(p = grow_array(x->free, old, cap, sizeof(*x->free))))
		return -ENOMEM;
	x->free = p;
	x->cap = cap;
	/* The lowest new slot on top: slots are handed out in order. */
	for (uint32_t s = cap; !x->second && s > old; s--)
		x->free[x->n_free++] = s - 1;
	return rehash(x);
}

int idx_init(struct idx *x, uint32_t cap, uint32_t max)
{
	memset(x, 0, sizeof(*x));
	x->max = max < cap ? cap : max;
	if (!cap || grow(x, cap)) {
		idx_free(x);
		return -ENOMEM;
	}
	return 0;
}

void idx_free(struct idx *x)
{
	free(x->head);
	free(x->next);
	free(x->key);
	free(x->in);
	free(x->free);
	memset(x, 0, sizeof(*x));
}

uint32_t idx_find(const struct idx *x, uint64_t key)
{
	if (!x->head)
		return IDX_NONE;
	for (uint32_t s = x->head[bucket(x, key)]; s; s = x->next[s - 1])
		if (x->key[s - 1] == key)
			return s - 1;
	return IDX_NONE;
}

uint32_t idx_take(struct idx *x, uint64_t key)
{
	uint32_t slot;

	if (!x->n_free) {
		uint32_t cap = x->cap < x->max / 2 ? x->cap * 2 : x->max;

		if (x->second || cap <= x->cap || grow(x, cap) || !x->n_free)
			return IDX_NONE;
	}
	slot = x->free[--x->n_free];
	x->key[slot] = key;
	x->in[slot] = 1;
	x->n++;
	link_slot(x, slot);
	return slot;
}

int idx_reserve(struct idx *x, uint32_t cap)
{
	x->second = true;
	if (cap > x->max)
		x->max = cap;
	return grow(x, cap);
}

int idx_put(struct idx *x, uint32_t slot, uint64_t key)
{
	x->second = true;
	if (slot >= x->cap || x->in[slot])
		return -EINVAL;
	x->key[slot] = key;
	x->in[slot] = 1;
	x->n++;
	link_slot(x, slot);
	return 0;
}

void idx_drop(struct idx *x, uint32_t slot)
{
	uint32_t *p;

	if (!idx_used(x, slot))
		return;
	for (p = &x->head[bucket(x, x->key[slot])]; *p; p = &x->next[*p - 1])
		if (*p - 1 == slot) {
			*p = x->next[slot];
			break;
		}
	x->in[slot] = 0;
	x->next[slot] = 0;
	x->n--;
	if (!x->second)
		x->free[x->n_free++] = slot;
}
