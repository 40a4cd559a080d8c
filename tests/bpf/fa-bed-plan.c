/* The packets of tests/bpf/fa-bed.sh, one plan per direction, and what FA1
 * must do with each (docs/fa.md, "Verdicts and counters"). ML-ESP and ESP
 * come from the project's codec with the CSAs' real keys; forgeries are
 * valid packets with one thing changed afterwards. */
#include "tests/bpf/fa-bed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/bytes.h"
#include "lib/esp.h"
#include "lib/mlesp.h"
#include "lib/sa.h"
#include "loader/keyfile.h"

#define ESP_OFF IP_LEN /* ESP header inside the packet the tunnel carries */
#define IP_MF 0x2000

struct plan_ctx {
	struct bed_plan *p;
	const struct bed_link *link;
	enum bed_dir dir;
	uint16_t next_id;
	uint32_t seq;
	struct mml_sa ml, wide, esp; /* wide: downlink only */
	uint32_t ha, ha_link, coa, mh, not_visitor, cn;
};

/* ---- SAs ---- */

static int sa_from_keys(struct mml_sa *sa, const char *keydir, const char *name, uint32_t spi,
			uint8_t z1_len)
{
	struct mml_csa c = { .spi = spi, .format = MML_FMT_MLESP, .dir = MML_DIR_OUT };
	struct keymat km[MML_ZONES];
	char path[512], why[128];
	int err;

	snprintf(path, sizeof(path), "%s/%s", keydir, name);
	err = keyfile_read(path, km, MML_ZONES);
	if (err)
		return err;
	c.z1_len = z1_len;
	c.zone[0].alg = MML_ALG_CHACHA20_POLY1305;
	c.zone[1].alg = MML_ALG_AES256_GCM;
	for (int z = 0; z < MML_ZONES; z++) {
		memcpy(c.zone[z].key, km[z].key, MML_KEY_LEN);
		memcpy(c.zone[z].salt, km[z].salt, MML_SALT_LEN);
	}
	err = mml_sa_init(sa, &c, why, sizeof(why));
	if (err)
		fprintf(stderr, "%s: %s\n", path, why);
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(&c, sizeof(c));
	return err;
}

/* An ESP SA of the endpoints: a fresh random key the FA never sees. */
static int sa_esp(struct mml_sa *sa, uint32_t spi)
{
	struct mml_csa c = { .spi = spi, .format = MML_FMT_ESP, .dir = MML_DIR_OUT };
	char why[128];
	int err;

	c.zone[0].alg = MML_ALG_AES256_GCM;
	if (RAND_bytes(c.zone[0].key, MML_KEY_LEN) != 1 ||
	    RAND_bytes(c.zone[0].salt, MML_SALT_LEN) != 1)
		return -EIO;
	err = mml_sa_init(sa, &c, why, sizeof(why));
	if (err)
		fprintf(stderr, "ESP SA: %s\n", why);
	OPENSSL_cleanse(&c, sizeof(c));
	return err;
}

/* ---- packets (what the tunnel carries) ---- */

static size_t tcp_pkt(uint8_t *out, size_t len, uint32_t src, uint32_t dst, uint8_t flags)
{
	const struct tcp_fields tcp = { .sport = 40000,
					.dport = 5001,
					.seq = 1000 + (uint32_t)len,
					.ack = 77777,
					.flags = flags,
					.window = 8192 };

	return build_inner(out, len, src, dst, &tcp);
}

static size_t udp_pkt(uint8_t *out, size_t len, uint32_t src, uint32_t dst)
{
	uint8_t *u = out + IP_LEN;

	put_ipv4(out, src, dst, 17, len, 0);
	for (size_t i = IP_LEN + 8; i < len; i++)
		out[i] = (uint8_t)(i * 13);
	put_be16(u, 40001);
	put_be16(u + 2, 5002);
	put_be16(u + 4, (uint16_t)(len - IP_LEN));
	put_be16(u + 6, 0); /* no checksum: nobody consumes it */
	return len;
}

/* The endpoints' addresses of an ESP/ML-ESP packet in this direction. */
static void esp_ends(const struct plan_ctx *c, uint32_t *src, uint32_t *dst)
{
	*src = c->dir == BED_DOWN ? c->ha : c->mh;
	*dst = c->dir == BED_DOWN ? c->mh : c->ha;
}

