/* The endpoint XDP programs (bpf/ep.bpf.c) under BPF_PROG_TEST_RUN, in a
 * private network namespace whose veth, routes and neighbours give the FIB
 * lookups real answers, and with a real AF_XDP socket in mml_xsks so that
 * redirects are taken. Each fixture: a frame (ESP built by the lib codec),
 * the program, the verdict, the counter that must move, and the metadata
 * or output frame the worker would see. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "maps/ep.h"

#include "ep.skel.h"
#include "lib/bytes.h"
#include "lib/esp.h"
#include "lib/mlesp.h"
#include "lib/node_maps.h"
#include "tests/bpf/xdp-random.h"
#include "tests/bpf/xdp-run.h"
#include "tests/unit/fixtures.h"
#include "worker/netlink.h"
#include "worker/pkt.h"

#define HA_ADDR "10.9.0.1"
#define FA_ADDR "10.9.0.2"   /* neighbour resolved */
#define FA2_ADDR "10.9.0.3"  /* on link, unresolved */
#define FAR_ADDR "192.0.2.1" /* no route */
#define HOME "10.1.0.10"
#define HOME2 "10.1.0.11"
#define CN "10.0.1.1"
#define FA_MAC "\x02\x00\x00\x00\x00\x02"
#define IN_SPI 0x4000u
#define OUT_SPI 0x4001u

static struct ep *skel;
static int epa, epb, stats_fd;
static uint8_t epa_mac[6];
static struct xsk_socket *xsk;
static struct xsk_umem *umem;
static void *umem_area;
static struct xsk_ring_cons rx, cq;
static struct xsk_ring_prod tx, fq;
static struct mml_sa out_mlesp, out_esp;

static uint32_t addr(const char *s)
{
	uint32_t a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static uint64_t stat_sum(uint32_t stat)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu], sum = 0;

	assert_int_equal(bpf_map_lookup_elem(stats_fd, &stat, vals), 0);
	for (int c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

static int sh(const char *cmd)
{
	return system(cmd);
}

static void binding(const char *home, const char *coa, uint64_t expires)
{
	struct mml_binding b = { .ha_addr = addr(HA_ADDR),
				 .coa = addr(coa),
				 .expires_ns = expires };
	uint32_t key = addr(home);

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.mml_binding), &key, &b, 0), 0);
}

static void csa(uint32_t spi, uint8_t dir)
{
	struct csa_spec spec = { MML_FMT_MLESP, 40, MML_ALG_AES256_GCM, 0 };
	struct mml_csa c = fixture_csa(&spec, dir);

	c.spi = spi;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.mml_csa), &spi, &c, 0), 0);
}

static int setup(void **state)
{
	struct mml_ep_cfg cfg = { .ha_addr = addr(HA_ADDR), .home_addr = addr(HOME) };
	struct xsk_socket_config scfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	struct csa_spec spec = { MML_FMT_MLESP, 40, MML_ALG_AES256_GCM, 0 };
	struct csa_spec espec = { MML_FMT_ESP, 0, MML_ALG_AES256_GCM, 0 };
	struct mml_csa c;
	uint32_t zero = 0, key = 0;
	int fd;

	if (unshare(CLONE_NEWNET)) {
		print_message("skipped: no network namespace (%s)\n", strerror(errno));
		exit(77);
	}
	/* The HA is a router: the FIB lookup of a forwarded frame needs it. */
	if (sh("sysctl -q -w net.ipv4.ip_forward=1 && ip link set lo up && ip link add epa-xdp type veth peer name epb-xdp &&"
	       "ip link set epa-xdp up && ip link set epb-xdp up &&"
	       "ip addr add " HA_ADDR "/24 dev epa-xdp &&"
	       "ip neigh add " FA_ADDR " lladdr 02:00:00:00:00:02 dev epa-xdp nud permanent"))
		return -1;
	epa = (int)if_nametoindex("epa-xdp");
	epb = (int)if_nametoindex("epb-xdp");
	assert_int_equal(ep_link_mac("epa-xdp", epa_mac), 0);

	skel = ep__open();
	assert_non_null(skel);
	skel->rodata->ep_cfg = cfg;
	assert_int_equal(ep__load(skel), 0);
	stats_fd = bpf_map__fd(skel->maps.mml_stats);

	umem_area =
		mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_int_equal(xsk_umem__create(&umem, umem_area, 64 * 4096, &fq, &cq, NULL), 0);
	assert_int_equal(xsk_socket__create(&xsk, "epa-xdp", 0, umem, &rx, &tx, &scfg), 0);
	fd = xsk_socket__fd(xsk);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.mml_xsks), &key, &fd, 0), 0);
	key = (uint32_t)epa;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.mml_xsk_slot), &key, &zero, 0),
			 0);

	binding(HOME, FA_ADDR, 0);
	binding(HOME2, FA2_ADDR, 0);
	csa(IN_SPI, MML_DIR_IN);
	csa(OUT_SPI, MML_DIR_OUT);
	c = fixture_csa(&spec, MML_DIR_OUT);
	c.spi = IN_SPI;
	assert_int_equal(mml_sa_init(&out_mlesp, &c, NULL, 0), 0);
	c = fixture_csa(&espec, MML_DIR_OUT);
	c.spi = OUT_SPI;
	assert_int_equal(mml_sa_init(&out_esp, &c, NULL, 0), 0);
	return 0;
}

