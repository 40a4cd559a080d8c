/* mmlworker's pieces without devices: header building, the SA cache and its
 * refresh, node-wide sequence numbers persisted in a real mml_seq_hwm map,
 * the flow table, the classification of received frames, and
 * protect/unprotect in every mode with the lib codec, including each way a
 * bad packet must be dropped and counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/flow_ctr.h"
#include "lib/mlesp.h"
#include "tests/unit/fixtures.h"
#include "worker/gso.h"
#include "worker/keyfp.h"
#include "worker/pkt.h"
#include "worker/proto.h"
#include "worker/rx.h"

#define HOME 0x0a01000au /* 10.1.0.10 as it is in fixture_inner, host order */
#define HA 0x0a010001u
#define PEER 0x0a000101u
#define COA 0x0a020001u /* the serving FA, the HA's tunnel peer */

static uint32_t be(uint32_t host)
{
	return htonl(host);
}

/* ---------------------------------------------------------------- pkt */

static void ip_header_checksums(void **state)
{
	uint8_t h[20];
	struct ep_ip ip;

	inet_ip4_write(h, be(HA), be(HOME), EP_PROTO_ESP, 1000, 0xb8, 7, true, EP_TTL);
	assert_int_equal(inet_csum(h, 20), 0);
	assert_int_equal(ep_ip_parse(h, 1000, &ip), 0);
	assert_int_equal(ip.tot, 1000);
	assert_true(ip.df);
	assert_false(ip.fragment);
	assert_int_equal(ip.proto, EP_PROTO_ESP);
	assert_int_equal(ip.saddr, be(HA));
	assert_int_equal(ip.tos, 0xb8);
	/* Shorter buffer than tot_len, bad version, short IHL. */
	assert_int_equal(ep_ip_parse(h, 999, &ip), -1);
	h[0] = 0x65;
	assert_int_equal(ep_ip_parse(h, 1000, &ip), -1);
	h[0] = 0x44;
	assert_int_equal(ep_ip_parse(h, 1000, &ip), -1);
}

static void ttl_decrement_patches_checksum(void **state)
{
	uint8_t h[20];

	srand(7);
	for (int i = 0; i < 20000; i++) {
		uint8_t ttl = (uint8_t)(2 + rand() % 254);

		inet_ip4_write(h, (uint32_t)rand(), (uint32_t)rand(), (uint8_t)rand(),
			       (uint16_t)(20 + rand() % 1400), (uint8_t)rand(), (uint16_t)rand(),
			       rand() & 1, EP_TTL);
		h[8] = ttl;
		put_be16(h + 10, 0);
		put_be16(h + 10, inet_csum(h, 20));
		assert_int_equal(ep_ip_ttl_dec(h), 0);
		assert_int_equal(h[8], ttl - 1);
		assert_int_equal(inet_csum(h, 20), 0);
	}
	h[8] = 1;
	assert_int_equal(ep_ip_ttl_dec(h), -1);
}

/* ---------------------------------------------------------------- tables */

/* What a worker persists, as the pinned maps hold it across restarts: the
 * inbound marks (mml_rx_mark, here plain memory) and mml_seq_hwm. */
static struct mml_rx_mark test_marks[8];

/* A restarted worker: a new store over the state its predecessor persisted. */
static void store_restart(struct ep_seqstore *s, int hwm_fd)
{
	assert_int_equal(ep_seqstore_init(s, hwm_fd, test_marks, 8), 0);
}

struct pair {
	struct ep_seqstore store;
	struct ep_tables mh, ha; /* MH and HA with the same keys, mirrored */
};

static struct mml_csa csa_of(uint8_t format, uint8_t alg, uint8_t dir, uint32_t spi)
{
	struct csa_spec spec = { format, 40, alg, 0 };
	struct mml_csa c = fixture_csa(&spec, dir);

	c.spi = spi;
	/* Different keys per SPI, so that a packet sealed under one SPI can
	 * never open under another. */
	c.zone[0].key[31] ^= (uint8_t)spi;
	if (format == MML_FMT_MLESP)
		c.zone[1].key[31] ^= (uint8_t)spi;
	c.add_time_ns = 1000 + spi;
	return c;
}

/* Uplink SPIs 0x100 (ESP) / 0x200 (ML-ESP), downlink 0x101 / 0x201. */
static void pair_setup(struct pair *p, uint8_t alg)
{
	struct mml_csa mh[4] = {
		csa_of(MML_FMT_ESP, alg, MML_DIR_OUT, 0x100),
		csa_of(MML_FMT_MLESP, alg, MML_DIR_OUT, 0x200),
		csa_of(MML_FMT_ESP, alg, MML_DIR_IN, 0x101),
		csa_of(MML_FMT_MLESP, alg, MML_DIR_IN, 0x201),
	};
	struct mml_csa ha[4] = {
		csa_of(MML_FMT_ESP, alg, MML_DIR_IN, 0x100),
		csa_of(MML_FMT_MLESP, alg, MML_DIR_IN, 0x200),
		csa_of(MML_FMT_ESP, alg, MML_DIR_OUT, 0x101),
		csa_of(MML_FMT_MLESP, alg, MML_DIR_OUT, 0x201),
	};
	struct mml_binding mb = { .ha_addr = be(HA), .coa = be(COA) };
	struct mml_binding hb = mb;
	uint32_t home = be(HOME);

	memset(p, 0, sizeof(*p));
	memset(test_marks, 0, sizeof(test_marks));
	store_restart(&p->store, -1);
	mb.spi_out[MML_MODE_ESP] = 0x100;
	mb.spi_out[MML_MODE_MLESP] = 0x200;
	mb.spi_in[MML_MODE_ESP] = 0x101;
	mb.spi_in[MML_MODE_MLESP] = 0x201;
	hb.spi_out[MML_MODE_ESP] = 0x101;
	hb.spi_out[MML_MODE_MLESP] = 0x201;
	hb.spi_in[MML_MODE_ESP] = 0x100;
	hb.spi_in[MML_MODE_MLESP] = 0x200;
	ep_sacache_init(&p->mh.sas, &p->store);
	ep_sacache_init(&p->ha.sas, &p->store);
	assert_int_equal(ep_sacache_load(&p->mh.sas, mh, 4), 4);
	assert_int_equal(ep_sacache_load(&p->ha.sas, ha, 4), 4);
	assert_int_equal(ep_bindtab_load(&p->mh.binds, &home, &mb, 1), 1);
	assert_int_equal(ep_bindtab_load(&p->ha.binds, &home, &hb, 1), 1);
	assert_int_equal(ep_flowtab_load(&p->mh.flows, NULL, NULL, 0), 0);
	assert_int_equal(ep_flowtab_load(&p->ha.flows, NULL, NULL, 0), 0);
}

static void pair_free(struct pair *p)
{
	struct ep_tables *t[2] = { &p->mh, &p->ha };

	for (int i = 0; i < 2; i++) {
		ep_sacache_free(&t[i]->sas);
		ep_flowtab_free(&t[i]->flows);
		ep_bindtab_free(&t[i]->binds);
	}
	ep_seqstore_free(&p->store);
}

static void set_mode(struct ep_tables *t, uint8_t mode)
{
	struct mml_flow_key k = { 0 };
	struct mml_flow f = { .mode = mode };

	assert_int_equal(ep_flowtab_load(&t->flows, &k, &f, 1), 1);
}

/* An uplink packet: from the home address to the peer (fixture_inner's
 * addresses swapped). */
static void uplink_inner(uint8_t *buf, size_t len, uint32_t seed)
{
	uint8_t tmp[4];

	fixture_inner(buf, len, seed);
	memcpy(tmp, buf + 12, 4);
	memcpy(buf + 12, buf + 16, 4);
	memcpy(buf + 16, tmp, 4);
}

static void sacache_refresh_keeps_unchanged(void **state)
{
	struct ep_seqstore store;
	struct ep_sacache c;
	struct mml_csa set[3] = {
		csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_IN, 0x1010),
		csa_of(MML_FMT_ESP, MML_ALG_CHACHA20_POLY1305, MML_DIR_IN, 0x1011),
		csa_of(MML_FMT_ESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1012),
	};
	struct ep_sa *a, *b;

	ep_seqstore_init(&store, -1, NULL, 0);
	ep_sacache_init(&c, &store);
	assert_int_equal(ep_sacache_load(&c, set, 3), 3);
	a = ep_sacache_get(&c, 0x1010);
	assert_non_null(a);
	assert_int_equal(mml_replay_update(mml_sa_replay(&a->sa), 500), 0); /* must survive */
	assert_null(ep_sacache_get(&c, 0x1013));
	assert_null(ep_sacache_get(&c, 0));

	/* 0x11 changes key, 0x12 goes away, 0x10 stays byte for byte. */
	set[1].zone[0].key[0] ^= 1;
	assert_int_equal(ep_sacache_load(&c, set, 2), 2);
	a = ep_sacache_get(&c, 0x1010);
	b = ep_sacache_get(&c, 0x1011);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(mml_sa_replay(&a->sa)->top, 500);
	assert_int_equal(b->sa.csa.zone[0].key[0], set[1].zone[0].key[0]);
	assert_null(ep_sacache_get(&c, 0x1012));
	/* A refresh from nothing empties the cache. */
	assert_int_equal(ep_sacache_load(&c, NULL, 0), 0);
	assert_null(ep_sacache_get(&c, 0x1010));
	/* Invalid CSAs and FWD ones are skipped, not fatal. */
	set[0].z1_len = 42;
	set[1].dir = MML_DIR_FWD;
	assert_int_equal(ep_sacache_load(&c, set, 2), 0);
	ep_sacache_free(&c);
	ep_seqstore_free(&store);
}

/* Issue 20: a store sized for the node's CSAs holds a key per CSA, far
 * beyond the old fixed 1024 per direction (the rest were "ignored": no
 * packet of those mobiles passed), reloads them (found by key, state
 * kept), and a binding table of a whole /16 of home addresses finds each
 * within a few probes (the hash once put them all in one slot). */
static void thousands_of_mobiles(void **state)
{
	enum { N = 3000 };
	static struct mml_csa set[2 * N];
	static uint32_t homes[N];
	static struct mml_binding bs[N];
	struct ep_seqstore store;
	struct ep_sacache c;
	struct ep_bindtab t = { 0 };
	struct ep_sa *a;
	unsigned int far = 0;

	for (unsigned int i = 0; i < 2 * N; i++) {
		set[i] = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, i & 1 ? MML_DIR_IN : MML_DIR_OUT,
				0x10000 + i);
		memcpy(set[i].zone[0].key, &i, sizeof(i));
		memcpy(set[i].zone[1].key, &i, sizeof(i));
		set[i].zone[1].key[8] = 0x77;
	}
	assert_int_equal(ep_seqstore_init_cap(&store, 2 * N, -1, NULL, 0), 0);
	ep_sacache_init(&c, &store);
	assert_int_equal(ep_sacache_load(&c, set, 2 * N), 2 * N);
	a = ep_sacache_get(&c, 0x10000 + 2 * N - 2);
	assert_non_null(a);
	assert_non_null(a->out);
	assert_int_equal(mml_replay_update(mml_sa_replay(&ep_sacache_get(&c, 0x10001)->sa), 77), 0);
	assert_int_equal(ep_sacache_load(&c, set, 2 * N), 2 * N);
	assert_int_equal(mml_sa_replay(&ep_sacache_get(&c, 0x10001)->sa)->top, 77);
	ep_sacache_free(&c);
	ep_seqstore_free(&store);

	/* More inbound keys than marks: the first take them, the rest run
	 * without; once those keys are gone, new ones take their marks. */
	{
		static struct mml_rx_mark marks[8];
		unsigned int with = 0;

		assert_int_equal(ep_seqstore_init_cap(&store, 64, -1, marks, 8), 0);
		ep_sacache_init(&c, &store);
		for (unsigned int i = 0; i < 20; i++)
			set[i] = set[2 * i + 1]; /* inbound ones */
		assert_int_equal(ep_sacache_load(&c, set, 20), 20);
		for (unsigned int i = 0; i < 20; i++)
			with += ep_sacache_get(&c, set[i].spi)->in->mark != NULL;
		assert_int_equal(with, 8);
		assert_int_equal(ep_sacache_load(&c, NULL, 0), 0);
		for (unsigned int i = 20; i < 28; i++) { /* keys never seen */
			set[i] = set[i - 20];
			set[i].spi += 0x8000;
			set[i].zone[0].key[9] ^= 0x5a;
			set[i].zone[1].key[9] ^= 0x5a;
		}
		assert_int_equal(ep_sacache_load(&c, set + 20, 8), 8);
		for (unsigned int i = 20; i < 28; i++)
			assert_non_null(ep_sacache_get(&c, set[i].spi)->in->mark);
		ep_sacache_free(&c);
		ep_seqstore_free(&store);
	}

	for (unsigned int i = 0; i < N; i++)
		homes[i] = htonl(0x0ac80001u + i);
	assert_int_equal(ep_bindtab_load(&t, homes, bs, N), N);
	for (unsigned int i = 0; i < N; i++) {
		uint32_t k = ep_home_hash(homes[i]) & t.mask, probes = 0;

		assert_non_null(ep_binding_get(&t, homes[i]));
		while (t.slots[k].home != homes[i]) {
			k = (k + 1) & t.mask;
			probes++;
		}
		far += probes > 16;
	}
	assert_true(far < N / 100);
	ep_bindtab_free(&t);
}

