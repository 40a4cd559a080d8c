/* mmlkeyd's event loop: one epoll set for every socket of every protocol
 * module, one timerfd driving a min-heap of timers, signals through a
 * signalfd. Single-threaded: callbacks run one at a time and must not
 * block. Time is CLOCK_BOOTTIME nanoseconds, the clock of the maps'
 * expiry fields. */
#ifndef MML_KEYD_LOOP_H
#define MML_KEYD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

struct loop;

typedef void (*loop_fd_fn)(void *arg, uint32_t events);
typedef void (*loop_timer_fn)(void *arg);

struct loop_timer {
	uint64_t deadline; /* CLOCK_BOOTTIME ns */
	size_t heap_idx;   /* position in the heap, SIZE_MAX when not armed */
	loop_timer_fn fn;
	void *arg;
};

int loop_new(struct loop **out);
void loop_free(struct loop *loop);

/* Runs until loop_stop() or SIGINT/SIGTERM; returns 0 or a negative errno. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
/* SIGHUP calls fn (mmlkeyd: reload); without one it is logged and ignored. */
typedef void (*loop_signal_fn)(void *arg);
void loop_on_hup(struct loop *loop, loop_signal_fn fn, void *arg);

/* Watch fd for events (EPOLLIN, ...); the loop does not own fd. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
void loop_del_fd(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
/* (Re)arm t to fire at the absolute time `deadline`, or `delay` from now. */
int loop_timer_at(struct loop *loop, struct loop_timer *t, uint64_t deadline);
int loop_timer_in(struct loop *loop, struct loop_timer *t, uint64_t delay_ns);
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

/* CLOCK_BOOTTIME now, and CLOCK_REALTIME now (for NTP timestamps). */
uint64_t loop_now(void);
uint64_t loop_realtime(void);

#endif
