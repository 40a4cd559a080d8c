/* mmlworker --role fa (docs/snoop.md): options, the FA's pinned maps, the
 * AF_XDP sockets and the poll loop around worker/fa_snoop.c. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <systemd/sd-daemon.h>

#include "lib/args.h"
#include "lib/pin.h"
#include "lib/log.h"
#include "lib/snoop_cfg.h"
#include "maps/pin.h"
#include "worker/fa_snoop.h"
#include "worker/netlink.h"

#define FA_POLL_MAX_MS 100

static struct fa_worker fa;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&fa.stop, true);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mmlworker --role fa --port IFNAME [--port IFNAME ...]\n"
		   "                 [--node NAME] [--pin-root DIR] [-v]\n"
		   "  --port  the FA's wired and wireless interfaces (mmlctl fa attach ...\n"
		   "          snoop on): downlink data and duplicate ACKs arrive there\n");
}

/* name: an interface (its index checked by --port's validator). */
static int port_add(const char *name, uint32_t ifindex)
{
	struct ep_port *p = &fa.ports[fa.nports];

	if (fa.nports == MML_XSK_PORTS)
		return -E2BIG;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ifindex = (int)ifindex;
	p->mtu = 1500;
	p->slot = (uint32_t)fa.nports++;
	return ep_link_mac(name, p->mac);
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'n' },
		{ "pin-root", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const roles[] = { "fa", NULL };
	const char *root = NULL, *name = "fa";
	uint32_t ifindex;
	int role;
	struct mml_opt role_opt = {
		.name = "--role", .type = MML_OPT_CHOICE, .dst = &role, .choices = roles
	};
	struct mml_opt port_opt = { .name = "--port", .type = MML_OPT_IFNAME, .dst = &ifindex };
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (mml_opt_value("mmlworker", &role_opt, optarg))
				goto bad_usage;
			break;
		case 'p':
			if (mml_opt_value("mmlworker", &port_opt, optarg))
				goto bad_usage;
			err = port_add(optarg, ifindex);
			if (err)
				return err;
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			root = optarg;
			break;
		case 'v':
			mml_log_set_level(MML_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad_usage;
		}
	}
	if (!fa.nports)
		goto bad_usage;
	return mml_pin_dir_setup(&fa.pin, root, name);
bad_usage:
	usage(stderr);
	return -EINVAL;
}

/* A previous worker's connections: its cache went with it. */
static void clear_map(int fd)
{
	struct mml_snoop_key key, next;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

static int open_maps(void)
{
	struct {
		int *fd;
		const char *name;
	} maps[] = {
		{ &fa.xsks_fd, MML_MAP_XSKS },		 { &fa.slot_fd, MML_MAP_XSK_SLOT },
		{ &fa.cfg_fd, MML_MAP_SNOOP_CFG },	 { &fa.conn_fd, MML_MAP_SNOOP },
		{ &fa.ack_fd, MML_MAP_SNOOP_ACK },	 { &fa.stats_fd, MML_MAP_SNOOP_STATS },
		{ &fa.events_fd, MML_MAP_SNOOP_EVENTS }, { &fa.csa_fd, MML_MAP_CSA },
	};
	size_t slen = MML_SNOOP_STATS_CAP * sizeof(uint64_t);
	void *stats;
	int err;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		*maps[i].fd = mml_pin_open_map(fa.pin.path, maps[i].name, 0, 0);
		if (*maps[i].fd < 0) {
			log_err("map %s/%s: %s (attach the FA programs first: mmlctl fa attach)",
				fa.pin.path, maps[i].name, strerror(-*maps[i].fd));
			return *maps[i].fd;
		}
	}
	stats = mmap(NULL, slen, PROT_READ | PROT_WRITE, MAP_SHARED, fa.stats_fd, 0);
	if (stats == MAP_FAILED) {
		log_err("mmap %s: %s", MML_MAP_SNOOP_STATS, strerror(errno));
		return -errno;
	}
	fa.stats = stats;
	memset(stats, 0, slen);
	err = mml_snoop_cfg_read(fa.cfg_fd, &fa.cfg);
	if (!err && !fa.cfg.gen)
		mml_snoop_cfg_default(&fa.cfg);
	if (err) {
		log_err("%s: %s", MML_MAP_SNOOP_CFG, strerror(-err));
		return err;
	}
	clear_map(fa.ack_fd);
	clear_map(fa.conn_fd);
	for (int p = 0; p < fa.nports; p++) {
		__u32 ifindex = (__u32)fa.ports[p].ifindex;

		if (bpf_map_update_elem(fa.slot_fd, &ifindex, &fa.ports[p].slot, BPF_ANY)) {
			log_err("%s: %s", MML_MAP_XSK_SLOT, strerror(errno));
			return -errno;
		}
	}
	fa.events = ring_buffer__new(fa.events_fd, fa_event_cb, &fa, NULL);
	if (!fa.events) {
		log_err("%s: %s", MML_MAP_SNOOP_EVENTS, strerror(errno));
		return -errno;
	}
	return 0;
}

