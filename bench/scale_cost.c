/* bench-scale-cost (issue 20, bench/scale.sh): the per-packet cost of the
 * two data-plane paths that look a mobile up, with N mobiles' entries
 * against one, measured in the same run and printed as ratios.
 *
 *   FA: the XDP zone-1 path (fa_test's bench_fa_down wrapper around the
 *   real fa_down, BPF_PROG_TEST_RUN with repeat, as bench/fa-bench.c) on
 *   one ML-ESP frame. "1": maps holding that mobile's visitor and CSA;
 *   "N": a second object whose maps hold N visitors and 2N zone-1 CSAs
 *   (every mobile at this one FA, both directions). The two are timed in
 *   alternation, runs times each; medians.
 *
 *   HA worker: the encapsulation of worker/proto.c as bench/ep_cost.c
 *   times it (binding lookup, flow lookup, ML-ESP protect, tunnel
 *   headers), tables of 1 mobile against N (N bindings, 2N CSAs with their
 *   own keys and OpenSSL contexts, N IKE-bypass flows as mmlkeyd installs
 *   them); with N, one mobile's packets ("same") and packets to every
 *   mobile in turn ("spread": each packet a different binding, SA and key
 *   schedule, the cache-cold case). Best of rounds.
 *
 * Also prints the worker's memory per CSA (RSS before and after loading
 * the 2N CSAs into its SA cache).
 *
 *   bench-scale-cost [-n N] [-r RUNS] [-R REPEAT] [-c CPU] */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "lib/mlesp.h"
#include "maps/fa.h"
#include "maps/visitor.h"
#include "tests/bpf/fa-netns.h"
#include "tests/bpf/fa-packets.h"
#include "tests/bpf/fa_test.h"
#include "worker/pkt.h"
#include "worker/proto.h"
#include "fa_test.skel.h" /* after maps/: it names their types */

#define XDP_REDIRECT 4
#define SPI_BASE 0x00100000u
#define HOME_BASE 0x0ac80001u /* 10.200.0.1 */
#define Z1_LEN 40
#define INNER 576
#define FRAME 2048

struct opts {
	unsigned int n, runs, repeat, cpu;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Mobile i's CSA in direction dir (its own keys: a key per SA, as IKE
 * derives them). */
static struct mml_csa csa_of(unsigned int i, uint8_t dir)
{
	struct mml_csa c = { .spi = SPI_BASE + 2 * i + (dir == MML_DIR_IN),
			     .format = MML_FMT_MLESP,
			     .dir = dir,
			     .z1_len = Z1_LEN,
			     .replay_window = 4096,
			     .add_time_ns = 1 };

	for (int z = 0; z < MML_ZONES; z++) {
		c.zone[z].alg = MML_ALG_CHACHA20_POLY1305;
		for (int b = 0; b < MML_KEY_LEN; b++)
			c.zone[z].key[b] = (uint8_t)(i * 7 + (unsigned int)b * 13 +
						     (unsigned int)z * 101 + dir);
		put_be32(c.zone[z].key, i);
		c.zone[z].key[4] = (uint8_t)(z * 2 + dir);
		memset(c.zone[z].salt, 0x22 * (z + 1) + dir, MML_SALT_LEN);
	}
	return c;
}

static uint32_t home_of(unsigned int i)
{
	return htonl(HOME_BASE + i);
}

/* The kernel's accounting of a map's memory (fdinfo "memlock", what
 * bpftool prints as bytes_memlock): for the maps without preallocation
 * (mml_csa, mml_visitor, mml_binding) it grows with the entries. */
static long map_memlock(int fd)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* --- FA --- */

static struct fa_netns bench_ns;