static void sequence_shared_between_threads(void **state)
{
	struct ep_seqstore store;
	struct ep_sacache t1, t2;
	struct mml_csa out = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1020);
	uint32_t s;

	ep_seqstore_init(&store, -1, NULL, 0);
	ep_sacache_init(&t1, &store);
	ep_sacache_init(&t2, &store);
	ep_sacache_load(&t1, &out, 1);
	ep_sacache_load(&t2, &out, 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&t1, 0x1020), &s), 0);
	assert_int_equal(s, 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&t2, 0x1020), &s), 0);
	assert_int_equal(s, 2);
	/* Reloading an unchanged CSA does not restart the counter. */
	ep_sacache_load(&t1, &out, 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&t1, 0x1020), &s), 0);
	assert_int_equal(s, 3);
	ep_sacache_free(&t1);
	ep_sacache_free(&t2);
	ep_seqstore_free(&store);
}

static void sequence_hard_limit(void **state)
{
	struct ep_seqstore store;
	struct ep_sacache c;
	struct mml_csa out = csa_of(MML_FMT_ESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1021);
	uint32_t s;

	out.soft_packets = 2;
	out.hard_packets = 3;
	ep_seqstore_init(&store, -1, NULL, 0);
	ep_sacache_init(&c, &store);
	ep_sacache_load(&c, &out, 1);
	for (uint32_t i = 1; i <= 3; i++) {
		assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1021), &s), 0);
		assert_int_equal(s, i);
	}
	assert_true(ep_sacache_get(&c, 0x1021)->sa.rekey_wanted);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1021), &s), -MML_E_SEQ_EXHAUSTED);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1021), &s), -MML_E_SEQ_EXHAUSTED);
	ep_sacache_free(&c);
	ep_seqstore_free(&store);
}

/* Issue 17: past the soft packet limit the worker tells mmlkeyd once,
 * through mml_rekey (the SPI, the first number past the limit). */
static void soft_packet_limit_tells_keyd(void **state)
{
	struct mml_csa out = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1031);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mml_rekey", sizeof(uint32_t),
				sizeof(struct mml_rekey), 16, NULL);
	struct ep_seqstore store;
	struct ep_sacache c[2];
	struct mml_rekey r;
	uint32_t s, spi = 0x1031;

	assert_true(fd >= 0);
	out.soft_packets = 3;
	ep_seqstore_init(&store, -1, NULL, 0);
	store.rekey_fd = fd;
	for (int t = 0; t < 2; t++) {
		ep_sacache_init(&c[t], &store);
		ep_sacache_load(&c[t], &out, 1);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c[i % 2], spi), &s), 0);
	assert_int_not_equal(bpf_map_lookup_elem(fd, &spi, &r), 0);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c[1], spi), &s), 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &spi, &r), 0);
	assert_int_equal(r.seq, 4);
	assert_true(r.wanted_ns > 0);
	/* Once: neither this thread nor the other posts it again. */
	bpf_map_delete_elem(fd, &spi);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c[i % 2], spi), &s), 0);
	assert_int_not_equal(bpf_map_lookup_elem(fd, &spi, &r), 0);
	assert_int_equal(store.rekeys_wanted, 1);
	for (int t = 0; t < 2; t++)
		ep_sacache_free(&c[t]);
	ep_seqstore_free(&store);
	close(fd);
}

static int hwm_map_create(void)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, "mml_seq_hwm", sizeof(struct mml_key_fp),
			      sizeof(struct mml_seq_hwm), 16, NULL);
}

/* A restarted worker (a new store over the same pinned map) resumes above
 * everything the old one may have sent; new keys under the SPI start over. */
static void sequence_resumes_above_persisted_mark(void **state)
{
	struct mml_csa out = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1022);
	struct ep_seqstore store;
	struct mml_seq_hwm hwm;
	struct mml_key_fp fp;
	struct ep_sacache c;
	uint32_t s, last = 0;
	int fd;

	fd = hwm_map_create();
	if (fd < 0)
		skip();
	assert_int_equal(ep_key_fp(&out, &fp), 0);
	for (int run = 0; run < 2; run++) {
		ep_seqstore_init(&store, fd, NULL, 0);
		ep_sacache_init(&c, &store);
		ep_sacache_load(&c, &out, 1);
		for (int i = 0; i < 10; i++) {
			assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1022), &s), 0);
			assert_true(s > last);
			last = s;
		}
		assert_int_equal(bpf_map_lookup_elem(fd, &fp, &hwm), 0);
		assert_true(hwm.reserved >= last);
		assert_int_equal(hwm.spi, out.spi);
		ep_sacache_free(&c);
		ep_seqstore_free(&store);
	}
	assert_true(last > EP_SEQ_BLOCK); /* the second run started above the block */
	out.zone[0].key[3] ^= 1;
	ep_seqstore_init(&store, fd, NULL, 0);
	ep_sacache_init(&c, &store);
	ep_sacache_load(&c, &out, 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1022), &s), 0);
	assert_int_equal(s, 1);
	ep_sacache_free(&c);
	ep_seqstore_free(&store);
	close(fd);
}

/* ------------------------------------------------ issue 20: multi-core */

/* Two worker threads (two RX queues), each with its own SA cache as in the
 * worker, hammer one key at once: outbound, every sequence number is handed
 * out exactly once while blocks are reserved in mml_seq_hwm (a number twice
 * is a nonce twice under the key) and the persisted mark covers them all;
 * inbound, both offer every number to the key's one window (each packet
 * and its replay on the other queue) and each is accepted exactly once. */
#define HAMMER_THREADS 2
#define HAMMER_SEQS 300000

struct hammer {
	struct ep_sacache c;
	uint32_t spi;
	_Atomic uint8_t *seen;	  /* per sequence number: handed out / accepted */
	pthread_barrier_t *start; /* both threads at once, not one after the other */
	long errors;
};

static void *hammer_out(void *arg)
{
	struct hammer *h = arg;
	struct ep_sa *sa = ep_sacache_get(&h->c, h->spi);
	uint32_t s;

	pthread_barrier_wait(h->start);
	for (int i = 0; i < HAMMER_SEQS; i++) {
		if (!sa || ep_sa_next_seq(sa, &s) || !s || s > HAMMER_THREADS * HAMMER_SEQS)
			h->errors++;
		else
			atomic_fetch_add_explicit(&h->seen[s], 1, memory_order_relaxed);
	}
	return NULL;
}

static void *hammer_in(void *arg)
{
	struct hammer *h = arg;
	struct ep_sa *sa = ep_sacache_get(&h->c, h->spi);
	struct mml_replay *w = sa ? mml_sa_replay(&sa->sa) : NULL;

	pthread_barrier_wait(h->start);
	for (uint32_t s = 1; w && s <= HAMMER_SEQS; s++)
		if (!mml_replay_check(w, s) && !mml_replay_update(w, s))
			atomic_fetch_add_explicit(&h->seen[s], 1, memory_order_relaxed);
	h->errors += !w;
	return NULL;
}

/* Runs fn in HAMMER_THREADS threads over csa; returns how many numbers up
 * to max were seen exactly once (a number seen twice fails the test). */
static long hammer(const struct mml_csa *csa, struct ep_seqstore *store, void *(*fn)(void *),
		   uint32_t max)
{
	_Atomic uint8_t *seen = calloc(max + 1, sizeof(*seen));
	struct hammer h[HAMMER_THREADS];
	pthread_t tid[HAMMER_THREADS];
	pthread_barrier_t start;
	long once = 0, twice = 0;

	assert_non_null(seen);
	assert_int_equal(pthread_barrier_init(&start, NULL, HAMMER_THREADS), 0);
	for (int i = 0; i < HAMMER_THREADS; i++) {
		h[i] = (struct hammer){ .spi = csa->spi, .seen = seen, .start = &start };
		ep_sacache_init(&h[i].c, store);
		assert_int_equal(ep_sacache_load(&h[i].c, csa, 1), 1);
	}
	for (int i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, fn, &h[i]), 0);
	for (int i = 0; i < HAMMER_THREADS; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(h[i].errors, 0);
		ep_sacache_free(&h[i].c);
	}
	pthread_barrier_destroy(&start);
	for (uint32_t s = 1; s <= max; s++) {
		once += seen[s] == 1;
		twice += seen[s] > 1;
	}
	free(seen);
	if (twice)
		fail_msg("%ld sequence numbers seen twice", twice);
	return once;
}

static void one_key_hammered_by_two_threads(void **state)
{
	struct mml_csa out = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1040);
	struct mml_csa in = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_IN, 0x1041);
	struct ep_seqstore store;
	struct mml_seq_hwm hwm;
	struct mml_key_fp fp;
	int fd = hwm_map_create();

	if (fd < 0)
		skip();
	in.replay_window = MML_REPLAY_WINDOW_MAX;
	assert_int_equal(ep_key_fp(&out, &fp), 0);
	store_restart(&store, fd);
	assert_int_equal(hammer(&out, &store, hammer_out, HAMMER_THREADS * HAMMER_SEQS),
			 HAMMER_THREADS * HAMMER_SEQS);
	assert_int_equal(bpf_map_lookup_elem(fd, &fp, &hwm), 0);
	assert_true(hwm.reserved >= HAMMER_THREADS * HAMMER_SEQS);
	assert_true(store.reservations >= HAMMER_THREADS * HAMMER_SEQS / EP_SEQ_BLOCK);
	/* Whichever thread offers a number first is at or ahead of the
	 * window's top, so every number is accepted, once. */
	assert_int_equal(hammer(&in, &store, hammer_in, HAMMER_SEQS), HAMMER_SEQS);
	ep_seqstore_free(&store);
	close(fd);
}

/* ------------------------------------------------------- issue 18: attacks */

/* Item 1: an outbound SA replaced (csa replace: new install time) or deleted
 * and added again with the same keys, or the same keys under another SPI,
 * must continue the sequence: the nonce is salt || seq, so a restart at 1
 * repeats nonces under one key (and GCM then leaks its hash key). */
static void same_key_reinstalled_continues_sequence(void **state)
{
	struct mml_csa out = csa_of(MML_FMT_MLESP, MML_ALG_AES256_GCM, MML_DIR_OUT, 0x1030);
	struct ep_seqstore store;
	struct ep_sacache c;
	uint32_t s, last = 0;

	store_restart(&store, -1);
	ep_sacache_init(&c, &store);
	assert_int_equal(ep_sacache_load(&c, &out, 1), 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1030), &last), 0);
	out.add_time_ns += 1000; /* csa replace, same key file */
	assert_int_equal(ep_sacache_load(&c, &out, 1), 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1030), &s), 0);
	assert_true(s > last);
	last = s;
	assert_int_equal(ep_sacache_load(&c, NULL, 0), 0); /* csa del */
	out.add_time_ns += 1000;			   /* csa add, same key file */
	assert_int_equal(ep_sacache_load(&c, &out, 1), 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1030), &s), 0);
	assert_true(s > last);
	last = s;
	out.spi = 0x1031; /* the same keys under another SPI */
	assert_int_equal(ep_sacache_load(&c, &out, 1), 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1031), &s), 0);
	assert_true(s > last);
	out.zone[1].key[0] ^= 1; /* new keys: a sequence of their own */
	assert_int_equal(ep_sacache_load(&c, &out, 1), 1);
	assert_int_equal(ep_sa_next_seq(ep_sacache_get(&c, 0x1031), &s), 0);
	assert_int_equal(s, 1);
	/* Counted (ep_seq_continued): replace, delete + add, another SPI. */
	assert_int_equal(store.seq_continued, 3);
	ep_sacache_free(&c);
	ep_seqstore_free(&store);
}