static int teardown(void **state)
{
	mml_sa_free(&out_mlesp);
	mml_sa_free(&out_esp);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	ep__destroy(skel);
	return 0;
}

/* ---------------------------------------------------------------- frames */

struct frame {
	uint8_t b[2048];
	size_t len;
};

static void eth(struct frame *f)
{
	ep_eth_write(f->b, epa_mac, (const uint8_t *)FA_MAC);
	f->len = EP_ETH_HLEN;
}

/* An inner TCP packet of len bytes from src to dst. */
static void tcp(struct frame *f, const char *src, const char *dst, size_t len)
{
	uint8_t *p = f->b + f->len;

	fixture_inner(p, len, 1);
	memcpy(p + 12, &(uint32_t){ addr(src) }, 4);
	memcpy(p + 16, &(uint32_t){ addr(dst) }, 4);
	put_be16(p + 10, 0);
	put_be16(p + 10, inet_csum(p, 20));
	f->len += len;
}

/* ML-ESP (or ESP) of an inner packet, tunnel-mode IPv4 from src to dst. */
static void esp(struct frame *f, struct mml_sa *sa, const char *src, const char *dst)
{
	uint8_t inner[200];
	uint8_t *p = f->b + f->len;
	ssize_t n;

	fixture_inner(inner, sizeof(inner), 2);
	if (sa->csa.format == MML_FMT_MLESP)
		n = mml_mlesp_encap(sa, inner, sizeof(inner), p + 20, sizeof(f->b) - f->len - 20);
	else
		n = mml_esp_encap(sa, inner, sizeof(inner), p + 20, sizeof(f->b) - f->len - 20);
	assert_true(n > 0);
	inet_ip4_write(p, addr(src), addr(dst), EP_PROTO_ESP, (uint16_t)(n + 20), 0, 1, false,
		       EP_TTL);
	f->len += (size_t)n + 20;
}

/* Mobile IP tunnel header around what follows (written after it). */
static size_t ipip_open(struct frame *f)
{
	size_t at = f->len;

	f->len += 20;
	return at;
}

static void ipip_close(struct frame *f, size_t at, const char *src, const char *dst, bool frag)
{
	inet_ip4_write(f->b + at, addr(src), addr(dst), EP_PROTO_IPIP, (uint16_t)(f->len - at), 0,
		       9, false, EP_TTL);
	if (frag) {
		f->b[at + 6] |= 0x20; /* MF */
		put_be16(f->b + at + 10, 0);
		put_be16(f->b + at + 10, inet_csum(f->b + at, 20));
	}
}

struct result {
	int verdict;
	uint8_t out[2048 + 64];
	uint32_t out_len;
	uint32_t meta_len;
};

static void run(struct bpf_program *prog, int ifindex, const struct frame *f, struct result *r)
{
	struct xdp_md ctx = { .data = 0,
			      .data_end = (uint32_t)f->len,
			      .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (uint32_t)f->len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx, .ctx_size_out = sizeof(ctx));

	const struct mml_xsk_meta *rec = (const void *)r->out;

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	r->verdict = (int)opts.retval;
	r->out_len = opts.data_size_out;
	/* A frame for the worker starts with the record XDP pushed in front
	 * of it (xsk_record_push); every other output starts with a MAC. */
	r->meta_len = 0;
	if (r->out_len >= sizeof(*rec) && rec->magic == MML_META_MAGIC)
		r->meta_len = sizeof(*rec);
	assert_int_equal(ctx.data, 0); /* nothing in the XDP metadata area */
}

static const struct mml_xsk_meta *meta_of(const struct result *r)
{
	assert_int_equal(r->meta_len, sizeof(struct mml_xsk_meta));
	return (const struct mml_xsk_meta *)r->out;
}

/* ---------------------------------------------------------------- HA, CN side */

static void ha_cn_steers_home_traffic(void **state)
{
	uint64_t before = stat_sum(MML_STAT_EP_XDP_TO_WORKER);
	const struct mml_xsk_meta *m;
	struct frame f;
	struct result r;

	eth(&f);
	tcp(&f, CN, HOME, 100);
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_TO_WORKER), before + 1);
	m = meta_of(&r);
	assert_int_equal(m->magic, MML_META_MAGIC);
	assert_int_equal(m->kind, MML_META_HA_DOWN);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->l3_off, EP_ETH_HLEN);
	assert_int_equal(m->coa, addr(FA_ADDR));
	assert_int_equal(m->ha_addr, addr(HA_ADDR));
	assert_int_equal(m->ifindex, epa);
	assert_memory_equal(m->dmac, FA_MAC, 6);
	assert_memory_equal(m->smac, epa_mac, 6);
	/* The frame itself is untouched behind the metadata. */
	assert_int_equal(r.out_len, r.meta_len + f.len);
	assert_memory_equal(r.out + r.meta_len, f.b, f.len);
}

static void ha_cn_unresolved_next_hop(void **state)
{
	struct frame f;
	struct result r;

	eth(&f);
	tcp(&f, CN, HOME2, 60);
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(meta_of(&r)->flags, MML_META_NO_NEIGH);
	assert_int_equal(meta_of(&r)->ifindex, epa);
}

