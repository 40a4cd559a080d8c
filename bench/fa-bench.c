/* fa-bench: the FA's XDP data plane on one core with BPF_PROG_TEST_RUN
 * (repeat mode), ML-ESP zone-1 path vs plain IP-in-IP decap of the same
 * code, against one OpenSSL ChaCha20-Poly1305 seal of the same zone-1 size
 * (EVP context set up once, only the nonce changes per call).
 *
 * The programs are fa_test's bench wrappers: the real fa_down worker, then
 * the frame put back so that the next repetition sees the same packet
 * (bench_restore_only measures that harness alone, bench_empty the test
 * run's own per-packet call; the table shows both the raw average and the
 * program's time without the harness).
 *
 * usage: fa-bench [-n REPEAT] [-r RUNS] [-c CPU] */
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/fa_test.h"
#include "lib/aead.h"
#include "lib/log.h"
#include "lib/mlesp.h"
#include "maps/fa.h"
#include "maps/visitor.h"
#include "tests/bpf/fa-netns.h"
#include "tests/bpf/fa-packets.h"
#include "fa_test.skel.h" /* after maps/: it names their types */

#define XDP_REDIRECT 4
#define SPI 0x0000c0deu
#define Z1_LEN 40

static const size_t sizes[] = { 64, 576, 1400 };

/* Median and fastest of the runs: the machine is shared, the fastest run
 * shows the cost with the least interference. */
struct timing {
	double median, best;
};

struct result {
	struct timing ns[2]; /* ML-ESP, plain */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over runs of the kernel's average ns per repetition. */
static bool want_redirect;
/* The wired side of the bench's namespace: frames arrive there from the
 * HA's MAC, as the downlink's source check (bpf/tunnel_src.h) wants. */
static struct fa_netns bench_ns;

static int time_prog(int prog_fd, const struct frame *f, unsigned int repeat, int runs,
		     struct timing *t)
{
	double samples[32];
	int i;