/* Protect one downlink packet of len bytes in mode into buf at the HA. */
static size_t downlink_packet(struct pair *p, uint8_t mode, size_t len, uint32_t seed, uint8_t *buf)
{
	uint8_t inner[1500];
	unsigned int stat;
	ssize_t n;

	set_mode(&p->ha, mode);
	fixture_inner(inner, len, seed);
	n = ep_protect(&p->ha, EP_SIDE_HA, ep_binding_get(&p->ha.binds, be(HOME)), inner, len, buf,
		       2048, &stat);
	assert_true(n > 0);
	return (size_t)n;
}

/* The MH's verdict on a downlink packet in tables t: 0 delivered, else the
 * drop counter. */
static unsigned int mh_verdict(struct ep_tables *t, const uint8_t *pkt, size_t n)
{
	uint8_t buf[2048], *out;
	unsigned int stat;

	memcpy(buf, pkt, n); /* decrypted in place: the original stays replayable */
	return ep_unprotect(t, EP_SIDE_MH, be(HOME), 0, buf, n, &out, &stat) < 0 ? stat : 0;
}

static void mh_inbound(struct ep_tables *t, struct ep_seqstore *store, const struct pair *p,
		       uint8_t alg)
{
	struct mml_csa in[2] = {
		csa_of(MML_FMT_ESP, alg, MML_DIR_IN, 0x101),
		csa_of(MML_FMT_MLESP, alg, MML_DIR_IN, 0x201),
	};

	*t = p->mh; /* flows and bindings shared read-only, SAs its own */
	ep_sacache_init(&t->sas, store);
	assert_int_equal(ep_sacache_load(&t->sas, in, 2), 2);
}

/* Item 5: a packet accepted by one worker thread, replayed so that it is
 * steered to another thread (another queue), must be refused there. */
static void replay_refused_on_another_thread(void **state)
{
	uint8_t pkt[2048];
	struct ep_tables other;
	struct pair p;
	size_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	mh_inbound(&other, &p.store, &p, MML_ALG_AES256_GCM);
	for (uint8_t mode = MML_MODE_ESP; mode <= MML_MODE_MLESP; mode++) {
		n = downlink_packet(&p, mode, 300, mode, pkt);
		assert_int_equal(mh_verdict(&p.mh, pkt, n), 0);
		assert_int_equal(mh_verdict(&other, pkt, n), MML_STAT_EP_DROP_REPLAY);
		assert_int_equal(mh_verdict(&p.mh, pkt, n), MML_STAT_EP_DROP_REPLAY);
	}
	ep_sacache_free(&other.sas);
	pair_free(&p);
}

/* Item 5: after a worker restart, packets at or below the last accepted
 * sequence number are refused; newer ones still pass. */
static void replay_refused_after_restart(void **state)
{
	uint8_t pkt[3][2048], fresh[2048];
	struct ep_seqstore restarted;
	struct ep_tables mh2;
	size_t n[3], nf;
	struct pair p;

	pair_setup(&p, MML_ALG_CHACHA20_POLY1305);
	for (uint8_t mode = MML_MODE_ESP; mode <= MML_MODE_MLESP; mode++) {
		for (int i = 0; i < 3; i++) {
			n[i] = downlink_packet(&p, mode, 200, (uint32_t)i, pkt[i]);
			assert_int_equal(mh_verdict(&p.mh, pkt[i], n[i]), 0);
		}
		store_restart(&restarted, -1);
		mh_inbound(&mh2, &restarted, &p, MML_ALG_CHACHA20_POLY1305);
		/* Counted: the SAs that started above a mark (ep_rx_resumed; the
		 * ESP key's mark is there in both rounds), then each replay
		 * (ep_drop_replay, the verdict). */
		assert_int_equal(restarted.rx_resumed, mode == MML_MODE_ESP ? 1 : 2);
		for (int i = 0; i < 3; i++)
			assert_int_equal(mh_verdict(&mh2, pkt[i], n[i]), MML_STAT_EP_DROP_REPLAY);
		nf = downlink_packet(&p, mode, 200, 9, fresh);
		assert_int_equal(mh_verdict(&mh2, fresh, nf), 0);
		ep_sacache_free(&mh2.sas);
		ep_seqstore_free(&restarted);
	}
	pair_free(&p);
}

/* Rewrite the (unauthenticated) outer source of a protocol-50 packet. */
static void set_outer_src(uint8_t *pkt, uint32_t src)
{
	memcpy(pkt + 12, &src, 4);
	put_be16(pkt + 10, 0);
	put_be16(pkt + 10, inet_csum(pkt, 20));
}

/* Item 5: an SA is tied to the outer source its mode has. A packet of the
 * MH's inbound SA sent from an address that is not its HA (an attacker on
 * the air resending or forging it from elsewhere) is refused before any
 * crypto and counted. */
static void outer_source_tied_to_sa_mh(void **state)
{
	uint8_t pkt[2048];
	struct pair p;
	size_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	for (uint8_t mode = MML_MODE_ESP; mode <= MML_MODE_MLESP; mode++) {
		n = downlink_packet(&p, mode, 300, mode, pkt);
		set_outer_src(pkt, be(0x0a020063)); /* not the HA */
		assert_int_equal(mh_verdict(&p.mh, pkt, n), MML_STAT_EP_DROP_OUTER_SRC);
		set_outer_src(pkt, be(HA));
		assert_int_equal(mh_verdict(&p.mh, pkt, n), 0);
	}
	pair_free(&p);
}

/* Issue 17: the hard lifetime is enforced in the data plane. An SA past it
 * (in seconds, or in packets) protects and accepts nothing, counted as
 * ep_drop_expired; past the soft lifetime it asks for a rekey. */
static unsigned int ha_protect_verdict(struct pair *p, uint8_t mode)
{
	uint8_t inner[300], out[2048];
	unsigned int stat;

	set_mode(&p->ha, mode);
	fixture_inner(inner, sizeof(inner), mode);
	return ep_protect(&p->ha, EP_SIDE_HA, ep_binding_get(&p->ha.binds, be(HOME)), inner,
			  sizeof(inner), out, sizeof(out), &stat) < 0 ?
		       stat :
		       0;
}

static void lifetimes_enforced(void **state)
{
	struct ep_sa *out, *in, *in_esp;
	uint8_t pkt[3][2048];
	uint64_t t0;
	struct pair p;
	size_t n[3];

	pair_setup(&p, MML_ALG_CHACHA20_POLY1305);
	out = ep_sacache_get(&p.ha.sas, 0x201);
	in = ep_sacache_get(&p.mh.sas, 0x201);
	t0 = out->sa.csa.add_time_ns;
	out->sa.csa.soft_lifetime_s = in->sa.csa.soft_lifetime_s = 5;
	out->sa.csa.hard_lifetime_s = in->sa.csa.hard_lifetime_s = 10;

	p.ha.now_ns = p.mh.now_ns = t0 + 5 * MML_NS_PER_S - 1;
	n[0] = downlink_packet(&p, MML_MODE_MLESP, 200, 1, pkt[0]);
	assert_false(atomic_load(&out->sa.rekey_wanted));
	p.ha.now_ns = t0 + 5 * MML_NS_PER_S;
	n[1] = downlink_packet(&p, MML_MODE_MLESP, 200, 2, pkt[1]);
	assert_true(atomic_load(&out->sa.rekey_wanted));
	p.ha.now_ns = t0 + 10 * MML_NS_PER_S;
	assert_int_equal(ha_protect_verdict(&p, MML_MODE_MLESP), MML_STAT_EP_DROP_EXPIRED);

	p.mh.now_ns = t0 + 10 * MML_NS_PER_S - 1;
	assert_int_equal(mh_verdict(&p.mh, pkt[0], n[0]), 0);
	p.mh.now_ns = t0 + 10 * MML_NS_PER_S;
	assert_int_equal(mh_verdict(&p.mh, pkt[1], n[1]), MML_STAT_EP_DROP_EXPIRED);

	/* Packets: the receiver refuses a number above its hard limit before
	 * the AEAD; the sender stops at its own. */
	in_esp = ep_sacache_get(&p.mh.sas, 0x101);
	in_esp->sa.csa.hard_packets = 2;
	for (int i = 0; i < 3; i++)
		n[i] = downlink_packet(&p, MML_MODE_ESP, 200, (uint32_t)i, pkt[i]);
	assert_int_equal(mh_verdict(&p.mh, pkt[0], n[0]), 0);
	assert_int_equal(mh_verdict(&p.mh, pkt[1], n[1]), 0);
	assert_int_equal(mh_verdict(&p.mh, pkt[2], n[2]), MML_STAT_EP_DROP_EXPIRED);
	ep_sacache_get(&p.ha.sas, 0x101)->sa.csa.hard_packets = 4;
	assert_int_equal(ha_protect_verdict(&p, MML_MODE_ESP), 0);
	assert_int_equal(ha_protect_verdict(&p, MML_MODE_ESP), MML_STAT_EP_DROP_EXPIRED);
	pair_free(&p);
}

static void flow_lookup_precedence(void **state)
{
	struct mml_flow_key keys[4] = {
		{ be(HOME), be(PEER), 5000, 80, 6, { 0 } },
		{ be(HOME), be(PEER), 0, 80, 6, { 0 } },
		{ be(HOME), be(PEER), 0, 0, 0, { 0 } },
		{ 0 },
	};
	struct mml_flow flows[4] = {
		{ MML_MODE_PLAIN, 0, 0, 0 },
		{ MML_MODE_ESP, 0, 0, 0 },
		{ MML_MODE_MLESP, 0, 3, 0 },
		{ MML_MODE_ESP, 0, 0, 0x999 },
	};
	struct mml_binding b = { .spi_out = { 0, 0x10, 0x20 } };
	struct mml_flow_key k = keys[0];
	struct ep_flowtab t = { 0 };
	uint32_t spi;

	assert_int_equal(ep_flowtab_load(&t, keys, flows, 4), 4);
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_PLAIN);
	assert_int_equal(spi, 0);
	k.home_port = 5001; /* matches the home-port wildcard */
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_ESP);
	assert_int_equal(spi, 0x10);
	k.peer_port = 443; /* both ports and protocol wild: every third packet */
	k.proto = 17;
	for (int i = 0; i < 9; i++)
		assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi),
				 i % 3 ? MML_MODE_PLAIN : MML_MODE_MLESP);
	k.peer_addr = be(PEER + 1); /* another peer: the default with its own SPI */
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_ESP);
	assert_int_equal(spi, 0x999);
	/* No entries: the strongest mode the binding has keys for. */
	ep_flowtab_load(&t, NULL, NULL, 0);
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_MLESP);
	b.spi_out[MML_MODE_MLESP] = 0;
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_ESP);
	b.spi_out[MML_MODE_ESP] = 0;
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_PLAIN);
	ep_flowtab_free(&t);
}

/* A 0 address matches any address too (docs/endpoints.md's example: one
 * service of the MH, whatever the peer), and the most specific entry wins. */
static void flow_lookup_address_wildcards(void **state)
{
	struct mml_flow_key keys[3] = {
		{ be(HOME), 0, 0, 22, 6, { 0 } },
		{ 0, be(PEER), 0, 0, 0, { 0 } },
		{ 0 },
	};
	struct mml_flow flows[3] = {
		{ MML_MODE_ESP, 0, 0, 0 },
		{ MML_MODE_PLAIN, 0, 0, 0 },
		{ MML_MODE_MLESP, 0, 0, 0 },
	};
	struct mml_binding b = { .spi_out = { 0, 0x10, 0x20 } };
	struct mml_flow_key k = { be(HOME), be(PEER + 7), 40000, 22, 6, { 0 } };
	struct ep_flowtab t = { 0 };
	uint32_t spi;

	assert_int_equal(ep_flowtab_load(&t, keys, flows, 3), 3);
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_ESP);
	assert_int_equal(spi, 0x10);
	k.peer_addr = be(PEER); /* the service entry is more specific than the peer's */
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_ESP);
	k.peer_port = 23; /* not the service: the peer's entry */
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_PLAIN);
	k.peer_addr = be(PEER + 7); /* neither: the default key */
	assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi), MML_MODE_MLESP);
	assert_int_equal(spi, 0x20);
	ep_flowtab_free(&t);
}

/* Issue 19's classes (maps/ep.h mml_flow_dscp): a DSCP entry sits below
 * every 5-tuple entry, exact or partial, and above the all-zero default;
 * the receiver's floor and implicit upgrades follow the same order. */
static struct mml_flow dscp_classes[MML_FLOW_DSCPS];

