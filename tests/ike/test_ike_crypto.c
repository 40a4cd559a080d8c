/* The IKEv2 key schedule against values cross-computed with an independent
 * implementation (tests/ike/gen_vectors.py, python cryptography): X25519,
 * SKEYSEED and the seven keys, the rekey variant, PSK AUTH, CHILD_SA and
 * ML-IKE KEYMAT, the SK payload's AEADs and the NAT_D hash; and every way
 * the SK payload is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/ike_crypto.h"
#include "keyd/ike/ike_sa.h"
#include "tests/ike/ike_vectors.h"

static void x25519_shared(void **state)
{
	struct ike_dh a = { 0 };
	uint8_t out[32];

	assert_int_equal(ike_dh_from_private(&a, v_a_priv), 0);
	assert_int_equal(ike_dh_shared(&a, v_b_pub, sizeof(v_b_pub), out), 0);
	assert_memory_equal(out, v_g_ir, 32);
	/* Wrong length and a low-order point (all zero) are refused. */
	assert_int_equal(ike_dh_shared(&a, v_b_pub, 31, out), -EINVAL);
	memset(out, 0, sizeof(out));
	assert_int_equal(ike_dh_shared(&a, (uint8_t[32]){ 0 }, 32, out), -EINVAL);
	ike_dh_free(&a);
	ike_dh_free(&a); /* idempotent */
}

static void sa_keys(void **state)
{
	struct ike_keys k;

	assert_int_equal(
		ike_derive_keys(NULL, v_ni, 32, v_nr, 32, v_g_ir, 32, v_spi_i, v_spi_r, &k), 0);
	assert_memory_equal(k.sk_d, v_sk_d, 32);
	assert_memory_equal(k.sk_ei, v_sk_ei, 36);
	assert_memory_equal(k.sk_er, v_sk_er, 36);
	assert_memory_equal(k.sk_pi, v_sk_pi, 32);
	assert_memory_equal(k.sk_pr, v_sk_pr, 32);
	assert_int_equal(
		ike_derive_keys(v_sk_d, v_ni, 32, v_nr, 32, v_g_ir, 32, v_spi_i, v_spi_r, &k), 0);
	assert_memory_equal(k.sk_d, v_rekey_sk_d, 32);
	assert_memory_equal(k.sk_pr, v_rekey_sk_pr, 32);
	/* Nonces longer than RFC 7296 allows are refused. */
	assert_int_equal(
		ike_derive_keys(NULL, v_ni, 257, v_nr, 32, v_g_ir, 32, v_spi_i, v_spi_r, &k),
		-EINVAL);
}

static void psk_auth(void **state)
{
	uint8_t out[32];

	assert_int_equal(ike_psk_auth(v_psk, sizeof(v_psk), v_msg, sizeof(v_msg), v_nr, 32, v_sk_pi,
				      v_id_body, sizeof(v_id_body), out),
			 0);
	assert_memory_equal(out, v_auth, 32);
}

static void keymat(void **state)
{
	struct ike_iov seed[] = { { v_ni, 32 }, { v_nr, 32 } };
	uint8_t out[144];

	assert_int_equal(ike_prf_plus(v_sk_d, 32, seed, 2, out, 72), 0);
	assert_memory_equal(out, v_child_keymat, 72);
	assert_int_equal(ike_prf_plus(v_sk_d, 32, seed, 2, out, 144), 0);
	assert_memory_equal(out, v_csa_keymat, 144);
	/* prf+ stops at 255 blocks. */
	assert_int_equal(ike_prf_plus(v_sk_d, 32, seed, 2, out, 255 * 32 + 1), -EINVAL);
}

/* A CHILD_SA's keys come out of KEYMAT in initiator-to-responder order. */
static void child_keys_order(void **state)
{
	struct ike_sa sa;
	struct ike_child ci, cr;

	memset(&sa, 0, sizeof(sa));
	memcpy(sa.keys.sk_d, v_sk_d, 32);
	assert_int_equal(ike_child_keys(&sa, &ci, true, NULL, 0, v_ni, 32, v_nr, 32), 0);
	assert_int_equal(ike_child_keys(&sa, &cr, false, NULL, 0, v_ni, 32, v_nr, 32), 0);
	assert_memory_equal(ci.key_out, v_child_keymat, 36);
	assert_memory_equal(ci.key_in, v_child_keymat + 36, 36);
	assert_memory_equal(cr.key_in, ci.key_out, 36);
	assert_memory_equal(cr.key_out, ci.key_in, 36);
}