/* ML-ESP of an inner TCP packet of inner_len bytes (host -> host of this
 * direction's payload). */
static size_t mlesp_pkt(struct plan_ctx *c, struct mml_sa *sa, uint8_t *out, size_t inner_len)
{
	uint8_t inner[FRAME_MAX];
	uint32_t src, dst;
	long n;

	if (c->dir == BED_DOWN)
		tcp_pkt(inner, inner_len, c->cn, c->mh, 0x18);
	else
		tcp_pkt(inner, inner_len, c->mh, c->cn, 0x10); /* an ACK */
	esp_ends(c, &src, &dst);
	n = build_mlesp(out, FRAME_MAX, sa, ++c->seq, src, dst, inner, inner_len);
	return n < 0 ? 0 : (size_t)n;
}

static size_t esp_pkt(struct plan_ctx *c, uint8_t *out, size_t inner_len)
{
	uint8_t inner[FRAME_MAX], iv[MML_ESP_IV_LEN] = { 0 };
	uint32_t src, dst, seq = ++c->seq;
	ssize_t n;

	tcp_pkt(inner, inner_len, c->dir == BED_DOWN ? c->cn : c->mh,
		c->dir == BED_DOWN ? c->mh : c->cn, 0x18);
	put_be32(iv + 4, seq);
	n = mml_esp_seal(&c->esp, seq, iv, inner, inner_len, out + IP_LEN, FRAME_MAX - IP_LEN);
	if (n < 0)
		return 0;
	esp_ends(c, &src, &dst);
	put_ipv4(out, src, dst, 50, IP_LEN + (size_t)n, 0);
	return IP_LEN + (size_t)n;
}

/* Shortens a packet by `by` bytes and keeps its total length honest; a
 * packet too short for that becomes empty, which emit refuses. */
static void cut(uint8_t *pkt, size_t *len, size_t by)
{
	if (*len < IP_LEN + by) {
		*len = 0;
		return;
	}
	*len -= by;
	put_be16(pkt + 2, (uint16_t)*len);
}

/* ---- frames ---- */

/* What the peer would receive if the FA forwarded the frame: the packet
 * inside the tunnel (downlink) or the frame's IPv4 packet (uplink). */
static void resync_arrive(const struct plan_ctx *c, struct bed_pkt *k)
{
	size_t off = ETH_LEN;

	if (c->dir == BED_DOWN) {
		size_t ihl = (size_t)(k->frame[ETH_LEN] & 0xf) * 4;

		off += ihl >= IP_LEN ? ihl : IP_LEN;
	}
	k->arrive_len = k->frame_len > off ? k->frame_len - off : 0;
	memcpy(k->arrive, k->frame + off, k->arrive_len);
}

/* One frame carrying pkt (marked with the next ID): downlink in IP-in-IP
 * from outer_src to the care-of address, uplink as the MH sends it. */
static struct bed_pkt *emit_from(struct plan_ctx *c, uint32_t outer_src, const char *group,
				 enum bed_expect expect, const char *counter, uint8_t *pkt,
				 size_t len)
{
	struct bed_pkt *k;
	struct frame f;

	if (!len || len + ETH_LEN + IP_LEN > FRAME_MAX)
		return NULL;
	k = bed_plan_add(c->p);
	if (!k)
		return NULL;
	k->id = c->next_id++;
	k->expect = expect;
	snprintf(k->group, sizeof(k->group), "%s", group);
	snprintf(k->counter, sizeof(k->counter), "%s", counter);
	put_be16(pkt + 4, k->id);
	ipv4_fix_csum(pkt);
	if (c->dir == BED_DOWN)
		build_tunnel(&f, c->link->dst, c->link->src, outer_src, c->coa, pkt, len);
	else
		build_eth(&f, c->link->dst, c->link->src, pkt, len);
	memcpy(k->frame, f.b, f.len);
	k->frame_len = f.len;
	resync_arrive(c, k);
	return k;
}

static struct bed_pkt *emit(struct plan_ctx *c, const char *group, enum bed_expect expect,
			    const char *counter, uint8_t *pkt, size_t len)
{
	return emit_from(c, c->ha, group, expect, counter, pkt, len);
}

