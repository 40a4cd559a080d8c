/* bench-codec: encapsulation and decapsulation throughput of ML-ESP and ESP
 * beside one raw OpenSSL EVP AEAD pass over the same bytes (OpenSSL at every
 * length, even where lib/aead takes Nettle for ChaCha20), measured in the
 * same run and printed as ratios (machines here are shared and noisy, so
 * only ratios are compared; each figure is the best of several rounds,
 * baseline and candidate interleaved). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/esp.h"
#include "lib/mlesp.h"

/* -q (make experiments-smoke): one short round, enough to fill the table,
 * not to compare; otherwise 3 rounds of 0.2 s per case. */
static int rounds = 3;
static long long round_ns = 200000000LL;
#define NPKT 4096 /* distinct packets per decapsulation pass */
#define BUF 1600

static const size_t sizes[] = { 64, 576, 1400 };

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct bench_case {
	const char *name;
	uint8_t zone2_alg; /* or ESP's alg */
	uint8_t format;
	size_t inner_len;
	struct mml_sa out, in;
	struct mml_aead raw_seal, raw_open;
	uint8_t inner[BUF];
	uint8_t *pkts; /* NPKT encapsulated packets, BUF apart */
	size_t pkt_len;
	uint8_t raw_ct[NPKT][BUF];
	uint8_t raw_tag[NPKT][MML_TAG_LEN];
};

static void make_csa(struct mml_csa *c, uint8_t format, uint8_t alg, uint8_t dir)
{
	memset(c, 0, sizeof(*c));
	c->spi = 0x1000;
	c->format = format;
	c->dir = dir;
	c->replay_window = 4096;
	if (format == MML_FMT_MLESP) {
		c->z1_len = 40;
		c->zone[0].alg = MML_ALG_CHACHA20_POLY1305;
		memset(c->zone[0].key, 0x11, MML_KEY_LEN);
		memset(c->zone[0].salt, 0x22, MML_SALT_LEN);
		c->zone[1].alg = alg;
		memset(c->zone[1].key, 0x33, MML_KEY_LEN);
		memset(c->zone[1].salt, 0x44, MML_SALT_LEN);
	} else {
		c->zone[0].alg = alg;
		memset(c->zone[0].key, 0x33, MML_KEY_LEN);
		memset(c->zone[0].salt, 0x44, MML_SALT_LEN);
	}
}

static int setup(struct bench_case *b)
{
	struct mml_csa c;
	char why[128];
	uint8_t key[MML_KEY_LEN], salt[MML_SALT_LEN];
	int err;

	make_csa(&c, b->format, b->zone2_alg, MML_DIR_OUT);
	err = mml_sa_init(&b->out, &c, why, sizeof(why));
	if (!err) {
		c.dir = MML_DIR_IN;
		err = mml_sa_init(&b->in, &c, why, sizeof(why));
	}
	memset(key, 0x33, sizeof(key));
	memset(salt, 0x44, sizeof(salt));
	if (!err)
		err = mml_aead_init(&b->raw_seal, b->zone2_alg, key, salt, true);
	if (!err)
		err = mml_aead_init(&b->raw_open, b->zone2_alg, key, salt, false);
	if (!err) {
		mml_aead_openssl_only(&b->raw_seal);
		mml_aead_openssl_only(&b->raw_open);
	}
	if (err) {
		fprintf(stderr, "bench-codec: %s: %s\n", b->name,
			err == -EINVAL ? why : strerror(-err));
		return err;
	}
	for (size_t i = 0; i < b->inner_len; i++)
		b->inner[i] = (uint8_t)(i * 13);
	b->inner[0] = 0x45;
	b->pkts = malloc((size_t)NPKT * BUF);
	return b->pkts ? 0 : -ENOMEM;
}

static void teardown(struct bench_case *b)
{
	mml_sa_free(&b->out);
	mml_sa_free(&b->in);
	mml_aead_free(&b->raw_seal);
	mml_aead_free(&b->raw_open);
	free(b->pkts);
}

typedef long (*pass_fn)(struct bench_case *b, uint8_t *scratch);

/* One pass = NPKT operations; returns how many succeeded. */
static long encap_pass(struct bench_case *b, uint8_t *scratch)
{
	long ok = 0;

	/* Restart the counter each pass: the benchmark would otherwise run
	 * into the hard limit, and nonces do not matter for timing. */
	mml_seq_resume(&b->out.seq, 0);
	for (int i = 0; i < NPKT; i++) {
		ssize_t n = b->format == MML_FMT_MLESP ?
				    mml_mlesp_encap(&b->out, b->inner, b->inner_len, scratch, BUF) :
				    mml_esp_encap(&b->out, b->inner, b->inner_len, scratch, BUF);
		ok += n > 0;
	}
	return ok;
}