static void flow_dscp_precedence(void **state)
{
	struct mml_flow_key keys[3] = {
		{ be(HOME), be(PEER), 5000, 22, 6, { 0 } },
		{ 0, 0, 0, 443, 6, { 0 } },
		{ 0 },
	};
	struct mml_flow flows[3] = {
		{ MML_MODE_ESP, 0, 0, 0x11 },
		{ MML_MODE_ESP, 0, 0, 0x22 },
		{ MML_MODE_PLAIN, 0, 0, 0 },
	};
	struct mml_binding b = { .spi_out = { 0, 0x10, 0x20 } };
	struct mml_flow_key k = keys[0], other = { be(HOME), be(PEER), 6000, 5201, 6, { 0 } };
	struct ep_flowtab t = { 0 };
	struct mml_flow learned;
	uint32_t spi;

	memset(dscp_classes, 0, sizeof(dscp_classes));
	dscp_classes[10] = (struct mml_flow){ MML_MODE_MLESP, MML_FLOW_F_DSCP, 0, 0 };
	dscp_classes[46] = (struct mml_flow){ MML_MODE_ESP, MML_FLOW_F_DSCP, 10, 0 };
	dscp_classes[12] = (struct mml_flow){ MML_MODE_MLESP, 0, 0, 0 }; /* not set */
	assert_int_equal(ep_flowtab_load(&t, keys, flows, 3), 3);
	ep_flowtab_load_dscp(&t, dscp_classes);

	/* Sender: exact > partial > class > default. */
	assert_int_equal(ep_flow_mode(&t, &k, 10, &b, &spi), MML_MODE_ESP);
	assert_int_equal(spi, 0x11);
	k.home_port = 5001;
	k.peer_port = 443;
	assert_int_equal(ep_flow_mode(&t, &k, 10, &b, &spi), MML_MODE_ESP);
	assert_int_equal(spi, 0x22);
	assert_int_equal(ep_flow_mode(&t, &other, 10, &b, &spi), MML_MODE_MLESP);
	assert_int_equal(spi, 0x20);
	assert_int_equal(ep_flow_mode(&t, &other, 0, &b, &spi), MML_MODE_PLAIN);
	assert_int_equal(ep_flow_mode(&t, &other, 12, &b, &spi), MML_MODE_PLAIN);
	for (int i = 0; i < 20; i++)
		assert_int_equal(ep_flow_mode(&t, &other, 46, &b, &spi),
				 i % 10 ? MML_MODE_PLAIN : MML_MODE_ESP);

	/* Receiver: the class's floor, a reply without the mark the default's. */
	assert_int_equal(ep_flow_rx_check(&t, &other, 10, MML_MODE_PLAIN, 0, &learned),
			 EP_FLOW_RX_DOWNGRADE);
	assert_int_equal(ep_flow_rx_check(&t, &other, 10, MML_MODE_ESP, 0, &learned),
			 EP_FLOW_RX_DOWNGRADE);
	assert_int_equal(ep_flow_rx_check(&t, &other, 10, MML_MODE_MLESP, 0, &learned),
			 EP_FLOW_RX_OK);
	assert_int_equal(ep_flow_rx_check(&t, &other, 0, MML_MODE_PLAIN, 0, &learned),
			 EP_FLOW_RX_OK);
	assert_int_equal(ep_flow_rx_check(&t, &other, 46, MML_MODE_PLAIN, 0, &learned),
			 EP_FLOW_RX_OK);
	/* A partial 5-tuple entry still beats the class at the receiver. */
	assert_int_equal(ep_flow_rx_check(&t, &k, 10, MML_MODE_ESP, 0, &learned), EP_FLOW_RX_OK);

	/* An upgrade of a class-selected flow is learned for its 5-tuple,
	 * with the class's interval, and then beats the class. */
	assert_int_equal(ep_flow_rx_check(&t, &other, 46, MML_MODE_MLESP, 0, &learned),
			 EP_FLOW_RX_UPGRADE);
	assert_int_equal(learned.mode, MML_MODE_MLESP);
	assert_int_equal(learned.every_n, 10);
	assert_int_equal(learned.flags, MML_FLOW_F_LEARNED);
	assert_int_equal(ep_flowtab_learn(&t, &other, &learned), 4);
	assert_int_equal(ep_flow_mode(&t, &other, 10, &b, &spi), MML_MODE_MLESP);
	assert_int_equal(ep_flow_rx_check(&t, &other, 10, MML_MODE_PLAIN, 0, &learned),
			 EP_FLOW_RX_OK); /* every 10th: plaintext in between */

	/* Classes cleared: the default again; without it, the binding's. */
	memset(dscp_classes, 0, sizeof(dscp_classes));
	ep_flowtab_load_dscp(&t, dscp_classes);
	other.peer_port = 5202;
	assert_int_equal(ep_flow_mode(&t, &other, 10, &b, &spi), MML_MODE_PLAIN);
	assert_int_equal(ep_flowtab_load(&t, keys, flows, 2), 2);
	assert_int_equal(ep_flow_mode(&t, &other, 10, &b, &spi), MML_MODE_MLESP);
	/* A class with no 5-tuple entry at all. */
	dscp_classes[10] = (struct mml_flow){ MML_MODE_ESP, MML_FLOW_F_DSCP, 0, 0 };
	ep_flowtab_load_dscp(&t, dscp_classes);
	assert_int_equal(ep_flowtab_load(&t, NULL, NULL, 0), 0);
	assert_int_equal(ep_flow_mode(&t, &other, 10, &b, &spi), MML_MODE_ESP);
	assert_int_equal(spi, 0x10);
	ep_flowtab_free(&t);
}

/* The same through the worker's packet path: the DSCP of the inner
 * header the HA protects picks the mode; the MH judges the DSCP of the
 * inner packet it decrypted. */
static void flow_dscp_on_the_wire(void **state)
{
	struct mml_flow_key any = { 0 };
	struct mml_flow esp = { .mode = MML_MODE_ESP };
	uint8_t inner[300], buf[2048];
	unsigned int stat;
	struct pair p;
	ssize_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	memset(dscp_classes, 0, sizeof(dscp_classes));
	dscp_classes[10] = (struct mml_flow){ MML_MODE_MLESP, MML_FLOW_F_DSCP, 0, 0 };
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &esp, 1), 1);
	ep_flowtab_load_dscp(&p.ha.flows, dscp_classes);
	for (int dscp = 0; dscp <= 10; dscp += 10) {
		fixture_inner(inner, sizeof(inner), 1);
		inner[1] = (uint8_t)(dscp << 2 | 1); /* ECN bits are no part of it */
		n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
			       sizeof(inner), buf, sizeof(buf), &stat);
		assert_true(n > 0);
		assert_int_equal(stat, dscp ? MML_STAT_EP_ENCAP_MLESP : MML_STAT_EP_ENCAP_ESP);
		/* The MH with the same class: the marked ESP packet refused. */
		assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &esp, 1), 1);
		ep_flowtab_load_dscp(&p.mh.flows, dscp_classes);
		assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n), 0);
	}
	/* The HA sends ESP whatever the mark; the MH's class refuses it. */
	memset(dscp_classes, 0, sizeof(dscp_classes));
	ep_flowtab_load_dscp(&p.ha.flows, dscp_classes);
	dscp_classes[10] = (struct mml_flow){ MML_MODE_MLESP, MML_FLOW_F_DSCP, 0, 0 };
	for (int dscp = 0; dscp <= 10; dscp += 10) {
		fixture_inner(inner, sizeof(inner), 2);
		inner[1] = (uint8_t)(dscp << 2);
		n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
			       sizeof(inner), buf, sizeof(buf), &stat);
		assert_int_equal(stat, MML_STAT_EP_ENCAP_ESP);
		assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n),
				 dscp ? MML_STAT_EP_DROP_DOWNGRADE : 0);
	}
	pair_free(&p);
}

/* ---------------------------------------------------------------- proto */

static void roundtrip_every_mode(void **state)
{
	static const uint8_t algs[] = { MML_ALG_AES256_GCM, MML_ALG_CHACHA20_POLY1305 };
	uint8_t inner[1500], buf[2048], *out;
	unsigned int stat;
	struct pair p;

	for (size_t a = 0; a < sizeof(algs); a++) {
		pair_setup(&p, algs[a]);
		for (uint8_t mode = 0; mode < MML_MODE_MAX; mode++) {
			set_mode(&p.mh, mode);
			set_mode(&p.ha, mode);
			for (size_t len = 20; len <= 1400; len += 23) {
				const struct mml_binding *mb =
					ep_binding_get(&p.mh.binds, be(HOME));
				const struct mml_binding *hb =
					ep_binding_get(&p.ha.binds, be(HOME));
				struct ep_ip ip;
				ssize_t n, m;

				/* MH -> HA (uplink) */
				uplink_inner(inner, len, (uint32_t)len);
				n = ep_protect(&p.mh, EP_SIDE_MH, mb, inner, len, buf, sizeof(buf),
					       &stat);
				assert_true(n > 0);
				if (mode == MML_MODE_PLAIN) {
					assert_int_equal(stat, MML_STAT_EP_ENCAP_PLAIN);
					assert_memory_equal(buf, inner, len);
					continue;
				}
				assert_int_equal(stat, mode == MML_MODE_ESP ?
							       MML_STAT_EP_ENCAP_ESP :
							       MML_STAT_EP_ENCAP_MLESP);
				assert_int_equal(ep_ip_parse(buf, (size_t)n, &ip), 0);
				assert_int_equal(ip.saddr, be(HOME));
				assert_int_equal(ip.daddr, be(HA));
				assert_int_equal(ip.proto, EP_PROTO_ESP);
				assert_int_equal(inet_csum(buf, 20), 0);
				assert_int_equal(get_be32(buf + 20),
						 mode == MML_MODE_ESP ? 0x100 : 0x200);
				m = ep_unprotect(&p.ha, EP_SIDE_HA, 0, be(COA), buf, (size_t)n,
						 &out, &stat);
				assert_int_equal(m, len);
				assert_memory_equal(out, inner, len);
				assert_int_equal(stat, mode == MML_MODE_ESP ?
							       MML_STAT_EP_DELIVER_ESP :
							       MML_STAT_EP_DELIVER_MLESP);

				/* HA -> MH (downlink) */
				fixture_inner(inner, len, (uint32_t)len + 1);
				n = ep_protect(&p.ha, EP_SIDE_HA, hb, inner, len, buf, sizeof(buf),
					       &stat);
				assert_true(n > 0);
				assert_int_equal(ep_ip_parse(buf, (size_t)n, &ip), 0);
				assert_int_equal(ip.saddr, be(HA));
				assert_int_equal(ip.daddr, be(HOME));
				m = ep_unprotect(&p.mh, EP_SIDE_MH, be(HOME), 0, buf, (size_t)n,
						 &out, &stat);
				assert_int_equal(m, len);
				assert_memory_equal(out, inner, len);
			}
		}
		pair_free(&p);
	}
}

/* Protect one uplink packet of len bytes in mode into buf; returns its length. */
static size_t uplink_packet(struct pair *p, uint8_t mode, size_t len, uint8_t *buf)
{
	uint8_t inner[1500];
	unsigned int stat;
	ssize_t n;

	set_mode(&p->mh, mode);
	uplink_inner(inner, len, 3);
	n = ep_protect(&p->mh, EP_SIDE_MH, ep_binding_get(&p->mh.binds, be(HOME)), inner, len, buf,
		       2048, &stat);
	assert_true(n > 0);
	return (size_t)n;
}

/* The HA's verdict on an uplink packet tunnelled from tunnel_src. */
static unsigned int verdict_from(struct pair *p, uint32_t tunnel_src, uint8_t *buf, size_t n)
{
	unsigned int stat;
	uint8_t *out;

	return ep_unprotect(&p->ha, EP_SIDE_HA, 0, tunnel_src, buf, n, &out, &stat) < 0 ? stat : 0;
}

static unsigned int verdict(struct pair *p, uint8_t *buf, size_t n)
{
	return verdict_from(p, be(COA), buf, n);
}