/* A valid ML-ESP packet (inner_len) with byte esp_off of its ESP part
 * flipped by xor. */
static struct bed_pkt *forge(struct plan_ctx *c, const char *group, enum bed_expect expect,
			     const char *counter, size_t inner_len, size_t esp_off, uint8_t xor)
{
	uint8_t pkt[FRAME_MAX];
	size_t n = mlesp_pkt(c, &c->ml, pkt, inner_len);

	if (ESP_OFF + esp_off >= n)
		return NULL;
	pkt[ESP_OFF + esp_off] ^= xor;
	return emit(c, group, expect, counter, pkt, n);
}

/* Issue 18 item 9: a frame with the genuine sender's addresses from another
 * host on the same link (another MAC). */
static struct bed_pkt *from_other_mac(struct bed_pkt *k)
{
	static const uint8_t forger[6] = { 0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };

	if (k)
		memcpy(k->frame + 6, forger, 6);
	return k;
}

/* Changes to the outer header of a downlink frame after it was built. */
static void outer_fix(struct bed_pkt *k)
{
	ipv4_fix_csum(k->frame + ETH_LEN);
}

/* ---- the plans ---- */

static int valid_packets(struct plan_ctx *c, const size_t *ml, size_t n_ml, const size_t *esp,
			 size_t n_esp, const size_t *tcp, size_t n_tcp, const size_t *udp,
			 size_t n_udp)
{
	uint32_t from = c->dir == BED_DOWN ? c->cn : c->mh, to = c->dir == BED_DOWN ? c->mh : c->cn;
	uint8_t pkt[FRAME_MAX];
	size_t i;
	int bad = 0;

	for (i = 0; i < n_ml; i++)
		bad |= !emit(c, "mlesp-z1-40", BED_DELIVER, "fwd_mlesp", pkt,
			     mlesp_pkt(c, &c->ml, pkt, ml[i]));
	for (i = 0; i < n_esp; i++)
		bad |= !emit(c, "esp-unknown-spi", BED_DELIVER, "fwd_unknown_spi", pkt,
			     esp_pkt(c, pkt, esp[i]));
	for (i = 0; i < n_tcp; i++)
		bad |= !emit(c, "plain-tcp", BED_DELIVER, "fwd_plain", pkt,
			     tcp_pkt(pkt, tcp[i], from, to, 0x18));
	for (i = 0; i < n_udp; i++)
		bad |= !emit(c, "plain-udp", BED_DELIVER, "fwd_plain", pkt,
			     udp_pkt(pkt, udp[i], from, to));
	return bad ? -EINVAL : 0;
}

/* Forgeries both directions share, on a 100-byte inner packet (L1 = 40:
 * C1 at ESP bytes 8..47, T1 at 48..63). other_spi_xor turns this
 * direction's SPI into the other direction's: known to the FA, wrong key. */
static int forgeries(struct plan_ctx *c, uint8_t other_spi_xor)
{
	static const size_t c1[] = { 8, 28, 47 }, t1[] = { 48, 63 }, seq[] = { 4, 7 };
	uint8_t pkt[FRAME_MAX];
	struct bed_pkt *k;
	size_t i, n;
	int bad = 0;

	for (i = 0; i < 3; i++)
		bad |= !forge(c, "forged-c1", BED_DROP, "drop_bad_tag", 100, c1[i], 0x01);
	for (i = 0; i < 2; i++)
		bad |= !forge(c, "forged-t1", BED_DROP, "drop_bad_tag", 100, t1[i], 0x80);
	bad |= !forge(c, "forged-spi", BED_DROP, "drop_bad_tag", 100, 2, other_spi_xor);
	for (i = 0; i < 2; i++)
		bad |= !forge(c, "forged-seq", BED_DROP, "drop_bad_tag", 100, seq[i], 0x01);

	/* ESP part cut below the ML-ESP minimum (44 bytes). */
	n = mlesp_pkt(c, &c->ml, pkt, 100);
	cut(pkt, &n, n - ESP_OFF - 40);
	bad |= !emit(c, "cut-below-minimum", BED_DROP, "drop_truncated", pkt, n);
	/* The frame ends before the IPv4 total length says. */
	n = mlesp_pkt(c, &c->ml, pkt, 100);
	k = emit(c, "frame-cut-short", BED_DROP, "drop_truncated", pkt, n);
	if (k) {
		k->frame_len -= 10;
		resync_arrive(c, k);
	}
	bad |= !k;
	/* An ESP fragment cannot be authenticated. */
	n = mlesp_pkt(c, &c->ml, pkt, 100);
	put_be16(pkt + 6, IP_MF);
	bad |= !emit(c, "esp-fragment", BED_DROP, "drop_fragment", pkt, n);
	return bad ? -EINVAL : 0;
}

