/* mml-delayline: the wan node's delay line (the kernel has no netem). An L2
 * bump between two interfaces: every frame received on one is sent out of the
 * other after a fixed one-way delay, per direction, never reordered.
 *
 *   mml-delayline [-n NETNS] [-d MS] [-D MS] [-f FRAMES] [-r READY_FILE] DEV_A DEV_B
 *     -d  delay A->B in ms (fractions allowed, 0..1000; default 0)
 *     -D  delay B->A in ms (default: as -d)
 *     -f  UMEM frames per direction, a power of two (default 16384: 200 ms at
 *         ~900 Mbit/s of 1500-byte frames)
 *     -r  file created once frames flow (the test bed waits for it)
 *
 * tests/bed/bpf/delayline.bpf.c hands every frame to an AF_XDP socket (copy mode: veth
 * has no zero-copy); both sockets share one UMEM, so a frame moves from one
 * interface's RX ring to the other's TX ring without a copy in userspace.
 * A frame's UMEM chunk travels A.fill -> A.rx -> FIFO -> B.tx -> B.comp ->
 * A.fill, so each direction owns a fixed pool and the FIFO cannot overflow;
 * when the pool is empty the kernel drops at the RX side, like a router whose
 * buffer is full. SIGINT/SIGTERM detach the XDP programs and print counters. */
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "delayline.skel.h"
#include "lib/log.h"
#include "tests/bed/netns.h"
#include "tests/bed/delayline/fifo.h"

#define FRAME_SIZE 2048
#define RING_SIZE 4096
#define BATCH 64
#define KICKS_MAX 64
#define SPIN_NS 300000ULL

struct dl_port {
	const char *ifname;
	int ifindex;
	struct delayline *skel; /* this port's XDP program and XSKMAP */
	bool attached;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx, comp;
	struct xsk_ring_prod tx, fill;
};

/* Direction d carries frames from port d to port 1 - d. */
struct dl_dir {
	struct dl_fifo fifo;
	uint64_t delay_ns;
	uint64_t frames, bytes, max_depth;
};

struct dl {
	uint32_t frames_per_dir;
	void *umem_area;
	size_t umem_size;
	struct xsk_umem *umem;
	struct dl_port port[2];
	struct dl_dir dir[2];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int create_sockets(struct dl *dl)
{
	struct xsk_umem_config ucfg = {
		.fill_size = dl->frames_per_dir,
		.comp_size = RING_SIZE,
		.frame_size = FRAME_SIZE,
	};
	struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	int err;

