/* The IKEv2/ML-IKE codec: every payload encoder's output decodes to what
 * went in, and every structural fault is refused with its reason. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/ike_wire.h"
#include "lib/bytes.h"

/* Writes one payload with fn into a bare chain and returns its body. */
static const struct ike_pl *one_payload(struct ike_chain *c, uint8_t *buf, size_t len)
{
	uint8_t bad = 0;

	assert_int_equal(ike_chain_parse(buf[0] ? buf[0] : 0, buf, len, c, &bad), IKE_PERR_OK);
	return &c->pl[0];
}

static size_t build(uint8_t *buf, size_t cap, void (*fn)(struct ike_wbuf *, const void *),
		    const void *arg, uint8_t *first)
{
	struct ike_wbuf wb;

	ike_wb_init(&wb, buf, cap);
	fn(&wb, arg);
	assert_false(wb.overflow);
	*first = wb.first_type;
	return wb.len;
}

static void put_sa_fn(struct ike_wbuf *wb, const void *arg)
{
	ike_put_sa(wb, arg);
}

static void sa_round_trip(void **state)
{
	struct ike_sa_pl in, out;
	uint8_t buf[1024], first = 0, bad = 0;
	struct ike_chain c;
	size_t len;

	memset(&in, 0, sizeof(in));
	in.n_props = 2;
	in.p[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_IKE, .n_trans = 3 };
	in.p[0].t[0] = ike_xform(IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16);
	in.p[0].t[1] = ike_xform(IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256);
	in.p[0].t[2] = ike_xform(IKE_TRANS_DH, IKE_DH_CURVE25519);
	in.p[1] = (struct ike_proposal){
		.num = 2, .proto = IKE_PROTO_ESP, .spi_len = 4, .n_trans = 2
	};
	put_be32(in.p[1].spi, 0xdeadbeef);
	in.p[1].t[0] = ike_xform(IKE_TRANS_ENCR, IKE_ENCR_CHACHA20_POLY1305);
	in.p[1].t[1] = ike_xform(IKE_TRANS_ESN, 0);
	len = build(buf, sizeof(buf), put_sa_fn, &in, &first);
	assert_int_equal(first, IKE_PL_SA);
	assert_int_equal(ike_chain_parse(first, buf, len, &c, &bad), IKE_PERR_OK);
	assert_int_equal(ike_sa_parse(c.pl[0].body, c.pl[0].len, &out), IKE_PERR_OK);
	assert_int_equal(out.n_props, 2);
	assert_int_equal(out.p[0].t[0].key_len, 256);
	assert_int_equal(out.p[1].spi_len, 4);
	assert_int_equal(get_be32(out.p[1].spi), 0xdeadbeef);
	assert_int_equal(out.p[1].t[0].id, IKE_ENCR_CHACHA20_POLY1305);
	assert_int_equal(out.p[1].t[1].type, IKE_TRANS_ESN);
	(void)one_payload;
}

/* A minimal valid SA body (one proposal, one transform) to corrupt. */
static size_t sa_body(uint8_t *b)
{
	static const uint8_t ok[] = {
		0, 0, 0, 16, 1, 1, 0, 1,  /* proposal: last, len 16, #1, IKE, spi 0, 1 transform */
		0, 0, 0, 8,  4, 0, 0, 31, /* transform: last, len 8, DH 31 */
	};

	memcpy(b, ok, sizeof(ok));
	return sizeof(ok);
}

