/* mmlworker: the endpoint data plane of an HA or an MH (DESIGN.md 4,
 * docs/endpoints.md). One process per node, one thread per queue; keys,
 * bindings and flow modes come from the node's pinned maps and are
 * followed while running. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <systemd/sd-daemon.h>

#include "lib/args.h"
#include "lib/pin.h"
#include "lib/log.h"
#include "lib/version.h"
#include "maps/pin.h"
#include "worker/fa_snoop.h"
#include "worker/worker.h"

static struct ep_node node;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&node.stop, true);
}

/* Prefix of option errors (lib/args.c's validators quote the token). */
#define ARG_CTX "mmlworker"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmlworker --role ha|mh --port IFNAME [--port IFNAME ...]\n"
		"                 [--node NAME] [--pin-root DIR] [--tun NAME] [--mtu N]\n"
		"                 [--home ADDR] [--queues N] [--no-gro] [-v]\n"
		"  --port    interface whose XDP program (mmlctl ha|mh attach) feeds the worker;\n"
		"            the HA needs its correspondent-side and FA-side interfaces\n"
		"  --tun     TUN device to create (default mml0): the stack's side\n"
		"  --mtu     its MTU (default 1400: inner packets that fit the tunnels)\n"
		"  --home    MH: the home address, put on the TUN device\n"
		"  --no-gro  write each TCP segment to the TUN device alone (default: coalesce\n"
		"            consecutive segments of a connection into one super-packet)\n"
		"mmlworker --role fa ...: the FA's SNOOP worker (mmlworker --role fa --help)\n"
		"mmlworker --version\n");
}

/* name: an interface (its index checked by --port's validator). */
static int port_add(const char *name, uint32_t ifindex)
{
	struct ep_port *p = &node.ports[node.nports];
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	if (node.nports == MML_XSK_PORTS)
		return -E2BIG;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ifindex = (int)ifindex;
	err = ep_link_mac(name, p->mac);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (fd >= 0 && !ioctl(fd, SIOCGIFMTU, &ifr))
		p->mtu = (unsigned int)ifr.ifr_mtu;
	else
		p->mtu = 1500;
	if (fd >= 0)
		close(fd);
	p->slot = (uint32_t)node.nports++;
	return err;
}

/* A thread per queue: at most one per XSK queue and MML_WORKER_THREADS_MAX. */
static bool queues_ok(uint32_t n, const char *tok)
{
	uint32_t max =
		MML_XSK_QUEUES < MML_WORKER_THREADS_MAX ? MML_XSK_QUEUES : MML_WORKER_THREADS_MAX;

	if (n >= 1 && n <= max)
		return true;
	log_err("%s: \"%s\": --queues must be 1..%u", ARG_CTX, tok, max);
	return false;
}