static void ha_cn_no_route_expired_and_others(void **state)
{
	uint64_t noroute = stat_sum(MML_STAT_EP_XDP_NO_ROUTE);
	uint64_t expired = stat_sum(MML_STAT_EP_XDP_EXPIRED);
	uint64_t noworker = stat_sum(MML_STAT_EP_XDP_NO_WORKER);
	uint64_t malformed = stat_sum(MML_STAT_EP_DROP_MALFORMED);
	struct frame f;
	struct result r;

	binding("10.1.0.12", FAR_ADDR, 0);
	eth(&f);
	tcp(&f, CN, "10.1.0.12", 60);
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_NO_ROUTE), noroute + 1);

	binding("10.1.0.13", FA_ADDR, 1); /* expired at boot + 1 ns */
	eth(&f);
	tcp(&f, CN, "10.1.0.13", 60);
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_EXPIRED), expired + 1);

	eth(&f); /* not a home address */
	tcp(&f, CN, "10.1.0.99", 60);
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);

	eth(&f); /* ARP */
	f.b[12] = 0x08;
	f.b[13] = 0x06;
	memset(f.b + 14, 0, 28);
	f.len += 28;
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);

	eth(&f); /* IPv4 length beyond the frame */
	tcp(&f, CN, HOME, 60);
	f.len -= 10;
	run(skel->progs.mml_ha_cn, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_DROP_MALFORMED), malformed + 1);

	eth(&f); /* no worker socket behind the ingress interface */
	tcp(&f, CN, HOME, 60);
	run(skel->progs.mml_ha_cn, epb, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_NO_WORKER), noworker + 1);
}

/* ---------------------------------------------------------------- HA, FA side */

static void ha_fa_esp_to_worker(void **state)
{
	uint64_t unknown = stat_sum(MML_STAT_EP_DROP_UNKNOWN_SPI);
	struct frame f;
	struct result r;
	size_t at;

	eth(&f);
	at = ipip_open(&f);
	esp(&f, &out_mlesp, HOME, HA_ADDR);
	ipip_close(&f, at, FA_ADDR, HA_ADDR, false);
	run(skel->progs.mml_ha_fa, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(meta_of(&r)->kind, MML_META_HA_UP);
	assert_memory_equal(r.out + r.meta_len, f.b, f.len);

	/* An SPI we only send with is not an inbound one. */
	eth(&f);
	at = ipip_open(&f);
	esp(&f, &out_esp, HOME, HA_ADDR);
	ipip_close(&f, at, FA_ADDR, HA_ADDR, false);
	run(skel->progs.mml_ha_fa, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_DROP_UNKNOWN_SPI), unknown + 1);
}

static void ha_fa_plain_decapsulated(void **state)
{
	uint64_t decap = stat_sum(MML_STAT_EP_XDP_DECAP_PLAIN);
	uint64_t frag = stat_sum(MML_STAT_EP_XDP_FRAGMENT);
	struct frame f, inner;
	struct result r;
	size_t at;

	eth(&f);
	at = ipip_open(&f);
	tcp(&f, HOME, CN, 300);
	ipip_close(&f, at, FA_ADDR, HA_ADDR, false);
	run(skel->progs.mml_ha_fa, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_DECAP_PLAIN), decap + 1);
	eth(&inner);
	tcp(&inner, HOME, CN, 300);
	assert_int_equal(r.out_len, inner.len);
	assert_memory_equal(r.out, inner.b, inner.len);

	/* Fragments of the tunnel are dropped. */
	eth(&f);
	at = ipip_open(&f);
	tcp(&f, HOME, CN, 300);
	ipip_close(&f, at, FA_ADDR, HA_ADDR, true);
	run(skel->progs.mml_ha_fa, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_FRAGMENT), frag + 1);

	/* Not to us: untouched. */
	eth(&f);
	at = ipip_open(&f);
	tcp(&f, HOME, CN, 300);
	ipip_close(&f, at, FA_ADDR, CN, false);
	run(skel->progs.mml_ha_fa, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);
	assert_int_equal(r.out_len, f.len);
}

/* Issue 18 item 9: plaintext IP-in-IP to the HA carries no proof of
 * origin. It is decapsulated into the HA's stack only from the care-of
 * address of the inner source's binding, through the next hop toward it
 * (interface and MAC); everything else is dropped and counted. */
static void plain_tunnel(struct frame *f, const char *outer_src, const char *inner_src)
{
	size_t at;

	eth(f);
	at = ipip_open(f);
	tcp(f, inner_src, CN, 300);
	ipip_close(f, at, outer_src, HA_ADDR, false);
}

static void expect_verdict(const char *desc, int ifindex, const struct frame *f, int verdict,
			   uint32_t stat)
{
	uint64_t before = stat_sum(stat);
	struct result r;

	run(skel->progs.mml_ha_fa, ifindex, f, &r);
	if (r.verdict != verdict || stat_sum(stat) != before + 1)
		fail_msg("%s: verdict %d (want %d), counter +%llu", desc, r.verdict, verdict,
			 (unsigned long long)(stat_sum(stat) - before));
}