	dl->umem_size = (size_t)dl->frames_per_dir * 2 * FRAME_SIZE;
	dl->umem_area = mmap(NULL, dl->umem_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (dl->umem_area == MAP_FAILED) {
		dl->umem_area = NULL;
		err = -errno;
		log_err("delayline: cannot map %zu bytes of UMEM: %s", dl->umem_size,
			strerror(-err));
		return err;
	}
	err = xsk_umem__create(&dl->umem, dl->umem_area, dl->umem_size, &dl->port[0].fill,
			       &dl->port[0].comp, &ucfg);
	if (err) {
		log_err("delayline: cannot create the UMEM: %s", strerror(-err));
		return err;
	}
	for (int p = 0; p < 2; p++) {
		struct dl_port *port = &dl->port[p];

		err = xsk_socket__create_shared(&port->xsk, port->ifname, 0, dl->umem, &port->rx,
						&port->tx, &port->fill, &port->comp, &scfg);
		if (err) {
			log_err("delayline: cannot bind an AF_XDP socket to %s queue 0: %s",
				port->ifname, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Each direction's pool: port p's fill ring gets chunks [p*F, (p+1)*F). */
static int fill_pools(struct dl *dl)
{
	for (int p = 0; p < 2; p++) {
		struct dl_port *port = &dl->port[p];
		uint32_t idx;

		if (xsk_ring_prod__reserve(&port->fill, dl->frames_per_dir, &idx) !=
		    dl->frames_per_dir) {
			log_err("delayline: fill ring of %s too small", port->ifname);
			return -ENOSPC;
		}
		for (uint32_t i = 0; i < dl->frames_per_dir; i++)
			*xsk_ring_prod__fill_addr(&port->fill, idx + i) =
				((uint64_t)p * dl->frames_per_dir + i) * FRAME_SIZE;
		xsk_ring_prod__submit(&port->fill, dl->frames_per_dir);
	}
	return 0;
}

/* Our own program from an earlier run that was killed may still sit on the
 * interface; anything else there is somebody else's and stays. */
static int check_xdp_slot(const struct dl_port *port)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), prog_id = 0;
	int fd, err = bpf_xdp_query_id(port->ifindex, XDP_FLAGS_DRV_MODE, &prog_id);

	if (err || !prog_id)
		return err;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (!err && strcmp(info.name, "delayline_rx")) {
		log_err("delayline: %s already runs XDP program \"%s\"", port->ifname, info.name);
		err = -EBUSY;
	}
	return err;
}

static int attach_port(struct dl_port *port)
{
	int err;

	port->skel = delayline__open_and_load();
	if (!port->skel) {
		err = -errno;
		log_err("delayline: cannot load the XDP program: %s", strerror(-err));
		return err;
	}
	err = xsk_socket__update_xskmap(port->xsk, bpf_map__fd(port->skel->maps.delay_xsks));
	if (err) {
		log_err("delayline: cannot register the socket of %s: %s", port->ifname,
			strerror(-err));
		return err;
	}
	err = check_xdp_slot(port);
	if (err)
		return err;
	err = bpf_xdp_attach(port->ifindex, bpf_program__fd(port->skel->progs.delayline_rx),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		log_err("delayline: cannot attach XDP to %s: %s", port->ifname, strerror(-err));
		return err;
	}
	port->attached = true;
	return 0;
}

static void detach_port(struct dl_port *port)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);

	if (port->attached) {
		opts.old_prog_fd = bpf_program__fd(port->skel->progs.delayline_rx);
		bpf_xdp_detach(port->ifindex, XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
		port->attached = false;
	}
	delayline__destroy(port->skel);
	port->skel = NULL;
}

/* TX completions of port p return chunks to the fill ring of the port the
 * frames came from. */
static void reclaim(struct dl *dl, int p)
{
	struct dl_port *port = &dl->port[p], *origin = &dl->port[1 - p];
	uint32_t idx_comp, idx_fill = 0, n;

	n = xsk_ring_cons__peek(&port->comp, RING_SIZE, &idx_comp);
	/* Always fits: the fill ring can hold the whole pool of its direction. */
	if (!n || xsk_ring_prod__reserve(&origin->fill, n, &idx_fill) != n) {
		xsk_ring_cons__cancel(&port->comp, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&origin->fill, idx_fill + i) =
			*xsk_ring_cons__comp_addr(&port->comp, idx_comp + i) &
			~(uint64_t)(FRAME_SIZE - 1);
	xsk_ring_prod__submit(&origin->fill, n);
	xsk_ring_cons__release(&port->comp, n);
}

static void receive(struct dl *dl, int p, uint64_t now)
{
	struct dl_port *port = &dl->port[p];
	struct dl_dir *dir = &dl->dir[p];
	uint32_t idx, n;

	n = xsk_ring_cons__peek(&port->rx, BATCH, &idx);
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&port->rx, idx + i);
		struct dl_frame f = { .addr = d->addr,
				      .len = d->len,
				      .due_ns = now + dir->delay_ns };

		/* Cannot fail: the FIFO holds the direction's whole pool. */
		dl_fifo_push(&dir->fifo, &f);
		dir->frames++;
		dir->bytes += d->len;
	}
	if (n)
		xsk_ring_cons__release(&port->rx, n);
	if (dl_fifo_len(&dir->fifo) > dir->max_depth)
		dir->max_depth = dl_fifo_len(&dir->fifo);
}

static uint32_t tx_outstanding(const struct dl_port *port)
{
	return *port->tx.producer - *port->tx.consumer;
}

/* Copy-mode TX happens inside sendto(), a bounded batch per call. */
static void kick(struct dl_port *port)
{
	for (int i = 0; i < KICKS_MAX && tx_outstanding(port); i++) {
		if (sendto(xsk_socket__fd(port->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != EINTR)
			break;
	}
}

static void transmit(struct dl *dl, int d, uint64_t now)
{
	struct dl_dir *dir = &dl->dir[d];
	struct dl_port *out = &dl->port[1 - d];
	const struct dl_frame *f;
	uint32_t idx, n = 0;

	while ((f = dl_fifo_peek(&dir->fifo)) && f->due_ns <= now) {
		if (xsk_ring_prod__reserve(&out->tx, 1, &idx) != 1)
			break;
		xsk_ring_prod__tx_desc(&out->tx, idx)->addr = f->addr;
		xsk_ring_prod__tx_desc(&out->tx, idx)->len = f->len;
		xsk_ring_prod__tx_desc(&out->tx, idx)->options = 0;
		dl_fifo_pop(&dir->fifo);
		n++;
		if (n == BATCH) {
			xsk_ring_prod__submit(&out->tx, n);
			kick(out);
			n = 0;
		}
	}
	if (n)
		xsk_ring_prod__submit(&out->tx, n);
	if (tx_outstanding(out))
		kick(out);
}

/* Sleep until a frame arrives or the earliest queued frame is due. */
static void wait_for_work(struct dl *dl, uint64_t now)
{
	struct pollfd fds[2] = {
		{ .fd = xsk_socket__fd(dl->port[0].xsk), .events = POLLIN },
		{ .fd = xsk_socket__fd(dl->port[1].xsk), .events = POLLIN },
	};
	struct timespec ts, *timeout = NULL;
	uint64_t due = UINT64_MAX;

	for (int d = 0; d < 2; d++) {
		const struct dl_frame *f = dl_fifo_peek(&dl->dir[d].fifo);

		if (f && f->due_ns < due)
			due = f->due_ns;
		if (tx_outstanding(&dl->port[1 - d]))
			due = now;
	}
	if (due != UINT64_MAX) {
		uint64_t wait = due > now ? due - now : 0;

		/* Waking from a sleep takes 0.1-0.3 ms on a VM: sleep until
		 * shortly before the due time, then poll without sleeping. */
		wait = wait > SPIN_NS ? wait - SPIN_NS : 0;
		ts.tv_sec = (time_t)(wait / 1000000000ULL);
		ts.tv_nsec = (long)(wait % 1000000000ULL);
		timeout = &ts;
	}
	ppoll(fds, 2, timeout, NULL);
}

static void run(struct dl *dl)
{
	while (!stop) {
		uint64_t now = now_ns();

		for (int p = 0; p < 2; p++) {
			reclaim(dl, p);
			receive(dl, p, now);
		}
		for (int d = 0; d < 2; d++)
			transmit(dl, d, now);
		wait_for_work(dl, now_ns());
	}
}

static void teardown(struct dl *dl)
{
	for (int p = 0; p < 2; p++)
		detach_port(&dl->port[p]);
	for (int p = 0; p < 2; p++)
		xsk_socket__delete(dl->port[p].xsk);
	xsk_umem__delete(dl->umem);
	if (dl->umem_area)
		munmap(dl->umem_area, dl->umem_size);
	for (int d = 0; d < 2; d++)
		free(dl->dir[d].fifo.slots);
}

/* Frames forwarded per direction, and those the kernel could not hand to
 * us (pool exhausted: the delay line's "buffer full" drops). */
static void print_counters(const struct dl *dl, int d)
{
	struct xdp_statistics xs = {};
	socklen_t len = sizeof(xs);

	getsockopt(xsk_socket__fd(dl->port[d].xsk), SOL_XDP, XDP_STATISTICS, &xs, &len);
	log_info("delayline: %s -> %s: %llu frames, %llu bytes, max queue %llu, dropped %llu "
		 "(rx ring full %llu, no free frame %llu)",
		 dl->port[d].ifname, dl->port[1 - d].ifname, (unsigned long long)dl->dir[d].frames,
		 (unsigned long long)dl->dir[d].bytes, (unsigned long long)dl->dir[d].max_depth,
		 (unsigned long long)xs.rx_dropped, (unsigned long long)xs.rx_ring_full,
		 (unsigned long long)xs.rx_fill_ring_empty_descs);
}

static int parse_delay(const char *text, uint64_t *ns)
{
	char *end;
	double ms;

	errno = 0;
	ms = strtod(text, &end);
	if (errno || end == text || *end || !(ms >= 0 && ms <= 1000)) {
		log_err("delay \"%s\": expected milliseconds in 0..1000", text);
		return -EINVAL;
	}
	*ns = (uint64_t)llround(ms * 1e6);
	return 0;
}

static int parse_frames(const char *text, uint32_t *frames)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);

	if (*end || v < 64 || v > (1UL << 20) || (v & (v - 1))) {
		log_err("frames \"%s\": expected a power of two in 64..1048576", text);
		return -EINVAL;
	}
	*frames = (uint32_t)v;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: mml-delayline [-n NETNS] [-d MS] [-D MS] [-f FRAMES] "
		     "[-r READY_FILE] DEV_A DEV_B\n");
}

static int parse_cmdline(struct dl *dl, int argc, char **argv, const char **netns,
			 const char **ready)
{
	bool back_set = false;
	int opt;

	while ((opt = getopt(argc, argv, "n:d:D:f:r:h")) != -1) {
		switch (opt) {
		case 'n':
			*netns = optarg;
			break;
		case 'd':
			if (parse_delay(optarg, &dl->dir[0].delay_ns))
				return -EINVAL;
			if (!back_set)
				dl->dir[1].delay_ns = dl->dir[0].delay_ns;
			break;
		case 'D':
			if (parse_delay(optarg, &dl->dir[1].delay_ns))
				return -EINVAL;
			back_set = true;
			break;
		case 'f':
			if (parse_frames(optarg, &dl->frames_per_dir))
				return -EINVAL;
			break;
		case 'r':
			*ready = optarg;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return -EINVAL;
	}
	dl->port[0].ifname = argv[optind];
	dl->port[1].ifname = argv[optind + 1];
	return 0;
}

static int setup(struct dl *dl)
{
	int err;

	for (int p = 0; p < 2; p++) {
		dl->port[p].ifindex = (int)if_nametoindex(dl->port[p].ifname);
		if (!dl->port[p].ifindex) {
			log_err("delayline: no interface %s", dl->port[p].ifname);
			return -ENODEV;
		}
		dl->dir[p].fifo.mask = dl->frames_per_dir - 1;
		dl->dir[p].fifo.slots = calloc(dl->frames_per_dir, sizeof(struct dl_frame));
		if (!dl->dir[p].fifo.slots)
			return -ENOMEM;
	}
	err = create_sockets(dl);
	if (!err)
		err = fill_pools(dl);
	for (int p = 0; p < 2 && !err; p++)
		err = attach_port(&dl->port[p]);
	return err;
}

static int touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fclose(f)) {
		log_err("delayline: cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct dl dl = { .frames_per_dir = 16384 };
	const char *netns = NULL, *ready = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	mml_log_open("mml-delayline", false, MML_LOG_INFO);
	mml_log_libbpf();
	if (parse_cmdline(&dl, argc, argv, &netns, &ready))
		return 2;
	if (netns && mml_netns_enter(netns))
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Wake-ups within microseconds of the due time, not the default 50 us. */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	err = setup(&dl);
	if (!err && ready)
		err = touch(ready);
	if (!err) {
		log_info("delayline: %s <-> %s, delay %.3f / %.3f ms, %u frames per direction",
			 dl.port[0].ifname, dl.port[1].ifname, (double)dl.dir[0].delay_ns / 1e6,
			 (double)dl.dir[1].delay_ns / 1e6, dl.frames_per_dir);
		run(&dl);
		for (int d = 0; d < 2; d++)
			print_counters(&dl, d);
	}
	teardown(&dl);
	return err ? 1 : 0;
}
