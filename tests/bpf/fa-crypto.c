/* The FA's BPF ChaCha20, Poly1305 and AEAD open (bpf/chacha20.h,
 * poly1305.h, aead.h) run in the kernel through fa_test's entry points:
 * RFC 8439 known answers (sections 2.3.2, 2.5.2, 2.8.2), then random cases
 * against OpenSSL, which is the reference at run time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tests/bpf/fa_test.h"
#include "maps/fa.h"
#include "fa_test.skel.h"
#include "tests/bpf/xdp-run.h"

#define RANDOM_CASES 200

static struct fa_test *skel;

static int setup(void **state)
{
	skel = fa_test__open_and_load();
	return skel ? 0 : -1;
}

static int teardown(void **state)
{
	fa_test__destroy(skel);
	return 0;
}

static void hex_to(const char *hex, uint8_t *out, size_t len)
{
	long n;
	uint8_t *buf = OPENSSL_hexstr2buf(hex, &n);

	assert_non_null(buf);
	assert_int_equal(n, len);
	memcpy(out, buf, len);
	OPENSSL_free(buf);
}

static void run(struct bpf_program *prog)
{
	uint8_t frame[64] = { 0 };

	assert_int_equal(xdp_run(bpf_program__fd(prog), frame, sizeof(frame), NULL, 0, NULL, 0),
			 2 /* XDP_PASS */);
}

static void bpf_chacha20_block(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12],
			       uint8_t out[64])
{
	memcpy(skel->bss->crypto_io.key, key, 32);
	memcpy(skel->bss->crypto_io.nonce, nonce, 12);
	skel->bss->crypto_io.counter = counter;
	run(skel->progs.test_chacha20_block);
	memcpy(out, skel->bss->crypto_io.out, 64);
}

static void bpf_poly1305(const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t tag[16])
{
	assert_true(len <= sizeof(skel->bss->crypto_io.msg) - 16);
	memcpy(skel->bss->crypto_io.key, key, 32);
	memset(skel->bss->crypto_io.msg, 0xee, sizeof(skel->bss->crypto_io.msg));
	memcpy(skel->bss->crypto_io.msg, msg, len);
	skel->bss->crypto_io.len = (uint32_t)len;
	run(skel->progs.test_poly1305);
	memcpy(tag, skel->bss->crypto_io.out, 16);
}

/* Returns the BPF verdict (0 or -1); the plaintext goes to pt. */
static int bpf_aead_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
			 size_t aad_len, const uint8_t *ct, size_t len, const uint8_t tag[16],
			 uint8_t *pt)
{
	struct crypto_io *io = &skel->bss->crypto_io;

	memcpy(io->key, key, 32);
	memcpy(io->nonce, nonce, 12);
	memset(io->aad, 0, sizeof(io->aad));
	memcpy(io->aad, aad, aad_len);
	io->aad_len = (uint32_t)aad_len;
	/* Junk after the ciphertext: the BPF side must pad it away itself. */
	memset(io->msg, 0xa5, sizeof(io->msg));
	memcpy(io->msg, ct, len);
	io->len = (uint32_t)len;
	memcpy(io->tag, tag, 16);
	memset(io->out, 0, sizeof(io->out));
	io->result = 12345;
	run(skel->progs.test_aead_open);
	memcpy(pt, io->out, len);
	return io->result;
}

static void ossl_chacha20_block(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12],
				uint8_t out[64])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t iv[16], zero[64] = { 0 };
	int outl;

	/* OpenSSL's ChaCha20 IV: the 32-bit counter (little-endian), then the nonce. */
	memcpy(iv, &counter, 4);
	memcpy(iv + 4, nonce, 12);
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, zero, 64), 1);
	EVP_CIPHER_CTX_free(ctx);
}

static void ossl_poly1305(const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t tag[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t tag_len = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 32, NULL), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, tag, &tag_len, 16), 1);
	assert_int_equal(tag_len, 16);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

static void ossl_aead_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
			   size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
			   uint8_t tag[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl;

	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce), 1);
	if (aad_len)
		assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ct + len, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(ctx);
}

/* RFC 8439 section 2.3.2. */
static void test_rfc8439_block(void **state)
{
	uint8_t key[32], nonce[12], want[64], got[64], ossl[64];
	size_t i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	hex_to("000000090000004a00000000", nonce, 12);
	hex_to("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
	       "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
	       want, 64);
	bpf_chacha20_block(key, 1, nonce, got);
	assert_memory_equal(got, want, 64);
	ossl_chacha20_block(key, 1, nonce, ossl);
	assert_memory_equal(ossl, want, 64);
}