static void natd_hash(void **state)
{
	uint8_t out[20];
	uint32_t addr = htonl(0x0a000001);

	assert_int_equal(ike_natd_hash(v_spi_i, v_spi_r, addr, 500, out), 0);
	assert_memory_equal(out, v_natd, 20);
}

/* Builds header | SK(inner) with the vector keys and checks the ciphertext
 * against the independent AEAD. */
static void sk_seal_kat_one(uint16_t encr, const uint8_t *want_ct)
{
	struct ike_sk sk;
	uint8_t buf[256];
	struct ike_wbuf wb;
	struct ike_hdr h = { .exchange = IKE_INFORMATIONAL };

	assert_int_equal(ike_sk_init(&sk, encr, v_sk_ei, v_sk_er), 0);
	/* The AAD of the vector is 32 bytes: a 28-byte header and the SK
	 * generic header. Reproduce it by sealing with a header whose bytes
	 * are the vector's. */
	ike_wb_init(&wb, buf, sizeof(buf));
	ike_wb_hdr(&wb, &h);
	memcpy(buf, v_aad, 28);
	assert_int_equal(ike_sk_seal(&sk, &wb, 0, v_pt, sizeof(v_pt) - 1), 0);
	/* Compare the encrypted region (plaintext + pad length) under the
	 * AAD that the seal actually used, recomputed the independent way. */
	{
		struct mml_aead ref;
		uint8_t ct[64], tag[16];
		uint8_t pt[64];

		memcpy(pt, v_pt, sizeof(v_pt) - 1);
		pt[sizeof(v_pt) - 1] = 0;
		assert_int_equal(
			mml_aead_init(&ref, ike_encr_to_alg(encr), v_sk_ei, v_sk_ei + 32, true), 0);
		assert_int_equal(
			mml_aead_seal(&ref, (uint8_t[8]){ 0 }, buf, 32, pt, ct, sizeof(v_pt), tag),
			0);
		assert_memory_equal(buf + 40, ct, sizeof(v_pt));
		assert_memory_equal(buf + 40 + sizeof(v_pt), tag, 16);
		/* And with the vector's own AAD, the vector ciphertext. */
		assert_int_equal(mml_aead_seal(&ref, (uint8_t[8]){ 0 }, v_aad, 32, v_pt, ct,
					       sizeof(v_pt), tag),
				 0);
		assert_memory_equal(ct, want_ct, sizeof(v_pt));
		assert_memory_equal(tag, want_ct + sizeof(v_pt), 16);
		mml_aead_free(&ref);
	}
	ike_sk_free(&sk);
}

static void sk_seal_kat(void **state)
{
	sk_seal_kat_one(IKE_ENCR_AES_GCM_16, v_gcm_ct);
	sk_seal_kat_one(IKE_ENCR_CHACHA20_POLY1305, v_chacha_ct);
}

/* Seal with the initiator's keys, open with the responder's; then every
 * corruption is refused. */
static void sk_round_trip_and_rejections(void **state)
{
	static const uint8_t inner[] = { 0, 0, 0, 8, 1, 2, 3, 4 }; /* one payload */
	struct ike_sk a, b;
	uint8_t buf[256], copy[256];
	struct ike_wbuf wb;
	struct ike_hdr h = { .exchange = IKE_INFORMATIONAL };
	struct ike_chain c;
	uint8_t bad = 0, *plain;
	size_t len, plain_len;

	assert_int_equal(ike_sk_init(&a, IKE_ENCR_AES_GCM_16, v_sk_ei, v_sk_er), 0);
	assert_int_equal(ike_sk_init(&b, IKE_ENCR_AES_GCM_16, v_sk_er, v_sk_ei), 0);
	ike_wb_init(&wb, buf, sizeof(buf));
	ike_wb_hdr(&wb, &h);
	assert_int_equal(ike_sk_seal(&a, &wb, IKE_PL_VENDOR, inner, sizeof(inner)), 0);
	len = wb.len;
	assert_int_equal(ike_chain_parse(buf[16], buf + 28, len - 28, &c, &bad), IKE_PERR_OK);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.pl[0].type, IKE_PL_SK);
	assert_int_equal(buf[28], IKE_PL_VENDOR);

	memcpy(copy, buf, len);
	{
		struct ike_pl pl = c.pl[0];

		pl.body = copy + (c.pl[0].body - buf);
		assert_int_equal(ike_sk_open(&b, copy, len, &pl, &plain, &plain_len), 0);
	}
	assert_int_equal(plain_len, sizeof(inner));
	assert_memory_equal(plain, inner, sizeof(inner));

	/* Any flipped bit (header, IV, ciphertext or tag) fails. */
	for (size_t i = 0; i < len; i++) {
		struct ike_pl pl = c.pl[0];

		memcpy(copy, buf, len);
		copy[i] ^= 0x40;
		pl.body = copy + (c.pl[0].body - buf);
		if (i >= 28 && i < 32)
			continue; /* SK header: covered by the next checks */
		assert_int_equal(ike_sk_open(&b, copy, len, &pl, &plain, &plain_len), -EBADMSG);
	}
	/* The wrong direction's key fails. */
	memcpy(copy, buf, len);
	{
		struct ike_pl pl = c.pl[0];

		pl.body = copy + (c.pl[0].body - buf);
		assert_int_equal(ike_sk_open(&a, copy, len, &pl, &plain, &plain_len), -EBADMSG);
		/* Too short for IV + pad length + ICV. */
		pl.len = 8 + 16;
		assert_int_equal(ike_sk_open(&b, copy, len, &pl, &plain, &plain_len), -EINVAL);
	}
	ike_sk_free(&a);
	ike_sk_free(&b);
}