/* The options with a value, in the order of vals[] in parse_args. */
enum { ARG_ROLE, ARG_PORT, ARG_MTU, ARG_HOME, ARG_QUEUES, ARG_VALUED };

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, ARG_ROLE },
		{ "port", required_argument, NULL, ARG_PORT },
		{ "node", required_argument, NULL, 'n' },
		{ "pin-root", required_argument, NULL, 'P' },
		{ "tun", required_argument, NULL, 't' },
		{ "mtu", required_argument, NULL, ARG_MTU },
		{ "home", required_argument, NULL, ARG_HOME },
		{ "queues", required_argument, NULL, ARG_QUEUES },
		{ "no-gro", no_argument, NULL, 'G' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const roles[] = { "ha", "mh", NULL };
	const char *root = NULL, *name = NULL;
	uint32_t ifindex, nqueues = 1;
	int c, role = 0, err;
	struct mml_opt vals[ARG_VALUED] = {
		[ARG_ROLE] = { "--role", MML_OPT_CHOICE, &role, roles },
		[ARG_PORT] = { "--port", MML_OPT_IFNAME, &ifindex },
		[ARG_MTU] = { "--mtu", MML_OPT_U32, &node.tun_mtu },
		[ARG_HOME] = { "--home", MML_OPT_IPV4, &node.home_addr },
		[ARG_QUEUES] = { "--queues", MML_OPT_U32, &nqueues },
	};

	snprintf(node.tun_name, sizeof(node.tun_name), "mml0");
	node.tun_mtu = 1400;
	node.gro = true;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if (c >= 0 && c < ARG_VALUED && mml_opt_value(ARG_CTX, &vals[c], optarg))
			goto bad_usage;
		switch (c) {
		case ARG_ROLE:
			node.role = role ? EP_ROLE_MH : EP_ROLE_HA;
			break;
		case ARG_PORT:
			err = port_add(optarg, ifindex);
			if (err)
				return err;
			break;
		case ARG_MTU:
		case ARG_HOME:
			break;
		case ARG_QUEUES:
			if (!queues_ok(nqueues, optarg))
				goto bad_usage;
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			root = optarg;
			break;
		case 't':
			snprintf(node.tun_name, sizeof(node.tun_name), "%s", optarg);
			break;
		case 'G':
			node.gro = false;
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
	node.nqueues = (int)nqueues;
	if (!node.role || !node.nports || (node.role == EP_ROLE_MH && !node.home_addr))
		goto bad_usage;
	if (!name)
		name = node.role == EP_ROLE_HA ? "ha" : "mh";
	return mml_pin_dir_setup(&node.pin, root, name);
bad_usage:
	usage(stderr);
	return -EINVAL;
}

static uint32_t map_capacity(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.max_entries : 0;
}

static int open_maps(void)
{
	/* The maps whose layout changed with issue 18 are checked: a worker
	 * must not number packets by fingerprint in a map keyed by SPI. */
	struct {
		int *fd;
		const char *name;
		uint32_t key_size, value_size; /* 0: not checked */
	} maps[] = {
		{ &node.csa_fd, MML_MAP_CSA, 0, 0 },
		{ &node.binding_fd, MML_MAP_BINDING, 0, 0 },
		{ &node.flow_fd, MML_MAP_FLOW, 0, 0 },
		{ &node.flow_shapes_fd, MML_MAP_FLOW_SHAPES, sizeof(__u32),
		  sizeof(struct mml_flow_shapes) },
		{ &node.flow_dscp_fd, MML_MAP_FLOW_DSCP, sizeof(__u32), sizeof(struct mml_flow) },
		{ &node.xsks_fd, MML_MAP_XSKS, 0, 0 },
		{ &node.slot_fd, MML_MAP_XSK_SLOT, 0, 0 },
		{ &node.hwm_fd, MML_MAP_SEQ_HWM, sizeof(struct mml_key_fp),
		  sizeof(struct mml_seq_hwm) },
		{ &node.gen_fd, MML_MAP_GEN, 0, 0 },
		{ &node.wstats_fd, MML_MAP_WSTATS, 0, 0 },
		{ &node.rx_mark_fd, MML_MAP_RX_MARK, sizeof(__u32), sizeof(__u64) },
		{ &node.rekey_fd, MML_MAP_REKEY, sizeof(__u32), sizeof(struct mml_rekey) },
		{ &node.flow_ctr_fd, MML_MAP_FLOW_CTR, sizeof(__u32), sizeof(struct mml_flow_ctr) },
	};
	size_t mlen;
	size_t wlen = MML_WSTATS_ENTRIES * sizeof(uint64_t);

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		*maps[i].fd = mml_pin_open_map(node.pin.path, maps[i].name, maps[i].key_size,
					       maps[i].value_size);
		if (*maps[i].fd < 0) {
			log_err("map %s/%s: %s (%s the %s programs first: mmlctl %s %s)",
				node.pin.path, maps[i].name, strerror(-*maps[i].fd),
				*maps[i].fd == -EPROTO ? "re-attach" : "attach",
				node.role == EP_ROLE_HA ? "HA" : "MH",
				node.role == EP_ROLE_HA ? "ha" : "mh",
				*maps[i].fd == -EPROTO ? "detach, then attach" : "attach");
			return *maps[i].fd;
		}
	}
	node.gen = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, node.gen_fd, 0);
	node.wstats = mmap(NULL, wlen, PROT_READ | PROT_WRITE, MAP_SHARED, node.wstats_fd, 0);
	/* As many marks as the map was sized for at attach (csa-max). */
	node.nmarks = map_capacity(node.rx_mark_fd) * 8 / sizeof(struct mml_rx_mark);
	mlen = node.nmarks * sizeof(struct mml_rx_mark);
	node.rx_marks = node.nmarks ? mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED,
					   node.rx_mark_fd, 0) :
				      MAP_FAILED;
	if (node.gen == MAP_FAILED || node.wstats == MAP_FAILED || node.rx_marks == MAP_FAILED) {
		log_err("mmap mml_gen/mml_wstats/mml_rx_mark: %s", strerror(errno));
		return -errno;
	}
	for (int p = 0; p < node.nports; p++) {
		__u32 ifindex = (__u32)node.ports[p].ifindex;

		if (bpf_map_update_elem(node.slot_fd, &ifindex, &node.ports[p].slot, BPF_ANY)) {
			log_err("mml_xsk_slot: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int tun_setup(struct ep_thread *threads)
{
	struct ep_nl nl;
	int err;

	for (int q = 0; q < node.nqueues; q++) {
		threads[q].tun_fd = ep_tun_open(node.tun_name);
		if (threads[q].tun_fd < 0)
			return threads[q].tun_fd;
	}
	err = ep_link_setup(node.tun_name, node.tun_mtu);
	if (err || node.role != EP_ROLE_MH)
		return err;
	err = ep_nl_open(&nl, false);
	if (err)
		return err;
	err = ep_nl_addr_add(&nl, (int)if_nametoindex(node.tun_name), node.home_addr, 32);
	ep_nl_close(&nl);
	return err;
}

static int thread_start(struct ep_thread *t, int q)
{
	int err;

	t->node = &node;
	t->idx = q;
	t->queue = (uint32_t)q;
	t->stats = node.wstats + (size_t)q * MML_STATS_CAP;
	for (int i = 0; i < EP_HOPS; i++)
		t->hops[i].port = -1;
	ep_sacache_init(&t->tab.sas, &node.seqs);
	t->tab.flows.ctrs = &node.flowctr;
	t->tab.learn = ep_flow_learned;
	t->tab.learn_ctx = t;
	t->tab.ip_id = (uint16_t)(getpid() + q * 8191);
	err = ep_nl_open(&t->nl, true);
	if (!err)
		err = ep_umem_open(&t->umem, node.ports, node.nports, t->queue, node.xsks_fd);
	if (!err)
		err = -pthread_create(&t->tid, NULL, ep_thread_main, t);
	return err;
}

static void thread_cleanup(struct ep_thread *t)
{
	ep_umem_close(&t->umem, node.ports, t->queue, node.xsks_fd);
	ep_sacache_free(&t->tab.sas);
	ep_flowtab_free(&t->tab.flows);
	ep_bindtab_free(&t->tab.binds);
	free(t->routed);
	ep_nl_close(&t->nl);
	if (t->tun_fd >= 0)
		close(t->tun_fd);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct ep_thread *threads = NULL;
	int err, started = 0;

	if (mml_version_requested(argc, argv, "mmlworker"))
		return 0;
	mml_log_open("mmlworker", false, MML_LOG_INFO);
	mml_log_libbpf();
	/* The FA's SNOOP worker is a role of its own (worker/fa_main.c). */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--role") && !strcmp(argv[i + 1], "fa"))
			return fa_main(argc, argv);
	err = parse_args(argc, argv);
	if (err)
		goto out;
	err = open_maps();
	if (err)
		goto out;
	/* Room for a key per CSA the node can hold (its map's capacity). */
	err = ep_seqstore_init_cap(&node.seqs, map_capacity(node.csa_fd), node.hwm_fd,
				   node.rx_marks, node.nmarks);
	node.seqs.rekey_fd = node.rekey_fd;
	/* The counters of every flow entry, shared with the node's other
	 * workers and read by mmlctl (as many slots as sized at attach). */
	if (!err) {
		err = mml_flow_ctrs_map(&node.flowctr, node.flow_ctr_fd, true);
		if (err)
			log_err("mmap %s: %s", MML_MAP_FLOW_CTR, strerror(-err));
	}
	if (err)
		goto out;
	threads = calloc((size_t)node.nqueues, sizeof(*threads));
	if (!threads) {
		err = -ENOMEM;
		goto out;
	}
	for (int q = 0; q < node.nqueues; q++)
		threads[q].tun_fd = -1;
	err = tun_setup(threads);
	if (err)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (; started < node.nqueues; started++) {
		err = thread_start(&threads[started], started);
		if (err) {
			log_err("worker thread %d: %s", started, strerror(-err));
			break;
		}
	}
	if (!err) {
		log_info("%s worker running: %d port(s), %d queue(s), TUN %s",
			 node.role == EP_ROLE_HA ? "HA" : "MH", node.nports, node.nqueues,
			 node.tun_name);
		/* Type=notify (dist/systemd/mmlworker@.service): the sockets are
		 * in mml_xsks and the TUN device is up. */
		sd_notifyf(0, "READY=1\nSTATUS=%s worker: %d port(s), %d queue(s), TUN %s",
			   node.role == EP_ROLE_HA ? "HA" : "MH", node.nports, node.nqueues,
			   node.tun_name);
	}
	if (err)
		atomic_store(&node.stop, true);
	for (int q = 0; q < started; q++)
		pthread_join(threads[q].tid, NULL);
out:
	if (threads) {
		for (int q = 0; q < node.nqueues; q++)
			thread_cleanup(&threads[q]);
		free(threads);
	}
	mml_flow_ctrs_unmap(&node.flowctr);
	return err ? 1 : 0;
}