static void ha_fa_tunnel_sources(void **state)
{
	const uint32_t refused = MML_STAT_EP_DROP_TUNNEL_SRC, decap = MML_STAT_EP_XDP_DECAP_PLAIN;
	struct frame f;
	size_t at;

	plain_tunnel(&f, FA_ADDR, HOME);
	expect_verdict("from the binding's care-of address", epa, &f, XDP_PASS, decap);
	plain_tunnel(&f, FA2_ADDR, HOME);
	expect_verdict("from another FA's address", epa, &f, XDP_DROP, refused);
	plain_tunnel(&f, "10.9.0.66", HOME);
	expect_verdict("from an address no binding has", epa, &f, XDP_DROP, refused);
	plain_tunnel(&f, FA_ADDR, "10.1.0.99");
	expect_verdict("inner source not a home address", epa, &f, XDP_DROP, refused);
	plain_tunnel(&f, FA_ADDR, HOME);
	memcpy(f.b + 6, "\x02\x66\x66\x66\x66\x66", 6);
	expect_verdict("the care-of address from another MAC", epa, &f, XDP_DROP, refused);
	plain_tunnel(&f, FA_ADDR, HOME);
	expect_verdict("the care-of address and MAC on another interface", epb, &f, XDP_DROP,
		       refused);

	/* HOME2's FA is on link but not resolved: its MAC is unknown, the
	 * interface still counts. */
	plain_tunnel(&f, FA2_ADDR, HOME2);
	memcpy(f.b + 6, "\x02\x66\x66\x66\x66\x66", 6);
	expect_verdict("next hop unresolved: the interface toward it", epa, &f, XDP_PASS, decap);
	expect_verdict("next hop unresolved: another interface", epb, &f, XDP_DROP, refused);

	/* ESP is the worker's to tie to its outer source (ep_drop_outer_src):
	 * XDP steers it whoever sent it. */
	eth(&f);
	at = ipip_open(&f);
	esp(&f, &out_mlesp, HOME, HA_ADDR);
	ipip_close(&f, at, "10.9.0.66", HA_ADDR, false);
	expect_verdict("ESP from another address: to the worker", epa, &f, XDP_REDIRECT,
		       MML_STAT_EP_XDP_TO_WORKER);
}

/* ---------------------------------------------------------------- MH */

static void mh_steers_known_spi_only(void **state)
{
	uint64_t unknown = stat_sum(MML_STAT_EP_DROP_UNKNOWN_SPI);
	struct frame f;
	struct result r;

	eth(&f);
	esp(&f, &out_mlesp, HA_ADDR, HOME);
	run(skel->progs.mml_mh_wl, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(meta_of(&r)->kind, MML_META_MH_DOWN);
	assert_int_equal(meta_of(&r)->l3_off, EP_ETH_HLEN);

	eth(&f);
	esp(&f, &out_esp, HA_ADDR, HOME);
	run(skel->progs.mml_mh_wl, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_DROP_UNKNOWN_SPI), unknown + 1);

	eth(&f); /* plaintext mode: to the stack */
	tcp(&f, CN, HOME, 500);
	run(skel->progs.mml_mh_wl, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);

	eth(&f); /* ESP for someone else */
	esp(&f, &out_mlesp, HA_ADDR, HOME2);
	run(skel->progs.mml_mh_wl, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_PASS);

	eth(&f); /* truncated ESP header */
	tcp(&f, HA_ADDR, HOME, 22);
	f.b[EP_ETH_HLEN + 9] = EP_PROTO_ESP;
	run(skel->progs.mml_mh_wl, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
}

/* ---------------------------------------------------------------- flow policy */

/* The kernel took the object's BTF: bpftool shows the maps typed (the
 * suites read mml_csa that way), which a .rodata variable it refuses
 * would take away from every map (bpf/flow_policy.h). */
static void maps_carry_btf(void **state)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.mml_flow), &info, &len), 0);
	assert_int_not_equal(info.btf_id, 0);
	assert_int_not_equal(info.btf_value_type_id, 0);
}

/* As every writer does (lib/node_maps.h): the key's shape noted first. */
static void flow_put(const struct mml_flow_key *k, uint8_t mode, uint16_t every, uint8_t flags)
{
	struct mml_flow f = { .mode = mode, .flags = flags, .every_n = every };

	assert_int_equal(mml_flow_put(bpf_map__fd(skel->maps.mml_flow),
				      bpf_map__fd(skel->maps.mml_flow_shapes), k, &f),
			 0);
}

/* mml_flow_put notes the key's wildcard shape (its zero fields) before
 * the entry goes in, and refuses a wildcard key it cannot note. */
