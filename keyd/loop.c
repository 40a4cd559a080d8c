/* epoll + timerfd + signalfd event loop. See loop.h. */
#include "keyd/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

struct loop_fd {
	int fd;
	loop_fd_fn fn;
	void *arg;
	struct loop_fd *next;
};

struct loop {
	int epfd;
	int timerfd;
	int sigfd;
	bool stop;
	struct loop_fd *fds;	/* few entries: a list is enough */
	struct loop_fd *graves; /* removed during a batch, freed after it */
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t timerfd_deadline; /* what the timerfd is armed for, 0 = disarmed */
	loop_signal_fn on_hup;
	void *hup_arg;
};

uint64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t loop_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void bury(struct loop *loop);

static int epoll_add(struct loop *loop, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int loop_new(struct loop **out)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	sigset_t sigs;
	int err = -ENOMEM;

	if (!loop)
		return err;
	loop->epfd = loop->timerfd = loop->sigfd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->timerfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	loop->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (loop->epfd < 0 || loop->timerfd < 0 || loop->sigfd < 0) {
		err = -errno;
		goto out;
	}
	/* The two internal fds are told apart by their tag pointers. */
	err = epoll_add(loop, loop->timerfd, &loop->timerfd);
	if (!err)
		err = epoll_add(loop, loop->sigfd, &loop->sigfd);
	if (err)
		goto out;
	*out = loop;
	return 0;
out:
	log_err("event loop: %s", strerror(-err));
	loop_free(loop);
	return err;
}

void loop_free(struct loop *loop)
{
	struct loop_fd *f, *next;

	if (!loop)
		return;
	for (f = loop->fds; f; f = next) {
		next = f->next;
		free(f);
	}
	bury(loop);
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->timerfd >= 0)
		close(loop->timerfd);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	free(loop->heap);
	free(loop);
}

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	struct loop_fd *f = calloc(1, sizeof(*f));
	struct epoll_event ev = { .events = events };

	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->fn = fn;
	f->arg = arg;
	ev.data.ptr = f;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		free(f);
		return err;
	}
	f->next = loop->fds;
	loop->fds = f;
	return 0;
}

static struct loop_fd *find_fd(struct loop *loop, int fd, struct loop_fd ***link)
{
	struct loop_fd **pp;

	for (pp = &loop->fds; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

int loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct loop_fd *f = find_fd(loop, fd, NULL);
	struct epoll_event ev = { .events = events };

	if (!f)
		return -ENOENT;
	ev.data.ptr = f;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_del_fd(struct loop *loop, int fd)
{
	struct loop_fd **link, *f = find_fd(loop, fd, &link);

	if (!f)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	*link = f->next;
	/* An event for f may still be in the current epoll batch. */
	f->fn = NULL;
	f->next = loop->graves;
	loop->graves = f;
}

static void bury(struct loop *loop)
{
	struct loop_fd *f, *next;

	for (f = loop->graves; f; f = next) {
		next = f->next;
		free(f);
	}
	loop->graves = NULL;
}

/* Timers: a binary min-heap on deadline; the timerfd is armed for the top. */

static void heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (loop->heap[parent]->deadline <= t->deadline)
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    loop->heap[child + 1]->deadline < loop->heap[child]->deadline)
			child++;
		if (t->deadline <= loop->heap[child]->deadline)
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, t);
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->heap_idx;
	struct loop_timer *last = loop->heap[--loop->heap_len];

	t->heap_idx = SIZE_MAX;
	if (last == t)
		return;
	heap_set(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last->heap_idx);
}

static void rearm_timerfd(struct loop *loop)
{
	struct itimerspec its;
	uint64_t deadline = loop->heap_len ? loop->heap[0]->deadline : 0;

	if (deadline == loop->timerfd_deadline)
		return;
	memset(&its, 0, sizeof(its));
	if (deadline) {
		its.it_value.tv_sec = (time_t)(deadline / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(deadline % NS_PER_SEC);
	}
	if (timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
		log_err("timerfd_settime: %s", strerror(errno));
	loop->timerfd_deadline = deadline;
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	t->deadline = 0;
	t->heap_idx = SIZE_MAX;
	t->fn = fn;
	t->arg = arg;
}

int loop_timer_at(struct loop *loop, struct loop_timer *t, uint64_t deadline)
{
	if (!deadline)
		deadline = 1; /* 0 means "disarmed" to the timerfd bookkeeping */
	if (loop_timer_armed(t)) {
		t->deadline = deadline;
		heap_up(loop, t->heap_idx);
		heap_down(loop, t->heap_idx);
		rearm_timerfd(loop);
		return 0;
	}
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? 2 * loop->heap_cap : 64;
		struct loop_timer **heap = realloc(loop->heap, cap * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		loop->heap = heap;
		loop->heap_cap = cap;
	}
	t->deadline = deadline;
	heap_set(loop, loop->heap_len++, t);
	heap_up(loop, t->heap_idx);
	rearm_timerfd(loop);
	return 0;
}

int loop_timer_in(struct loop *loop, struct loop_timer *t, uint64_t delay_ns)
{
	return loop_timer_at(loop, t, loop_now() + delay_ns);
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	heap_remove(loop, t);
	rearm_timerfd(loop);
}

static void run_timers(struct loop *loop)
{
	uint64_t expirations, now = loop_now();

	if (read(loop->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn("timerfd read: %s", strerror(errno));
	loop->timerfd_deadline = 0;
	while (loop->heap_len && loop->heap[0]->deadline <= now) {
		struct loop_timer *t = loop->heap[0];

		heap_remove(loop, t);
		t->fn(t->arg); /* may re-arm t or others */
	}
	rearm_timerfd(loop);
}

static void read_signals(struct loop *loop)
{
	struct signalfd_siginfo si;

	while (read(loop->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (loop->on_hup)
				loop->on_hup(loop->hup_arg);
			else
				log_info("SIGHUP: configuration reload is not supported, restart "
					 "instead");
			continue;
		}
		log_info("signal %u: stopping", si.ssi_signo);
		loop->stop = true;
	}
}

int loop_run(struct loop *loop)
{
	struct epoll_event evs[32];
	int n;

	loop->stop = false;
	while (!loop->stop) {
		n = epoll_wait(loop->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			void *ptr = evs[i].data.ptr;

			if (ptr == &loop->timerfd) {
				run_timers(loop);
			} else if (ptr == &loop->sigfd) {
				read_signals(loop);
			} else {
				struct loop_fd *f = ptr;

				if (f->fn)
					f->fn(f->arg, evs[i].events);
			}
		}
		bury(loop);
	}
	return 0;
}

void loop_on_hup(struct loop *loop, loop_signal_fn fn, void *arg)
{
	loop->on_hup = fn;
	loop->hup_arg = arg;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}