/* One raw AEAD seal of the bytes a codec seals (the inner packet and its
 * trailer) as packet i: into buf, tag to tag. */
static int raw_seal_one(struct bench_case *b, int i, uint8_t *buf, uint8_t *tag)
{
	size_t p_len = b->inner_len + mml_trailer_len(b->inner_len);
	uint8_t iv[8] = { 0 }, aad[8] = { 0 };

	put_be32(iv + 4, (uint32_t)i + 1);
	put_be32(aad + 4, (uint32_t)i + 1);
	memcpy(buf, b->inner, b->inner_len);
	mml_trailer_write(buf + b->inner_len, b->inner_len);
	return mml_aead_seal(&b->raw_seal, iv, aad, 8, buf, buf, p_len, tag);
}

static long raw_seal_pass(struct bench_case *b, uint8_t *scratch)
{
	size_t p_len = b->inner_len + mml_trailer_len(b->inner_len);
	long ok = 0;

	for (int i = 0; i < NPKT; i++)
		ok += !raw_seal_one(b, i, scratch, scratch + p_len);
	return ok;
}

/* Decapsulation needs fresh sequence numbers: NPKT packets made up front,
 * decapsulated in order, the receiver's window reset between passes. */
static void prepare_decap(struct bench_case *b)
{
	mml_seq_resume(&b->out.seq, 0);
	for (int i = 0; i < NPKT; i++) {
		ssize_t n = b->format == MML_FMT_MLESP ?
				    mml_mlesp_encap(&b->out, b->inner, b->inner_len,
						    b->pkts + (size_t)i * BUF, BUF) :
				    mml_esp_encap(&b->out, b->inner, b->inner_len,
						  b->pkts + (size_t)i * BUF, BUF);
		b->pkt_len = (size_t)n;
		raw_seal_one(b, i, b->raw_ct[i], b->raw_tag[i]);
	}
}

static long decap_pass(struct bench_case *b, uint8_t *scratch)
{
	long ok = 0;
	uint8_t *inner;

	b->in.replay.top = 0;
	memset(b->in.replay.bits, 0, b->in.replay.nwords * sizeof(uint64_t));
	for (int i = 0; i < NPKT; i++) {
		ssize_t n;

		/* A worker decapsulates in the receive frame itself; here each
		 * pass must keep its ciphertext, so copy (in both columns). */
		memcpy(scratch, b->pkts + (size_t)i * BUF, b->pkt_len);
		n = b->format == MML_FMT_MLESP ?
			    mml_mlesp_decap(&b->in, scratch, b->pkt_len, &inner) :
			    mml_esp_decap(&b->in, scratch, b->pkt_len, &inner);
		ok += n == (ssize_t)b->inner_len;
	}
	return ok;
}

static long raw_open_pass(struct bench_case *b, uint8_t *scratch)
{
	size_t p_len = b->inner_len + mml_trailer_len(b->inner_len);
	uint8_t iv[8] = { 0 }, aad[8] = { 0 };
	long ok = 0;

	for (int i = 0; i < NPKT; i++) {
		put_be32(iv + 4, (uint32_t)i + 1);
		put_be32(aad + 4, (uint32_t)i + 1);
		memcpy(scratch, b->raw_ct[i], p_len);
		ok += !mml_aead_open(&b->raw_open, iv, aad, 8, scratch, scratch, p_len,
				     b->raw_tag[i]);
	}
	return ok;
}

/* ns per operation of one round at least round_ns long; returns the better
 * of that and best (0 = none yet). */
static double time_pass(struct bench_case *b, pass_fn fn, uint8_t *scratch, double best)
{
	long long start = now_ns(), elapsed;
	long ops = 0;

	do {
		if (fn(b, scratch) != NPKT) {
			fprintf(stderr, "bench-codec: %s: an operation failed\n", b->name);
			exit(1);
		}
		ops += NPKT;
		elapsed = now_ns() - start;
	} while (elapsed < round_ns);
	double ns = (double)elapsed / (double)ops;

	return best == 0 || ns < best ? ns : best;
}

static void run_case(struct bench_case *b, const char *target_note)
{
	static uint8_t scratch[BUF + 64];
	double enc = 0, enc_raw = 0, dec = 0, dec_raw = 0;

	prepare_decap(b);
	for (int r = 0; r < rounds; r++) {
		enc_raw = time_pass(b, raw_seal_pass, scratch, enc_raw);
		enc = time_pass(b, encap_pass, scratch, enc);
		dec_raw = time_pass(b, raw_open_pass, scratch, dec_raw);
		dec = time_pass(b, decap_pass, scratch, dec);
	}
	printf("%-22s %5zu  %9.0f %6.2f  %9.0f  %5.1f%%   %9.0f %6.2f  %9.0f  %5.1f%%  %s\n",
	       b->name, b->inner_len, 1e9 / enc, b->inner_len * 8 / enc, 1e9 / enc_raw,
	       100.0 * enc_raw / enc, 1e9 / dec, b->inner_len * 8 / dec, 1e9 / dec_raw,
	       100.0 * dec_raw / dec, target_note);
}