static void flow_put_notes_shape(void **state)
{
	int flow_fd = bpf_map__fd(skel->maps.mml_flow);
	int shapes_fd = bpf_map__fd(skel->maps.mml_flow_shapes);
	struct mml_flow f = { .mode = MML_MODE_ESP }, got;
	struct mml_flow_shapes seen;
	__u32 zero = 0;

	for (unsigned int shape = 0; shape < MML_FLOW_SHAPES; shape++) {
		struct mml_flow_key k = { .home_addr = shape & 16 ? 0 : 0x0a01000a,
					  .peer_addr = shape & 8 ? 0 : 0x0a000001,
					  .home_port = shape & 2 ? 0 : 7000,
					  .peer_port = shape & 1 ? 0 : 5001,
					  .proto = shape & 4 ? 0 : 6 };

		if (shape) {
			assert_int_equal(mml_flow_put(flow_fd, -1, &k, &f), -EBADF);
			assert_int_not_equal(bpf_map_lookup_elem(flow_fd, &k, &got), 0);
		}
		assert_int_equal(mml_flow_put(flow_fd, shape ? shapes_fd : -1, &k, &f), 0);
		assert_int_equal(bpf_map_lookup_elem(shapes_fd, &zero, &seen), 0);
		assert_true(!shape || seen.seen[shape] == 1);
		assert_int_equal(bpf_map_delete_elem(flow_fd, &k), 0);
	}
}

