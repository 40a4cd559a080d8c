#include "lib/flow_ctr.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <bpf/bpf.h>

/* The whole key, padding included: a field added in the padding takes
 * part without a change here (writers of mml_flow zero what is unused). */
static uint32_t key_hash(const struct mml_flow_key *k)
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, (const uint8_t *)k + 8, 8);
	a = (a ^ b * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(a ^ a >> 29);
}

int mml_flow_ctrs_map(struct mml_flow_ctrs *c, int fd, bool writable)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	void *p;

	memset(c, 0, sizeof(*c));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size != sizeof(struct mml_flow_ctr) || !info.max_entries)
		return -EPROTO;
	p = mmap(NULL, (size_t)info.max_entries * sizeof(struct mml_flow_ctr),
		 writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->slots = p;
	c->n = info.max_entries;
	c->mapped = true;
	return 0;
}

void mml_flow_ctrs_unmap(struct mml_flow_ctrs *c)
{
	if (c->mapped)
		munmap(c->slots, (size_t)c->n * sizeof(struct mml_flow_ctr));
	memset(c, 0, sizeof(*c));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The slot's state once no claim is half done. A claimer between its
 * compare-and-swap and its release takes nanoseconds unless it is
 * preempted there, so the wait yields, for up to a second: past that the
 * claimer is taken for dead (the slot lost, its key counted elsewhere). */
static uint32_t settled_state(struct mml_flow_ctr *s)
{
	uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	uint64_t until = 0;

	for (int spin = 0; st == MML_FLOW_CTR_WRITING; spin++) {
		if (spin >= 1000) {
			if (!until)
				until = mono_ns() + 1000000000ull;
			else if (mono_ns() > until)
				break;
			sched_yield();
		}
		st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	}
	return st;
}

struct mml_flow_ctr *mml_flow_ctr_claim(const struct mml_flow_ctrs *c, const struct mml_flow_key *k)
{
	uint32_t h;

	if (!c || !c->slots)
		return NULL;
	h = key_hash(k);
	for (uint32_t i = 0; i < MML_FLOW_CTR_PROBES && i < c->n; i++) {
		struct mml_flow_ctr *s = &c->slots[(h + i) % c->n];
		uint32_t st = settled_state(s);

		if (st == MML_FLOW_CTR_FREE) {
			uint32_t free_st = MML_FLOW_CTR_FREE;

			if (__atomic_compare_exchange_n(&s->state, &free_st, MML_FLOW_CTR_WRITING,
							false, __ATOMIC_ACQUIRE,
							__ATOMIC_ACQUIRE)) {
				/* Never used: the counters are 0 already. */
				memcpy(&s->key, k, sizeof(s->key));
				__atomic_store_n(&s->state, MML_FLOW_CTR_READY, __ATOMIC_RELEASE);
				return s;
			}
			/* Another claim won it, perhaps for k: look again. */
			st = settled_state(s);
		}
		if (st == MML_FLOW_CTR_READY && !memcmp(&s->key, k, sizeof(*k)))
			return s;
	}
	return NULL;
}

const struct mml_flow_ctr *mml_flow_ctr_find(const struct mml_flow_ctrs *c,
					     const struct mml_flow_key *k)
{
	uint32_t h;

	if (!c || !c->slots)
		return NULL;
	h = key_hash(k);
	for (uint32_t i = 0; i < MML_FLOW_CTR_PROBES && i < c->n; i++) {
		const struct mml_flow_ctr *s = &c->slots[(h + i) % c->n];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == MML_FLOW_CTR_FREE)
			return NULL;
		if (st == MML_FLOW_CTR_READY && !memcmp(&s->key, k, sizeof(*k)))
			return s;
	}
	return NULL;
}