static int fa_time(int prog_fd, const struct frame *f, unsigned int repeat, double *ns)
{
	struct xdp_md ctx = { .data_end = (uint32_t)f->len,
			      .ingress_ifindex = (uint32_t)bench_ns.wired_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (uint32_t)f->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if (opts.retval != XDP_REDIRECT) {
		log_err("bench frame got verdict %u, not a redirect", opts.retval);
		return -EINVAL;
	}
	*ns = (double)opts.duration;
	return 0;
}

/* An FA object whose maps hold mobiles [0, n): visitor and both zone-1
 * CSAs each (mobile 0 is the one the frame is for). */
static struct fa_test *fa_load(unsigned int n, uint32_t ha)
{
	struct mml_fa_cfg cfg = { .coa = bench_ns.coa };
	struct bpf_devmap_val port = { .ifindex = 1 };
	struct fa_test *skel = fa_test__open();
	uint32_t lo = 1;

	if (!skel)
		return NULL;
	skel->rodata->fa_cfg = cfg;
	if (bpf_map__set_max_entries(skel->maps.mml_visitor, n + 16) ||
	    bpf_map__set_max_entries(skel->maps.mml_csa, 2 * n + 16) || fa_test__load(skel) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.mml_ports), &lo, &port, 0))
		goto fail;
	for (unsigned int i = 0; i < n; i++) {
		struct mml_visitor v = { .ha_addr = ha, .ifindex = 1 };
		uint32_t home = home_of(i);

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.mml_visitor), &home, &v, 0))
			goto fail;
		for (uint8_t d = MML_DIR_IN; d <= MML_DIR_OUT; d++) {
			struct mml_csa c = csa_of(i, d);

			c.dir = MML_DIR_FWD;
			memset(&c.zone[1], 0, sizeof(c.zone[1]));
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.mml_csa), &c.spi, &c, 0))
				goto fail;
		}
	}
	return skel;
fail:
	log_err("FA maps for %u mobiles: %s", n, strerror(errno));
	fa_test__destroy(skel);
	return NULL;
}

static int bench_fa(const struct opts *o)
{
	static const struct tcp_fields tcp = { 5001, 40000, 1, 1, 0x10, 1000 };
	uint8_t inner[FRAME_MAX], esp[FRAME_MAX];
	struct mml_csa out = csa_of(0, MML_DIR_OUT);
	double t1[64], tn[64];
	struct fa_test *one = NULL, *many = NULL;
	struct mml_sa sa = { 0 };
	struct frame f;
	char why[128];
	unsigned int runs = o->runs < 64 ? o->runs : 64;
	int err = -1;
	long n;

	if (fa_netns_setup(&bench_ns)) {
		log_err("no private netns with the FA's links");
		return -1;
	}
	if (mml_sa_init(&sa, &out, why, sizeof(why))) {
		log_err("SA: %s", why);
		return -1;
	}
	build_inner(inner, INNER, ip4("10.20.0.9"), home_of(0), &tcp);
	n = build_mlesp(esp, sizeof(esp), &sa, 1, bench_ns.ha_addr, home_of(0), inner, INNER);
	if (n < 0)
		goto out;
	build_tunnel(&f, bench_ns.wired_mac, bench_ns.ha_mac, bench_ns.ha_addr, bench_ns.coa, esp,
		     (size_t)n);
	one = fa_load(1, bench_ns.ha_addr);
	many = fa_load(o->n, bench_ns.ha_addr);
	if (!one || !many)
		goto out;
	for (unsigned int r = 0; r < runs; r++)
		if (fa_time(bpf_program__fd(one->progs.bench_fa_down), &f, o->repeat, &t1[r]) ||
		    fa_time(bpf_program__fd(many->progs.bench_fa_down), &f, o->repeat, &tn[r]))
			goto out;
	qsort(t1, runs, sizeof(double), cmp_double);
	qsort(tn, runs, sizeof(double), cmp_double);
	printf("FA XDP zone-1 path (%u B inner, BPF_PROG_TEST_RUN x%u, median of %u): "
	       "1 mobile %.1f ns, %u visitors + %u CSAs %.1f ns, ratio %.3f (target <= 1.1)\n",
	       INNER, o->repeat, runs, t1[runs / 2], o->n, 2 * o->n, tn[runs / 2],
	       tn[runs / 2] / t1[runs / 2]);
	printf("BPF map memory per entry (kernel accounting, %u entries against 1): mml_csa %.0f "
	       "B per CSA, mml_visitor %.0f B per visitor\n",
	       o->n,
	       (double)(map_memlock(bpf_map__fd(many->maps.mml_csa)) -
			map_memlock(bpf_map__fd(one->maps.mml_csa))) /
		       (2.0 * o->n - 2),
	       (double)(map_memlock(bpf_map__fd(many->maps.mml_visitor)) -
			map_memlock(bpf_map__fd(one->maps.mml_visitor))) /
		       (o->n - 1.0));
	err = 0;
out:
	fa_test__destroy(one);
	fa_test__destroy(many);
	mml_sa_free(&sa);
	return err;
}

