/* SNOOP's classification in the FA's XDP programs (bpf/snoop.h) through
 * BPF_PROG_TEST_RUN: fixture tables {frame, state of mml_snoop_ack, verdict,
 * metadata, ring-buffer event, counter} for plaintext, ML-ESP (built by the
 * project's codec) and opaque ESP, with real AF_XDP sockets in mml_xsks on
 * both sides of the FA, in a private network namespace (tests/bpf/fa-netns).
 * What it pins down: only downlink segments with payload and uplink
 * duplicate ACKs of snooped connections reach the worker, a new ACK is
 * forwarded at once and reported, a stale pure ACK is dropped, a window
 * change is not a duplicate, SYN/RST reset the state, and nothing changes
 * with SNOOP off, without a worker, or for what the FA cannot read. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include <xdp/xsk.h>

#include "lib/bytes.h"
#include "lib/mlesp.h"
#include "lib/node_maps.h"
#include "lib/role_loader.h"
#include "lib/snoop_cfg.h"
#include "maps/ep.h"
#include "maps/fa.h"
#include "maps/snoop.h"
#include "maps/stats.h"
#include "maps/visitor.h"
#include "fa.skel.h" /* after maps/: it names their types */
#include "tests/bpf/fa-account.h"
#include "tests/bpf/fa-netns.h"
#include "tests/bpf/fa-packets.h"
#include "tests/bpf/xdp-random.h"
#include "tests/bpf/xdp-run.h"

#define XDP_DROP 1
#define XDP_REDIRECT 4
#define SPI_DOWN 0x0000d0d1u
#define SPI_UP 0x0000a0a1u
#define SPI_ESP 0x0000e5e6u
#define FL_FIN 0x01
#define FL_SYN 0x02
#define FL_RST 0x04
#define FL_ACK 0x10
#define CN_PORT 5001
#define MH_PORT 40000
#define UMEM_BYTES (64 * 4096)

static struct fa_netns ns;
static struct mml_role_obj *fa_obj;
static struct fa *fa; /* its skeleton */
static struct mml_sa sa_down, sa_up;
static uint32_t mh_home, cn_addr;
static struct xsk_socket *xsk[2];
static struct xsk_umem *umem[2];
static void *umem_area[2];
static struct xsk_ring_cons rx[2], cq[2];
static struct xsk_ring_prod tx[2], fq[2];
static struct mml_snoop_event events[16];
static int n_events;

/* ---- set-up ---- */

static struct mml_csa make_csa(uint32_t spi, uint8_t fill, uint8_t format)
{
	struct mml_csa c = { .spi = spi, .format = format, .dir = MML_DIR_OUT, .z1_len = 40 };

	for (int z = 0; z < MML_ZONES; z++) {
		c.zone[z].alg = MML_ALG_CHACHA20_POLY1305;
		memset(c.zone[z].key, fill + z, MML_KEY_LEN);
		memset(c.zone[z].salt, fill + 0x40 + z, MML_SALT_LEN);
	}
	return c;
}

/* The FA's copy: zone 1 only, direction forward. */
static void put_fa_csa(const struct mml_csa *csa)
{
	struct mml_csa c = *csa;

	c.dir = MML_DIR_FWD;
	memset(&c.zone[1], 0, sizeof(c.zone[1]));
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fa->maps.mml_csa), &c.spi, &c, 0), 0);
}

static void open_socket(int side, const char *dev, int ifindex)
{
	struct xsk_socket_config scfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	uint32_t slot = (uint32_t)side, key = slot * MML_XSK_QUEUES, ifx = (uint32_t)ifindex;
	int fd;

	umem_area[side] =
		mmap(NULL, UMEM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(umem_area[side] != MAP_FAILED);
	assert_int_equal(xsk_umem__create(&umem[side], umem_area[side], UMEM_BYTES, &fq[side],
					  &cq[side], NULL),
			 0);
	assert_int_equal(
		xsk_socket__create(&xsk[side], dev, 0, umem[side], &rx[side], &tx[side], &scfg), 0);
	fd = xsk_socket__fd(xsk[side]);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fa->maps.mml_xsks), &key, &fd, 0), 0);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fa->maps.mml_xsk_slot), &ifx, &slot, 0),
			 0);
}

