/* libFuzzer harness for the endpoint workers' receive paths (worker/rx.c,
 * worker/proto.c, worker/pkt.c, worker/gso.c and lib's ESP/ML-ESP codec
 * under them), on arbitrary input, with the HA's and the MH's tables loaded
 * with real SAs, bindings and flows. `make test` runs it briefly
 * (fuzz-ep-rx, tests/fuzz/fuzz.sh ep-rx); MML_FUZZ_SEEDS=DIR writes the seed
 * corpus (valid frames of every kind under these keys) and exits.
 *
 * Input: byte 0 selects, then target-specific bytes.
 *   sel & 3 == 0, 1  a frame as XDP hands it to the HA (0) or MH (1) worker:
 *                    byte 1 = metadata kind, byte 2 = its flags, then the
 *                    frame. sel & 4: reseal the ESP/ML-ESP packet found in
 *                    it with the sender's keys first, so the fuzzer's bytes
 *                    are the plaintext under valid tags (trailer, inner
 *                    header, spoofing checks); sel & 8: a wrong magic;
 *                    sel & 16: a wrong layer-3 offset.
 *   sel & 3 == 2     an inner packet the MH (sel & 4: the HA) protects,
 *                    then the other end opens: the round trip must give
 *                    the packet back.
 *   sel & 3 == 3     a TUN read (virtio_net_hdr + packet) at the MH (sel &
 *                    4: the HA): checksum completion, segmentation, then
 *                    each segment's round trip as above, and the segments
 *                    through the TUN coalescer (worker/gro.c): each one it
 *                    holds comes out in its next write, in order.
 * Besides the sanitizers, what must hold: a delivered inner packet lies
 * inside the frame, is a valid IPv4 packet of exactly the length returned,
 * and belongs to the receiver (MH: to the home address; HA: from a home
 * address whose binding lists the SPI); a packet one end protects the other
 * delivers unchanged. A violation traps. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/esp.h"
#include "lib/log.h"
#include "lib/mlesp.h"
#include "worker/gro.h"
#include "worker/gso.h"
#include "worker/pkt.h"
#include "worker/proto.h"
#include "worker/rx.h"

#define FRAME_SIZE 4096 /* worker/xsk.h EP_FRAME_SIZE: what a protected frame may fill */
#define SEG_SIZE 2048	/* struct ep_thread's segment buffer */

/* Network order constants of the test bed's addresses. */
#define A(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define HOME A(10, 1, 0, 10)
#define HOME2 A(10, 1, 0, 11)
#define HA A(10, 1, 0, 1)
#define COA A(10, 0, 2, 2)
#define FA_WL A(10, 2, 1, 1)
#define CN A(10, 0, 1, 1)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ep_seqstore store;
static struct ep_tables ha, mh;

/* ---------------------------------------------------------------- set-up */

static struct mml_csa csa(uint32_t spi, uint8_t format, uint8_t dir, uint8_t z1_len, uint8_t alg)
{
	struct mml_csa c;

	memset(&c, 0, sizeof(c));
	c.spi = spi;
	c.format = format;
	c.dir = dir;
	c.add_time_ns = spi;
	c.z1_len = format == MML_FMT_MLESP ? z1_len : 0;
	for (int z = 0; z < (format == MML_FMT_MLESP ? 2 : 1); z++) {
		c.zone[z].alg = format == MML_FMT_MLESP && z == 0 ? MML_ALG_CHACHA20_POLY1305 : alg;
		for (int i = 0; i < MML_KEY_LEN; i++)
			c.zone[z].key[i] = (uint8_t)(spi * 7 + z * 64 + i);
		put_be32(c.zone[z].salt, spi ^ (uint32_t)z);
	}
	return c;
}

/* Downlink SPIs 0x1xxx (HA out, MH in), uplink 0x2xxx: ML-ESP z1 40 with
 * AES-GCM zone 2, ESP AES-GCM, ESP ChaCha20-Poly1305, ML-ESP z1 20 with
 * ChaCha20-Poly1305 zone 2. */