static void sa_rejections(void **state)
{
	struct ike_sa_pl sa;
	uint8_t b[64];
	size_t n;

	n = sa_body(b);
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_OK);
	n = sa_body(b), b[0] = 1; /* "last" must be 0 or 2 */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[0] = 2; /* says more follow, none does */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[3] = 7; /* proposal length below minimum */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[3] = 40; /* beyond the payload */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_TRUNCATED);
	n = sa_body(b), b[6] = 3; /* SPI size 3 */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[7] = 2; /* count says 2 transforms, the first says last */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[8] = 3; /* transform says more follow */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[11] = 4; /* transform length below minimum */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[7] = 0; /* no transforms but bytes left */
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_SYNTAX);
	n = sa_body(b), b[7] = IKE_TRANS_MAX + 1;
	assert_int_equal(ike_sa_parse(b, n, &sa), IKE_PERR_TOO_MANY);
	assert_int_equal(ike_sa_parse(b, 0, &sa), IKE_PERR_SYNTAX);
	/* Two proposals numbered 1, 3 */
	n = sa_body(b);
	memcpy(b + n, b, n);
	b[0] = 2;
	b[n + 4] = 3;
	assert_int_equal(ike_sa_parse(b, 2 * n, &sa), IKE_PERR_SYNTAX);
	b[n + 4] = 2;
	assert_int_equal(ike_sa_parse(b, 2 * n, &sa), IKE_PERR_OK);
	/* Attributes: key length (TV) kept, an unknown TV or a TLV marks the
	 * transform unusable, a TLV running past the transform is refused. */
	{
		static const uint8_t attr[] = { 0, 0, 0, 24, 1,	   1,  0, 1, 0,	   0,  0, 16,
						1, 0, 0, 20, 0x80, 14, 1, 0, 0x80, 99, 0, 1 };
		static const uint8_t tlv[] = { 0, 0,  0, 20, 1, 1,  0,	  1, 0, 0,
					       0, 12, 1, 0,  0, 20, 0x00, 5, 0, 9 };

		assert_int_equal(ike_sa_parse(attr, sizeof(attr), &sa), IKE_PERR_OK);
		assert_int_equal(sa.p[0].t[0].key_len, 256);
		assert_true(sa.p[0].t[0].unknown_attr);
		assert_int_equal(ike_sa_parse(tlv, sizeof(tlv), &sa), IKE_PERR_TRUNCATED);
	}
}

static void header_rules(void **state)
{
	uint8_t m[64];
	struct ike_hdr h;

	memset(m, 0, sizeof(m));
	m[17] = 0x20;
	put_be32(m + 24, 28);
	assert_int_equal(ike_hdr_parse(m, 28, &h), IKE_PERR_OK);
	assert_int_equal(ike_hdr_parse(m, 27, &h), IKE_PERR_TRUNCATED);
	assert_int_equal(ike_hdr_parse(m, 40, &h), IKE_PERR_SYNTAX); /* trailing bytes */
	put_be32(m + 24, 60);
	assert_int_equal(ike_hdr_parse(m, 28, &h), IKE_PERR_TRUNCATED); /* claims more */
	put_be32(m + 24, 28);
	m[17] = 0x30; /* major version 3 */
	assert_int_equal(ike_hdr_parse(m, 28, &h), IKE_PERR_VERSION);
	m[17] = 0x21; /* minor versions are ignored */
	assert_int_equal(ike_hdr_parse(m, 28, &h), IKE_PERR_OK);
	assert_int_equal(ike_hdr_parse(m, IKE_MSG_MAX + 1, &h), IKE_PERR_TOO_MANY);
}