static int setup(void **state)
{
	struct mml_fa_cfg cfg = { .coa = ns.coa };
	struct mml_csa down = make_csa(SPI_DOWN, 0x51, MML_FMT_MLESP);
	struct mml_csa up = make_csa(SPI_UP, 0x61, MML_FMT_MLESP);
	struct mml_csa esp = make_csa(SPI_ESP, 0x71, MML_FMT_ESP);
	struct mml_visitor v = { .ifindex = (uint32_t)ns.wireless_ifindex };

	mh_home = ip4("10.10.0.5");
	cn_addr = ip4("10.20.0.9");
	cfg.local_addrs[0] = ns.wireless_addr;
	if (mml_role_load(MML_ROLE_FA, &cfg, NULL, &fa_obj))
		return -1;
	fa = mml_role_skel(fa_obj);
	if (mml_snoop_cfg_init(bpf_map__fd(fa->maps.mml_snoop_cfg), 1))
		return -1;
	v.ha_addr = ns.ha_addr;
	memcpy(v.mh_mac, ns.mh_mac, 6);
	memcpy(v.fa_mac, ns.wireless_mac, 6);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fa->maps.mml_visitor), &mh_home, &v, 0),
			 0);
	put_fa_csa(&down);
	put_fa_csa(&up);
	put_fa_csa(&esp);
	if (mml_sa_init(&sa_down, &down, NULL, 0) || mml_sa_init(&sa_up, &up, NULL, 0))
		return -1;
	open_socket(0, "fa-wired", ns.wired_ifindex);
	open_socket(1, "fa-wlan", ns.wireless_ifindex);
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < 2; i++) {
		xsk_socket__delete(xsk[i]);
		xsk_umem__delete(umem[i]);
		munmap(umem_area[i], UMEM_BYTES);
	}
	mml_sa_free(&sa_down);
	mml_sa_free(&sa_up);
	mml_role_unload(fa_obj);
	return 0;
}

/* ---- frames ---- */

enum how { PLAIN, MLESP, ESP };

/* CN -> MH through the tunnel from the HA, payload bytes of TCP. */
static void downlink(struct frame *f, enum how how, uint32_t seq, size_t payload, uint8_t flags)
{
	struct tcp_fields t = { CN_PORT, MH_PORT, seq, 1, flags, 1000 };
	uint8_t inner[FRAME_MAX], pkt[FRAME_MAX];
	size_t n = build_inner(inner, 40 + payload, cn_addr, mh_home, &t);
	long m = (long)n;

	if (how == PLAIN) {
		memcpy(pkt, inner, n);
	} else {
		m = build_mlesp(pkt, sizeof(pkt), &sa_down, seq, ns.ha_addr, mh_home, inner, n);
		assert_true(m > 0);
		if (how == ESP) /* an SPI the FA holds as ESP: opaque to it */
			put_be32(pkt + IP_LEN, SPI_ESP);
	}
	build_tunnel(f, ns.wired_mac, ns.ha_mac, ns.ha_addr, ns.coa, pkt, (size_t)m);
}

/* MH -> CN on the wireless link, an ACK (payload bytes of data with it). */
static void uplink(struct frame *f, enum how how, uint32_t ack, uint16_t window, size_t payload,
		   uint8_t flags)
{
	struct tcp_fields t = { MH_PORT, CN_PORT, 1, ack, flags, window };
	uint8_t inner[FRAME_MAX], pkt[FRAME_MAX];
	size_t n = build_inner(inner, 40 + payload, mh_home, cn_addr, &t);
	long m = (long)n;

	if (how == PLAIN)
		memcpy(pkt, inner, n);
	else
		m = build_mlesp(pkt, sizeof(pkt), &sa_up, ack, mh_home, ns.ha_addr, inner, n);
	assert_true(m > 0);
	build_eth(f, ns.wireless_mac, ns.mh_mac, pkt, (size_t)m);
}

/* ---- running ---- */

struct result {
	int verdict;
	uint32_t meta_len;
	uint8_t out[FRAME_MAX + 64];
	uint32_t out_len;
};