static int plan_down(struct plan_ctx *c)
{
	static const size_t ml[] = { 20, 24, 36, 40, 41, 52, 100, 333, 576, 1000, 1400 };
	static const size_t wide[] = { 40, 200, 1400 }, esp[] = { 60, 1000 };
	static const size_t tcp[] = { 40, 100, 1400 }, udp[] = { 28, 500, 1400 };
	uint8_t pkt[FRAME_MAX];
	struct bed_pkt *k;
	size_t i, n;
	int bad;

	bad = valid_packets(c, ml, 11, esp, 2, tcp, 3, udp, 3);
	for (i = 0; i < 3; i++)
		bad |= !emit(c, "mlesp-z1-128", BED_DELIVER, "fwd_mlesp", pkt,
			     mlesp_pkt(c, &c->wide, pkt, wide[i]));
	n = udp_pkt(pkt, 200, c->cn, c->mh);
	put_be16(pkt + 6, IP_MF); /* a plaintext fragment is forwarded */
	bad |= !emit(c, "plain-fragment", BED_DELIVER, "fwd_plain", pkt, n);
	/* Zone 2 is not the FA's to check (no key): damage there is forwarded,
	 * the MH rejects it. 1000-byte inner: C2 at ESP byte 64, T2 last. */
	bad |= !forge(c, "zone2-damaged", BED_DELIVER, "fwd_mlesp", 1000, 64 + 500, 0x01);
	bad |= !forge(c, "zone2-damaged", BED_DELIVER, "fwd_mlesp", 1000, mml_mlesp_len(1000) - 1,
		      0x01);

	bad |= forgeries(c, 0x30); /* 0x1000 -> 0x2000 */
	/* Empty zone 2: every byte is zone 1's. */
	bad |= !forge(c, "forged-empty-zone2", BED_DROP, "drop_bad_tag", 24, 8, 0x01);
	/* Inner 24 bytes: |P| = 28 = L1; 4 bytes less move T1. */
	n = mlesp_pkt(c, &c->ml, pkt, 24);
	cut(pkt, &n, 4);
	bad |= !emit(c, "cut-zone1-moves", BED_DROP, "drop_bad_tag", pkt, n);
	/* ESP length not a multiple of 4. */
	n = mlesp_pkt(c, &c->ml, pkt, 100);
	cut(pkt, &n, 2);
	bad |= !emit(c, "cut-not-multiple-of-4", BED_DROP, "drop_malformed_inner", pkt, n);

	/* The tunnel itself. */
	n = mlesp_pkt(c, &c->ml, pkt, 100);
	k = emit(c, "tunnel-shorter-than-inner", BED_DROP, "drop_malformed_inner", pkt, n);
	if (k) {
		put_be16(k->frame + ETH_LEN + 2, (uint16_t)(IP_LEN + n - 4));
		outer_fix(k);
	}
	bad |= !k;
	k = emit(c, "bad-outer-ihl", BED_DROP, "drop_malformed_outer", pkt,
		 mlesp_pkt(c, &c->ml, pkt, 100));
	if (k) {
		k->frame[ETH_LEN] = 0x44;
		outer_fix(k);
	}
	bad |= !k;
	k = emit(c, "outer-fragment", BED_DROP, "drop_fragment", pkt,
		 mlesp_pkt(c, &c->ml, pkt, 100));
	if (k) {
		put_be16(k->frame + ETH_LEN + 6, IP_MF);
		outer_fix(k);
	}
	bad |= !k;
	/* Tunnels for the visitor not from its HA (issue 18 item 9): from
	 * another address, or with the HA's address from another MAC; only
	 * ML-ESP, which zone 1 authenticates, is taken from another MAC. */
	bad |= !emit_from(c, c->ha_link, "foreign-tunnel", BED_DROP, "drop_foreign_tunnel", pkt,
			  mlesp_pkt(c, &c->ml, pkt, 100));
	bad |= !emit_from(c, c->ha_link, "foreign-tunnel", BED_DROP, "drop_foreign_tunnel", pkt,
			  tcp_pkt(pkt, 100, c->cn, c->mh, 0x18));
	bad |= !from_other_mac(emit(c, "ha-address-other-mac", BED_DROP, "drop_foreign_tunnel", pkt,
				    tcp_pkt(pkt, 100, c->cn, c->mh, 0x18)));
	bad |= !from_other_mac(emit(c, "ha-address-other-mac", BED_DROP, "drop_foreign_tunnel", pkt,
				    esp_pkt(c, pkt, 100)));
	bad |= !from_other_mac(emit(c, "mlesp-other-mac", BED_DELIVER, "fwd_mlesp", pkt,
				    mlesp_pkt(c, &c->ml, pkt, 100)));
	/* Not the FA's: to its stack, never to the MH. */
	bad |= !emit(c, "not-a-visitor", BED_PASS, "pass_not_visitor", pkt,
		     udp_pkt(pkt, 100, c->cn, c->not_visitor));
	return bad ? -EINVAL : 0;
}