/* RFC 8439 section 2.5.2. */
static void test_rfc8439_poly1305(void **state)
{
	static const char msg[] = "Cryptographic Forum Research Group";
	uint8_t key[32], want[16], got[16], ossl[16];

	hex_to("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", key, 32);
	hex_to("a8061dc1305136c6c22b8baf0c0127a9", want, 16);
	bpf_poly1305(key, (const uint8_t *)msg, strlen(msg), got);
	assert_memory_equal(got, want, 16);
	ossl_poly1305(key, (const uint8_t *)msg, strlen(msg), ossl);
	assert_memory_equal(ossl, want, 16);
}

/* RFC 8439 section 2.8.2: 12-byte AAD, 114-byte message. */
static void test_rfc8439_aead(void **state)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	uint8_t key[32], nonce[12], aad[12], ct[114], tag[16], got[128], ossl_ct[114], ossl_tag[16];
	size_t i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	hex_to("070000004041424344454647", nonce, 12);
	hex_to("50515253c0c1c2c3c4c5c6c7", aad, 12);
	hex_to("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	       "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	       "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	       "3ff4def08e4b7a9de576d26586cec64b6116",
	       ct, 114);
	hex_to("1ae10b594f09e26a7e902ecbd0600691", tag, 16);
	assert_int_equal(strlen(pt), 114);

	ossl_aead_seal(key, nonce, aad, 12, (const uint8_t *)pt, 114, ossl_ct, ossl_tag);
	assert_memory_equal(ossl_ct, ct, 114);
	assert_memory_equal(ossl_tag, tag, 16);
	assert_int_equal(bpf_aead_open(key, nonce, aad, 12, ct, 114, tag, got), 0);
	assert_memory_equal(got, pt, 114);
	tag[15] ^= 1;
	memset(got, 0, sizeof(got));
	assert_int_equal(bpf_aead_open(key, nonce, aad, 12, ct, 114, tag, got), -1);
}

static void test_random_blocks(void **state)
{
	uint8_t key[32], nonce[12], got[64], want[64];
	uint32_t counter;
	int i;

	for (i = 0; i < RANDOM_CASES; i++) {
		test_random(key, sizeof(key));
		test_random(nonce, sizeof(nonce));
		test_random(&counter, sizeof(counter));
		bpf_chacha20_block(key, counter, nonce, got);
		ossl_chacha20_block(key, counter, nonce, want);
		assert_memory_equal(got, want, 64);
	}
}

static void test_random_poly1305(void **state)
{
	uint8_t key[32], msg[256], got[16], want[16];
	size_t len;
	int i;

	for (i = 0; i < RANDOM_CASES; i++) {
		/* All-ones keys and messages push every limb to its maximum. */
		len = test_random_below(257);
		if (i < 4) {
			memset(key, 0xff, sizeof(key));
			memset(msg, 0xff, sizeof(msg));
		} else {
			test_random(key, sizeof(key));
			test_random(msg, len);
		}
		bpf_poly1305(key, msg, len, got);
		ossl_poly1305(key, msg, len, want);
		assert_memory_equal(got, want, 16);
	}
}

/* Random keys, nonces, AAD up to 16 bytes and messages up to 128: OpenSSL
 * seals, BPF opens; then one flipped bit anywhere must fail. */
static void test_random_aead(void **state)
{
	uint8_t key[32], nonce[12], aad[16], pt[128], ct[128], tag[16], got[128];
	size_t len, aad_len, where;
	int i;

	for (i = 0; i < RANDOM_CASES; i++) {
		len = test_random_below(129);
		aad_len = test_random_below(17);
		test_random(key, sizeof(key));
		test_random(nonce, sizeof(nonce));
		test_random(aad, aad_len);
		test_random(pt, len);
		ossl_aead_seal(key, nonce, aad, aad_len, pt, len, ct, tag);
		memset(got, 0, sizeof(got));
		assert_int_equal(bpf_aead_open(key, nonce, aad, aad_len, ct, len, tag, got), 0);
		assert_memory_equal(got, pt, len);

		where = test_random_below((uint32_t)(aad_len + len + 16));
		if (where < aad_len)
			aad[where] ^= 0x01;
		else if (where < aad_len + len)
			ct[where - aad_len] ^= 0x80;
		else
			tag[where - aad_len - len] ^= 0x10;
		assert_int_equal(bpf_aead_open(key, nonce, aad, aad_len, ct, len, tag, got), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8439_block),	cmocka_unit_test(test_rfc8439_poly1305),
		cmocka_unit_test(test_rfc8439_aead),	cmocka_unit_test(test_random_blocks),
		cmocka_unit_test(test_random_poly1305), cmocka_unit_test(test_random_aead),
	};

	xdp_require_bpf("bpf-crypto");
	test_seed();
	return cmocka_run_group_tests_name("bpf-crypto", tests, setup, teardown);
}
