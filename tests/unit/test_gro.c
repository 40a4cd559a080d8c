/* The worker's TCP coalescing into the TUN device (worker/gro.c): what the
 * stack receives must be what it would have made of the segments itself.
 * Round trips against the segmentation of worker/gso.c, every segment that
 * must reach the stack alone, and every header difference that must end a
 * super-packet. */
#include <arpa/inet.h>
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/bytes.h"
#include "lib/inet.h"
#include "worker/gro.h"
#include "worker/gso.h"
#include "worker/pkt.h"

#define SRC 0x0a000101u /* a correspondent, host order */
#define DST 0x0a01000au /* the home address */
#define HDR (20 + 32)	/* IPv4 + TCP with 12 bytes of options (timestamps) */
#define MSS 1388

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

static struct ep_gro gro;

/* A segment with correct checksums: sequence seq, payload bytes of the
 * stream from stream[seq - 1000], the given flags. */
static size_t seg_build(uint8_t *p, uint32_t seq, size_t payload, uint8_t flags)
{
	inet_ip4_write(p, htonl(SRC), htonl(DST), EP_PROTO_TCP, (uint16_t)(HDR + payload), 0,
		       (uint16_t)seq, true, 60);
	memset(p + 20, 0, 32);
	put_be16(p + 20, 5001);
	put_be16(p + 22, 40000);
	put_be32(p + 24, seq);
	put_be32(p + 28, 77);
	p[32] = 8 << 4;
	p[33] = flags;
	put_be16(p + 34, 512);
	p[40] = 1, p[41] = 1, p[42] = 8, p[43] = 10; /* NOP NOP timestamps */
	put_be32(p + 44, 123456);
	put_be32(p + 48, 654321);
	for (size_t i = 0; i < payload; i++)
		p[HDR + i] = (uint8_t)((seq - 1000 + i) * 31 + 7);
	put_be16(p + 36, inet_l4_csum(p, EP_PROTO_TCP, p + 20, 32 + payload));
	return HDR + payload;
}

/* Rewrites a header field, keeping the checksums right. */
static void seg_refresh(uint8_t *p, size_t len)
{
	memset(p + 10, 0, 2);
	put_be16(p + 10, inet_csum(p, 20));
	memset(p + 36, 0, 2);
	put_be16(p + 36, inet_l4_csum(p, EP_PROTO_TCP, p + 20, len - 20));
}

static void vnet_of(const uint8_t *w, struct virtio_net_hdr *vh)
{
	memcpy(vh, w, sizeof(*vh));
}

/* The TCP checksum completed from the pseudo-header sum the field holds
 * (what the stack does with CHECKSUM_PARTIAL), then checked in full. */
static bool partial_csum_ok(uint8_t *ip, size_t len)
{
	put_be16(ip + 36, inet_csum(ip + 20, len - 20));
	return inet_l4_csum(ip, EP_PROTO_TCP, ip + 20, len - 20) == 0;
}

static int reset(void **state)
{
	(void)state;
	memset(&gro, 0, sizeof(gro));
	return 0;
}