static int plan_up(struct plan_ctx *c)
{
	static const size_t ml[] = { 20, 40, 52, 100, 576, 1400 }, esp[] = { 40, 800 };
	static const size_t tcp[] = { 40, 1400 }, udp[] = { 28, 1000 };
	uint8_t pkt[FRAME_MAX];
	size_t n;
	int bad;

	bad = valid_packets(c, ml, 6, esp, 2, tcp, 2, udp, 2);
	bad |= forgeries(c, 0x30); /* 0x2000 -> 0x1000 */
	/* The MH's own header: IHL below 5. */
	n = udp_pkt(pkt, 100, c->mh, c->cn);
	pkt[0] = 0x44;
	bad |= !emit(c, "bad-ihl", BED_DROP, "drop_malformed_inner", pkt, n);
	/* In the MH's name from another station of the cell (issue 18 item 9). */
	bad |= !from_other_mac(emit(c, "mh-address-other-mac", BED_DROP, "drop_visitor_spoof", pkt,
				    udp_pkt(pkt, 100, c->mh, c->cn)));
	bad |= !from_other_mac(emit(c, "mh-address-other-mac", BED_DROP, "drop_visitor_spoof", pkt,
				    esp_pkt(c, pkt, 100)));
	bad |= !from_other_mac(emit(c, "mh-address-other-mac", BED_DROP, "drop_visitor_spoof", pkt,
				    mlesp_pkt(c, &c->ml, pkt, 100)));
	return bad ? -EINVAL : 0;
}

int bed_plan_build(struct bed_plan *p, enum bed_dir dir, const char *keydir,
		   const struct bed_link *link)
{
	struct plan_ctx c = { .p = p, .link = link, .dir = dir };
	int err;

	c.ha = ip4(BED_HA_ADDR);
	c.ha_link = ip4(BED_HA_LINK);
	c.coa = ip4(BED_COA);
	c.mh = ip4(BED_MH_HOME);
	c.not_visitor = ip4(BED_NOT_VISITOR);
	c.cn = ip4(BED_CN);
	c.next_id = dir == BED_DOWN ? BED_ID_DOWN : BED_ID_UP;
	err = sa_from_keys(&c.ml, keydir, dir == BED_DOWN ? "down" : "up",
			   dir == BED_DOWN ? BED_SPI_DOWN : BED_SPI_UP, 40);
	if (!err && dir == BED_DOWN)
		err = sa_from_keys(&c.wide, keydir, "wide", BED_SPI_WIDE, 128);
	if (!err)
		err = sa_esp(&c.esp, dir == BED_DOWN ? BED_SPI_ESP_DOWN : BED_SPI_ESP_UP);
	if (!err)
		err = dir == BED_DOWN ? plan_down(&c) : plan_up(&c);
	mml_sa_free(&c.ml);
	mml_sa_free(&c.wide);
	mml_sa_free(&c.esp);
	return err;
}