static void run(bool down, const struct frame *f, struct result *r)
{
	struct bpf_program *prog = down ? fa->progs.mml_fa_down : fa->progs.mml_fa_up;
	struct xdp_md ctx = { .data_end = (uint32_t)f->len,
			      .ingress_ifindex =
				      (uint32_t)(down ? ns.wired_ifindex : ns.wireless_ifindex) };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (uint32_t)f->len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx, .ctx_size_out = sizeof(ctx));

	const struct mml_snoop_meta *rec = (const void *)r->out;

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	r->verdict = (int)opts.retval;
	r->out_len = opts.data_size_out;
	/* A frame for the worker starts with the record XDP pushed in front
	 * of it (xsk_record_push); every other output starts with a MAC. */
	r->meta_len = 0;
	if (r->out_len >= sizeof(*rec) && rec->magic == MML_SNOOP_META_MAGIC)
		r->meta_len = sizeof(*rec);
	assert_int_equal(ctx.data, 0); /* nothing in the XDP metadata area */
}

static const struct mml_snoop_meta *meta_of(const struct result *r)
{
	assert_int_equal(r->meta_len, sizeof(struct mml_snoop_meta));
	return (const struct mml_snoop_meta *)r->out;
}

static uint64_t stat(uint32_t s)
{
	uint64_t v = 0;

	assert_int_equal(mml_stats_read(bpf_map__fd(fa->maps.mml_stats), s, &v), 0);
	return v;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (n_events < 16 && size >= sizeof(events[0]))
		memcpy(&events[n_events++], data, sizeof(events[0]));
	return 0;
}

static int drain_events(void)
{
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(fa->maps.mml_snoop_events), on_event, NULL, NULL);

	assert_non_null(rb);
	n_events = 0;
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n_events;
}

static struct mml_snoop_key data_key(void)
{
	return (struct mml_snoop_key){ cn_addr, mh_home, htons(CN_PORT), htons(MH_PORT) };
}

/* What the worker does when it takes a connection on. */
static void snooped(bool on)
{
	struct mml_snoop_key k = data_key();
	struct mml_snoop_ack a = { 0 };
	int fd = bpf_map__fd(fa->maps.mml_snoop_ack);

	if (on)
		assert_int_equal(bpf_map_update_elem(fd, &k, &a, 0), 0);
	else
		bpf_map_delete_elem(fd, &k);
}

static bool snoop_state(struct mml_snoop_ack *a)
{
	struct mml_snoop_key k = data_key();

	return !bpf_map_lookup_elem(bpf_map__fd(fa->maps.mml_snoop_ack), &k, a);
}

static void set_enabled(bool on)
{
	struct mml_snoop_cfg c;
	int fd = bpf_map__fd(fa->maps.mml_snoop_cfg);

	assert_int_equal(mml_snoop_cfg_read(fd, &c), 0);
	c.enabled = on;
	assert_int_equal(mml_snoop_cfg_write(fd, &c), 0);
}

/* ---- downlink ---- */

struct down_case {
	const char *what;
	enum how how;
	size_t payload;
	uint8_t flags;
	bool to_worker;
};