/* --- HA worker --- */

struct side {
	struct ep_seqstore store;
	struct ep_tables t;
};

/* The HA's tables for mobiles [0, n). */
static int side_init(struct side *s, unsigned int n, long *csa_bytes)
{
	struct mml_binding *bs = calloc(n, sizeof(*bs));
	struct mml_flow_key *keys = calloc(n + 1, sizeof(*keys));
	struct mml_flow *flows = calloc(n + 1, sizeof(*flows));
	struct mml_csa *csas = calloc(2 * (size_t)n, sizeof(*csas));
	uint32_t *homes = calloc(n, sizeof(*homes));
	long before;
	double t0;
	int err = -ENOMEM;

	memset(s, 0, sizeof(*s));
	if (!bs || !keys || !flows || !csas || !homes)
		goto out;
	if (ep_seqstore_init_cap(&s->store, 2 * n, -1, NULL, 0))
		goto out;
	ep_sacache_init(&s->t.sas, &s->store);
	for (unsigned int i = 0; i < n; i++) {
		homes[i] = home_of(i);
		csas[2 * i] = csa_of(i, MML_DIR_OUT);
		csas[2 * i + 1] = csa_of(i, MML_DIR_IN);
		bs[i] = (struct mml_binding){ .ha_addr = htonl(0x0a640001),
					      .coa = htonl(0x0a640101) };
		bs[i].spi_out[MML_MODE_MLESP] = csas[2 * i].spi;
		bs[i].spi_in[MML_MODE_MLESP] = csas[2 * i + 1].spi;
		/* mmlkeyd's IKE bypass, one per mobile (keyd/ike/ike_install.c) */
		keys[i + 1] = (struct mml_flow_key){ .home_addr = homes[i],
						     .peer_addr = htonl(0x0a640001),
						     .home_port = 500,
						     .peer_port = 500,
						     .proto = 17 };
		flows[i + 1].mode = MML_MODE_PLAIN;
	}
	flows[0].mode = MML_MODE_MLESP; /* the default: the binding's strongest */
	before = rss_kb();
	t0 = now_ns();
	/* The loaders return how many entries they took. */
	err = ep_sacache_load(&s->t.sas, csas, 2 * n) == (int)(2 * n) ? 0 : -EINVAL;
	if (csa_bytes) {
		*csa_bytes = (rss_kb() - before) * 1024;
		printf("HA worker: %u CSAs into its SA cache in %.1f ms\n", 2 * n,
		       (now_ns() - t0) / 1e6);
	}
	if (!err && ep_bindtab_load(&s->t.binds, homes, bs, n) != (int)n)
		err = -EINVAL;
	if (!err && ep_flowtab_load(&s->t.flows, keys, flows, n + 1) != (int)(n + 1))
		err = -EINVAL;
out:
	free(bs);
	free(keys);
	free(flows);
	free(homes);
	if (csas)
		memset(csas, 0, 2 * (size_t)n * sizeof(*csas));
	free(csas);
	return err;
}

static void side_free(struct side *s)
{
	ep_sacache_free(&s->t.sas);
	ep_flowtab_free(&s->t.flows);
	ep_bindtab_free(&s->t.binds);
	ep_seqstore_free(&s->store);
}

static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };

/* One downlink packet to home, as worker/loop.c's ha_down + send. */
static void ha_encap(struct side *s, uint8_t *rx, uint32_t home, uint8_t *tx)
{
	const struct mml_binding *b;
	unsigned int stat;
	struct ep_ip ip;
	ssize_t n;

	memcpy(rx + EP_ETH_HLEN + 16, &home, 4);
	rx[EP_ETH_HLEN + 8] = 64;
	put_be16(rx + EP_ETH_HLEN + 10, 0);
	put_be16(rx + EP_ETH_HLEN + 10, inet_csum(rx + EP_ETH_HLEN, 20));
	if (ep_ip_parse(rx + EP_ETH_HLEN, INNER, &ip))
		abort();
	b = ep_binding_get(&s->t.binds, ip.daddr);
	if (!b || ep_ip_ttl_dec(rx + EP_ETH_HLEN))
		abort();
	n = ep_protect(&s->t, EP_SIDE_HA, b, rx + EP_ETH_HLEN, ip.tot, tx + 34, FRAME - 34, &stat);
	if (n < 0)
		abort();
	inet_ip4_write(tx + 14, b->ha_addr, b->coa, EP_PROTO_IPIP, (uint16_t)(n + 20), tx[35], 1,
		       false, EP_TTL);
	ep_eth_write(tx, mac, mac);
}

