/* A table of slots found by a 64-bit key: the ike module's records
 * (mobiles, visitors' keys, installed SPIs) at thousands of mobiles, so
 * that no per-message lookup walks them all. Slots are numbered 0..cap-1
 * and stay where they are (a caller may keep its records in a parallel
 * array); chains through next[] hang off a power-of-two bucket array
 * rehashed when the table grows. One key per slot; a key may be in the
 * table once (idx_find returns the one slot). A second index over the
 * same slots (idx_put with the caller's slot) keys them by something else.
 *
 * Local rather than uthash or GLib's GHashTable: a handle in every record
 * (uthash: 56 bytes each, one per index) or a heap node per entry (GLib)
 * for what is 17 bytes a slot here, with the slot number as the handle the
 * callers already keep (docs/architecture.md). */
#ifndef MML_KEYD_IKE_IDX_H
#define MML_KEYD_IKE_IDX_H

#include <stdbool.h>
#include <stdint.h>

#define IDX_NONE UINT32_MAX

struct idx {
	uint32_t cap;	 /* slots now */
	uint32_t max;	 /* slots at most (idx_take grows up to it) */
	uint32_t n;	 /* slots in use */
	uint32_t mask;	 /* buckets - 1 */
	uint32_t *head;	 /* bucket -> first slot + 1 */
	uint32_t *next;	 /* slot -> next slot in its bucket + 1 */
	uint64_t *key;	 /* slot -> its key */
	uint8_t *in;	 /* slot -> in use */
	uint32_t *free;	 /* free slots, a stack */
	uint32_t n_free; /* on the stack */
	bool second;	 /* idx_put's: the caller numbers the slots */
};

/* cap slots now, growing to max (max >= cap >= 1). -ENOMEM. */
int idx_init(struct idx *x, uint32_t cap, uint32_t max);
void idx_free(struct idx *x);
/* The slot of key, or IDX_NONE. */
uint32_t idx_find(const struct idx *x, uint64_t key);
/* A free slot for key (growing if need be); IDX_NONE when max are used
 * or memory ran out. The key must not be in the table. */
uint32_t idx_take(struct idx *x, uint64_t key);
/* A second index: slot (the caller's, < x->cap after idx_reserve) keyed. */
int idx_put(struct idx *x, uint32_t slot, uint64_t key);
/* Room for slots 0..cap-1 (a second index following its first). */
int idx_reserve(struct idx *x, uint32_t cap);
/* The slot leaves the table (its slot number free again). */
void idx_drop(struct idx *x, uint32_t slot);
static inline bool idx_used(const struct idx *x, uint32_t slot)
{
	return slot < x->cap && x->in[slot];
}

#endif