static void bad_input_dropped_and_counted(void **state)
{
	uint8_t buf[2048], copy[2048];
	struct pair p;
	size_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	n = uplink_packet(&p, MML_MODE_MLESP, 600, buf);
	memcpy(copy, buf, n);
	/* Zone 1 starts after outer IPv4 (20) + SPI/Seq (8); zone 2 after
	 * zone 1 (40) and T1 (16). */
	buf[20 + 8 + 5] ^= 1;
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_TAG_Z1);
	memcpy(buf, copy, n);
	buf[20 + 8 + 40 + 16 + 100] ^= 0x80;
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_TAG_Z2);
	memcpy(buf, copy, n);
	buf[20 + 6] ^= 1; /* sequence number: the AAD of both zones */
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_TAG_HDR);
	memcpy(buf, copy, n);
	buf[20 + 3] ^= 1; /* SPI: unknown */
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_UNKNOWN_SPI);
	memcpy(buf, copy, n);
	assert_int_equal(verdict(&p, buf, n), 0);
	memcpy(buf, copy, n);
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_REPLAY);
	/* Lengths: a truncated packet whose IPv4 length still says more, and
	 * one whose ESP length is not a multiple of 4. */
	memcpy(buf, copy, n);
	assert_int_equal(verdict(&p, buf, n - 1), MML_STAT_EP_DROP_MALFORMED);
	put_be16(buf + 2, (uint16_t)(n - 1));
	assert_int_equal(verdict(&p, buf, n - 1), MML_STAT_EP_DROP_MALFORMED);

	n = uplink_packet(&p, MML_MODE_ESP, 300, buf);
	buf[n - 1] ^= 1; /* ICV */
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_TAG_ESP);

	/* An SA of the wrong direction is not an inbound SPI. */
	n = uplink_packet(&p, MML_MODE_ESP, 300, buf);
	put_be32(buf + 20, 0x101);
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_UNKNOWN_SPI);
	pair_free(&p);
}

/* A malformed trailer under valid tags: both zones sealed by hand over a P
 * whose next-header byte is not IPv4 (41), or whose padding is wrong. */
static size_t seal_raw_mlesp(struct ep_sa *sa, uint32_t seq, const uint8_t *p, size_t p_len,
			     uint8_t *ip)
{
	size_t l1 = p_len < sa->sa.csa.z1_len ? p_len : sa->sa.csa.z1_len;
	uint8_t *esp = ip + 20, *c1 = esp + 8, *c2 = c1 + l1 + 16;
	uint8_t iv[8] = { 0 };
	size_t n = 8 + p_len + 32;

	put_be32(esp, sa->spi);
	put_be32(esp + 4, seq);
	put_be32(iv + 4, seq);
	assert_int_equal(mml_aead_seal(&sa->sa.zone[0], iv, esp, 8, p, c1, l1, c1 + l1), 0);
	assert_int_equal(
		mml_aead_seal(&sa->sa.zone[1], iv, esp, 8, p + l1, c2, p_len - l1, c2 + p_len - l1),
		0);
	inet_ip4_write(ip, be(HOME), be(HA), EP_PROTO_ESP, (uint16_t)(20 + n), 0, 1, false, EP_TTL);
	return 20 + n;
}

static void malformed_trailer(void **state)
{
	uint8_t p_bytes[256], buf[2048];
	size_t p_len = 200 + mml_trailer_len(200), n;
	struct ep_sa *sa;
	struct pair p;

	pair_setup(&p, MML_ALG_AES256_GCM);
	sa = ep_sacache_get(&p.mh.sas, 0x200);
	uplink_inner(p_bytes, 200, 1);
	mml_trailer_write(p_bytes + 200, 200);
	n = seal_raw_mlesp(sa, 10, p_bytes, p_len, buf);
	assert_int_equal(verdict(&p, buf, n), 0); /* the hand-made packet is right */
	p_bytes[p_len - 1] = 41;
	n = seal_raw_mlesp(sa, 11, p_bytes, p_len, buf);
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_MALFORMED);
	p_bytes[p_len - 1] = MML_NEXT_HDR_IPV4;
	p_bytes[p_len - 2] = 200; /* pad length beyond the packet */
	n = seal_raw_mlesp(sa, 12, p_bytes, p_len, buf);
	assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_MALFORMED);
	/* The window did not move for the malformed ones: 11 is still new. */
	p_bytes[p_len - 2] = (uint8_t)(p_len - 202);
	n = seal_raw_mlesp(sa, 11, p_bytes, p_len, buf);
	assert_int_equal(verdict(&p, buf, n), 0);
	pair_free(&p);
}

static void spoofed_inner_dropped(void **state)
{
	const struct mml_binding *mb;
	uint8_t inner[300], buf[2048];
	unsigned int stat;
	uint8_t *out;
	struct pair p;
	ssize_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	/* At the HA: a valid packet from the home address, sealed under 0x200,
	 * whose inner source is another address (the outer one is right). */
	set_mode(&p.mh, MML_MODE_MLESP);
	uplink_inner(inner, sizeof(inner), 5);
	set_outer_src(inner, be(HOME + 1));
	mb = ep_binding_get(&p.mh.binds, be(HOME));
	n = ep_protect(&p.mh, EP_SIDE_MH, mb, inner, sizeof(inner), buf, sizeof(buf), &stat);
	assert_true(n > 0);
	set_outer_src(buf, be(HOME));
	assert_int_equal(ep_unprotect(&p.ha, EP_SIDE_HA, 0, be(COA), buf, (size_t)n, &out, &stat),
			 -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_SPOOF);
	/* A binding whose inbound SPI for ML-ESP is another one: the SA is
	 * not this home address's, refused before any crypto. */
	n = (ssize_t)uplink_packet(&p, MML_MODE_MLESP, 300, buf);
	for (uint32_t i = 0; i <= p.ha.binds.mask; i++)
		if (p.ha.binds.slots[i].home)
			p.ha.binds.slots[i].b.spi_in[MML_MODE_MLESP] = 0x999;
	assert_int_equal(ep_unprotect(&p.ha, EP_SIDE_HA, 0, be(COA), buf, (size_t)n, &out, &stat),
			 -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_OUTER_SRC);
	pair_free(&p);
}

/* Item 5 at the HA: the uplink SA is tied to its home address and to the
 * binding's care-of address (the Mobile IP tunnel's source). */
static void outer_source_tied_to_sa_ha(void **state)
{
	uint8_t pkt[2048], buf[2048];
	struct pair p;
	size_t n;

	pair_setup(&p, MML_ALG_CHACHA20_POLY1305);
	for (uint8_t mode = MML_MODE_ESP; mode <= MML_MODE_MLESP; mode++) {
		n = uplink_packet(&p, mode, 300, pkt);
		memcpy(buf, pkt, n);
		/* From another FA (or anyone on the wired side): refused before
		 * the AEAD, so the window is untouched for the real one. */
		assert_int_equal(verdict_from(&p, be(COA + 7), buf, n), MML_STAT_EP_DROP_OUTER_SRC);
		memcpy(buf, pkt, n);
		assert_int_equal(verdict(&p, buf, n), 0); /* from the care-of address */
		memcpy(buf, pkt, n);
		set_outer_src(buf, be(HOME + 1)); /* not the SA's home address */
		assert_int_equal(verdict(&p, buf, n), MML_STAT_EP_DROP_OUTER_SRC);
	}
	pair_free(&p);
}

static void no_sa_for_mode(void **state)
{
	uint8_t inner[100], buf[2048];
	struct mml_binding b = { .ha_addr = be(HA), .spi_out = { 0, 0x777, 0 } };
	unsigned int stat;
	struct pair p;

	pair_setup(&p, MML_ALG_AES256_GCM);
	set_mode(&p.mh, MML_MODE_ESP);
	uplink_inner(inner, 100, 1);
	assert_int_equal(ep_protect(&p.mh, EP_SIDE_MH, &b, inner, 100, buf, sizeof(buf), &stat),
			 -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_NO_SA);
	/* Too small an output buffer. */
	assert_int_equal(ep_protect(&p.mh, EP_SIDE_MH, ep_binding_get(&p.mh.binds, be(HOME)), inner,
				    100, buf, 60, &stat),
			 -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_TOO_BIG);
	pair_free(&p);
}

/* ---------------------------------------------------------------- gso */

/* Full TCP/UDP checksum check: the sum over pseudo-header and segment. */
static bool l4_csum_ok(const uint8_t *ip, size_t len)
{
	size_t hl = (size_t)(ip[0] & 0xf) * 4;
	uint8_t pseudo[12];

	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	put_be16(pseudo + 10, (uint16_t)(len - hl));
	return inet_csum_fold(inet_csum_add(inet_csum_add(0, pseudo, 12), ip + hl, len - hl)) ==
	       0xffff;
}

static void gso_super_packet_cut(void **state)
{
	static uint8_t buf[70000], seg[2048], joined[70000];
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1348 };
	size_t payload = 60000, hdr = 20 + 32, len, got = 0, last_len = 0;
	uint8_t *ip = buf + EP_VNET_HDR_LEN;
	const uint8_t *p;
	struct ep_gso g;
	int n = 0;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &vh, sizeof(vh));
	inet_ip4_write(ip, be(HOME), be(PEER), EP_PROTO_TCP, (uint16_t)(hdr + payload), 0, 100,
		       true, EP_TTL);
	put_be32(ip + 20 + 4, 0xfffff000); /* the sequence number wraps inside */
	ip[20 + 12] = 8 << 4;		   /* 32-byte TCP header (timestamps) */
	ip[20 + 13] = 0x18 | 0x01;	   /* PSH ACK FIN */
	for (size_t i = 0; i < payload; i++)
		ip[hdr + i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(ep_gso_begin(&g, buf, EP_VNET_HDR_LEN + hdr + payload), 0);
	while ((p = ep_gso_next(&g, seg, sizeof(seg), &len))) {
		struct ep_ip sip;

		assert_int_equal(ep_ip_parse(p, len, &sip), 0);
		assert_int_equal(inet_csum(p, 20), 0);
		assert_true(l4_csum_ok(p, len));
		assert_int_equal(get_be16(p + 4), 100 + n);
		assert_int_equal(get_be32(p + 24), (uint32_t)(0xfffff000u + got));
		memcpy(joined + got, p + hdr, len - hdr);
		got += len - hdr;
		last_len = len;
		/* FIN and PSH only on the last segment. */
		assert_int_equal(p[33] & 0x09, got == payload ? 0x09 : 0);
		n++;
	}
	assert_int_equal(got, payload);
	assert_int_equal(n, (payload + 1347) / 1348);
	assert_int_equal(last_len, hdr + payload % 1348);
	assert_memory_equal(joined, ip + hdr, payload);
}

static void gso_partial_checksum_completed(void **state)
{
	uint8_t buf[600], seg[64];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .csum_start = 20,
				     .csum_offset = 6 };
	uint8_t *ip = buf + EP_VNET_HDR_LEN, pseudo[12];
	const uint8_t *p;
	struct ep_gso g;
	uint16_t partial;
	size_t len;

	memcpy(buf, &vh, sizeof(vh));
	inet_ip4_write(ip, be(HOME), be(PEER), EP_PROTO_UDP, 500, 0, 1, false, EP_TTL);
	for (int i = 20; i < 500; i++)
		ip[i] = (uint8_t)(i * 7);
	put_be16(ip + 24, 480);
	/* What the stack leaves: the pseudo-header sum, not inverted. */
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = EP_PROTO_UDP;
	put_be16(pseudo + 10, 480);
	partial = inet_csum_fold(inet_csum_add(0, pseudo, 12));
	memcpy(ip + 26, &partial, 2);
	assert_int_equal(ep_gso_begin(&g, buf, EP_VNET_HDR_LEN + 500), 0);
	p = ep_gso_next(&g, seg, sizeof(seg), &len);
	assert_ptr_equal(p, ip);
	assert_int_equal(len, 500);
	assert_true(l4_csum_ok(p, len));
	assert_null(ep_gso_next(&g, seg, sizeof(seg), &len));
	/* Offsets beyond the packet, an unknown GSO type: refused. */
	vh.csum_start = 499;
	memcpy(buf, &vh, sizeof(vh));
	assert_int_equal(ep_gso_begin(&g, buf, EP_VNET_HDR_LEN + 500), -1);
	vh.flags = 0;
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	memcpy(buf, &vh, sizeof(vh));
	assert_int_equal(ep_gso_begin(&g, buf, EP_VNET_HDR_LEN + 500), -1);
	assert_int_equal(ep_gso_begin(&g, buf, 5), -1);
}

/* ---------------------------------------------------------------- rx */

/* What the worker makes of a frame from its metadata and headers: each
 * kind only at its role, the tunnel's payload ending where the outer
 * header says (not at the link padding), everything else malformed. */