static void segments_of_a_stream_become_one_write(void **state)
{
	static uint8_t seg[2048], again[2048], super[EP_VNET_HDR_LEN + EP_GRO_MAX];
	struct virtio_net_hdr vh;
	const uint8_t *w, *p;
	size_t n = 30, len, wlen, off = 0;
	uint16_t segs;
	struct ep_gso g;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		len = seg_build(seg, 1000 + (uint32_t)(i * MSS), MSS,
				TCP_ACK | (i == n - 1 ? TCP_PSH : 0));
		assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_HELD);
	}
	w = ep_gro_take(&gro, &wlen, &segs);
	assert_non_null(w);
	assert_int_equal(segs, n);
	assert_int_equal(wlen, EP_VNET_HDR_LEN + HDR + n * MSS);
	assert_null(ep_gro_take(&gro, &len, &segs)); /* emptied */
	vnet_of(w, &vh);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(le16toh(vh.gso_size), MSS);
	assert_int_equal(le16toh(vh.hdr_len), HDR);
	assert_int_equal(le16toh(vh.csum_start), 20);
	assert_int_equal(le16toh(vh.csum_offset), 16);
	memcpy(super, w, wlen);
	p = super + EP_VNET_HDR_LEN;
	assert_int_equal(get_be16(p + 2), HDR + n * MSS);
	assert_int_equal(inet_csum(p, 20), 0);
	assert_int_equal(get_be32(p + 24), 1000);
	assert_int_equal(p[33], TCP_ACK | TCP_PSH);
	for (size_t i = 0; i < n * MSS; i++)
		assert_int_equal(p[HDR + i], (uint8_t)(i * 31 + 7));

	/* Cut again as the kernel would (gso.c is the worker's own copy of
	 * that): the very segments that went in, PSH on the last only. */
	assert_int_equal(ep_gso_begin(&g, super, wlen), 0);
	for (size_t i = 0; (p = ep_gso_next(&g, again, sizeof(again), &len)); i++) {
		len = seg_build(seg, 1000 + (uint32_t)(i * MSS), MSS,
				TCP_ACK | (i == n - 1 ? TCP_PSH : 0));
		assert_memory_equal(p + 20, seg + 20, len - 20); /* TCP, checksum included */
		off += len - HDR;
	}
	assert_int_equal(off, n * MSS);
	assert_true(partial_csum_ok(super + EP_VNET_HDR_LEN, wlen - EP_VNET_HDR_LEN));
}

static void a_lone_segment_is_written_unchanged(void **state)
{
	uint8_t seg[2048];
	struct virtio_net_hdr vh, none = { 0 };
	size_t len = seg_build(seg, 1000, 100, TCP_ACK), wlen;
	const uint8_t *w;
	uint16_t segs;

	(void)state;
	assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_HELD);
	w = ep_gro_take(&gro, &wlen, &segs);
	assert_int_equal(segs, 1);
	assert_int_equal(wlen, EP_VNET_HDR_LEN + len);
	vnet_of(w, &vh);
	assert_memory_equal(&vh, &none, sizeof(vh));
	assert_memory_equal(w + EP_VNET_HDR_LEN, seg, len);
}

/* Each of these the stack must see as it is: passed when nothing is held,
 * and what is held goes first (order kept). */
static void what_the_stack_must_judge_passes(void **state)
{
	static const uint8_t flags[] = { TCP_SYN | TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST | TCP_ACK,
					 TCP_URG | TCP_ACK, TCP_PSH /* no ACK */ };
	uint8_t seg[2048], held[2048];
	size_t len, hlen = seg_build(held, 1000, MSS, TCP_ACK);

	(void)state;
	for (int held_first = 0; held_first < 2; held_first++) {
		enum ep_gro_verdict want = held_first ? EP_GRO_FLUSH : EP_GRO_PASS;
		uint16_t segs;

		for (size_t i = 0; i < sizeof(flags); i++) {
			memset(&gro, 0, sizeof(gro));
			if (held_first)
				assert_int_equal(ep_gro_add(&gro, held, hlen), EP_GRO_HELD);
			len = seg_build(seg, 1000 + MSS, MSS, flags[i]);
			assert_int_equal(ep_gro_add(&gro, seg, len), want);
		}
		/* A pure ACK (no data); UDP; IP options; a fragment; bad TCP
		 * and IP checksums; a length field beyond the buffer. */
		memset(&gro, 0, sizeof(gro));
		if (held_first)
			ep_gro_add(&gro, held, hlen);
		len = seg_build(seg, 1000 + MSS, 0, TCP_ACK);
		assert_int_equal(ep_gro_add(&gro, seg, len), want);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		seg[9] = EP_PROTO_UDP;
		assert_int_equal(ep_gro_add(&gro, seg, len), want);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		seg[0] = 0x46;
		assert_int_equal(ep_gro_add(&gro, seg, len), want);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		seg[6] |= 0x20; /* more fragments */
		seg_refresh(seg, len);
		assert_int_equal(ep_gro_add(&gro, seg, len), want);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		seg[HDR + 5] ^= 1;
		assert_int_equal(ep_gro_add(&gro, seg, len), want);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		seg[8]--; /* TTL, IP checksum not updated */
		assert_int_equal(ep_gro_add(&gro, seg, len), want);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		assert_int_equal(ep_gro_add(&gro, seg, len - 1), want);
		if (held_first) {
			assert_non_null(ep_gro_take(&gro, &len, &segs));
			assert_int_equal(segs, 1);
		}
	}
}