	for (i = 0; i < runs && i < 32; i++) {
		struct xdp_md ctx = { .data_end = (uint32_t)f->len,
				      .ingress_ifindex = (uint32_t)bench_ns.wired_ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b,
			    .data_size_in = (uint32_t)f->len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = repeat);

		if (bpf_prog_test_run_opts(prog_fd, &opts)) {
			log_err("test run: %s", strerror(errno));
			return -errno;
		}
		if (want_redirect && opts.retval != XDP_REDIRECT) {
			log_err("bench frame got verdict %u, not a redirect", opts.retval);
			return -EINVAL;
		}
		samples[i] = (double)opts.duration;
	}
	qsort(samples, (size_t)i, sizeof(double), cmp_double);
	t->median = samples[i / 2];
	t->best = samples[0];
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One seal of a zone-1-sized message with the project's AEAD wrapper held
 * to OpenSSL (lib/aead.c: EVP context made once, per call only the nonce;
 * for this length lib/aead would take Nettle, the yardstick is
 * OpenSSL's EVP). */
static int time_openssl(const struct mml_csa *csa, unsigned int repeat, int runs, double *ns)
{
	uint8_t iv[8] = { 0 }, aad[8] = { 0 }, buf[Z1_LEN] = { 0 }, tag[16];
	double samples[32], start;
	struct mml_aead a;
	unsigned int n;
	int i, err;

	err = mml_aead_init(&a, MML_ALG_CHACHA20_POLY1305, csa->zone[0].key, csa->zone[0].salt,
			    true);
	if (err)
		return err;
	mml_aead_openssl_only(&a);
	for (i = 0; i < runs && i < 32; i++) {
		start = now_ns();
		for (n = 0; n < repeat; n++) {
			memcpy(iv + 4, &n, 4);
			memcpy(aad + 4, &n, 4);
			err = mml_aead_seal(&a, iv, aad, sizeof(aad), buf, buf, sizeof(buf), tag);
			if (err)
				goto out;
		}
		samples[i] = (now_ns() - start) / repeat;
	}
	qsort(samples, (size_t)i, sizeof(double), cmp_double);
	*ns = samples[i / 2];
out:
	mml_aead_free(&a);
	return err;
}

static void build_frames(struct mml_sa *sa, size_t inner_len, struct frame *mlesp,
			 struct frame *plain, const struct mml_fa_cfg *cfg, uint32_t ha,
			 uint32_t mh)
{
	static const struct tcp_fields tcp = { 5001, 40000, 1, 1, 0x10, 1000 };
	uint8_t inner[FRAME_MAX], esp[FRAME_MAX];
	long n;

	build_inner(inner, inner_len, ip4("10.20.0.9"), mh, &tcp);
	n = build_mlesp(esp, sizeof(esp), sa, 1, ha, mh, inner, inner_len);
	if (n < 0)
		abort();
	build_tunnel(mlesp, bench_ns.wired_mac, bench_ns.ha_mac, ha, cfg->coa, esp, (size_t)n);
	build_tunnel(plain, bench_ns.wired_mac, bench_ns.ha_mac, ha, cfg->coa, inner, inner_len);
}

static int setup_maps(struct fa_test *skel, const struct mml_csa *csa, uint32_t ha, uint32_t mh)
{
	struct mml_visitor v = { .ha_addr = ha, .ifindex = 1 }; /* lo: never sent in repeat mode */
	struct bpf_devmap_val port = { .ifindex = 1 };
	struct mml_csa fa_csa = *csa;
	uint32_t lo = 1;

	fa_csa.dir = MML_DIR_FWD;
	memset(&fa_csa.zone[1], 0, sizeof(fa_csa.zone[1]));
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.mml_visitor), &mh, &v, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.mml_csa), &fa_csa.spi, &fa_csa, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.mml_ports), &lo, &port, 0)) {
		log_err("bench maps: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* The crypto entry points alone: one ChaCha20 block, Poly1305 over the 80
 * bytes a 40-byte zone 1 authenticates, and the whole zone-1 open. */
struct parts {
	struct timing block, poly, open;
};

static int time_parts(struct fa_test *skel, const struct mml_csa *csa, unsigned int repeat,
		      int runs, struct parts *parts)
{
	struct crypto_io *io = &skel->bss->crypto_io;
	uint8_t nonce[12] = { 0 }, aad[8] = { 0 }, pt[Z1_LEN] = { 0 };
	struct frame frame = { .len = 64 };
	struct mml_aead a;
	int err;

	memcpy(io->key, csa->zone[0].key, 32);
	io->len = 80;
	err = time_prog(bpf_program__fd(skel->progs.test_chacha20_block), &frame, repeat, runs,
			&parts->block);
	if (!err)
		err = time_prog(bpf_program__fd(skel->progs.test_poly1305), &frame, repeat, runs,
				&parts->poly);
	if (err)
		return err;
	err = mml_aead_init(&a, MML_ALG_CHACHA20_POLY1305, csa->zone[0].key, nonce, true);
	if (err)
		return err;
	err = mml_aead_seal(&a, nonce + 4, aad, sizeof(aad), pt, (uint8_t *)io->msg, Z1_LEN,
			    io->tag);
	mml_aead_free(&a);
	memset(io->nonce, 0, sizeof(io->nonce));
	memcpy(io->aad, aad, sizeof(aad));
	io->aad_len = sizeof(aad);
	io->len = Z1_LEN;
	if (!err)
		err = time_prog(bpf_program__fd(skel->progs.test_aead_open), &frame, repeat, runs,
				&parts->open);
	if (!err && io->result != 0) {
		log_err("zone-1 open benchmark: the tag did not verify");
		err = -EINVAL;
	}
	return err;
}

static void print_parts(const struct parts *parts)
{
	printf("parts (test entry points, each including the empty program's time):\n");
	printf("  ChaCha20 block %.1f ns, Poly1305 over 80 B %.1f ns, zone-1 open (40 B) %.1f ns\n",
	       parts->block.median, parts->poly.median, parts->open.median);
}

/* ns/pkt is the program's own time: the measured average minus what the
 * frame restore adds (bench_restore_only less an empty program, less the one
 * head move of its own that a real decap does too). The test run's
 * per-packet call stays in, as a driver's would. */
static double harness_extra(const struct timing *harness, const struct timing *empty,
			    const struct timing *pair, bool best)
{
	double h = best ? harness->best : harness->median, e = best ? empty->best : empty->median;
	double p = best ? pair->best : pair->median;

	return h - e - (p - e) / 2;
}

static void print_table(const struct result *res, double ossl, const struct timing *harness,
			const struct timing *empty, const struct timing *pair)
{
	double extra = harness_extra(harness, empty, pair, false);
	double extra_best = harness_extra(harness, empty, pair, true), worst = 0;
	size_t i;
	int p;

	printf("\nFA XDP data plane, one core, BPF_PROG_TEST_RUN repeat (z1_len %d)\n", Z1_LEN);
	printf("%-6s %-21s %7s %7s %6s %8s %10s %9s\n", "inner", "path", "raw ns", "ns/pkt", "Mpps",
	       "vs plain", "vs OpenSSL", "best ns");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (p = 0; p < 2; p++) {
			double ns = res[i].ns[p].median - extra;
			double plain = res[i].ns[1].median - extra;

			printf("%-6zu %-21s %7.1f %7.1f %6.2f %7.2fx %9.2fx %9.1f\n", sizes[i],
			       p ? "plain IP-in-IP decap" : "ML-ESP zone-1 verify",
			       res[i].ns[p].median, ns, 1e3 / ns, ns / plain, ns / ossl,
			       res[i].ns[p].best - extra_best);
			if (!p && ns > worst)
				worst = ns;
		}
	}
	printf("%-6d %-21s %7s %7.1f %6.2f\n", Z1_LEN, "OpenSSL seal (EVP)", "", ossl, 1e3 / ossl);
	printf("empty program %.1f ns, two head moves %.1f ns, harness %.1f ns: %.1f ns taken off "
	       "raw\n",
	       empty->median, pair->median, harness->median, extra);
	printf("targets (medians): ML-ESP >= 2.0 Mpps: %s (worst %.2f Mpps); ML-ESP <= 3x OpenSSL "
	       "seal: %s (worst %.2fx)\n",
	       1e3 / worst >= 2.0 ? "met" : "MISSED", 1e3 / worst,
	       worst <= 3 * ossl ? "met" : "MISSED", worst / ossl);
}

struct bench_opts {
	unsigned int repeat;
	int runs, cpu;
};

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	int opt;

	while ((opt = getopt(argc, argv, "n:r:c:")) != -1) {
		switch (opt) {
		case 'n':
			o->repeat = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->runs = atoi(optarg);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-n REPEAT] [-r RUNS] [-c CPU]\n", argv[0]);
			return -EINVAL;
		}
	}
	return 0;
}