static void chain_rules(void **state)
{
	struct ike_chain c;
	uint8_t bad = 0;
	/* Nonce(16) -> vendor ID(4) -> end */
	uint8_t ch[] = { IKE_PL_VENDOR,
			 0,
			 0,
			 20,
			 1,
			 2,
			 3,
			 4,
			 5,
			 6,
			 7,
			 8,
			 9,
			 10,
			 11,
			 12,
			 13,
			 14,
			 15,
			 16,
			 0,
			 0,
			 0,
			 8,
			 'm',
			 'm',
			 'l',
			 '!' };

	assert_int_equal(ike_chain_parse(IKE_PL_NONCE, ch, sizeof(ch), &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 2);
	assert_int_equal(ike_chain_parse(IKE_PL_NONCE, ch, sizeof(ch) - 1, &c, &bad),
			 IKE_PERR_TRUNCATED);
	assert_int_equal(ike_chain_parse(IKE_PL_NONCE, ch, 3, &c, &bad), IKE_PERR_TRUNCATED);
	/* Bytes after the last payload. */
	{
		uint8_t longer[sizeof(ch) + 4] = { 0 };

		memcpy(longer, ch, sizeof(ch));
		assert_int_equal(ike_chain_parse(IKE_PL_NONCE, longer, sizeof(longer), &c, &bad),
				 IKE_PERR_SYNTAX);
	}
	/* Payload length below the generic header. */
	ch[3] = 3;
	assert_int_equal(ike_chain_parse(IKE_PL_NONCE, ch, sizeof(ch), &c, &bad), IKE_PERR_SYNTAX);
	ch[3] = 20;
	/* Unknown type 99: skipped without the critical bit, refused with it. */
	ch[0] = 99;
	assert_int_equal(ike_chain_parse(IKE_PL_NONCE, ch, sizeof(ch), &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 1);
	ch[21] = IKE_CRITICAL;
	assert_int_equal(ike_chain_parse(IKE_PL_NONCE, ch, sizeof(ch), &c, &bad),
			 IKE_PERR_CRITICAL);
	assert_int_equal(bad, 99);
	/* SK must be the last payload: its next-payload names the inside. */
	ch[0] = IKE_PL_VENDOR;
	ch[21] = 0;
	assert_int_equal(ike_chain_parse(IKE_PL_SK, ch, 20, &c, &bad), IKE_PERR_OK);
	assert_int_equal(ike_chain_parse(IKE_PL_SK, ch, sizeof(ch), &c, &bad), IKE_PERR_SYNTAX);
	/* More payloads than we keep. */
	{
		uint8_t many[4 * (IKE_CHAIN_MAX + 1)];

		for (size_t i = 0; i < sizeof(many); i += 4) {
			many[i] = i + 4 < sizeof(many) ? IKE_PL_VENDOR : 0;
			many[i + 1] = 0;
			put_be16(many + i + 2, 4);
		}
		assert_int_equal(ike_chain_parse(IKE_PL_VENDOR, many, sizeof(many), &c, &bad),
				 IKE_PERR_TOO_MANY);
	}
}

static void simple_payloads(void **state)
{
	uint8_t buf[512];
	struct ike_wbuf wb;
	struct ike_chain c;
	uint8_t bad = 0, nonce[32] = { 1 }, ke[32] = { 2 }, spi[4] = { 9, 9, 9, 9 };
	uint32_t spis[3] = { 0x1000, 0x2000, 0x3000 };
	struct ike_ts_pl ts = { .n = 1 }, ts_out;
	struct ike_ke_pl k;
	struct ike_notify_pl n;
	struct ike_id_pl id;
	struct ike_auth_pl auth;
	struct ike_delete_pl d;

	ts.ts[0] = (struct ike_ts){ 6, 80, 443, 0x0a000000, 0x0a0000ff };
	ike_wb_init(&wb, buf, sizeof(buf));
	ike_put_ke(&wb, IKE_DH_CURVE25519, ke, sizeof(ke));
	ike_put_nonce(&wb, nonce, sizeof(nonce));
	ike_put_notify(&wb, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, (const uint8_t *)"xy", 2);
	ike_put_id(&wb, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"mh.test", 7);
	ike_put_auth(&wb, IKE_AUTH_PSK, nonce, 32);
	ike_put_ts(&wb, IKE_PL_TSI, &ts);
	ike_put_delete(&wb, IKE_PROTO_ESP, spis, 3);
	ike_put_delete(&wb, IKE_PROTO_IKE, NULL, 0);
	assert_false(wb.overflow);
	assert_int_equal(ike_chain_parse(wb.first_type, buf, wb.len, &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 8);
	assert_int_equal(ike_ke_parse(c.pl[0].body, c.pl[0].len, &k), 0);
	assert_int_equal(k.group, 31);
	assert_memory_equal(k.data, ke, 32);
	assert_int_equal(ike_nonce_parse(c.pl[1].body, c.pl[1].len), 0);
	assert_int_equal(ike_notify_parse(c.pl[2].body, c.pl[2].len, &n), 0);
	assert_int_equal(n.type, IKE_N_REKEY_SA);
	assert_int_equal(n.spi_len, 4);
	assert_int_equal(n.data_len, 2);
	assert_int_equal(ike_id_parse(c.pl[3].body, c.pl[3].len, &id), 0);
	assert_int_equal(id.len, 7);
	assert_int_equal(ike_auth_parse(c.pl[4].body, c.pl[4].len, &auth), 0);
	assert_int_equal(auth.method, IKE_AUTH_PSK);
	assert_int_equal(ike_ts_parse(c.pl[5].body, c.pl[5].len, &ts_out), 0);
	assert_int_equal(ts_out.ts[0].proto, 6);
	assert_int_equal(ts_out.ts[0].port_lo, 80);
	assert_int_equal(ts_out.ts[0].port_hi, 443);
	assert_int_equal(ts_out.ts[0].addr_lo, 0x0a000000);
	assert_int_equal(ts_out.ts[0].addr_hi, 0x0a0000ff);
	assert_int_equal(ike_delete_parse(c.pl[6].body, c.pl[6].len, &d), 0);
	assert_int_equal(d.n_spis, 3);
	assert_int_equal(d.spi[2], 0x3000);
	assert_int_equal(ike_delete_parse(c.pl[7].body, c.pl[7].len, &d), 0);
	assert_int_equal(d.proto, IKE_PROTO_IKE);
}

static void simple_rejections(void **state)
{
	uint8_t b[64] = { 0 };
	struct ike_ke_pl k;
	struct ike_notify_pl n;
	struct ike_id_pl id;
	struct ike_auth_pl auth;
	struct ike_ts_pl ts;
	struct ike_delete_pl d;

	assert_int_equal(ike_ke_parse(b, 3, &k), IKE_PERR_TRUNCATED);
	assert_int_equal(ike_nonce_parse(b, 15), IKE_PERR_SYNTAX);
	assert_int_equal(ike_nonce_parse(b, 257), IKE_PERR_SYNTAX);
	assert_int_equal(ike_notify_parse(b, 3, &n), IKE_PERR_TRUNCATED);
	b[1] = 5; /* SPI size 5 */
	assert_int_equal(ike_notify_parse(b, 16, &n), IKE_PERR_SYNTAX);
	b[1] = 8; /* SPI size 8, 4 bytes left */
	assert_int_equal(ike_notify_parse(b, 8, &n), IKE_PERR_TRUNCATED);
	memset(b, 0, sizeof(b));
	assert_int_equal(ike_id_parse(b, 4, &id), IKE_PERR_SYNTAX); /* empty identity */
	assert_int_equal(ike_id_parse(b, 2, &id), IKE_PERR_TRUNCATED);
	b[0] = IKE_ID_IPV4_ADDR;
	assert_int_equal(ike_id_parse(b, 9, &id), IKE_PERR_SYNTAX); /* 5-byte IPv4 */
	assert_int_equal(ike_auth_parse(b, 4, &auth), IKE_PERR_SYNTAX);
	/* TS: zero count, short selector, a range upside down. */
	memset(b, 0, sizeof(b));
	assert_int_equal(ike_ts_parse(b, 4, &ts), IKE_PERR_SYNTAX);
	b[0] = 1;
	b[4] = IKE_TS_IPV4_ADDR_RANGE;
	put_be16(b + 6, 16);
	put_be16(b + 10, 0xffff);
	put_be32(b + 12, 0x0a000002);
	put_be32(b + 16, 0x0a000001);
	assert_int_equal(ike_ts_parse(b, 19, &ts), IKE_PERR_TRUNCATED);
	assert_int_equal(ike_ts_parse(b, 20, &ts), IKE_PERR_SYNTAX); /* range upside down */
	put_be32(b + 16, 0x0a000003);
	assert_int_equal(ike_ts_parse(b, 20, &ts), IKE_PERR_OK);
	assert_int_equal(ike_ts_parse(b, 24, &ts), IKE_PERR_SYNTAX); /* trailing bytes */
	put_be16(b + 6, 12);
	assert_int_equal(ike_ts_parse(b, 20, &ts), IKE_PERR_SYNTAX);
	/* Delete: IKE with SPIs, ESP with 8-byte SPIs, count past the end. */
	memset(b, 0, sizeof(b));
	b[0] = IKE_PROTO_IKE;
	b[1] = 4;
	assert_int_equal(ike_delete_parse(b, 4, &d), IKE_PERR_SYNTAX);
	b[0] = IKE_PROTO_ESP;
	b[1] = 8;
	assert_int_equal(ike_delete_parse(b, 4, &d), IKE_PERR_SYNTAX);
	b[1] = 4;
	b[3] = 3;
	assert_int_equal(ike_delete_parse(b, 12, &d), IKE_PERR_TRUNCATED);
	assert_int_equal(ike_delete_parse(b, 20, &d), IKE_PERR_SYNTAX);
	assert_int_equal(ike_delete_parse(b, 16, &d), IKE_PERR_OK);
}

static void mlike_payloads(void **state)
{
	struct mlike_zonemap_pl zm = { .n_zones = 2, .format = MLIKE_FMT_MLESP }, zo;
	struct mlike_secret_pl s = { .spi = 0x4242,
				     .zone = 1,
				     .dir = MLIKE_DIR_TO_MH,
				     .transform = IKE_ENCR_CHACHA20_POLY1305,
				     .soft_lifetime_s = 100,
				     .hard_lifetime_s = 200 },
			       so, null_sa = { .spi = 0x4242, .zone = 2, .dir = MLIKE_DIR_TO_MH };
	uint8_t buf[256], bad = 0;
	struct ike_wbuf wb;
	struct ike_chain c;

	zm.end[0] = 40;
	zm.start[1] = 40;
	zm.end[1] = MLIKE_ZONE_END;
	memset(s.key, 0xaa, sizeof(s.key));
	memset(s.salt, 0xbb, sizeof(s.salt));
	ike_wb_init(&wb, buf, sizeof(buf));
	mlike_put_zonemap(&wb, &zm);
	mlike_put_secret(&wb, &s);
	mlike_put_secret(&wb, &null_sa);
	assert_int_equal(ike_chain_parse(wb.first_type, buf, wb.len, &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 3);
	/* ML-IKE payloads are sent critical: a peer that does not know them
	 * refuses the message instead of skipping the keys. */
	assert_true(c.pl[0].critical && c.pl[1].critical);
	assert_int_equal(mlike_zonemap_parse(c.pl[0].body, c.pl[0].len, &zo), 0);
	assert_int_equal(zo.end[0], 40);
	assert_int_equal(mlike_secret_parse(c.pl[1].body, c.pl[1].len, &so), 0);
	assert_memory_equal(&so, &s, sizeof(s));
	assert_int_equal(c.pl[2].len, MLIKE_SECRET_FIXED);
	assert_int_equal(mlike_secret_parse(c.pl[2].body, c.pl[2].len, &so), 0);
	assert_int_equal(so.transform, 0);
}

/* NEIGHBOR_NOTIFY's list (PKD): encode/decode, then every refusal. */
static void mlike_neighbors(void **state)
{
	struct mlike_neighbors_pl nb = { .n = 2 }, no;
	uint8_t buf[256], b[4 + 4 * (MLIKE_NEIGHBORS_MAX + 1)], bad = 0;
	static const uint8_t ok[] = { 2, 0, 0, 0, 10, 0, 0, 3, 10, 0, 0, 4 };
	struct ike_wbuf wb;
	struct ike_chain c;

	nb.addr[0] = htonl(0x0a000003);
	nb.addr[1] = htonl(0x0a000004);
	ike_wb_init(&wb, buf, sizeof(buf));
	mlike_put_neighbors(&wb, &nb);
	assert_int_equal(ike_chain_parse(wb.first_type, buf, wb.len, &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.pl[0].type, MLIKE_PL_NEIGHBORS);
	assert_true(c.pl[0].critical);
	assert_memory_equal(c.pl[0].body, ok, sizeof(ok));
	assert_int_equal(mlike_neighbors_parse(c.pl[0].body, c.pl[0].len, &no), IKE_PERR_OK);
	assert_int_equal(no.n, 2);
	assert_memory_equal(no.addr, nb.addr, 8);
	/* An FA without neighbours says so: an empty list. */
	assert_int_equal(mlike_neighbors_parse((const uint8_t[]){ 0, 0, 0, 0 }, 4, &no), 0);
	assert_int_equal(no.n, 0);

	memcpy(b, ok, sizeof(ok));
	assert_int_equal(mlike_neighbors_parse(b, 3, &no), IKE_PERR_TRUNCATED);
	assert_int_equal(mlike_neighbors_parse(b, 11, &no), IKE_PERR_TRUNCATED);
	assert_int_equal(mlike_neighbors_parse(b, 13, &no), IKE_PERR_SYNTAX);
	b[1] = 1; /* reserved */
	assert_int_equal(mlike_neighbors_parse(b, sizeof(ok), &no), IKE_PERR_SYNTAX);
	b[1] = 0, b[3] = 1;
	assert_int_equal(mlike_neighbors_parse(b, sizeof(ok), &no), IKE_PERR_SYNTAX);
	b[3] = 0;
	memcpy(b + 8, b + 4, 4); /* listed twice */
	assert_int_equal(mlike_neighbors_parse(b, sizeof(ok), &no), IKE_PERR_SYNTAX);
	memset(b + 8, 0, 4); /* 0.0.0.0 */
	assert_int_equal(mlike_neighbors_parse(b, sizeof(ok), &no), IKE_PERR_SYNTAX);
	memset(b + 8, 0xff, 4); /* broadcast */
	assert_int_equal(mlike_neighbors_parse(b, sizeof(ok), &no), IKE_PERR_SYNTAX);
	b[8] = 224, b[9] = 0, b[10] = 0, b[11] = 5; /* multicast */
	assert_int_equal(mlike_neighbors_parse(b, sizeof(ok), &no), IKE_PERR_SYNTAX);
	/* Oversize: one more than we keep, with every address present. */
	memset(b, 0, sizeof(b));
	b[0] = MLIKE_NEIGHBORS_MAX + 1;
	for (unsigned int i = 0; i <= MLIKE_NEIGHBORS_MAX; i++)
		b[4 + 4 * i] = 10, b[7 + 4 * i] = (uint8_t)(i + 1);
	assert_int_equal(mlike_neighbors_parse(b, sizeof(b), &no), IKE_PERR_TOO_MANY);
	b[0] = MLIKE_NEIGHBORS_MAX;
	assert_int_equal(mlike_neighbors_parse(b, sizeof(b) - 4, &no), IKE_PERR_OK);
	assert_int_equal(no.n, MLIKE_NEIGHBORS_MAX);
}

static void mlike_rejections(void **state)
{
	uint8_t b[64];
	struct mlike_zonemap_pl zm;
	struct mlike_secret_pl s;
	static const uint8_t zm_ok[] = { 2, 1, 0, 0, 0, 0, 0, 40, 0, 40, 0xff, 0xff };
	static const uint8_t sec_ok[] = { 0, 0, 0x10, 0, 1, 1, 0, 28, 32, 4,
					  0, 0, 0,    0, 0, 0, 0, 0,  0,  0 };

	memcpy(b, zm_ok, sizeof(zm_ok));
	assert_int_equal(mlike_zonemap_parse(b, sizeof(zm_ok), &zm), 0);
	assert_int_equal(mlike_zonemap_parse(b, 3, &zm), IKE_PERR_TRUNCATED);
	assert_int_equal(mlike_zonemap_parse(b, 10, &zm), IKE_PERR_TRUNCATED);
	b[2] = 1; /* reserved */
	assert_int_equal(mlike_zonemap_parse(b, sizeof(zm_ok), &zm), IKE_PERR_SYNTAX);
	memcpy(b, zm_ok, sizeof(zm_ok));
	b[9] = 44; /* gap between zones */
	assert_int_equal(mlike_zonemap_parse(b, sizeof(zm_ok), &zm), IKE_PERR_SYNTAX);
	memcpy(b, zm_ok, sizeof(zm_ok));
	b[6] = 0xff, b[7] = 0xff; /* zone 1 runs to the end, zone 2 follows */
	assert_int_equal(mlike_zonemap_parse(b, sizeof(zm_ok), &zm), IKE_PERR_SYNTAX);
	memcpy(b, zm_ok, sizeof(zm_ok));
	b[10] = 0, b[11] = 60; /* last zone does not run to the end */
	assert_int_equal(mlike_zonemap_parse(b, sizeof(zm_ok), &zm), IKE_PERR_SYNTAX);
	memcpy(b, zm_ok, sizeof(zm_ok));
	b[0] = 0;
	assert_int_equal(mlike_zonemap_parse(b, 4, &zm), IKE_PERR_SYNTAX);
	b[0] = MLIKE_ZONES_MAX + 1;
	assert_int_equal(mlike_zonemap_parse(b, sizeof(zm_ok), &zm), IKE_PERR_TOO_MANY);

	memset(b, 0, sizeof(b));
	memcpy(b, sec_ok, sizeof(sec_ok));
	assert_int_equal(mlike_secret_parse(b, 56, &s), 0);
	assert_int_equal(mlike_secret_parse(b, 19, &s), IKE_PERR_TRUNCATED);
	assert_int_equal(mlike_secret_parse(b, 55, &s), IKE_PERR_TRUNCATED);
	assert_int_equal(mlike_secret_parse(b, 57, &s), IKE_PERR_SYNTAX);
	b[4] = 0; /* zone 0 */
	assert_int_equal(mlike_secret_parse(b, 56, &s), IKE_PERR_SYNTAX);
	b[4] = 1, b[5] = 3; /* direction 3 */
	assert_int_equal(mlike_secret_parse(b, 56, &s), IKE_PERR_SYNTAX);
	b[5] = 1, b[8] = 16; /* 16-byte key */
	assert_int_equal(mlike_secret_parse(b, 40, &s), IKE_PERR_SYNTAX);
	b[8] = 32, b[7] = 12; /* AES-CBC */
	assert_int_equal(mlike_secret_parse(b, 56, &s), IKE_PERR_UNSUPPORTED);
	b[7] = 0; /* a null SA carrying key bytes */
	assert_int_equal(mlike_secret_parse(b, 56, &s), IKE_PERR_SYNTAX);
	b[7] = 28, b[10] = 1; /* reserved */
	assert_int_equal(mlike_secret_parse(b, 56, &s), IKE_PERR_SYNTAX);
}

/* DKM's payload: round trip with 0 and 2 SPIs (critical), and every
 * malformed body refused. */
static void dkm_payload(void **state)
{
	struct dkm_mh_pl m = { .mh_home = htonl(0x0a01000a), .ha_addr = htonl(0x0a010001) }, mo;
	static const uint8_t ok[] = { 10, 1, 0, 10, 10,	  1,	0, 1, 2,    0,
				      0,  0, 0, 0,  0x11, 0x11, 0, 0, 0x22, 0x22 };
	uint8_t buf[64], b[32], bad = 0;
	struct ike_wbuf wb;
	struct ike_chain c;

	ike_wb_init(&wb, buf, sizeof(buf));
	dkm_put_mh(&wb, &m);
	m.n_spis = 2;
	m.spi[0] = 0x1111;
	m.spi[1] = 0x2222;
	dkm_put_mh(&wb, &m);
	assert_int_equal(ike_chain_parse(wb.first_type, buf, wb.len, &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 2);
	assert_true(c.pl[0].type == DKM_PL_MH && c.pl[0].critical);
	assert_int_equal(c.pl[0].len, DKM_MH_FIXED);
	assert_int_equal(dkm_mh_parse(c.pl[0].body, c.pl[0].len, &mo), 0);
	assert_int_equal(mo.n_spis, 0);
	assert_int_equal(mo.mh_home, m.mh_home);
	assert_int_equal(dkm_mh_parse(c.pl[1].body, c.pl[1].len, &mo), 0);
	assert_int_equal(mo.n_spis, 2);
	assert_memory_equal(mo.spi, m.spi, sizeof(m.spi));
	assert_memory_equal(c.pl[1].body, ok, sizeof(ok));

	memcpy(b, ok, sizeof(ok));
	assert_int_equal(dkm_mh_parse(b, 11, &mo), IKE_PERR_TRUNCATED);
	assert_int_equal(dkm_mh_parse(b, 19, &mo), IKE_PERR_TRUNCATED);
	assert_int_equal(dkm_mh_parse(b, 21, &mo), IKE_PERR_SYNTAX);
	b[8] = 3; /* more SPIs than a CSA pair */
	assert_int_equal(dkm_mh_parse(b, 24, &mo), IKE_PERR_SYNTAX);
	b[8] = 2, b[10] = 1; /* reserved */
	assert_int_equal(dkm_mh_parse(b, sizeof(ok), &mo), IKE_PERR_SYNTAX);
	b[10] = 0, b[16] = b[17] = b[18] = b[19] = 0; /* SPI 0 */
	assert_int_equal(dkm_mh_parse(b, sizeof(ok), &mo), IKE_PERR_SYNTAX);
	memcpy(b, ok, sizeof(ok));
	memset(b, 0, 4); /* no MH */
	assert_int_equal(dkm_mh_parse(b, sizeof(ok), &mo), IKE_PERR_SYNTAX);
}

/* MLIKE_N_FLOW_MODE's data (issue 19): the round trip byte for byte, then
 * every truncation and extension, every non-zero reserved byte, unknown
 * modes, plaintext every N and a flow without home address refused. */
static void mlike_flow_mode_codec(void **state)
{
	const struct mlike_flow_mode_pl fm = { .home_addr = 0x0a0a0a0a,
					       .peer_addr = 0x0102a8c0,
					       .home_port = 9001,
					       .peer_port = 40001,
					       .proto = 17,
					       .mode = 1,
					       .every_n = 10,
					       .duration_s = 300 };
	static const uint8_t want[MLIKE_FLOW_MODE_LEN] = {
		0x0a, 0x0a, 0x0a, 0x0a, 0xc0, 0xa8, 0x02, 0x01, 0x23, 0x29, 0x9c, 0x41,
		17,   0,    0,	  0,	1,    0,    0,	  10,	0,    0,    1,	  44,
	};
	uint8_t b[MLIKE_FLOW_MODE_LEN + 1], t[MLIKE_FLOW_MODE_LEN + 1];
	struct mlike_flow_mode_pl got;

	(void)state;
	mlike_flow_mode_encode(&fm, b);
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(mlike_flow_mode_parse(b, MLIKE_FLOW_MODE_LEN, &got), IKE_PERR_OK);
	assert_memory_equal(&got, &fm, sizeof(fm));
	for (size_t len = 0; len < MLIKE_FLOW_MODE_LEN; len++)
		assert_int_equal(mlike_flow_mode_parse(b, len, &got), IKE_PERR_TRUNCATED);
	b[MLIKE_FLOW_MODE_LEN] = 0;
	assert_int_equal(mlike_flow_mode_parse(b, sizeof(b), &got), IKE_PERR_SYNTAX);
	for (size_t i = 13; i < 18; i++) {
		if (i == 16)
			continue;
		memcpy(t, b, sizeof(b));
		t[i] = 1;
		assert_int_equal(mlike_flow_mode_parse(t, MLIKE_FLOW_MODE_LEN, &got),
				 IKE_PERR_SYNTAX);
	}
	for (unsigned int mode = 3; mode < 256; mode++) {
		memcpy(t, b, sizeof(b));
		t[16] = (uint8_t)mode;
		assert_int_equal(mlike_flow_mode_parse(t, MLIKE_FLOW_MODE_LEN, &got),
				 IKE_PERR_SYNTAX);
	}
	memcpy(t, b, sizeof(b));
	t[16] = 0; /* plaintext, every 10th protected: nothing to protect with */
	assert_int_equal(mlike_flow_mode_parse(t, MLIKE_FLOW_MODE_LEN, &got), IKE_PERR_SYNTAX);
	t[19] = 1; /* plaintext, every packet: fine */
	assert_int_equal(mlike_flow_mode_parse(t, MLIKE_FLOW_MODE_LEN, &got), IKE_PERR_OK);
	assert_int_equal(got.mode, 0);
	memcpy(t, b, sizeof(b));
	memset(t, 0, 4); /* no home address: a flow of no mobile */
	assert_int_equal(mlike_flow_mode_parse(t, MLIKE_FLOW_MODE_LEN, &got), IKE_PERR_SYNTAX);
}

/* MLIKE_N_LINK_STATE's data (docs/protocol.md §2.7.1): a round trip, and
 * every malformed form refused. */
static void mlike_link_state_codec(void **state)
{
	const struct mlike_link_state_pl ls = { .state = 2, .loss_ppm = 87000 };
	uint8_t b[MLIKE_LINK_STATE_LEN + 1], t[MLIKE_LINK_STATE_LEN];
	struct mlike_link_state_pl got;

	(void)state;
	mlike_link_state_encode(&ls, b);
	assert_int_equal(mlike_link_state_parse(b, MLIKE_LINK_STATE_LEN, &got), IKE_PERR_OK);
	assert_int_equal(got.state, 2);
	assert_int_equal(got.loss_ppm, 87000);
	assert_int_equal(mlike_link_state_parse(b, MLIKE_LINK_STATE_LEN - 1, &got),
			 IKE_PERR_TRUNCATED);
	assert_int_equal(mlike_link_state_parse(b, sizeof(b), &got), IKE_PERR_SYNTAX);
	for (size_t i = 1; i < 4; i++) {
		memcpy(t, b, sizeof(t));
		t[i] = 1;
		assert_int_equal(mlike_link_state_parse(t, sizeof(t), &got), IKE_PERR_SYNTAX);
	}
	for (unsigned int st = 0; st < 256; st += 3) {
		memcpy(t, b, sizeof(t));
		t[0] = (uint8_t)st;
		assert_int_equal(mlike_link_state_parse(t, sizeof(t), &got),
				 st == 1 || st == 2 ? IKE_PERR_OK : IKE_PERR_SYNTAX);
	}
	mlike_link_state_encode(&(struct mlike_link_state_pl){ .state = 1, .loss_ppm = 1000001 },
				t);
	assert_int_equal(mlike_link_state_parse(t, sizeof(t), &got), IKE_PERR_SYNTAX);
}

static void writer_overflow(void **state)
{
	uint8_t buf[40];
	uint8_t nonce[64] = { 0 };
	struct ike_wbuf wb;
	struct ike_hdr h = { 0 };

	ike_wb_init(&wb, buf, sizeof(buf));
	ike_wb_hdr(&wb, &h);
	ike_put_nonce(&wb, nonce, sizeof(nonce));
	assert_true(wb.overflow);
	assert_int_equal(ike_wb_finish_msg(&wb), -1);
	/* Writes after an overflow stay out of the buffer. */
	ike_wb_put32(&wb, 0xffffffff);
	assert_true(wb.len <= sizeof(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sa_round_trip),
		cmocka_unit_test(sa_rejections),
		cmocka_unit_test(header_rules),
		cmocka_unit_test(chain_rules),
		cmocka_unit_test(simple_payloads),
		cmocka_unit_test(simple_rejections),
		cmocka_unit_test(mlike_payloads),
		cmocka_unit_test(mlike_rejections),
		cmocka_unit_test(mlike_neighbors),
		cmocka_unit_test(writer_overflow),
		cmocka_unit_test(dkm_payload),
		cmocka_unit_test(mlike_flow_mode_codec),
		cmocka_unit_test(mlike_link_state_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