static void load_sas(struct ep_tables *t, uint8_t down_dir, uint8_t up_dir)
{
	static const struct {
		uint32_t spi;
		uint8_t format, z1_len, alg;
	} sas[] = {
		{ 0x000, MML_FMT_MLESP, 40, MML_ALG_AES256_GCM },
		{ 0x100, MML_FMT_ESP, 0, MML_ALG_AES256_GCM },
		{ 0x200, MML_FMT_ESP, 0, MML_ALG_CHACHA20_POLY1305 },
		{ 0x300, MML_FMT_MLESP, 20, MML_ALG_CHACHA20_POLY1305 },
	};
	struct mml_csa c[8];

	for (int i = 0; i < 4; i++) {
		c[2 * i] = csa(0x1000 + sas[i].spi, sas[i].format, down_dir, sas[i].z1_len,
			       sas[i].alg);
		c[2 * i + 1] =
			csa(0x2000 + sas[i].spi, sas[i].format, up_dir, sas[i].z1_len, sas[i].alg);
	}
	if (ep_sacache_init(&t->sas, &store) || ep_sacache_load(&t->sas, c, 8) != 8)
		__builtin_trap();
}

static struct mml_binding binding(uint32_t ha_addr, uint32_t coa, uint32_t esp_out,
				  uint32_t mlesp_out, uint32_t esp_in, uint32_t mlesp_in)
{
	struct mml_binding b = { .ha_addr = ha_addr, .coa = coa };

	b.spi_out[MML_MODE_ESP] = esp_out;
	b.spi_out[MML_MODE_MLESP] = mlesp_out;
	b.spi_in[MML_MODE_ESP] = esp_in;
	b.spi_in[MML_MODE_MLESP] = mlesp_in;
	return b;
}

/* The same flows at both ends (the key is the MH's view), SPI overrides
 * with the end's own outbound SPIs; base is 0x1000 at the HA, 0x2000 at
 * the MH. The lookup wildcards ports and protocol, not addresses (only the
 * all-zero default key matches any). */
static void load_flows(struct ep_tables *t, uint32_t base)
{
	struct mml_flow_key k[5] = {
		{ 0 }, /* the default */
		{ .home_addr = HOME, .peer_addr = CN, .proto = 6, .peer_port = 22 },
		{ .home_addr = HOME, .peer_addr = CN, .proto = 17 },
		{ .home_addr = HOME, .peer_addr = CN, .proto = 6, .peer_port = 23 },
		{ .home_addr = HOME, .peer_addr = CN, .proto = 6, .home_port = 24 },
	};
	struct mml_flow f[5] = {
		{ .mode = MML_MODE_MLESP },
		{ .mode = MML_MODE_ESP },
		{ .mode = MML_MODE_PLAIN },
		{ .mode = MML_MODE_ESP, .spi = base + 0x200 },
		{ .mode = MML_MODE_MLESP, .every_n = 3, .spi = base + 0x300 },
	};

	if (ep_flowtab_load(&t->flows, k, f, 5) != 5)
		__builtin_trap();
}

static void init(void)
{
	uint32_t homes[2] = { HOME, HOME2 };
	struct mml_binding hb[2] = {
		binding(HA, COA, 0x1100, 0x1000, 0x2100, 0x2000),
		binding(HA, COA, 0x1100, 0x1300, 0x2100, 0x2300),
	};
	struct mml_binding mb = binding(HA, FA_WL, 0x2100, 0x2000, 0x1100, 0x1000);

	mml_log_open("fuzz", false, MML_LOG_ERR);
	if (ep_seqstore_init(&store, -1, NULL, 0))
		__builtin_trap();
	load_sas(&ha, MML_DIR_OUT, MML_DIR_IN);
	load_sas(&mh, MML_DIR_IN, MML_DIR_OUT);
	if (ep_bindtab_load(&ha.binds, homes, hb, 2) != 2 ||
	    ep_bindtab_load(&mh.binds, homes, &mb, 1) != 1)
		__builtin_trap();
	load_flows(&ha, 0x1000);
	load_flows(&mh, 0x2000);
}

/* Every input starts from empty replay windows, so that a crash reproduces
 * from its input alone. */
static void reset_replay(struct ep_tables *t)
{
	for (uint32_t i = 0; i <= t->sas.mask; i++) {
		struct ep_sa *s = &t->sas.slots[i];

		if (!s->spi || s->sa.csa.dir != MML_DIR_IN)
			continue;
		/* The window the threads share (worker/sacache.h). */
		mml_replay_free(mml_sa_replay(&s->sa));
		if (mml_replay_init(mml_sa_replay(&s->sa), s->sa.csa.replay_window))
			__builtin_trap();
	}
}

/* ---------------------------------------------------------------- checks */

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
			__builtin_trap();                                                        \
		}                                                                                \
	} while (0)