static void rx_frames_classified(void **state)
{
	struct mml_xsk_meta m = { .magic = MML_META_MAGIC, .l3_off = EP_ETH_HLEN };
	uint8_t f[EP_ETH_HLEN + 20 + 100 + 6] = { 0 }; /* 6 bytes of link padding */
	uint8_t *ip = f + EP_ETH_HLEN;
	struct ep_rx rx;

	/* HA, from the CN side: the inner packet. */
	inet_ip4_write(ip, be(PEER), be(HOME), EP_PROTO_TCP, 120, 0, 1, true, EP_TTL);
	m.kind = MML_META_HA_DOWN;
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_HA_DOWN);
	assert_ptr_equal(rx.ip, ip);
	assert_int_equal(rx.len, 120);
	assert_int_equal(rx.hdr.daddr, be(HOME));
	ep_rx_parse(false, &m, f, sizeof(f), &rx); /* not at an MH */
	assert_int_equal(rx.kind, EP_RX_DROP);
	assert_int_equal(rx.stat, MML_STAT_EP_DROP_MALFORMED);
	/* HA, from an FA: the tunnel's payload, for the HA side. */
	inet_ip4_write(ip, be(0x0a000202), be(HA), EP_PROTO_IPIP, 120, 0, 1, true, EP_TTL);
	m.kind = MML_META_HA_UP;
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DELIVER);
	assert_int_equal(rx.side, EP_SIDE_HA);
	assert_ptr_equal(rx.ip, ip + 20);
	assert_int_equal(rx.len, 100);
	ip[9] = EP_PROTO_UDP; /* not a tunnel (the checksum is not checked) */
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DROP);
	/* MH: the frame after Ethernet, for the MH side. */
	m.kind = MML_META_MH_DOWN;
	ep_rx_parse(false, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DELIVER);
	assert_int_equal(rx.side, EP_SIDE_MH);
	assert_int_equal(rx.len, sizeof(f) - EP_ETH_HLEN);
	ep_rx_parse(true, &m, f, sizeof(f), &rx); /* not at an HA */
	assert_int_equal(rx.kind, EP_RX_DROP);
	ep_rx_parse(false, &m, f, EP_ETH_HLEN, &rx); /* nothing after Ethernet */
	assert_int_equal(rx.kind, EP_RX_DROP);
	/* Plaintext of an every-n flow (issue 19): at the MH the frame after
	 * Ethernet, at the HA the tunnel's payload with its source. */
	m.kind = MML_META_MH_PLAIN;
	ep_rx_parse(false, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_PLAIN);
	assert_int_equal(rx.side, EP_SIDE_MH);
	assert_ptr_equal(rx.ip, ip);
	ep_rx_parse(true, &m, f, sizeof(f), &rx); /* not at an HA */
	assert_int_equal(rx.kind, EP_RX_DROP);
	inet_ip4_write(ip, be(COA), be(HA), EP_PROTO_IPIP, 120, 0, 1, true, EP_TTL);
	m.kind = MML_META_HA_UP_PLAIN;
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_PLAIN);
	assert_int_equal(rx.side, EP_SIDE_HA);
	assert_ptr_equal(rx.ip, ip + 20);
	assert_int_equal(rx.len, 100);
	assert_int_equal(rx.tunnel_src, be(COA));
	ep_rx_parse(false, &m, f, sizeof(f), &rx); /* not at an MH */
	assert_int_equal(rx.kind, EP_RX_DROP);
	ip[9] = EP_PROTO_UDP; /* not a tunnel */
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DROP);
	/* A wrong magic, layer-3 offset or kind. */
	m.kind = MML_META_HA_DOWN;
	inet_ip4_write(ip, be(PEER), be(HOME), EP_PROTO_TCP, 120, 0, 1, true, EP_TTL);
	m.l3_off = 0;
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DROP);
	m.l3_off = EP_ETH_HLEN;
	m.magic ^= 1;
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DROP);
	m.magic ^= 1;
	m.kind = 9;
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DROP);
	/* An inner length past the frame. */
	m.kind = MML_META_HA_DOWN;
	inet_ip4_write(ip, be(PEER), be(HOME), EP_PROTO_TCP, 200, 0, 1, true, EP_TTL);
	ep_rx_parse(true, &m, f, sizeof(f), &rx);
	assert_int_equal(rx.kind, EP_RX_DROP);
}

/* ---------------------------------------------------------------- flow modes (issue 19) */

/* The node's counter table as the role creates it (bpf/ep_maps.h): an
 * mmapable array of slots, here with room for n. */
static void flow_ctrs_create(struct mml_flow_ctrs *c, uint32_t n, int *fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);

	*fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "mml_flow_ctr", sizeof(uint32_t),
			     sizeof(struct mml_flow_ctr), n, &opts);
	assert_true(*fd >= 0);
	assert_int_equal(mml_flow_ctrs_map(c, *fd, true), 0);
	assert_int_equal(c->n, n);
}

/* Issue 19, one receive path: the checks ep_plain_in repeats on plaintext
 * XDP handed over because its flow is protected every n-th packet. */
static void plain_of_every_n_flow_checked(void **state)
{
	struct mml_flow_key any = { 0 };
	struct mml_flow every = { .mode = MML_MODE_MLESP, .every_n = 10 };
	struct mml_flow mlesp = { .mode = MML_MODE_MLESP };
	uint8_t pkt[300 + 6]; /* 6 bytes of link padding */
	unsigned int stat;
	struct pair p;

	pair_setup(&p, MML_ALG_AES256_GCM);
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &every, 1), 1);
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &every, 1), 1);
	/* MH: to the home address, the header's length, not the frame's. */
	fixture_inner(pkt, 300, 1);
	assert_int_equal(ep_plain_in(&p.mh, EP_SIDE_MH, be(HOME), 0, pkt, sizeof(pkt), &stat), 300);
	assert_int_equal(stat, MML_STAT_EP_DELIVER_PLAIN);
	assert_int_equal(ep_plain_in(&p.mh, EP_SIDE_MH, be(HOME) + 1, 0, pkt, sizeof(pkt), &stat),
			 -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_SPOOF);
	assert_int_equal(ep_plain_in(&p.mh, EP_SIDE_MH, be(HOME), 0, pkt, 299, &stat), -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_MALFORMED);
	/* The entry changed since XDP looked: ML-ESP only now. */
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &mlesp, 1), 1);
	assert_int_equal(ep_plain_in(&p.mh, EP_SIDE_MH, be(HOME), 0, pkt, sizeof(pkt), &stat), -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_DOWNGRADE);
	/* HA: from the home address, through the tunnel from its care-of
	 * address only. */
	uplink_inner(pkt, 300, 1);
	assert_int_equal(ep_plain_in(&p.ha, EP_SIDE_HA, 0, be(COA), pkt, 300, &stat), 300);
	assert_int_equal(stat, MML_STAT_EP_DELIVER_PLAIN);
	assert_int_equal(ep_plain_in(&p.ha, EP_SIDE_HA, 0, be(COA) + 1, pkt, 300, &stat), -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_OUTER_SRC);
	memcpy(pkt + 12, &(uint32_t){ be(HOME) + 1 }, 4); /* no binding */
	assert_int_equal(ep_plain_in(&p.ha, EP_SIDE_HA, 0, be(COA), pkt, 300, &stat), -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_OUTER_SRC);
	uplink_inner(pkt, 300, 1);
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &mlesp, 1), 1);
	assert_int_equal(ep_plain_in(&p.ha, EP_SIDE_HA, 0, be(COA), pkt, 300, &stat), -1);
	assert_int_equal(stat, MML_STAT_EP_DROP_DOWNGRADE);
	pair_free(&p);
}

/* The frames of an every-10th flow as the worker receives them, the
 * sender's plaintext with its own metadata kind: classified and delivered
 * one after the other, they come out complete and in the order sent (the
 * IPv4 identification counts them). */
static void every_n_flow_delivered_in_order(bool at_ha)
{
	struct mml_flow_key any = { 0 };
	struct mml_flow every = { .mode = MML_MODE_MLESP, .every_n = 10 };
	struct ep_tables *tx, *rxt;
	unsigned int stat, protected = 0;
	uint8_t desc[2048], inner[300], *out;
	struct mml_xsk_meta *m = (void *)desc;
	uint8_t *l3 = desc + sizeof(*m) + EP_ETH_HLEN;
	size_t hdr = at_ha ? 20 : 0;
	struct ep_rx rx;
	struct pair p;
	ssize_t n;

	pair_setup(&p, MML_ALG_CHACHA20_POLY1305);
	tx = at_ha ? &p.mh : &p.ha;
	rxt = at_ha ? &p.ha : &p.mh;
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &every, 1), 1);
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &every, 1), 1);
	for (uint16_t id = 0; id < 35; id++) {
		if (at_ha)
			uplink_inner(inner, sizeof(inner), id);
		else
			fixture_inner(inner, sizeof(inner), id);
		put_be16(inner + 4, id);
		n = ep_protect(tx, at_ha ? EP_SIDE_MH : EP_SIDE_HA,
			       ep_binding_get(&tx->binds, be(HOME)), inner, sizeof(inner), l3 + hdr,
			       sizeof(desc) - sizeof(*m) - EP_ETH_HLEN - hdr, &stat);
		assert_true(n > 0);
		memset(m, 0, sizeof(*m));
		m->magic = MML_META_MAGIC;
		m->l3_off = EP_ETH_HLEN;
		if (stat == MML_STAT_EP_ENCAP_PLAIN)
			m->kind = at_ha ? MML_META_HA_UP_PLAIN : MML_META_MH_PLAIN;
		else
			m->kind = at_ha ? MML_META_HA_UP : MML_META_MH_DOWN;
		if (at_ha)
			inet_ip4_write(l3, be(COA), be(HA), EP_PROTO_IPIP, (uint16_t)(n + 20), 0, 1,
				       false, EP_TTL);
		ep_rx_parse(at_ha, m, desc + sizeof(*m), EP_ETH_HLEN + hdr + (size_t)n, &rx);
		if (rx.kind == EP_RX_DELIVER) {
			protected++;
			n = ep_unprotect(rxt, rx.side, at_ha ? 0 : be(HOME), rx.tunnel_src, rx.ip,
					 rx.len, &out, &stat);
		} else {
			assert_int_equal(rx.kind, EP_RX_PLAIN);
			out = rx.ip;
			n = ep_plain_in(rxt, rx.side, at_ha ? 0 : be(HOME), rx.tunnel_src, rx.ip,
					rx.len, &stat);
		}
		assert_int_equal(n, sizeof(inner));
		assert_int_equal(get_be16(out + 4), id);
		assert_memory_equal(out + 20, inner + 20, sizeof(inner) - 20);
	}
	assert_int_equal(protected, 4); /* packets 0, 10, 20, 30 */
	pair_free(&p);
}

static void every_n_flow_in_order_at_mh(void **state)
{
	every_n_flow_delivered_in_order(false);
}

static void every_n_flow_in_order_at_ha(void **state)
{
	every_n_flow_delivered_in_order(true);
}

/* Issue 19 item 1: every n-th packet of an entry counted over all worker
 * threads. Each thread has its own table (as in the worker) and all share
 * one mml_flow_ctr map; per-thread counting would protect 4 * ceil(25003 /
 * 10) = 10004 of the 100012 packets, the shared counter exactly
 * ceil(100012 / 10). The slot counts what went out in each mode, as mmlctl
 * reads it through a mapping of its own. */
#define EVERY_THREADS 4
#define EVERY_PER_THREAD 25003u
#define EVERY_N 10u

struct every_arg {
	struct ep_flowtab tab;
	uint64_t protected;
};

static void *every_thread(void *arg)
{
	struct every_arg *a = arg;
	struct mml_binding b = { .spi_out = { 0, 0x10, 0x20 } };
	struct mml_flow_key k = { be(HOME), be(PEER), 5000, 80, 6, { 0 } };
	struct ep_flow_ent *e;
	uint32_t spi;

	for (uint32_t i = 0; i < EVERY_PER_THREAD; i++) {
		uint8_t mode = ep_flow_mode_ent(&a->tab, &k, 0, &b, &spi, &e);

		ep_flow_sent(e, mode);
		a->protected += mode != MML_MODE_PLAIN;
	}
	return NULL;
}

static uint64_t every_run(const struct mml_flow_ctrs *shared)
{
	struct mml_flow_key key = { 0 };
	struct mml_flow flow = { .mode = MML_MODE_MLESP, .every_n = EVERY_N };
	struct every_arg a[EVERY_THREADS];
	pthread_t tid[EVERY_THREADS];
	uint64_t total = 0;

	memset(a, 0, sizeof(a));
	for (int i = 0; i < EVERY_THREADS; i++) {
		a[i].tab.ctrs = shared;
		assert_int_equal(ep_flowtab_load(&a[i].tab, &key, &flow, 1), 1);
	}
	for (int i = 0; i < EVERY_THREADS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, every_thread, &a[i]), 0);
	for (int i = 0; i < EVERY_THREADS; i++) {
		pthread_join(tid[i], NULL);
		total += a[i].protected;
		ep_flowtab_free(&a[i].tab);
	}
	return total;
}

