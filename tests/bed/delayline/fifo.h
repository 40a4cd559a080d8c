/* The delay line's queue of one direction: frames in arrival order with the
 * time they may leave. A constant delay keeps the release times in order, so
 * a FIFO is enough and frames are never reordered. */
#ifndef MML_DELAYLINE_FIFO_H
#define MML_DELAYLINE_FIFO_H

#include <stdbool.h>
#include <stdint.h>

struct dl_frame {
	uint64_t addr; /* UMEM address as received (data start) */
	uint32_t len;
	uint64_t due_ns; /* CLOCK_MONOTONIC */
};

struct dl_fifo {
	struct dl_frame *slots;
	uint32_t mask; /* capacity - 1, capacity a power of two */
	uint32_t head, tail;
};

static inline uint32_t dl_fifo_len(const struct dl_fifo *q)
{
	return q->tail - q->head;
}

static inline bool dl_fifo_push(struct dl_fifo *q, const struct dl_frame *f)
{
	if (dl_fifo_len(q) > q->mask)
		return false;
	q->slots[q->tail++ & q->mask] = *f;
	return true;
}

static inline const struct dl_frame *dl_fifo_peek(const struct dl_fifo *q)
{
	return q->head == q->tail ? NULL : &q->slots[q->head & q->mask];
}

static inline void dl_fifo_pop(struct dl_fifo *q)
{
	q->head++;
}

#endif