static void down_fixtures(void **state)
{
	static const struct down_case cases[] = {
		{ "plaintext data segment", PLAIN, 1000, FL_ACK, true },
		{ "ML-ESP data segment (zone 1 read)", MLESP, 1348, FL_ACK, true },
		{ "data with FIN", PLAIN, 10, FL_ACK | FL_FIN, true },
		{ "pure ACK of the reverse direction", PLAIN, 0, FL_ACK, false },
		{ "ML-ESP pure ACK", MLESP, 0, FL_ACK, false },
		{ "opaque ESP data", ESP, 1000, FL_ACK, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct down_case *c = &cases[i];
		uint64_t data0 = stat(MML_STAT_SNOOP_DATA);
		struct frame f;
		struct result r;

		print_message("down: %s\n", c->what);
		downlink(&f, c->how, 7000 + (uint32_t)i, c->payload, c->flags);
		run(true, &f, &r);
		assert_int_equal(r.verdict, XDP_REDIRECT); /* worker or devmap */
		if (!c->to_worker) {
			assert_int_equal(r.meta_len, 0);
			assert_int_equal(stat(MML_STAT_SNOOP_DATA), data0);
			continue;
		}
		const struct mml_snoop_meta *m = meta_of(&r);
		const struct mml_snoop_key k = data_key();

		assert_int_equal(m->magic, MML_SNOOP_META_MAGIC);
		assert_int_equal(m->kind, MML_SNOOP_META_DATA);
		assert_int_equal(m->seq_ack, 7000 + i);
		assert_int_equal(m->payload_len, c->payload);
		assert_int_equal(m->out_ifindex, ns.wireless_ifindex);
		assert_memory_equal(&m->key, &k, sizeof(k));
		/* The frame behind the metadata is the decapsulated packet
		 * addressed to the MH: ready for the wireless port. */
		assert_memory_equal(r.out + r.meta_len, ns.mh_mac, 6);
		assert_int_equal(r.out_len - r.meta_len, f.len - IP_LEN);
		assert_int_equal(stat(MML_STAT_SNOOP_DATA), data0 + 1);
	}
}

static void down_unchanged_when_off_or_no_worker(void **state)
{
	uint32_t key = 0;
	uint64_t nw0 = stat(MML_STAT_SNOOP_NO_WORKER);
	struct frame f;
	struct result r;
	int fd;

	downlink(&f, PLAIN, 1, 500, FL_ACK);
	set_enabled(false);
	run(true, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(r.meta_len, 0);
	set_enabled(true);
	/* No worker socket on the wired queue: forwarded, counted. */
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(fa->maps.mml_xsks), &key), 0);
	run(true, &f, &r);
	assert_int_equal(r.meta_len, 0);
	assert_int_equal(stat(MML_STAT_SNOOP_NO_WORKER), nw0 + 1);
	fd = xsk_socket__fd(xsk[0]);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fa->maps.mml_xsks), &key, &fd, 0), 0);
	run(true, &f, &r);
	assert_int_equal(r.meta_len, sizeof(struct mml_snoop_meta));
	/* The worker has no socket on the egress (the MH's interface is not
	 * one of its ports): it could not send the frame, so XDP keeps it. */
	key = (uint32_t)ns.wireless_ifindex;
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(fa->maps.mml_xsk_slot), &key), 0);
	run(true, &f, &r);
	assert_int_equal(r.meta_len, 0);
	assert_int_equal(stat(MML_STAT_SNOOP_NO_WORKER), nw0 + 2);
	fd = 1;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fa->maps.mml_xsk_slot), &key, &fd, 0), 0);
}

/* ---- uplink ---- */

struct up_case {
	const char *what;
	uint32_t ack;
	uint16_t window;
	size_t payload;
	uint8_t flags;
	int verdict;
	bool to_worker;
	int event;		 /* enum mml_snoop_event_kind, 0 = none */
	uint32_t stat;		 /* counter that moves */
	uint32_t last_ack_after; /* in mml_snoop_ack */
};