/* A segment that does not continue the held super-packet ends it. */
static void what_differs_ends_a_super_packet(void **state)
{
	uint8_t first[2048], seg[2048];
	size_t flen = seg_build(first, 1000, MSS, TCP_ACK), len;
	struct {
		int off;
		uint8_t xor ;
	} field[] = {
		{ 1, 0x04 }, /* TOS */
		{ 6, 0x40 }, /* DF */
		{ 8, 1 },    /* TTL */
		{ 15, 1 },   /* source address */
		{ 19, 1 },   /* destination address */
		{ 21, 1 },   /* source port */
		{ 23, 1 },   /* destination port */
		{ 31, 1 },   /* acknowledgment */
		{ 35, 1 },   /* window */
		{ 51, 1 },   /* an option byte (TSecr) */
		{ 27, 0 },   /* not the next sequence number (below) */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++) {
		memset(&gro, 0, sizeof(gro));
		assert_int_equal(ep_gro_add(&gro, first, flen), EP_GRO_HELD);
		len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
		if (field[i].off == 27)
			put_be32(seg + 24, 1000 + 2 * MSS); /* a gap */
		else
			seg[field[i].off] ^= field[i].xor ;
		seg_refresh(seg, len);
		assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_FLUSH);
	}
	/* More payload than the first segment's; anything after a short one
	 * or after PSH. */
	memset(&gro, 0, sizeof(gro));
	ep_gro_add(&gro, first, flen);
	len = seg_build(seg, 1000 + MSS, MSS + 1, TCP_ACK);
	assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_FLUSH);
	len = seg_build(seg, 1000 + MSS, 10, TCP_ACK);
	assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_HELD);
	len = seg_build(seg, 1000 + MSS + 10, 10, TCP_ACK);
	assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_FLUSH);
	memset(&gro, 0, sizeof(gro));
	len = seg_build(seg, 1000, MSS, TCP_ACK | TCP_PSH);
	assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_HELD);
	len = seg_build(seg, 1000 + MSS, MSS, TCP_ACK);
	assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_FLUSH);
}

/* An IPv4 length field holds at most 65,535 bytes: a stream longer than
 * that becomes several super-packets, none over it, all of it kept. */
static void super_packets_stop_at_64k(void **state)
{
	uint8_t seg[2048];
	size_t len, wlen, total = 0, writes = 0;
	uint32_t seq = 1000;
	uint16_t segs;

	(void)state;
	for (int i = 0; i < 100; i++) {
		len = seg_build(seg, seq, MSS, TCP_ACK);
		if (ep_gro_add(&gro, seg, len) == EP_GRO_FLUSH) {
			assert_non_null(ep_gro_take(&gro, &wlen, &segs));
			assert_true(wlen - EP_VNET_HDR_LEN <= EP_GRO_MAX);
			total += wlen - EP_VNET_HDR_LEN - HDR;
			writes++;
			assert_int_equal(ep_gro_add(&gro, seg, len), EP_GRO_HELD);
		}
		seq += MSS;
	}
	assert_non_null(ep_gro_take(&gro, &wlen, &segs));
	total += wlen - EP_VNET_HDR_LEN - HDR;
	assert_int_equal(total, 100 * MSS);
	assert_int_equal(writes, 100 / ((EP_GRO_MAX - HDR) / MSS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(segments_of_a_stream_become_one_write, reset),
		cmocka_unit_test_setup(a_lone_segment_is_written_unchanged, reset),
		cmocka_unit_test_setup(what_the_stack_must_judge_passes, reset),
		cmocka_unit_test_setup(what_differs_ends_a_super_packet, reset),
		cmocka_unit_test_setup(super_packets_stop_at_64k, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