/* Best over rounds of the mean per packet; mobiles 0..spread-1 in turn. */
static double time_encap(struct side *s, uint8_t *rx, unsigned int spread, unsigned int packets,
			 unsigned int rounds)
{
	static uint8_t tx[FRAME];
	double best = 1e18;

	for (unsigned int r = 0; r < rounds; r++) {
		double t0 = now_ns(), t;

		for (unsigned int i = 0; i < packets; i++)
			ha_encap(s, rx, home_of(i % spread), tx);
		t = (now_ns() - t0) / packets;
		best = t < best ? t : best;
	}
	return best;
}

static int bench_ha(const struct opts *o)
{
	static uint8_t rx[FRAME];
	struct side one, many;
	unsigned int packets = o->n > 20000 ? o->n : 20000;
	double t1 = 1e18, ts = 1e18, tspread = 1e18, t1spread = 1e18;
	long csa_bytes = 0;

	if (side_init(&one, 1, NULL) || side_init(&many, o->n, &csa_bytes)) {
		log_err("worker tables for %u mobiles", o->n);
		return -1;
	}
	ep_eth_write(rx, mac, mac);
	memset(rx + EP_ETH_HLEN, 0xa5, INNER);
	inet_ip4_write(rx + EP_ETH_HLEN, htonl(0x0a140009), home_of(0), EP_PROTO_TCP, INNER, 0, 1,
		       true, EP_TTL);
	put_be16(rx + EP_ETH_HLEN + 20, 5001);
	put_be16(rx + EP_ETH_HLEN + 22, 40000);
	/* Alternating, so that both see the same machine. */
	for (unsigned int r = 0; r < o->runs / 2 + 1; r++) {
		double a = time_encap(&one, rx, 1, packets, 1);
		double b = time_encap(&many, rx, 1, packets, 1);
		double c = time_encap(&many, rx, o->n, packets, 1);

		t1 = a < t1 ? a : t1;
		ts = b < ts ? b : ts;
		tspread = c < tspread ? c : tspread;
	}
	t1spread = t1; /* one mobile: spreading is the same packet */
	printf("HA worker ML-ESP encapsulation (%u B inner, best of %u rounds of %u packets): "
	       "1 mobile %.0f ns; %u mobiles, same mobile %.0f ns, ratio %.3f (target <= 1.1); "
	       "%u mobiles, every packet another mobile %.0f ns, ratio %.3f\n",
	       INNER, o->runs / 2 + 1, packets, t1, o->n, ts, ts / t1, o->n, tspread,
	       tspread / t1spread);
	printf("HA worker memory: %.0f B per CSA in its SA cache (RSS delta over %u CSAs)\n",
	       (double)csa_bytes / (2.0 * o->n), 2 * o->n);
	side_free(&one);
	side_free(&many);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 10000, .runs = 9, .repeat = 200000, .cpu = 1 };
	cpu_set_t set;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:R:c:")) != -1) {
		switch (opt) {
		case 'n':
			o.n = (unsigned int)atoi(optarg);
			break;
		case 'r':
			o.runs = (unsigned int)atoi(optarg);
			break;
		case 'R':
			o.repeat = (unsigned int)atoi(optarg);
			break;
		case 'c':
			o.cpu = (unsigned int)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: bench-scale-cost [-n N] [-r RUNS] [-R REPEAT] [-c CPU]\n");
			return 2;
		}
	}
	if (!o.n || o.n > 1000000 || !o.runs || !o.repeat)
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "bench-scale-cost: needs root to load BPF programs\n");
		return 77;
	}
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		log_warn("cannot pin to CPU %u: %s", o.cpu, strerror(errno));
	mml_log_libbpf();
	if (bench_ha(&o) || bench_fa(&o))
		return 1;
	return 0;
}