static void up_sequence(enum how how)
{
	/* One scripted connection: the worker took it on before the first. */
	const struct up_case cases[] = {
		{ "first ACK", 1000, 500, 0, FL_ACK, XDP_REDIRECT, false, MML_SNOOP_EV_NEW_ACK,
		  MML_STAT_SNOOP_NEW_ACK, 1000 },
		{ "duplicate ACK", 1000, 500, 0, FL_ACK, XDP_REDIRECT, true, 0,
		  MML_STAT_SNOOP_DUPACK, 1000 },
		{ "same ACK, another window", 1000, 600, 0, FL_ACK, XDP_REDIRECT, false, 0,
		  MML_STAT_SNOOP_WINDOW_UPDATE, 1000 },
		{ "duplicate of that", 1000, 600, 0, FL_ACK, XDP_REDIRECT, true, 0,
		  MML_STAT_SNOOP_DUPACK, 1000 },
		{ "same ACK with data", 1000, 600, 100, FL_ACK, XDP_REDIRECT, false, 0,
		  MML_STAT_RX_UP, 1000 },
		{ "same ACK with FIN", 1000, 600, 0, FL_ACK | FL_FIN, XDP_REDIRECT, false, 0,
		  MML_STAT_RX_UP, 1000 },
		{ "stale pure ACK", 900, 600, 0, FL_ACK, XDP_DROP, false, 0,
		  MML_STAT_SNOOP_STALE_ACK, 1000 },
		{ "stale ACK with data: forwarded", 900, 600, 50, FL_ACK, XDP_REDIRECT, false, 0,
		  MML_STAT_RX_UP, 1000 },
		{ "new ACK", 2448, 600, 0, FL_ACK, XDP_REDIRECT, false, MML_SNOOP_EV_NEW_ACK,
		  MML_STAT_SNOOP_NEW_ACK, 2448 },
	};
	struct mml_snoop_ack a;

	snooped(true);
	drain_events();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct up_case *c = &cases[i];
		uint64_t s0 = stat(c->stat);
		struct frame f;
		struct result r;

		print_message("up (%s): %s\n", how == PLAIN ? "plain" : "ML-ESP", c->what);
		uplink(&f, how, c->ack, c->window, c->payload, c->flags);
		run(false, &f, &r);
		assert_int_equal(r.verdict, c->verdict);
		assert_int_equal(stat(c->stat), s0 + 1);
		assert_int_equal(drain_events(), c->event ? 1 : 0);
		if (c->event) {
			const struct mml_snoop_key k = data_key();

			assert_int_equal(events[0].kind, c->event);
			assert_int_equal(events[0].ack, c->ack);
			assert_int_equal(events[0].window, c->window);
			assert_memory_equal(&events[0].key, &k, sizeof(k));
			assert_true(events[0].ts_ns > 0);
		}
		if (c->to_worker) {
			const struct mml_snoop_meta *m = meta_of(&r);
			const uint8_t *ip = r.out + r.meta_len + ETH_LEN;

			assert_int_equal(m->kind, MML_SNOOP_META_DUPACK);
			assert_int_equal(m->seq_ack, c->ack);
			assert_int_equal(m->window, c->window);
			assert_int_equal(m->out_ifindex, ns.wired_ifindex);
			/* Reverse-tunnelled already: CoA -> HA, protocol 4. */
			assert_int_equal(ip[9], 4);
			assert_memory_equal(ip + 12, &ns.coa, 4);
			assert_memory_equal(ip + 16, &ns.ha_addr, 4);
		} else if (r.verdict == XDP_REDIRECT) {
			assert_int_equal(r.meta_len, 0);
		}
		assert_true(snoop_state(&a));
		assert_int_equal(a.last_ack, c->last_ack_after);
	}
	snooped(false);
}

static void up_fixtures_plain(void **state)
{
	up_sequence(PLAIN);
}

static void up_fixtures_mlesp(void **state)
{
	up_sequence(MLESP);
}

static void up_not_snooped_connection(void **state)
{
	uint64_t n0 = stat(MML_STAT_SNOOP_NEW_ACK), d0 = stat(MML_STAT_SNOOP_DUPACK);
	struct frame f;
	struct result r;

	snooped(false);
	for (int i = 0; i < 3; i++) {
		uplink(&f, PLAIN, 5000, 100, 0, FL_ACK);
		run(false, &f, &r);
		assert_int_equal(r.verdict, XDP_REDIRECT);
		assert_int_equal(r.meta_len, 0);
	}
	assert_int_equal(stat(MML_STAT_SNOOP_NEW_ACK), n0);
	assert_int_equal(stat(MML_STAT_SNOOP_DUPACK), d0);
	assert_int_equal(drain_events(), 0);
}