/* ep_unprotect at side's tables; on delivery, what must hold of it. */
static ssize_t open_and_check(enum ep_side side, uint32_t tunnel_src, uint8_t *ip, size_t len,
			      uint8_t **inner, unsigned int *stat)
{
	struct ep_tables *t = side == EP_SIDE_HA ? &ha : &mh;
	const struct mml_binding *b;
	struct ep_ip in;
	ssize_t n;

	n = ep_unprotect(t, side, side == EP_SIDE_MH ? HOME : 0, tunnel_src, ip, len, inner, stat);
	if (n < 0) {
		CHECK(*stat != MML_STAT_EP_DELIVER_ESP && *stat != MML_STAT_EP_DELIVER_MLESP);
		return n;
	}
	CHECK(*stat == MML_STAT_EP_DELIVER_ESP || *stat == MML_STAT_EP_DELIVER_MLESP);
	CHECK(*inner >= ip && *inner + n <= ip + len);
	CHECK(!ep_ip_parse(*inner, (size_t)n, &in) && in.tot == (size_t)n);
	if (side == EP_SIDE_MH) {
		CHECK(in.daddr == HOME);
	} else {
		uint8_t mode = *stat == MML_STAT_EP_DELIVER_ESP ? MML_MODE_ESP : MML_MODE_MLESP;

		b = ep_binding_get(&ha.binds, in.saddr);
		CHECK(b && b->spi_in[mode] == get_be32(ip + (ip[0] & 0xf) * 4));
	}
	return n;
}

/* Protect inner at one end as the worker does (binding by the home
 * address's side, TTL already handled by the caller), then open it at the
 * other: the packet must come back unchanged. */
static void round_trip(enum ep_side side, const uint8_t *inner, size_t len)
{
	struct ep_tables *t = side == EP_SIDE_HA ? &ha : &mh;
	size_t cap = FRAME_SIZE - EP_ETH_HLEN - (side == EP_SIDE_HA ? EP_IP_HLEN : 0);
	const struct mml_binding *b, *peer_b;
	uint8_t *out = malloc(cap), *back, mode;
	struct ep_sa *s;
	unsigned int stat;
	uint32_t spi;
	struct ep_ip ip;
	ssize_t n, m;

	if (!out)
		return;
	if (ep_ip_parse(inner, len, &ip))
		goto out;
	b = ep_binding_get(&t->binds, side == EP_SIDE_HA ? ip.daddr : ip.saddr);
	if (!b)
		goto out;
	n = ep_protect(t, side, b, inner, ip.tot, out, cap, &stat);
	if (n < 0 || stat == MML_STAT_EP_ENCAP_PLAIN) {
		CHECK(n < 0 || (n == ip.tot && !memcmp(out, inner, ip.tot)));
		goto out;
	}
	CHECK((size_t)n <= cap);
	m = open_and_check(side == EP_SIDE_HA ? EP_SIDE_MH : EP_SIDE_HA, COA, out, (size_t)n, &back,
			   &stat);
	spi = get_be32(out + EP_IP_HLEN);
	s = ep_sacache_get(&t->sas, spi);
	CHECK(s && s->sa.csa.dir == MML_DIR_OUT);
	mode = s->sa.csa.format == MML_FMT_ESP ? MML_MODE_ESP : MML_MODE_MLESP;
	peer_b = ep_binding_get(&ha.binds, ip.saddr);
	if (side == EP_SIDE_HA && ip.daddr != HOME) {
		/* Another MH's packet (same keys here): ours must refuse it. */
		CHECK(m < 0 && stat == MML_STAT_EP_DROP_SPOOF);
	} else if (side == EP_SIDE_MH && (!peer_b || peer_b->spi_in[mode] != spi)) {
		/* The HA accepts an uplink SPI only from the home address whose
		 * binding lists it: an MH flow's SPI override that is not the
		 * binding's is dropped before any crypto (its outer source). */
		CHECK(m < 0 && stat == MML_STAT_EP_DROP_OUTER_SRC);
	} else {
		CHECK(m == ip.tot && !memcmp(back, inner, ip.tot));
	}
out:
	free(out);
}

/* ---------------------------------------------------------------- reseal */

/* The SA of the end that sends to side (its dir out SA of that SPI). */
static struct ep_sa *sender_sa(enum ep_side side, uint32_t spi)
{
	struct ep_sa *s = ep_sacache_get(side == EP_SIDE_HA ? &mh.sas : &ha.sas, spi);