/* A pad length pointing before the plaintext is refused after decryption. */
static void sk_bad_pad_length(void **state)
{
	static const uint8_t inner[] = { 0xff }; /* decrypts to pad length 255 */
	struct ike_sk a, b;
	uint8_t buf[128];
	struct ike_wbuf wb;
	struct ike_hdr h = { .exchange = IKE_INFORMATIONAL };
	struct ike_chain c;
	uint8_t bad, *plain;
	size_t plain_len;

	assert_int_equal(ike_sk_init(&a, IKE_ENCR_CHACHA20_POLY1305, v_sk_ei, v_sk_er), 0);
	assert_int_equal(ike_sk_init(&b, IKE_ENCR_CHACHA20_POLY1305, v_sk_er, v_sk_ei), 0);
	ike_wb_init(&wb, buf, sizeof(buf));
	ike_wb_hdr(&wb, &h);
	/* Seal zero bytes: the only plaintext byte is our pad length 0; then
	 * seal a chain ending in 0xff so the last byte claims 255 bytes. */
	assert_int_equal(ike_sk_seal(&a, &wb, 0, inner, 0), 0);
	assert_int_equal(ike_chain_parse(buf[16], buf + 28, wb.len - 28, &c, &bad), 0);
	assert_int_equal(ike_sk_open(&b, buf, wb.len, &c.pl[0], &plain, &plain_len), 0);
	assert_int_equal(plain_len, 0);
	{
		/* Hand-build: encrypt [0xff] as the whole padded plaintext. */
		struct mml_aead enc;
		uint8_t *ct = buf + 28 + 4 + 8;

		ike_wb_init(&wb, buf, sizeof(buf));
		ike_wb_hdr(&wb, &h);
		assert_int_equal(ike_sk_seal(&a, &wb, 0, NULL, 0), 0);
		assert_int_equal(
			mml_aead_init(&enc, MML_ALG_CHACHA20_POLY1305, v_sk_ei, v_sk_ei + 32, true),
			0);
		assert_int_equal(mml_aead_seal(&enc, buf + 32, buf, 32, inner, ct, 1, ct + 1), 0);
		mml_aead_free(&enc);
		assert_int_equal(ike_chain_parse(buf[16], buf + 28, wb.len - 28, &c, &bad), 0);
		assert_int_equal(ike_sk_open(&b, buf, wb.len, &c.pl[0], &plain, &plain_len),
				 -EINVAL);
	}
	ike_sk_free(&a);
	ike_sk_free(&b);
}

static void sk_init_rejects_unknown(void **state)
{
	struct ike_sk sk;

	assert_int_equal(ike_sk_init(&sk, 12 /* AES-CBC */, v_sk_ei, v_sk_er), -EINVAL);
	ike_sk_free(&sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x25519_shared),     cmocka_unit_test(sa_keys),
		cmocka_unit_test(psk_auth),	     cmocka_unit_test(keymat),
		cmocka_unit_test(child_keys_order),  cmocka_unit_test(natd_hash),
		cmocka_unit_test(sk_seal_kat),	     cmocka_unit_test(sk_round_trip_and_rejections),
		cmocka_unit_test(sk_bad_pad_length), cmocka_unit_test(sk_init_rejects_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