static void flow_clear(void)
{
	int fd = bpf_map__fd(skel->maps.mml_flow);
	struct mml_flow_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

static void expect_mh(const char *desc, const struct frame *f, int verdict)
{
	uint64_t before = stat_sum(MML_STAT_EP_DROP_DOWNGRADE);
	struct result r;

	run(skel->progs.mml_mh_wl, epa, f, &r);
	if (r.verdict != verdict ||
	    stat_sum(MML_STAT_EP_DROP_DOWNGRADE) != before + (verdict == XDP_DROP))
		fail_msg("MH, %s: verdict %d (want %d), ep_drop_downgrade +%llu", desc, r.verdict,
			 verdict,
			 (unsigned long long)(stat_sum(MML_STAT_EP_DROP_DOWNGRADE) - before));
}

/* Issue 19: plaintext of a flow whose entry accepts only ESP or ML-ESP
 * is refused at XDP, at the MH (downlink) and at the HA (the reverse
 * tunnel), unless the entry lets plaintext through: its own mode, every
 * n-th, an ACCEPT flag, or a more specific entry. */
static void plaintext_of_protected_flow_refused(void **state)
{
	const uint8_t *l4 = NULL;
	struct mml_flow_key any = { 0 }, exact;
	uint16_t sport, dport;
	struct frame f;

	eth(&f);
	tcp(&f, CN, HOME, 500);
	l4 = f.b + EP_ETH_HLEN + 20;
	sport = get_be16(l4);
	dport = get_be16(l4 + 2);
	exact = (struct mml_flow_key){ addr(HOME), addr(CN), dport, sport, 6, { 0 } };

	expect_mh("no entry", &f, XDP_PASS);
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_mh("default entry ML-ESP", &f, XDP_DROP);
	flow_put(&any, MML_MODE_ESP, 0, 0);
	expect_mh("default entry ESP", &f, XDP_DROP);
	flow_put(&any, MML_MODE_ESP, 10, 0);
	expect_mh("ESP every 10th (to the worker)", &f, XDP_REDIRECT);
	flow_put(&any, MML_MODE_MLESP, 0, MML_FLOW_F_ACCEPT_PLAIN);
	expect_mh("ML-ESP accepting plaintext", &f, XDP_PASS);
	flow_put(&any, MML_MODE_MLESP, 0, MML_FLOW_F_ACCEPT_ESP);
	expect_mh("ML-ESP accepting ESP only", &f, XDP_DROP);
	flow_put(&any, MML_MODE_PLAIN, 0, 0);
	expect_mh("default entry plaintext", &f, XDP_PASS);
	flow_put(&exact, MML_MODE_MLESP, 0, MML_FLOW_F_LEARNED);
	expect_mh("learned exact entry over a plaintext default", &f, XDP_DROP);
	exact.peer_port = 0; /* a port wildcard is still more specific */
	flow_put(&exact, MML_MODE_PLAIN, 0, 0);
	expect_mh("the exact entry wins over the port wildcard", &f, XDP_DROP);
	flow_clear();
	flow_put(&exact, MML_MODE_PLAIN, 0, 0);
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_mh("port wildcard plaintext over an ML-ESP default", &f, XDP_PASS);

	/* Mobile IP's replies are not a flow of the table. */
	f.b[EP_ETH_HLEN + 9] = EP_PROTO_UDP;
	put_be16(f.b + EP_ETH_HLEN + 20, 434);
	expect_mh("UDP from port 434", &f, XDP_PASS);
	put_be16(f.b + EP_ETH_HLEN + 20, 435);
	expect_mh("UDP from port 435", &f, XDP_DROP);
	/* Nor are agent advertisements answering a solicitation (ICMP type 9
	 * to the home address); other ICMP of a protected flow is refused. */
	f.b[EP_ETH_HLEN + 9] = 1;
	f.b[EP_ETH_HLEN + 20] = 9;
	expect_mh("ICMP agent advertisement", &f, XDP_PASS);
	f.b[EP_ETH_HLEN + 20] = 8;
	expect_mh("ICMP echo request", &f, XDP_DROP);

	/* The HA: the plaintext reverse tunnel of its MH. */
	flow_clear();
	plain_tunnel(&f, FA_ADDR, HOME);
	expect_verdict("HA, no entry", epa, &f, XDP_PASS, MML_STAT_EP_XDP_DECAP_PLAIN);
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_verdict("HA, ML-ESP default", epa, &f, XDP_DROP, MML_STAT_EP_DROP_DOWNGRADE);
	flow_put(&any, MML_MODE_ESP, 0, MML_FLOW_F_ACCEPT_ESP);
	expect_verdict("HA, ESP default", epa, &f, XDP_DROP, MML_STAT_EP_DROP_DOWNGRADE);
	flow_put(&any, MML_MODE_MLESP, 0, MML_FLOW_F_LEARNED);
	expect_verdict("HA, learned ML-ESP", epa, &f, XDP_DROP, MML_STAT_EP_DROP_DOWNGRADE);
	flow_put(&any, MML_MODE_MLESP, 0, MML_FLOW_F_ACCEPT_PLAIN);
	expect_verdict("HA, ML-ESP accepting plaintext", epa, &f, XDP_PASS,
		       MML_STAT_EP_XDP_DECAP_PLAIN);
	flow_put(&any, MML_MODE_MLESP, 3, 0);
	expect_verdict("HA, ML-ESP every 3rd (to the worker)", epa, &f, XDP_REDIRECT,
		       MML_STAT_EP_XDP_PLAIN_TO_WORKER);
	any.home_addr = addr(HOME2); /* another MH's entry */
	flow_clear();
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_verdict("HA, another home address's entry", epa, &f, XDP_PASS,
		       MML_STAT_EP_XDP_DECAP_PLAIN);
	flow_clear();
}

/* Issue 19: plaintext of an every-n flow goes to the worker, as is, with
 * its own metadata kind, so that it reaches the stack by the path of the
 * flow's protected packets; plaintext of any other flow the stack takes
 * still goes there directly, and what the policy refuses is still
 * refused. */
static void plaintext_of_every_n_flow_to_worker(void **state)
{
	const uint32_t plain = MML_STAT_EP_XDP_PLAIN_TO_WORKER, steered = MML_STAT_EP_XDP_TO_WORKER;
	struct mml_flow_key any = { 0 }, other = { 0 };
	uint64_t p0, s0;
	struct frame f;
	struct result r;

	/* The MH: a frame to the home address. */
	eth(&f);
	tcp(&f, CN, HOME, 500);
	flow_put(&any, MML_MODE_MLESP, 10, 0);
	p0 = stat_sum(plain);
	s0 = stat_sum(steered);
	run(skel->progs.mml_mh_wl, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(meta_of(&r)->kind, MML_META_MH_PLAIN);
	assert_int_equal(meta_of(&r)->l3_off, EP_ETH_HLEN);
	assert_int_equal(r.out_len, r.meta_len + f.len);
	assert_memory_equal(r.out + r.meta_len, f.b, f.len);
	assert_int_equal(stat_sum(plain), p0 + 1);
	assert_int_equal(stat_sum(steered), s0 + 1);
	flow_put(&any, MML_MODE_ESP, 2, 0);
	expect_mh("ESP every 2nd", &f, XDP_REDIRECT);
	/* Not every n-th: the stack's path, or the policy's drop. */
	flow_put(&any, MML_MODE_MLESP, 1, MML_FLOW_F_ACCEPT_PLAIN);
	expect_mh("every 1st, accepting plaintext", &f, XDP_PASS);
	flow_put(&any, MML_MODE_PLAIN, 10, 0);
	expect_mh("plaintext mode (every ignored)", &f, XDP_PASS);
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_mh("ML-ESP", &f, XDP_DROP);
	/* Another flow's every-n entry: this one's is the plaintext default. */
	flow_put(&any, MML_MODE_PLAIN, 0, 0);
	other.proto = EP_PROTO_UDP;
	flow_put(&other, MML_MODE_MLESP, 10, 0);
	expect_mh("another flow every 10th", &f, XDP_PASS);
	flow_clear();
	expect_mh("no entry", &f, XDP_PASS);
	/* No worker socket: dropped as any frame for the worker is. */
	flow_put(&any, MML_MODE_MLESP, 10, 0);
	p0 = stat_sum(MML_STAT_EP_XDP_NO_WORKER);
	run(skel->progs.mml_mh_wl, epb, &f, &r);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stat_sum(MML_STAT_EP_XDP_NO_WORKER), p0 + 1);

	/* The HA: the reverse tunnel, still encapsulated (the worker checks
	 * its source again). */
	plain_tunnel(&f, FA_ADDR, HOME);
	s0 = stat_sum(steered);
	run(skel->progs.mml_ha_fa, epa, &f, &r);
	assert_int_equal(r.verdict, XDP_REDIRECT);
	assert_int_equal(meta_of(&r)->kind, MML_META_HA_UP_PLAIN);
	assert_int_equal(r.out_len, r.meta_len + f.len);
	assert_memory_equal(r.out + r.meta_len, f.b, f.len);
	assert_int_equal(stat_sum(steered), s0 + 1);
	expect_verdict("HA, every 10th", epa, &f, XDP_REDIRECT, plain);
	plain_tunnel(&f, FA2_ADDR, HOME);
	expect_verdict("HA, every 10th, from another FA", epa, &f, XDP_DROP,
		       MML_STAT_EP_DROP_TUNNEL_SRC);
	plain_tunnel(&f, FA_ADDR, HOME);
	flow_put(&any, MML_MODE_MLESP, 0, MML_FLOW_F_ACCEPT_PLAIN);
	expect_verdict("HA, accepting plaintext", epa, &f, XDP_PASS, MML_STAT_EP_XDP_DECAP_PLAIN);
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_verdict("HA, ML-ESP", epa, &f, XDP_DROP, MML_STAT_EP_DROP_DOWNGRADE);
	flow_clear();
	expect_verdict("HA, no entry", epa, &f, XDP_PASS, MML_STAT_EP_XDP_DECAP_PLAIN);
}

/* A class entry (mml_flow_dscp) as mmlctl and mmlkeyd write it; mode
 * MML_MODE_MAX clears it. */
static void class_put(unsigned int dscp, uint8_t mode, uint16_t every)
{
	struct mml_flow f = { .mode = mode, .every_n = every };

	assert_int_equal(mml_flow_dscp_put(bpf_map__fd(skel->maps.mml_flow_dscp), dscp,
					   mode < MML_MODE_MAX ? &f : NULL),
			 0);
}

static void set_dscp(uint8_t *ip, uint8_t dscp)
{
	ip[1] = (uint8_t)(dscp << 2 | (ip[1] & 3));
	put_be16(ip + 10, 0);
	put_be16(ip + 10, inet_csum(ip, 20));
}

/* Issue 19's classes: plaintext whose DSCP has a protected class entry is
 * refused when no 5-tuple entry but the default matches it; other DSCPs,
 * an every-n-th class and a more specific entry let it through. */
static void plaintext_of_protected_class_refused(void **state)
{
	struct mml_flow_key any = { 0 }, partial;
	uint8_t *ip;
	struct frame f;

	eth(&f);
	tcp(&f, CN, HOME, 500);
	ip = f.b + EP_ETH_HLEN;
	partial = (struct mml_flow_key){ addr(HOME), addr(CN), 0, 0, 6, { 0 } };

	class_put(10, MML_MODE_MLESP, 0);
	set_dscp(ip, 10);
	expect_mh("DSCP 10, its class ML-ESP", &f, XDP_DROP);
	set_dscp(ip, 0);
	expect_mh("unmarked", &f, XDP_PASS);
	set_dscp(ip, 46);
	expect_mh("DSCP 46 without a class", &f, XDP_PASS);
	class_put(46, MML_MODE_ESP, 10);
	expect_mh("DSCP 46, its class every 10th: to the worker", &f, XDP_REDIRECT);
	class_put(46, MML_MODE_ESP, 0);
	expect_mh("DSCP 46, its class ESP", &f, XDP_DROP);
	flow_put(&any, MML_MODE_PLAIN, 0, 0);
	expect_mh("the class above a plaintext default", &f, XDP_DROP);
	set_dscp(ip, 0);
	expect_mh("unmarked under a plaintext default", &f, XDP_PASS);
	flow_put(&any, MML_MODE_MLESP, 0, 0);
	expect_mh("unmarked under an ML-ESP default", &f, XDP_DROP);
	class_put(10, MML_MODE_PLAIN, 0);
	set_dscp(ip, 10);
	expect_mh("a plaintext class above an ML-ESP default", &f, XDP_PASS);
	class_put(10, MML_MODE_MLESP, 0);
	flow_put(&partial, MML_MODE_PLAIN, 0, 0);
	expect_mh("a partial 5-tuple entry above the class", &f, XDP_PASS);
	flow_clear();
	class_put(10, MML_MODE_MAX, 0);
	expect_mh("class cleared", &f, XDP_PASS);

	/* The HA: the DSCP of the inner packet of the reverse tunnel. */
	class_put(10, MML_MODE_MLESP, 0);
	plain_tunnel(&f, FA_ADDR, HOME);
	set_dscp(f.b + EP_ETH_HLEN + 20, 10);
	expect_verdict("HA, DSCP 10 ML-ESP", epa, &f, XDP_DROP, MML_STAT_EP_DROP_DOWNGRADE);
	set_dscp(f.b + EP_ETH_HLEN + 20, 12);
	expect_verdict("HA, DSCP 12", epa, &f, XDP_PASS, MML_STAT_EP_XDP_DECAP_PLAIN);
	class_put(10, MML_MODE_MAX, 0);
	class_put(46, MML_MODE_MAX, 0);
}

/* ---------------------------------------------------------------- random frames */

/* What the counters must say about any frame: the programs count each
 * decision they take once (bpf/ep.h): a redirect to the worker counts
 * ep_xdp_to_worker, a drop one drop counter, a pass either nothing (not the
 * endpoint's) or ep_xdp_expired / ep_xdp_decap_plain; nothing else moves. */
static const char *ep_accounting(int verdict, const uint64_t *d)
{
	static char why[160];
	unsigned int moved = 0;
	uint32_t which = MML_STAT_MAX;
	int cls = -1;

	for (uint32_t s = 0; s < MML_STAT_MAX; s++) {
		/* Counted beside ep_xdp_to_worker, not instead of it. */
		if (s == MML_STAT_EP_XDP_PLAIN_TO_WORKER && d[s] <= d[MML_STAT_EP_XDP_TO_WORKER])
			continue;
		if (!d[s])
			continue;
		moved++;
		which = s;
		if (d[s] != 1) {
			snprintf(why, sizeof(why), "counter %s went up by %llu", mml_stat_name(s),
				 (unsigned long long)d[s]);
			return why;
		}
	}
	if (moved > 1)
		return "more than one counter for one frame";
	if (!moved)
		return verdict == XDP_PASS ? NULL : "a drop or redirect without its counter";
	switch (which) {
	case MML_STAT_EP_XDP_TO_WORKER:
		cls = XDP_REDIRECT;
		break;
	case MML_STAT_EP_XDP_EXPIRED:
	case MML_STAT_EP_XDP_DECAP_PLAIN:
		cls = XDP_PASS;
		break;
	case MML_STAT_EP_DROP_MALFORMED:
	case MML_STAT_EP_DROP_UNKNOWN_SPI:
	case MML_STAT_EP_XDP_NO_WORKER:
	case MML_STAT_EP_XDP_FRAGMENT:
	case MML_STAT_EP_XDP_NO_ROUTE:
	case MML_STAT_EP_DROP_TUNNEL_SRC:
	case MML_STAT_EP_DROP_DOWNGRADE:
		cls = XDP_DROP;
		break;
	}
	if (cls != verdict) {
		snprintf(why, sizeof(why), "verdict %d with counter %s", verdict,
			 mml_stat_name(which));
		return why;
	}
	return NULL;
}

/* A valid frame for one of the three programs (0 ha_cn, 1 ha_fa, 2 mh_wl). */
static void random_base(struct frame *f, unsigned int prog)
{
	size_t at;

	eth(f);
	switch (prog) {
	case 0:
		tcp(f, CN, test_random_below(2) ? HOME : HOME2, 40 + test_random_below(600));
		break;
	case 1:
		at = ipip_open(f);
		if (test_random_below(2))
			esp(f, &out_mlesp, HOME, HA_ADDR);
		else
			tcp(f, HOME, CN, 40 + test_random_below(600));
		ipip_close(f, at, FA_ADDR, HA_ADDR, false);
		break;
	default:
		esp(f, test_random_below(4) ? &out_mlesp : &out_esp, HA_ADDR, HOME);
		break;
	}
}

/* MML_BPF_RANDOM frames (default 1000), each a valid frame for one of the
 * programs mutated at random, through that program (now and then another). */
static void random_packets(void **state)
{
	const uint32_t addrs[] = { addr(HA_ADDR), addr(FA_ADDR), addr(FA2_ADDR), addr(FAR_ADDR),
				   addr(HOME),	  addr(HOME2),	 addr(CN) };
	struct bpf_program *progs[3] = { skel->progs.mml_ha_cn, skel->progs.mml_ha_fa,
					 skel->progs.mml_mh_wl };
	unsigned long n = xdp_random_count(1000);
	uint64_t before[MML_STAT_MAX], d[MML_STAT_MAX];
	static struct frame f;
	static struct result r;
	unsigned long tally[5] = { 0 }; /* by verdict */
	char what[400];

	test_seed();
	for (unsigned long i = 0; i < n; i++) {
		unsigned int base = test_random_below(3);
		unsigned int prog = test_random_below(8) ? base : test_random_below(3);
		const char *bad;

		random_base(&f, base);
		xdp_mutate(f.b, &f.len, sizeof(f.b), EP_ETH_HLEN, addrs,
			   sizeof(addrs) / sizeof(addrs[0]), what, sizeof(what));
		for (uint32_t s = 0; s < MML_STAT_MAX; s++)
			before[s] = stat_sum(s);
		run(progs[prog], epa, &f, &r);
		for (uint32_t s = 0; s < MML_STAT_MAX; s++)
			d[s] = stat_sum(s) - before[s];
		bad = r.verdict != XDP_PASS && r.verdict != XDP_DROP && r.verdict != XDP_REDIRECT ?
			      "a verdict the endpoints never give" :
			      ep_accounting(r.verdict, d);
		tally[r.verdict >= 0 && r.verdict < 5 ? r.verdict : 0]++;
		if (bad)
			fail_msg(
				"random frame %lu (program %u, base %u, %zu bytes: %s): verdict %d: %s",
				i, prog, base, f.len, what, r.verdict, bad);
	}
	print_message(
		"random-packet mode: %lu frames (%lu passed, %lu dropped, %lu redirected), every "
		"verdict expected and accounted for\n",
		n, tally[XDP_PASS], tally[XDP_DROP], tally[XDP_REDIRECT]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ha_cn_steers_home_traffic),
		cmocka_unit_test(ha_cn_unresolved_next_hop),
		cmocka_unit_test(ha_cn_no_route_expired_and_others),
		cmocka_unit_test(ha_fa_esp_to_worker),
		cmocka_unit_test(ha_fa_plain_decapsulated),
		cmocka_unit_test(ha_fa_tunnel_sources),
		cmocka_unit_test(mh_steers_known_spi_only),
		cmocka_unit_test(maps_carry_btf),
		cmocka_unit_test(plaintext_of_protected_flow_refused),
		cmocka_unit_test(plaintext_of_every_n_flow_to_worker),
		cmocka_unit_test(plaintext_of_protected_class_refused),
		cmocka_unit_test(flow_put_notes_shape),
		cmocka_unit_test(random_packets),
	};

	if (geteuid()) {
		printf("skipped: needs root\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