static void every_n_counted_across_threads(void **state)
{
	const uint64_t packets = EVERY_THREADS * (uint64_t)EVERY_PER_THREAD;
	struct mml_flow_key key = { 0 };
	const struct mml_flow_ctr *slot;
	struct mml_flow_ctrs c, ro;
	uint64_t protected = 0;
	int fd;

	flow_ctrs_create(&c, 64, &fd);
	for (int round = 0; round < 5; round++) {
		/* The counter continues over rounds (and table reloads): the
		 * first packet of each round is protected only where the
		 * global count says so. */
		uint64_t first = (uint64_t)round * packets;
		uint64_t want =
			(first + packets + EVERY_N - 1) / EVERY_N - (first + EVERY_N - 1) / EVERY_N;

		assert_int_equal(every_run(&c), want);
		protected += want;
	}
	/* What mmlctl flow list reads: the entry's slot, published. */
	assert_int_equal(mml_flow_ctrs_map(&ro, fd, false), 0);
	slot = mml_flow_ctr_find(&ro, &key);
	assert_non_null(slot);
	assert_int_equal(mml_flow_ctr_read(&slot->every), 5 * packets);
	assert_int_equal(mml_flow_ctr_read(&slot->sent[MML_MODE_MLESP]), protected);
	assert_int_equal(mml_flow_ctr_read(&slot->sent[MML_MODE_PLAIN]), 5 * packets - protected);
	assert_int_equal(mml_flow_ctr_read(&slot->sent[MML_MODE_ESP]), 0);
	key.proto = 6; /* another key has no slot */
	assert_null(mml_flow_ctr_find(&ro, &key));
	mml_flow_ctrs_unmap(&ro);
	/* The same without the shared counter: what issue 19 reported. */
	assert_int_equal(every_run(NULL),
			 EVERY_THREADS * ((EVERY_PER_THREAD + EVERY_N - 1) / EVERY_N));
	mml_flow_ctrs_unmap(&c);
	close(fd);
}

/* Several worker processes of one node, each with threads, claim the same
 * keys at once in different orders (the compare-and-swap on a slot's
 * state): every key ends in exactly one slot, and that slot has every
 * claimer's adds. */
#define CLAIM_PROCS 2
#define CLAIM_THREADS 2
#define CLAIM_KEYS 4000u

struct claim_arg {
	const struct mml_flow_ctrs *c;
	int order;
	_Atomic int *start; /* shared by the processes: all claim at once */
};

static void *claim_thread(void *arg)
{
	const struct claim_arg *a = arg;

	atomic_fetch_add(a->start, 1);
	while (atomic_load(a->start) < CLAIM_PROCS * CLAIM_THREADS)
		;
	for (uint32_t i = 0; i < CLAIM_KEYS; i++) {
		uint32_t j = a->order & 1 ? CLAIM_KEYS - 1 - i : i;
		struct mml_flow_key k = { be(HOME), be(PEER), (uint16_t)(1000 + j), 80, 6, { 0 } };
		struct mml_flow_ctr *s = mml_flow_ctr_claim(a->c, &k);

		if (!s)
			return (void *)1;
		mml_flow_ctr_inc(&s->every);
	}
	return NULL;
}

/* One worker process: claims from CLAIM_THREADS threads; exit status 0 when
 * every claim found a slot. */
static int claim_process(int fd, int proc, _Atomic int *start)
{
	struct claim_arg a[CLAIM_THREADS];
	pthread_t tid[CLAIM_THREADS];
	struct mml_flow_ctrs c;
	void *ret;
	int bad = 0;

	if (mml_flow_ctrs_map(&c, fd, true))
		return 2;
	for (int t = 0; t < CLAIM_THREADS; t++) {
		a[t] = (struct claim_arg){ &c, proc * CLAIM_THREADS + t, start };
		if (pthread_create(&tid[t], NULL, claim_thread, &a[t]))
			return 2;
	}
	for (int t = 0; t < CLAIM_THREADS; t++) {
		pthread_join(tid[t], &ret);
		bad |= ret != NULL;
	}
	mml_flow_ctrs_unmap(&c);
	return bad;
}

static void claim_round(_Atomic int *start)
{
	struct mml_flow_ctrs c;
	pid_t pid[CLAIM_PROCS];
	uint32_t ready = 0;
	int fd, st;

	atomic_store(start, 0);
	flow_ctrs_create(&c, 2 * CLAIM_KEYS, &fd);
	for (int p = 0; p < CLAIM_PROCS; p++) {
		pid[p] = fork();
		assert_true(pid[p] >= 0);
		if (!pid[p])
			_exit(claim_process(fd, p, start));
	}
	for (int p = 0; p < CLAIM_PROCS; p++) {
		assert_int_equal(waitpid(pid[p], &st, 0), pid[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (uint32_t i = 0; i < c.n; i++)
		ready += c.slots[i].state == MML_FLOW_CTR_READY;
	assert_int_equal(ready, CLAIM_KEYS);
	for (uint32_t j = 0; j < CLAIM_KEYS; j++) {
		struct mml_flow_key k = { be(HOME), be(PEER), (uint16_t)(1000 + j), 80, 6, { 0 } };
		const struct mml_flow_ctr *s = mml_flow_ctr_find(&c, &k);

		assert_non_null(s);
		assert_int_equal(s->every, CLAIM_PROCS * CLAIM_THREADS);
	}
	mml_flow_ctrs_unmap(&c);
	close(fd);
}

static void flow_ctr_claimed_once_across_processes(void **state)
{
	_Atomic int *start = mmap(NULL, sizeof(*start), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(start != MAP_FAILED);
	/* A lost race is rare: with a plain test-and-set in place of the
	 * compare-and-swap, 2 of 6 runs of these 10 rounds failed (2 cores). */
	for (int round = 0; round < 10; round++)
		claim_round(start);
	munmap(start, sizeof(*start));
}

/* A full table hands out no more slots: the caller counts per table (a
 * table of 16 is probed whole). Known keys keep theirs. */
static void flowctr_full_falls_back(void **state)
{
	struct mml_flow_key k = { 0 };
	struct mml_flow_ctr *first;
	struct mml_flow_ctrs c;
	int fd;

	flow_ctrs_create(&c, 16, &fd);
	first = mml_flow_ctr_claim(&c, &k);
	assert_non_null(first);
	for (uint16_t i = 1; i < 16; i++) {
		k.home_port = i;
		assert_non_null(mml_flow_ctr_claim(&c, &k));
	}
	k.home_port = 100;
	assert_null(mml_flow_ctr_claim(&c, &k));
	assert_null(mml_flow_ctr_find(&c, &k));
	k.home_port = 0;
	assert_ptr_equal(mml_flow_ctr_claim(&c, &k), first);
	assert_ptr_equal(mml_flow_ctr_find(&c, &k), first);
	/* An entry without a slot still counts every n-th, in its table. */
	{
		struct mml_binding b = { .spi_out = { 0, 0x10, 0x20 } };
		struct mml_flow f = { .mode = MML_MODE_ESP, .every_n = 3 };
		struct ep_flowtab t = { .ctrs = &c };
		uint32_t spi;

		k.home_port = 100;
		assert_int_equal(ep_flowtab_load(&t, &k, &f, 1), 1);
		for (int i = 0; i < 6; i++)
			assert_int_equal(ep_flow_mode(&t, &k, 0, &b, &spi),
					 i % 3 ? MML_MODE_PLAIN : MML_MODE_ESP);
		ep_flowtab_free(&t);
	}
	mml_flow_ctrs_unmap(&c);
	close(fd);
}

/* Issue 19, mmlctl flow list: each end's slot counts what its worker sent
 * (after the packet was built, per mode) and what it judged on receipt
 * (accepted per mode, refused downgrades). */
static void flow_ctr_counts_both_ends(void **state)
{
	struct mml_flow every4 = { .mode = MML_MODE_MLESP, .every_n = 4 };
	struct mml_flow mlesp = { .mode = MML_MODE_MLESP };
	struct mml_flow_ctrs ha_ctrs, mh_ctrs;
	struct mml_flow_key any = { 0 };
	const struct mml_flow_ctr *ha, *mh;
	uint8_t inner[300], buf[2048];
	int ha_fd, mh_fd, delivered = 0;
	unsigned int stat;
	struct pair p;
	ssize_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	flow_ctrs_create(&ha_ctrs, 64, &ha_fd);
	flow_ctrs_create(&mh_ctrs, 64, &mh_fd);
	p.ha.flows.ctrs = &ha_ctrs;
	p.mh.flows.ctrs = &mh_ctrs;
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &every4, 1), 1);
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &every4, 1), 1);
	for (uint32_t i = 0; i < 8; i++) {
		fixture_inner(inner, sizeof(inner), i);
		n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
			       sizeof(inner), buf, sizeof(buf), &stat);
		assert_true(n > 0);
		if (stat == MML_STAT_EP_ENCAP_MLESP) {
			assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n), 0);
			delivered++;
		}
	}
	assert_int_equal(delivered, 2);
	ha = mml_flow_ctr_find(&ha_ctrs, &any);
	mh = mml_flow_ctr_find(&mh_ctrs, &any);
	assert_non_null(ha);
	assert_non_null(mh);
	assert_int_equal(ha->sent[MML_MODE_MLESP], 2);
	assert_int_equal(ha->sent[MML_MODE_PLAIN], 6);
	assert_int_equal(ha->every, 8);
	assert_int_equal(mh->recv[MML_MODE_MLESP], 2);
	assert_int_equal(mh->sent[MML_MODE_MLESP] + mh->sent[MML_MODE_PLAIN], 0);
	/* ESP where the MH's entry takes only ML-ESP: refused and counted;
	 * nothing built, nothing counted as sent. */
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &mlesp, 1), 1);
	n = (ssize_t)downlink_packet(&p, MML_MODE_ESP, 300, 1, buf);
	assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n), MML_STAT_EP_DROP_DOWNGRADE);
	assert_int_equal(mh->refused, 1);
	assert_int_equal(mh->recv[MML_MODE_ESP], 0);
	/* The HA's entry was replaced (ESP now): the key keeps its slot. */
	assert_int_equal(ha->sent[MML_MODE_ESP], 1);
	pair_free(&p);
	mml_flow_ctrs_unmap(&ha_ctrs);
	mml_flow_ctrs_unmap(&mh_ctrs);
	close(ha_fd);
	close(mh_fd);
}

/* Issue 19 item 2: the receiver's policy, every entry against every mode. */
static void flow_rx_policy_table(void **state)
{
	static const struct {
		struct mml_flow f;
		uint8_t verdict[MML_MODE_MAX]; /* for plain, ESP, ML-ESP received */
	} cases[] = {
		/* modes as configured */
		{ { MML_MODE_PLAIN, 0, 0, 0 },
		  { EP_FLOW_RX_OK, EP_FLOW_RX_UPGRADE, EP_FLOW_RX_UPGRADE } },
		{ { MML_MODE_ESP, 0, 0, 0 },
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK, EP_FLOW_RX_UPGRADE } },
		{ { MML_MODE_MLESP, 0, 0, 0 },
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK } },
		{ { 9, 0, 0, 0 }, /* an unknown mode is ML-ESP's */
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK } },
		/* every n-th: plaintext between the protected packets, and
		 * so anything stronger than plaintext too */
		{ { MML_MODE_MLESP, 0, 10, 0 }, { EP_FLOW_RX_OK, EP_FLOW_RX_OK, EP_FLOW_RX_OK } },
		{ { MML_MODE_ESP, 0, 10, 0 },
		  { EP_FLOW_RX_OK, EP_FLOW_RX_OK, EP_FLOW_RX_UPGRADE } },
		{ { MML_MODE_MLESP, 0, 1, 0 }, /* every 1st = every packet */
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK } },
		/* negotiated (or configured) acceptance of a weaker mode */
		{ { MML_MODE_MLESP, MML_FLOW_F_ACCEPT_ESP, 0, 0 },
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK, EP_FLOW_RX_OK } },
		{ { MML_MODE_MLESP, MML_FLOW_F_ACCEPT_PLAIN, 0, 0 }, /* modes are ordered */
		  { EP_FLOW_RX_OK, EP_FLOW_RX_OK, EP_FLOW_RX_OK } },
		{ { MML_MODE_MLESP, MML_FLOW_F_ACCEPT_PLAIN | MML_FLOW_F_ACCEPT_ESP, 0, 0 },
		  { EP_FLOW_RX_OK, EP_FLOW_RX_OK, EP_FLOW_RX_OK } },
		{ { MML_MODE_ESP, MML_FLOW_F_ACCEPT_ESP, 0, 0 },
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK, EP_FLOW_RX_UPGRADE } },
		/* a learned entry is an ordinary one */
		{ { MML_MODE_ESP, MML_FLOW_F_LEARNED, 0, 0 },
		  { EP_FLOW_RX_DOWNGRADE, EP_FLOW_RX_OK, EP_FLOW_RX_UPGRADE } },
	};
	struct mml_flow_key k = { be(HOME), be(PEER), 5000, 80, 6, { 0 } }, any = { 0 };
	struct ep_flowtab t = { 0 };
	struct mml_flow learned;

	assert_int_equal(ep_flowtab_load(&t, NULL, NULL, 0), 0);
	for (uint8_t m = 0; m < MML_MODE_MAX; m++) /* no entry: anything goes */
		assert_int_equal(ep_flow_rx_check(&t, &k, 0, m, 0, &learned), EP_FLOW_RX_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ep_flowtab_load(&t, &any, &cases[i].f, 1), 1);
		for (uint8_t m = 0; m < MML_MODE_MAX; m++) {
			int v = (int)ep_flow_rx_check(&t, &k, 0, m, 0, &learned);

			if (v != cases[i].verdict[m]) {
				ep_flowtab_free(&t);
				fail_msg(
					"entry %zu (mode %u flags %u every %u), %u received: %d, want %d",
					i, cases[i].f.mode, cases[i].f.flags, cases[i].f.every_n, m,
					v, cases[i].verdict[m]);
			}
			if (v != EP_FLOW_RX_UPGRADE)
				continue;
			/* The learned entry sends what arrived, accepts nothing
			 * weaker than that unless agreed before (every n-th,
			 * the accept flags, which it keeps), keeps n. */
			assert_int_equal(learned.mode, m);
			assert_int_equal(learned.flags,
					 MML_FLOW_F_LEARNED | (cases[i].f.flags & MML_FLOW_F_ALL &
							       ~MML_FLOW_F_LEARNED));
			assert_int_equal(learned.every_n, cases[i].f.every_n);
			assert_int_equal(learned.spi, 0);
			assert_int_equal(mml_flow_rx_floor(&learned),
					 cases[i].f.every_n > 1 ? MML_MODE_PLAIN :
					 cases[i].f.flags & MML_FLOW_F_ACCEPT_PLAIN ?
								  MML_MODE_PLAIN :
					 cases[i].f.flags & MML_FLOW_F_ACCEPT_ESP ? MML_MODE_ESP :
										    m);
		}
	}
	ep_flowtab_free(&t);
}