/* One CPU and a private netns (tests/bpf/fa-netns.c: the FA's wired link
 * with the HA as a resolved neighbour), so the runs see neither migrations
 * nor the host's interfaces. */
static int isolate(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		log_warn("cannot pin to CPU %d: %s", cpu, strerror(errno));
	err = fa_netns_setup(&bench_ns);
	if (err)
		log_err("no private netns with the FA's links: %s", strerror(-err));
	return err;
}

static void bench_csa(struct mml_csa *csa)
{
	*csa = (struct mml_csa){
		.spi = SPI, .format = MML_FMT_MLESP, .dir = MML_DIR_OUT, .z1_len = Z1_LEN
	};
	for (int z = 0; z < MML_ZONES; z++) {
		csa->zone[z].alg = MML_ALG_CHACHA20_POLY1305;
		memset(csa->zone[z].key, 0x11 * (z + 1), MML_KEY_LEN);
		memset(csa->zone[z].salt, 0x22 * (z + 1), MML_SALT_LEN);
	}
}

/* The baselines measured in the same run: the frame restore alone, an
 * empty program, a pair of head moves, one OpenSSL seal. */
struct baselines {
	struct timing harness, empty, adjust_pair;
	double ossl;
};

static int time_baselines(struct fa_test *skel, const struct mml_csa *csa,
			  const struct frame *plain, const struct bench_opts *o,
			  struct baselines *b)
{
	want_redirect = true;
	if (time_prog(bpf_program__fd(skel->progs.bench_restore_only), plain, o->repeat, o->runs,
		      &b->harness))
		return -1;
	want_redirect = false;
	if (time_prog(bpf_program__fd(skel->progs.bench_empty), plain, o->repeat, o->runs,
		      &b->empty) ||
	    time_prog(bpf_program__fd(skel->progs.bench_adjust_pair), plain, o->repeat, o->runs,
		      &b->adjust_pair))
		return -1;
	return time_openssl(csa, o->repeat, o->runs, &b->ossl);
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .repeat = 1000000, .runs = 7, .cpu = 1 };
	struct result res[3];
	struct parts parts;
	struct fa_test *skel = NULL;
	struct mml_fa_cfg cfg = { 0 };
	struct mml_csa csa;
	struct mml_sa sa = { 0 };
	struct frame mlesp, plain;
	uint32_t ha, mh = ip4("10.10.0.5");
	struct baselines base;
	int err = 1;
	char why[128];
	size_t i;

	if (parse_args(argc, argv, &o))
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "fa-bench: needs root to load BPF programs\n");
		return 77;
	}
	mml_log_libbpf();
	if (isolate(o.cpu))
		return 1;
	bench_csa(&csa);
	if (mml_sa_init(&sa, &csa, why, sizeof(why))) {
		log_err("SA: %s", why);
		goto out;
	}
	cfg.coa = bench_ns.coa;
	ha = bench_ns.ha_addr;
	skel = fa_test__open();
	if (!skel)
		goto out;
	skel->rodata->fa_cfg = cfg;
	if (fa_test__load(skel) || setup_maps(skel, &csa, ha, mh))
		goto out;

	want_redirect = true;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		build_frames(&sa, sizes[i], &mlesp, &plain, &cfg, ha, mh);
		if (time_prog(bpf_program__fd(skel->progs.bench_fa_down), &mlesp, o.repeat, o.runs,
			      &res[i].ns[0]) ||
		    time_prog(bpf_program__fd(skel->progs.bench_fa_down), &plain, o.repeat, o.runs,
			      &res[i].ns[1]))
			goto out;
	}
	if (time_baselines(skel, &csa, &plain, &o, &base) ||
	    time_parts(skel, &csa, o.repeat, o.runs, &parts))
		goto out;
	print_table(res, base.ossl, &base.harness, &base.empty, &base.adjust_pair);
	print_parts(&parts);
	err = 0;
out:
	fa_test__destroy(skel);
	mml_sa_free(&sa);
	return err;
}
