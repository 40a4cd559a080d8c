/* The SA layer's CHILD_SAs of an IKE SA: free slots, lookup by SPI, KEYMAT,
 * and their end (by our Delete or locally). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_sa.h"
#include "lib/log.h"

int ike_child_keys(struct ike_sa *sa, struct ike_child *child, bool we_initiated,
		   const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len)
{
	uint8_t keymat[2 * IKE_AEAD_KEYMAT_LEN];
	struct ike_iov seed[] = { { g_ir, g_ir_len }, { ni, ni_len }, { nr, nr_len } };
	int err;

	/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr): the initiator-to-
	 * responder key first (RFC 7296 2.17). */
	err = ike_prf_plus(sa->keys.sk_d, IKE_PRF_LEN, seed, 3, keymat, sizeof(keymat));
	if (!err) {
		memcpy(we_initiated ? child->key_out : child->key_in, keymat, IKE_AEAD_KEYMAT_LEN);
		memcpy(we_initiated ? child->key_in : child->key_out, keymat + IKE_AEAD_KEYMAT_LEN,
		       IKE_AEAD_KEYMAT_LEN);
	}
	OPENSSL_cleanse(keymat, sizeof(keymat));
	return err;
}

/* A free slot for a CHILD_SA about to come up: its soft lifetime starts. */
struct ike_child *ike_child_slot(struct ike_sa *sa)
{
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		if (!sa->child[i].used) {
			memset(&sa->child[i], 0, sizeof(sa->child[i]));
			sa->child[i].rekey_at_ms = ike_soft_deadline(sa->cfg->child_rekey_ms);
			ike_deadline(sa->eng, sa->child[i].rekey_at_ms);
			return &sa->child[i];
		}
	return NULL;
}

struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		if (sa->child[i].used && sa->child[i].spi_out == spi)
			return &sa->child[i];
	return NULL;
}

struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++)
		if (sa->child[i].used && sa->child[i].spi_in == spi)
			return &sa->child[i];
	return NULL;
}

void ike_child_remove(struct ike_sa *sa, struct ike_child *child, const char *why)
{
	log_info("peer %s: CHILD_SA %08x/%08x %s", sa->cfg->name, child->spi_in, child->spi_out,
		 why);
	if (sa->eng->ev->child_down)
		sa->eng->ev->child_down(sa->eng->ev_ctx, sa, child);
	OPENSSL_cleanse(child, sizeof(*child));
}

int ike_child_delete(struct ike_sa *sa, uint32_t spi_in)
{
	uint8_t buf[64];
	struct ike_wbuf in;
	int err;

	if (!ike_child_by_spi_in(sa, spi_in))
		return -ENOENT;
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_delete(&in, IKE_PROTO_ESP, &spi_in, 1);
	err = ike_info_send(sa, &in, IKE_REQ_CHILD_DELETE);
	if (!err)
		sa->child_deleting = spi_in;
	return err;
}