/* MML_FLOW_SHAPE_ORDER is every shape once, by number of wildcards then
 * by number: the order bpf/flow_policy.h computes. */
static void flow_shape_order(void **state)
{
	static const uint8_t order[MML_FLOW_SHAPES] = MML_FLOW_SHAPE_ORDER;
	uint32_t seen = 0;

	for (int i = 0; i < MML_FLOW_SHAPES; i++) {
		seen |= 1u << order[i];
		if (i)
			assert_true(
				__builtin_popcount(order[i - 1]) < __builtin_popcount(order[i]) ||
				(__builtin_popcount(order[i - 1]) == __builtin_popcount(order[i]) &&
				 order[i - 1] < order[i]));
	}
	assert_int_equal(seen, 0xffffffffu);
}

/* An entry that just changed (an agreed downgrade) learns no upgrade from
 * the peer's packets of the old mode still in flight: only once it has
 * settled (EP_FLOW_SETTLE_NS). An unchanged reload keeps its age. */
static void flow_upgrade_waits_for_settling(void **state)
{
	const uint64_t s = 1000000000ull, settle = EP_FLOW_SETTLE_NS;
	struct mml_flow_key k = { be(HOME), be(PEER), 5000, 80, 6, { 0 } }, any = { 0 };
	struct mml_flow mlesp = { .mode = MML_MODE_MLESP }, esp = { .mode = MML_MODE_ESP };
	struct ep_flowtab t = { 0 };
	struct mml_flow learned;

	t.now_ns = 100 * s;
	assert_int_equal(ep_flowtab_load(&t, &any, &mlesp, 1), 1);
	t.now_ns = 200 * s; /* switched down to ESP at 200 s */
	assert_int_equal(ep_flowtab_load(&t, &any, &esp, 1), 1);
	assert_int_equal(ep_flow_rx_check(&t, &k, 0, MML_MODE_MLESP, 200 * s + 1, &learned),
			 EP_FLOW_RX_OK);
	assert_int_equal(
		ep_flow_rx_check(&t, &k, 0, MML_MODE_MLESP, 200 * s + settle - 1, &learned),
		EP_FLOW_RX_OK);
	/* Downgrades are refused at once all the same. */
	assert_int_equal(ep_flow_rx_check(&t, &k, 0, MML_MODE_PLAIN, 200 * s + 1, &learned),
			 EP_FLOW_RX_DOWNGRADE);
	t.now_ns = 201 * s; /* a reload of the same entry: still 200 s old */
	assert_int_equal(ep_flowtab_load(&t, &any, &esp, 1), 1);
	assert_int_equal(ep_flow_rx_check(&t, &k, 0, MML_MODE_MLESP, 200 * s + settle, &learned),
			 EP_FLOW_RX_UPGRADE);
	ep_flowtab_free(&t);
}

struct learn_log {
	int calls;
	struct mml_flow_key key;
	struct mml_flow flow;
};

static void learn_cb(void *ctx, const struct mml_flow_key *k, const struct mml_flow *f)
{
	struct learn_log *l = ctx;

	l->calls++;
	l->key = *k;
	l->flow = *f;
}

/* The state machine through protect/unprotect at both ends: a refused
 * downgrade in each direction, then an implicit upgrade that switches the
 * receiver's replies of that 5-tuple only, after which the weaker mode is
 * refused for it. */
static void flow_switch_at_both_ends(void **state)
{
	struct mml_flow_key any = { 0 };
	struct mml_flow esp = { .mode = MML_MODE_ESP }, mlesp = { .mode = MML_MODE_MLESP };
	uint8_t inner[300], buf[2048], *out;
	struct learn_log log = { 0 };
	uint16_t sport, dport;
	unsigned int stat;
	struct ep_ip ip;
	struct pair p;
	ssize_t n;

	pair_setup(&p, MML_ALG_AES256_GCM);
	/* Downlink: the HA sends ESP, the MH's entry says ML-ESP. */
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &esp, 1), 1);
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &mlesp, 1), 1);
	n = downlink_packet(&p, MML_MODE_ESP, 300, 1, buf);
	assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n), MML_STAT_EP_DROP_DOWNGRADE);
	/* Uplink: the MH sends ESP, the HA's entry says ML-ESP. */
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &mlesp, 1), 1);
	n = uplink_packet(&p, MML_MODE_ESP, 300, buf);
	assert_int_equal(verdict(&p, buf, (size_t)n), MML_STAT_EP_DROP_DOWNGRADE);

	/* Upgrade at the MH: its entry (a wildcard) says ESP, the HA sends
	 * ML-ESP: delivered, learned for this 5-tuple, told once. */
	assert_int_equal(ep_flowtab_load(&p.mh.flows, &any, &esp, 1), 1);
	p.mh.learn = learn_cb;
	p.mh.learn_ctx = &log;
	fixture_inner(inner, sizeof(inner), 7);
	assert_int_equal(ep_ip_parse(inner, sizeof(inner), &ip), 0);
	ep_ports(inner, &ip, &sport, &dport);
	n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
		       sizeof(inner), buf, sizeof(buf), &stat);
	assert_int_equal(stat, MML_STAT_EP_ENCAP_MLESP);
	assert_int_equal(ep_unprotect(&p.mh, EP_SIDE_MH, be(HOME), 0, buf, (size_t)n, &out, &stat),
			 sizeof(inner));
	assert_int_equal(stat, MML_STAT_EP_DELIVER_MLESP);
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.key.home_addr, ip.daddr);
	assert_int_equal(log.key.peer_addr, ip.saddr);
	assert_int_equal(log.key.home_port, dport);
	assert_int_equal(log.key.peer_port, sport);
	assert_int_equal(log.flow.mode, MML_MODE_MLESP);
	assert_int_equal(log.flow.flags, MML_FLOW_F_LEARNED);
	/* The reply of that flow goes out in ML-ESP, another flow in ESP. */
	{
		uint8_t reply[300];
		uint8_t tmp[4];

		memcpy(reply, inner, sizeof(reply));
		memcpy(tmp, reply + 12, 4);
		memcpy(reply + 12, reply + 16, 4);
		memcpy(reply + 16, tmp, 4);
		put_be16(reply + 20, dport);
		put_be16(reply + 22, sport);
		assert_true(ep_protect(&p.mh, EP_SIDE_MH, ep_binding_get(&p.mh.binds, be(HOME)),
				       reply, sizeof(reply), buf, sizeof(buf), &stat) > 0);
		assert_int_equal(stat, MML_STAT_EP_ENCAP_MLESP);
		put_be16(reply + 20, (uint16_t)(dport + 1));
		assert_true(ep_protect(&p.mh, EP_SIDE_MH, ep_binding_get(&p.mh.binds, be(HOME)),
				       reply, sizeof(reply), buf, sizeof(buf), &stat) > 0);
		assert_int_equal(stat, MML_STAT_EP_ENCAP_ESP);
	}
	/* A second ML-ESP packet is no news; ESP of the flow is now refused. */
	n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
		       sizeof(inner), buf, sizeof(buf), &stat);
	assert_true(ep_unprotect(&p.mh, EP_SIDE_MH, be(HOME), 0, buf, (size_t)n, &out, &stat) > 0);
	assert_int_equal(log.calls, 1);
	assert_int_equal(ep_flowtab_load(&p.ha.flows, &any, &esp, 1), 1);
	n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
		       sizeof(inner), buf, sizeof(buf), &stat);
	assert_int_equal(stat, MML_STAT_EP_ENCAP_ESP);
	assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n), MML_STAT_EP_DROP_DOWNGRADE);
	/* A negotiated downgrade (the entry's ACCEPT flag) lets it in. */
	{
		struct mml_flow accept = log.flow;

		accept.flags |= MML_FLOW_F_ACCEPT_ESP;
		assert_int_equal(ep_flowtab_learn(&p.mh.flows, &log.key, &accept), 2);
		n = ep_protect(&p.ha, EP_SIDE_HA, ep_binding_get(&p.ha.binds, be(HOME)), inner,
			       sizeof(inner), buf, sizeof(buf), &stat);
		assert_int_equal(mh_verdict(&p.mh, buf, (size_t)n), 0);
	}
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ip_header_checksums),
		cmocka_unit_test(ttl_decrement_patches_checksum),
		cmocka_unit_test(sacache_refresh_keeps_unchanged),
		cmocka_unit_test(thousands_of_mobiles),
		cmocka_unit_test(sequence_shared_between_threads),
		cmocka_unit_test(sequence_hard_limit),
		cmocka_unit_test(soft_packet_limit_tells_keyd),
		cmocka_unit_test(sequence_resumes_above_persisted_mark),
		cmocka_unit_test(same_key_reinstalled_continues_sequence),
		cmocka_unit_test(one_key_hammered_by_two_threads),
		cmocka_unit_test(replay_refused_on_another_thread),
		cmocka_unit_test(replay_refused_after_restart),
		cmocka_unit_test(outer_source_tied_to_sa_mh),
		cmocka_unit_test(outer_source_tied_to_sa_ha),
		cmocka_unit_test(lifetimes_enforced),
		cmocka_unit_test(flow_lookup_precedence),
		cmocka_unit_test(flow_lookup_address_wildcards),
		cmocka_unit_test(roundtrip_every_mode),
		cmocka_unit_test(bad_input_dropped_and_counted),
		cmocka_unit_test(malformed_trailer),
		cmocka_unit_test(spoofed_inner_dropped),
		cmocka_unit_test(no_sa_for_mode),
		cmocka_unit_test(gso_super_packet_cut),
		cmocka_unit_test(gso_partial_checksum_completed),
		cmocka_unit_test(rx_frames_classified),
		cmocka_unit_test(every_n_counted_across_threads),
		cmocka_unit_test(flow_ctr_claimed_once_across_processes),
		cmocka_unit_test(flowctr_full_falls_back),
		cmocka_unit_test(flow_ctr_counts_both_ends),
		cmocka_unit_test(flow_rx_policy_table),
		cmocka_unit_test(flow_upgrade_waits_for_settling),
		cmocka_unit_test(flow_shape_order),
		cmocka_unit_test(flow_switch_at_both_ends),
		cmocka_unit_test(plain_of_every_n_flow_checked),
		cmocka_unit_test(every_n_flow_in_order_at_mh),
		cmocka_unit_test(every_n_flow_in_order_at_ha),
		cmocka_unit_test(flow_dscp_precedence),
		cmocka_unit_test(flow_dscp_on_the_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
