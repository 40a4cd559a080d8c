/* The simulator's clock: a min-heap of events ordered by virtual time,
 * then by the order they were pushed (so equal times stay causal). */
#include <stdio.h>
#include <stdlib.h>

#include "sim/handoff/sim.h"

uint64_t sim_now;

static struct sim_ev *heap;
static size_t n_ev, cap_ev;
static uint64_t next_seq;

static bool before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void swap(size_t i, size_t j)
{
	struct sim_ev t = heap[i];

	heap[i] = heap[j];
	heap[j] = t;
}

void sim_evq_push(uint64_t at, uint8_t kind, uint32_t a, uint32_t b, struct sim_msg *msg)
{
	size_t i;

	if (n_ev == cap_ev) {
		cap_ev = cap_ev ? 2 * cap_ev : 4096;
		heap = realloc(heap, cap_ev * sizeof(*heap));
		if (!heap) {
			fprintf(stderr, "sim: out of memory for events\n");
			exit(1);
		}
	}
	i = n_ev++;
	heap[i] = (struct sim_ev){
		.at = at, .seq = next_seq++, .kind = kind, .a = a, .b = b, .msg = msg
	};
	while (i && before(&heap[i], &heap[(i - 1) / 2])) {
		swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

bool sim_evq_pop(struct sim_ev *ev)
{
	size_t i = 0;

	if (!n_ev)
		return false;
	*ev = heap[0];
	heap[0] = heap[--n_ev];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n_ev && before(&heap[l], &heap[m]))
			m = l;
		if (r < n_ev && before(&heap[r], &heap[m]))
			m = r;
		if (m == i)
			break;
		swap(i, m);
		i = m;
	}
	if (ev->at > sim_now)
		sim_now = ev->at;
	return true;
}

void sim_evq_clear(void)
{
	for (size_t i = 0; i < n_ev; i++)
		free(heap[i].msg);
	free(heap);
	heap = NULL;
	n_ev = cap_ev = 0;
	next_seq = 0;
	sim_now = 0;
}

uint64_t sim_now_ms(void)
{
	return sim_now / 1000000;
}