	return s && s->sa.csa.dir == MML_DIR_OUT ? s : NULL;
}

/* Seal the ESP bytes esp[0, len) in place as they stand: the bytes where
 * ciphertext goes are taken as the plaintext, the tags are computed. */
static void reseal(enum ep_side side, uint8_t *esp, size_t len)
{
	struct ep_sa *s;
	uint8_t iv[8] = { 0 };

	if (len < 8)
		return;
	s = sender_sa(side, get_be32(esp));
	if (!s)
		return;
	if (s->sa.csa.format == MML_FMT_ESP) {
		size_t p_len;
		uint8_t *c = esp + MML_ESP_HDR_LEN + MML_ESP_IV_LEN;

		if (len < MML_ESP_OVERHEAD)
			return;
		p_len = len - MML_ESP_OVERHEAD;
		mml_aead_seal(&s->sa.zone[0], esp + MML_ESP_HDR_LEN, esp, MML_ESP_HDR_LEN, c, c,
			      p_len, c + p_len);
	} else {
		size_t p_len, l1;
		uint8_t *c1 = esp + MML_MLESP_HDR_LEN, *c2;

		if (len < MML_MLESP_OVERHEAD)
			return;
		p_len = len - MML_MLESP_OVERHEAD;
		l1 = s->sa.csa.z1_len < p_len ? s->sa.csa.z1_len : p_len;
		c2 = c1 + l1 + MML_TAG_LEN;
		memcpy(iv + 4, esp + 4, 4);
		mml_aead_seal(&s->sa.zone[0], iv, esp, MML_MLESP_HDR_LEN, c1, c1, l1, c1 + l1);
		mml_aead_seal(&s->sa.zone[1], iv, esp, MML_MLESP_HDR_LEN, c2, c2, p_len - l1,
			      c2 + p_len - l1);
	}
}

/* ---------------------------------------------------------------- targets */

static void frame(bool at_ha, uint8_t sel, const uint8_t *data, size_t size)
{
	struct mml_xsk_meta *m;
	struct ep_rx rx;
	unsigned int stat;
	uint8_t *buf, *pkt, *inner;
	struct ep_ip ip;

	if (size < 2)
		return;
	/* Exactly the frame's bytes after the metadata, as in the UMEM: a
	 * read past the frame is an ASan report. */
	buf = malloc(sizeof(*m) + size - 2);
	if (!buf)
		return;
	m = (struct mml_xsk_meta *)buf;
	pkt = buf + sizeof(*m);
	memset(m, 0, sizeof(*m));
	m->magic = sel & 8 ? MML_META_MAGIC ^ 1 : MML_META_MAGIC;
	m->kind = data[0];
	m->flags = data[1];
	m->l3_off = sel & 16 ? 0 : EP_ETH_HLEN;
	m->coa = COA;
	m->ha_addr = HA;
	memcpy(pkt, data + 2, size - 2);
	ep_rx_parse(at_ha, m, pkt, size - 2, &rx);
	if (rx.kind == EP_RX_DROP) {
		CHECK(rx.stat == MML_STAT_EP_DROP_MALFORMED);
		goto out;
	}
	CHECK(rx.ip >= pkt && rx.ip + rx.len <= pkt + size - 2);
	if (rx.kind == EP_RX_HA_DOWN) {
		/* ha_down in worker/loop.c: the binding, the TTL, protect. */
		CHECK(at_ha && rx.len == rx.hdr.tot);
		if (ep_binding_get(&ha.binds, rx.hdr.daddr) && !ep_ip_ttl_dec(rx.ip)) {
			CHECK(!ep_ip_parse(rx.ip, rx.len, &ip) && ip.ttl == rx.hdr.ttl - 1);
			round_trip(EP_SIDE_HA, rx.ip, rx.len);
		}
		goto out;
	}
	CHECK(rx.side == (at_ha ? EP_SIDE_HA : EP_SIDE_MH));
	if (rx.kind == EP_RX_PLAIN) {
		/* deliver_plain in worker/loop.c: checked, then written as is. */
		ssize_t n = ep_plain_in(at_ha ? &ha : &mh, rx.side, HOME, rx.tunnel_src, rx.ip,
					rx.len, &stat);

		CHECK(n < 0 ? stat != MML_STAT_EP_DELIVER_PLAIN :
			      (size_t)n <= rx.len && stat == MML_STAT_EP_DELIVER_PLAIN);
		goto out;
	}
	if (sel & 4 && !ep_ip_parse(rx.ip, rx.len, &ip) && ip.proto == EP_PROTO_ESP)
		reseal(rx.side, rx.ip + ip.hlen, ip.tot - ip.hlen);
	open_and_check(rx.side, rx.tunnel_src, rx.ip, rx.len, &inner, &stat);
out:
	free(buf);
}