/* ML-ESP pays for one more AEAD than ESP: zone 1's. Print what one such pass
 * costs next to a full-size one, which bounds the achievable ratio. */
static int explain_zone1(void)
{
	static uint8_t scratch[BUF + 64];
	struct bench_case *small = calloc(1, sizeof(*small)), *big = calloc(1, sizeof(*big));
	double ns_small = 0, ns_big = 0, ns_nettle = 0;
	int err = -ENOMEM;

	if (!small || !big)
		goto out;
	*small = (struct bench_case){ .name = "zone1",
				      .format = MML_FMT_ESP,
				      .zone2_alg = MML_ALG_CHACHA20_POLY1305,
				      .inner_len = 40 };
	*big = *small;
	big->inner_len = 1400;
	err = setup(small);
	if (!err)
		err = setup(big);
	if (err)
		goto out;
	for (int r = 0; r < rounds; r++) {
		ns_small = time_pass(small, raw_seal_pass, scratch, ns_small);
		ns_big = time_pass(big, raw_seal_pass, scratch, ns_big);
	}
	/* The same 44 bytes through lib/aead's own road for them (Nettle). */
	mml_aead_free(&small->raw_seal);
	err = mml_aead_init(&small->raw_seal, MML_ALG_CHACHA20_POLY1305, small->inner, small->inner,
			    true);
	if (err)
		goto out;
	for (int r = 0; r < rounds; r++)
		ns_nettle = time_pass(small, raw_seal_pass, scratch, ns_nettle);
	printf("\nOne ChaCha20-Poly1305 seal of a 40-byte zone 1 (P = 44): OpenSSL %.0f ns, Nettle\n"
	       "(what lib/aead uses up to %d bytes) %.0f ns; OpenSSL on a 1400-byte packet: %.0f ns.\n"
	       "ML-ESP at 1400 B can reach at most %.1f%% of one raw pass with zone 1 through\n"
	       "Nettle (%.1f%% through OpenSSL).\n",
	       ns_small, MML_AEAD_SMALL_MAX, ns_nettle, ns_big,
	       100.0 * ns_big / (ns_big + ns_nettle), 100.0 * ns_big / (ns_big + ns_small));
out:
	if (small && small->pkts)
		teardown(small);
	if (big && big->pkts)
		teardown(big);
	free(small);
	free(big);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint8_t format, alg;
	} kinds[] = {
		{ "mlesp chacha/chacha", MML_FMT_MLESP, MML_ALG_CHACHA20_POLY1305 },
		{ "mlesp chacha/aesgcm", MML_FMT_MLESP, MML_ALG_AES256_GCM },
		{ "esp chacha20poly1305", MML_FMT_ESP, MML_ALG_CHACHA20_POLY1305 },
		{ "esp aes256gcm", MML_FMT_ESP, MML_ALG_AES256_GCM },
	};

	if (argc == 2 && !strcmp(argv[1], "-q")) {
		rounds = 1;
		round_ns = 20000000LL;
	} else if (argc != 1) {
		fprintf(stderr, "usage: bench-codec [-q]\n");
		return 2;
	}
	printf("Codec throughput, one core; \"raw\" = one OpenSSL EVP AEAD pass (zone 2's / ESP's\n"
	       "algorithm) over the same bytes; ratio = codec rate / raw rate. Best of %d rounds.\n\n",
	       rounds);
	printf("%-22s %5s  %9s %6s  %9s  %6s   %9s %6s  %9s  %6s\n", "case", "inner", "encap/s",
	       "Gbit/s", "raw seal/s", "ratio", "decap/s", "Gbit/s", "raw open/s", "ratio");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			struct bench_case *b = calloc(1, sizeof(*b));
			const char *note = "";

			if (!b)
				return 1;
			b->name = kinds[k].name;
			b->format = kinds[k].format;
			b->zone2_alg = kinds[k].alg;
			b->inner_len = sizes[s];
			if (b->format == MML_FMT_MLESP && sizes[s] == 1400)
				note = "(target encap >= 85%)";
			else if (b->format == MML_FMT_MLESP && sizes[s] == 64)
				note = "(target encap >= 50%)";
			else if (b->format == MML_FMT_ESP && sizes[s] == 1400)
				note = "(target encap >= 90%)";
			if (setup(b)) {
				free(b);
				return 1;
			}
			run_case(b, note);
			teardown(b);
			free(b);
		}
	}
	return explain_zone1();
}