static int poll_timeout_ms(uint64_t next, uint64_t now)
{
	uint64_t ms;

	if (!next)
		return FA_POLL_MAX_MS;
	if (next <= now)
		return 0;
	ms = (next - now + 999999) / 1000000;
	return ms > FA_POLL_MAX_MS ? FA_POLL_MAX_MS : (int)ms;
}

/* The descriptors of every port are taken before the ring buffer is read:
 * the new-ACK event of an ACK that XDP passed before a duplicate of it is
 * then always consumed before that duplicate is processed. */
static bool rx_all(uint64_t now)
{
	uint32_t idx[MML_XSK_PORTS], n[MML_XSK_PORTS];
	bool busy = false;

	for (int p = 0; p < fa.umem.nports; p++)
		n[p] = xsk_ring_cons__peek(&fa.umem.xsk[p].rx, EP_BATCH, &idx[p]);
	ring_buffer__consume(fa.events);
	for (int p = 0; p < fa.umem.nports; p++) {
		struct ep_xsk *x = &fa.umem.xsk[p];

		for (uint32_t i = 0; i < n[p]; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx[p] + i);

			if (!fa_rx_frame(&fa, d->addr, ep_frame(&fa.umem, d->addr), d->len, now))
				ep_frame_free(&fa.umem, d->addr);
		}
		xsk_ring_cons__release(&x->rx, n[p]);
		busy |= n[p] > 0;
	}
	return busy;
}

static void run(void)
{
	struct pollfd pfd[MML_XSK_PORTS + 1];
	int np = 0;
	uint64_t next = 0;
	bool busy = false;

	for (int p = 0; p < fa.umem.nports; p++)
		pfd[np++] = (struct pollfd){ .fd = fa.umem.xsk[p].fd, .events = POLLIN };
	pfd[np++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(fa.events), .events = POLLIN };
	while (!atomic_load_explicit(&fa.stop, memory_order_relaxed)) {
		uint64_t now = fa_now_ns();

		if (!busy && poll(pfd, (nfds_t)np, poll_timeout_ms(next, now)) < 0 &&
		    errno != EINTR)
			break;
		now = fa_now_ns();
		busy = rx_all(now);
		next = fa_worker_housekeeping(&fa, now);
		ep_umem_service(&fa.umem);
	}
}

int fa_main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	bool umem_open = false, started = false;
	int err;

	fa.xsks_fd = fa.slot_fd = fa.cfg_fd = fa.conn_fd = fa.ack_fd = fa.stats_fd = -1;
	fa.events_fd = fa.csa_fd = -1;
	err = parse_args(argc, argv);
	if (!err)
		err = open_maps();
	if (err)
		goto out;
	err = ep_umem_open(&fa.umem, fa.ports, fa.nports, 0, fa.xsks_fd);
	umem_open = true;
	if (!err)
		err = fa_worker_start(&fa);
	if (err)
		goto out;
	started = true;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("FA worker running: %d port(s), SNOOP %s, %u segments x %u connections", fa.nports,
		 fa.cfg.enabled ? "on" : "off (mmlctl snoop set enabled on)", fa.cfg.max_segs,
		 fa.cfg.max_conns);
	sd_notifyf(0, "READY=1\nSTATUS=FA worker: %d port(s), SNOOP %s", fa.nports,
		   fa.cfg.enabled ? "on" : "off");
	run();
out:
	if (started)
		fa_worker_stop(&fa);
	if (umem_open)
		ep_umem_close(&fa.umem, fa.ports, 0, fa.xsks_fd);
	ring_buffer__free(fa.events);
	return err ? 1 : 0;
}