/* worker/gro.c over segments: what it holds is, byte for byte and in
 * order, the payload of its next write; no write exceeds an IPv4 packet;
 * the retry after a flush never flushes again. */
static struct ep_gro gro;
static uint8_t gro_payload[EP_GRO_MAX];
static size_t gro_payload_len, gro_segs;

static void gro_take_check(void)
{
	const uint8_t *w, *ip;
	size_t len, hdr;
	uint16_t segs;

	w = ep_gro_take(&gro, &len, &segs);
	if (!w) {
		CHECK(!gro_segs);
		return;
	}
	ip = w + EP_VNET_HDR_LEN;
	hdr = (size_t)(ip[0] & 0xf) * 4 + (size_t)(ip[(ip[0] & 0xf) * 4 + 12] >> 4) * 4;
	CHECK(segs == gro_segs && len <= EP_VNET_HDR_LEN + EP_GRO_MAX);
	CHECK(len == EP_VNET_HDR_LEN + hdr + gro_payload_len);
	CHECK(!memcmp(ip + hdr, gro_payload, gro_payload_len));
	gro_payload_len = gro_segs = 0;
}

static void gro_offer(const uint8_t *p, size_t len)
{
	enum ep_gro_verdict v = ep_gro_add(&gro, p, len);
	size_t hdr, payload;

	if (v == EP_GRO_FLUSH) {
		gro_take_check();
		v = ep_gro_add(&gro, p, len);
		CHECK(v != EP_GRO_FLUSH);
	}
	if (v == EP_GRO_PASS) {
		gro_take_check();
		return;
	}
	hdr = 20 + (size_t)(p[32] >> 4) * 4; /* held: IHL 5, a valid TCP header */
	payload = get_be16(p + 2) - hdr;
	CHECK(gro_payload_len + payload <= sizeof(gro_payload));
	memcpy(gro_payload + gro_payload_len, p + hdr, payload);
	gro_payload_len += payload;
	gro_segs++;
}

static void tun_read(enum ep_side side, const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1), *seg = malloc(SEG_SIZE);
	const uint8_t *p;
	struct ep_gso g;
	size_t len;

	if (!buf || !seg)
		goto out;
	memcpy(buf, data, size);
	if (ep_gso_begin(&g, buf, size))
		goto out;
	while ((p = ep_gso_next(&g, seg, SEG_SIZE, &len))) {
		CHECK(p == seg ? len <= SEG_SIZE : p >= buf && p + len <= buf + size);
		gro_offer(p, len);
		round_trip(side, p, len);
	}
	gro_take_check();
out:
	free(buf);
	free(seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel;
	uint8_t *copy;

	if (!ha.sas.slots)
		init();
	if (size < 1)
		return 0;
	reset_replay(&ha);
	reset_replay(&mh);
	/* A flow upgrade learned from a resealed frame (issue 19) stays in
	 * that input: the next round trip starts from equal tables again. */
	if (ha.flows.count != 5)
		load_flows(&ha, 0x1000);
	if (mh.flows.count != 5)
		load_flows(&mh, 0x2000);
	sel = data[0];
	data++;
	size--;
	switch (sel & 3) {
	case 0:
	case 1:
		frame((sel & 3) == 0, sel, data, size);
		break;
	case 2:
		/* An exact-size copy, so that ASan sees overreads. */
		copy = malloc(size ? size : 1);
		if (copy) {
			memcpy(copy, data, size);
			round_trip(sel & 4 ? EP_SIDE_HA : EP_SIDE_MH, copy, size);
			free(copy);
		}
		break;
	case 3:
		tun_read(sel & 4 ? EP_SIDE_HA : EP_SIDE_MH, data, size);
		break;
	}
	return 0;
}

/* ---------------------------------------------------------------- seeds */

static const char *seed_dir;
static int seed_n;