/* SYN (either way) and RST reset the state at once. */
static void syn_and_rst_reset(void **state)
{
	struct mml_snoop_ack a;
	struct frame f;
	struct result r;

	snooped(true);
	drain_events();
	downlink(&f, PLAIN, 100, 0, FL_SYN);
	run(true, &f, &r);
	assert_int_equal(r.meta_len, 0);
	assert_false(snoop_state(&a));
	assert_int_equal(drain_events(), 1);
	assert_int_equal(events[0].kind, MML_SNOOP_EV_SYN);

	snooped(true);
	uplink(&f, MLESP, 3000, 100, 0, FL_RST | FL_ACK);
	run(false, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_false(snoop_state(&a));
	assert_int_equal(drain_events(), 1);
	assert_int_equal(events[0].kind, MML_SNOOP_EV_RST);

	/* Not snooped: no event. */
	uplink(&f, PLAIN, 3000, 100, 0, FL_SYN | FL_ACK);
	run(false, &f, &r);
	assert_int_equal(drain_events(), 0);
}

/* ---- random-packet mode ---- */

/* MML_BPF_RANDOM frames (default 1000) with SNOOP on: data segments and
 * ACKs of the snooped connection (or, now and then, not snooped, SNOOP
 * off), plaintext, ML-ESP or opaque ESP, with random sequence numbers,
 * windows, payload and flags, then mutated at random; every verdict
 * expected and accounted for (tests/bpf/fa-account.h). */
static void random_packets(void **state)
{
	static const uint8_t flag_sets[] = { FL_ACK, FL_ACK, FL_ACK | FL_FIN,
					     FL_SYN, FL_RST, FL_ACK | FL_SYN,
					     0 };
	const uint32_t addrs[] = { ns.coa, ns.ha_addr, ns.wireless_addr, mh_home, cn_addr };
	unsigned long n = xdp_random_count(1000), tally[5] = { 0 };
	uint64_t before[MML_STAT_MAX], d[MML_STAT_MAX];
	static struct frame f;
	static struct result r;
	char what[400];

	test_seed();
	for (unsigned long i = 0; i < n; i++) {
		bool down = test_random_below(2);
		enum how how = (enum how)test_random_below(3);
		uint8_t flags = flag_sets[test_random_below(sizeof(flag_sets))];
		size_t payload = test_random_below(3) ? 0 : test_random_below(1400);
		const char *bad;

		snooped(test_random_below(8) != 0);
		if (test_random_below(64) == 0)
			set_enabled(test_random_below(2));
		if (down)
			downlink(&f, how, test_random_below(4096), payload, flags);
		else
			uplink(&f, how == ESP ? PLAIN : how, test_random_below(4096),
			       (uint16_t)(1000 + test_random_below(3)), payload, flags);
		xdp_mutate(f.b, &f.len, sizeof(f.b), ETH_LEN, addrs,
			   sizeof(addrs) / sizeof(addrs[0]), what, sizeof(what));
		for (uint32_t s = 0; s < MML_STAT_MAX; s++)
			before[s] = stat(s);
		run(down, &f, &r);
		for (uint32_t s = 0; s < MML_STAT_MAX; s++)
			d[s] = stat(s) - before[s];
		tally[r.verdict >= 0 && r.verdict < 5 ? r.verdict : 0]++;
		bad = fa_accounting(down, r.verdict, d);
		if (bad)
			fail_msg("random frame %lu (%s, %zu bytes: %s): verdict %d: %s", i,
				 down ? "down" : "up", f.len, what, r.verdict, bad);
		if (i % 256 == 255)
			drain_events();
	}
	set_enabled(true);
	print_message(
		"random-packet mode: %lu frames (%lu passed, %lu dropped, %lu redirected), every "
		"verdict expected and accounted for\n",
		n, tally[2], tally[XDP_DROP], tally[XDP_REDIRECT]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(down_fixtures),
		cmocka_unit_test(down_unchanged_when_off_or_no_worker),
		cmocka_unit_test(up_fixtures_plain),
		cmocka_unit_test(up_fixtures_mlesp),
		cmocka_unit_test(up_not_snooped_connection),
		cmocka_unit_test(syn_and_rst_reset),
		cmocka_unit_test(random_packets),
	};
	cpu_set_t cpu0;

	xdp_require_bpf("bpf-snoop");
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	if (fa_netns_setup(&ns)) {
		fprintf(stderr, "bpf-snoop: no private network namespace, skipped\n");
		return SKIP_STATUS;
	}
	return cmocka_run_group_tests_name("bpf-snoop", tests, setup, teardown);
}