static void seed(const uint8_t *p, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/seed-%03d", seed_dir, seed_n++);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, p, len) != (ssize_t)len) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* A TCP (proto 6) or UDP (17) packet of len bytes, checksums filled. */
static size_t inner_pkt(uint8_t *p, size_t len, uint32_t src, uint32_t dst, uint8_t proto,
			uint16_t sport, uint16_t dport)
{
	size_t l4 = proto == 6 ? 20 : 8;

	memset(p, 0, len);
	inet_ip4_write(p, src, dst, proto, (uint16_t)len, 0, 0x1234, true, EP_TTL);
	put_be16(p + 20, sport);
	put_be16(p + 22, dport);
	if (proto == 6) {
		put_be32(p + 24, 1000);
		p[32] = 0x50;
		p[33] = 0x18;
		put_be16(p + 34, 65535);
	} else {
		put_be16(p + 24, (uint16_t)(len - 20));
	}
	for (size_t i = 20 + l4; i < len; i++)
		p[i] = (uint8_t)(i * 7);
	return len;
}

static void eth(uint8_t *f)
{
	static const uint8_t a[6] = { 2, 0, 0, 0, 0, 1 }, b[6] = { 2, 0, 0, 0, 0, 2 };

	ep_eth_write(f, a, b);
}

/* A frame seed: sel, kind, flags, Ethernet, [tunnel header], packet. */
static void frame_seed(uint8_t sel, uint8_t kind, const uint8_t *ip, size_t len, bool tunnel)
{
	uint8_t s[FRAME_SIZE + 64];
	size_t hdr = 3 + EP_ETH_HLEN + (tunnel ? EP_IP_HLEN : 0);

	s[0] = sel;
	s[1] = kind;
	s[2] = 0;
	eth(s + 3);
	if (tunnel)
		inet_ip4_write(s + 3 + EP_ETH_HLEN, COA, HA, EP_PROTO_IPIP,
			       (uint16_t)(len + EP_IP_HLEN), 0, 1, false, EP_TTL);
	memcpy(s + hdr, ip, len);
	seed(s, hdr + len);
}

/* The plaintext layout of a protected packet: what reseal() seals. */
static size_t plain_layout(enum ep_side to, const uint8_t *prot, size_t len, uint8_t *out)
{
	struct ep_tables *t = to == EP_SIDE_HA ? &ha : &mh;
	uint8_t *in;
	unsigned int stat;
	ssize_t n;
	uint8_t copy[FRAME_SIZE];
	struct ep_sa *s;
	size_t off;

	memcpy(copy, prot, len);
	memcpy(out, prot, len);
	reset_replay(t);
	n = ep_unprotect(t, to, to == EP_SIDE_MH ? HOME : 0, COA, copy, len, &in, &stat);
	if (n < 0)
		return 0;
	/* Zone/ESP plaintext where the ciphertext was; the tags do not matter. */
	s = sender_sa(to, get_be32(prot + EP_IP_HLEN));
	if (s->sa.csa.format == MML_FMT_ESP) {
		off = EP_IP_HLEN + MML_ESP_HDR_LEN + MML_ESP_IV_LEN;
		memcpy(out + off, copy + off, len - off - MML_TAG_LEN);
	} else {
		size_t p_len = len - EP_IP_HLEN - MML_MLESP_OVERHEAD;
		size_t l1 = s->sa.csa.z1_len < p_len ? s->sa.csa.z1_len : p_len;

		off = EP_IP_HLEN + MML_MLESP_HDR_LEN;
		/* decap moved zone 1 next to zone 2 (in - off = the tag gap) */
		memcpy(out + off, in, l1);
		memcpy(out + off + l1 + MML_TAG_LEN, in + l1, p_len - l1);
	}
	return len;
}

static void protected_seeds(enum ep_side from, const uint8_t *inner, size_t len)
{
	struct ep_tables *t = from == EP_SIDE_HA ? &ha : &mh;
	enum ep_side to = from == EP_SIDE_HA ? EP_SIDE_MH : EP_SIDE_HA;
	const struct mml_binding *b = ep_binding_get(&t->binds, HOME);
	uint8_t prot[FRAME_SIZE], plain[FRAME_SIZE];
	unsigned int stat;
	uint8_t sel = from == EP_SIDE_HA ? 1 : 0;
	uint8_t kind = from == EP_SIDE_HA ? MML_META_MH_DOWN : MML_META_HA_UP;
	ssize_t n = ep_protect(t, from, b, inner, len, prot, sizeof(prot), &stat);

	if (n < 0 || stat == MML_STAT_EP_ENCAP_PLAIN)
		return;
	frame_seed(sel, kind, prot, (size_t)n, from == EP_SIDE_MH);
	if (plain_layout(to, prot, (size_t)n, plain))
		frame_seed(sel | 4, kind, plain, (size_t)n, from == EP_SIDE_MH);
}

static void tun_seeds(void)
{
	uint8_t s[1 + EP_VNET_HDR_LEN + 4000];
	struct virtio_net_hdr vh = { 0 };
	size_t len;

	/* A super-packet from the MH's stack: 3 segments and a bit. */
	len = inner_pkt(s + 1 + EP_VNET_HDR_LEN, 20 + 20 + 3100, HOME, CN, 6, 5000, 80);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.hdr_len = 40;
	vh.gso_size = 1000;
	vh.csum_start = 20;
	vh.csum_offset = 16;
	memcpy(s + 1, &vh, sizeof(vh));
	s[0] = 3;
	seed(s, 1 + EP_VNET_HDR_LEN + len);
	/* One packet with a partial checksum, at the MH and the HA. */
	len = inner_pkt(s + 1 + EP_VNET_HDR_LEN, 300, HOME, CN, 17, 5000, 53);
	vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	vh.gso_size = 0;
	vh.csum_offset = 6;
	memcpy(s + 1, &vh, sizeof(vh));
	seed(s, 1 + EP_VNET_HDR_LEN + len);
	len = inner_pkt(s + 1 + EP_VNET_HDR_LEN, 300, CN, HOME, 6, 80, 5000);
	vh.csum_offset = 16;
	memcpy(s + 1, &vh, sizeof(vh));
	s[0] = 3 | 4;
	seed(s, 1 + EP_VNET_HDR_LEN + len);
}

static void write_seeds(void)
{
	/* Ports seen from the MH: peer 22 = ESP, 23 = ESP under the other
	 * SA, home 24 = every 3rd ML-ESP; UDP plain; the rest ML-ESP. */
	static const struct {
		uint8_t proto;
		uint16_t home_port, peer_port;
		size_t len;
	} flows[] = {
		{ 6, 5000, 80, 60 },  { 6, 5000, 80, 1400 }, { 6, 5000, 22, 200 },
		{ 6, 5000, 23, 200 }, { 6, 24, 80, 100 },    { 17, 5000, 53, 120 },
		{ 1, 0, 0, 84 },
	};
	uint8_t p[FRAME_SIZE], s[FRAME_SIZE];

	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		size_t len = flows[i].len;

		/* Downlink: CN -> home, at the HA from the CN side, then as
		 * the MH receives it; uplink: home -> CN, as the HA receives
		 * it from the FA. */
		inner_pkt(p, len, CN, HOME, flows[i].proto, flows[i].peer_port, flows[i].home_port);
		frame_seed(0, MML_META_HA_DOWN, p, len, false);
		s[0] = 2 | 4;
		memcpy(s + 1, p, len);
		seed(s, 1 + len);
		protected_seeds(EP_SIDE_HA, p, len);
		inner_pkt(p, len, HOME, CN, flows[i].proto, flows[i].home_port, flows[i].peer_port);
		s[0] = 2;
		memcpy(s + 1, p, len);
		seed(s, 1 + len);
		protected_seeds(EP_SIDE_MH, p, len);
	}
	/* To the second home address: the HA tunnels it under that binding's
	 * SPI, which our MH holds too, and must refuse. */
	inner_pkt(p, 100, CN, HOME2, 6, 80, 5000);
	frame_seed(0, MML_META_HA_DOWN, p, 100, false);
	/* From the second home address, under its own SPI. */
	inner_pkt(p, 100, HOME2, CN, 6, 5000, 80);
	{
		const struct mml_binding b2 = binding(HA, FA_WL, 0x2100, 0x2300, 0x1100, 0x1300);
		unsigned int stat;
		ssize_t n = ep_protect(&mh, EP_SIDE_MH, &b2, p, 100, s, sizeof(s), &stat);

		if (n > 0)
			frame_seed(0, MML_META_HA_UP, s, (size_t)n, true);
	}
	tun_seeds();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	seed_dir = getenv("MML_FUZZ_SEEDS");
	if (!seed_dir)
		return 0;
	init();
	write_seeds();
	printf("fuzz_ep_rx: %d seeds in %s\n", seed_n, seed_dir);
	exit(0);
}
