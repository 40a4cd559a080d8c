/* Rekeying an IKE SA (RFC 7296 1.3.2, 2.18), responder side: the peer's
 * CREATE_CHILD_SA carries an IKE proposal with its new SPI, a nonce and a
 * KE; the new SA takes SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr), the
 * old SA's CHILD_SAs and CSA, and message IDs from 0. The old SA answers,
 * then waits for the peer's Delete and ends without telling the daemon. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_int.h"
#include "lib/bytes.h"
#include "lib/log.h"

struct rekey_req {
	const struct ike_proposal *prop;
	uint16_t encr;
	const struct ike_pl *nonce;
	struct ike_ke_pl ke;
};

/* The request's payloads validated; returns the notify to refuse with. */
static uint16_t rekey_parse(const struct ike_peer_cfg *cfg, const struct ike_chain *c,
			    struct ike_sa_pl *offer, struct rekey_req *r)
{
	const struct ike_pl *sa_pl = ike_chain_find(c, IKE_PL_SA, NULL);
	const struct ike_pl *ke_pl = ike_chain_find(c, IKE_PL_KE, NULL);

	r->nonce = ike_chain_find(c, IKE_PL_NONCE, NULL);
	r->prop = NULL;
	if (!sa_pl || !r->nonce || !ke_pl || ike_sa_parse(sa_pl->body, sa_pl->len, offer) ||
	    ike_nonce_parse(r->nonce->body, r->nonce->len) ||
	    ike_ke_parse(ke_pl->body, ke_pl->len, &r->ke))
		return IKE_N_INVALID_SYNTAX;
	for (unsigned int i = 0; i < offer->n_props; i++) {
		bool dh31;

		if (offer->p[i].spi_len == IKE_SPI_LEN &&
		    ike_proposal_pick(&offer->p[i], cfg->ike_encr, &r->encr, &dh31) && dh31) {
			r->prop = &offer->p[i];
			break;
		}
	}
	if (!r->prop)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	if (r->ke.group != IKE_DH_CURVE25519)
		return IKE_N_INVALID_KE_PAYLOAD;
	return 0;
}

/* The new SA's keys and state; the old SA's children and CSA move over. */
static int rekey_new_sa(struct ike_sa *old, struct ike_sa *nsa, const struct rekey_req *r)
{
	uint8_t g_ir[IKE_X25519_LEN];
	int err;

	memcpy(nsa->spi_i, r->prop->spi, IKE_SPI_LEN);
	nsa->peer_addr = old->peer_addr;
	nsa->peer_port = old->peer_port;
	nsa->natt = old->natt;
	nsa->encr = r->encr;
	nsa->user = old->user;
	memcpy(nsa->ni, r->nonce->body, r->nonce->len);
	nsa->ni_len = r->nonce->len;
	nsa->nr_len = IKE_NONCE_LEN;
	err = ike_random(nsa->nr, nsa->nr_len);
	if (!err)
		err = ike_dh_generate(&nsa->dh);
	if (!err)
		err = ike_dh_shared(&nsa->dh, r->ke.data, r->ke.len, g_ir);
	if (!err)
		err = ike_derive_keys(old->keys.sk_d, nsa->ni, nsa->ni_len, nsa->nr, nsa->nr_len,
				      g_ir, sizeof(g_ir), nsa->spi_i, nsa->spi_r, &nsa->keys);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	if (!err)
		err = ike_sk_init(&nsa->sk, nsa->encr, nsa->keys.sk_er, nsa->keys.sk_ei);
	if (err)
		return err;
	nsa->have_keys = true;
	nsa->state = IKE_S_ESTABLISHED;
	memcpy(nsa->child, old->child, sizeof(nsa->child));
	OPENSSL_cleanse(old->child, sizeof(old->child));
	nsa->csa = old->csa;
	nsa->csa_valid = old->csa_valid;
	return 0;
}

void ike_rekey_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	struct ike_sa_pl offer, acc;
	struct rekey_req r;
	struct ike_sa *nsa = NULL;
	struct ike_wbuf out;
	uint8_t buf[512], group[2];
	uint16_t refuse;

	refuse = rekey_parse(sa->cfg, c, &offer, &r);
	if (!refuse) {
		nsa = ike_sa_new(eng, sa->cfg, false);
		if (!nsa || rekey_new_sa(sa, nsa, &r))
			refuse = IKE_N_NO_PROPOSAL_CHOSEN;
	}
	if (refuse) {
		if (nsa)
			nsa->state = IKE_S_DEAD;
		put_be16(group, IKE_DH_CURVE25519);
		ike_count(eng, IKE_C_NO_PROPOSAL, "peer %s: IKE SA rekey refused (notify %u)",
			  sa->cfg->name, refuse);
		ike_send_error_notify(sa, IKE_CREATE_CHILD_SA, h->msg_id, refuse, group,
				      refuse == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0);
		return;
	}
	ike_accepted_proposal(&acc, r.prop->num, r.encr);
	acc.p[0].spi_len = IKE_SPI_LEN;
	memcpy(acc.p[0].spi, nsa->spi_r, IKE_SPI_LEN);
	ike_wb_init(&out, buf, sizeof(buf));
	ike_put_sa(&out, &acc);
	ike_put_nonce(&out, nsa->nr, nsa->nr_len);
	ike_put_ke(&out, IKE_DH_CURVE25519, nsa->dh.pub, sizeof(nsa->dh.pub));
	ike_dh_free(&nsa->dh);
	if (ike_send_protected(sa, IKE_CREATE_CHILD_SA, true, h->msg_id, IKE_REQ_NONE, &out)) {
		/* Not answered: the peer retransmits; give the children back. */
		memcpy(sa->child, nsa->child, sizeof(sa->child));
		OPENSSL_cleanse(nsa->child, sizeof(nsa->child));
		nsa->state = IKE_S_DEAD;
		return;
	}
	sa->rekeyed = true;
	OPENSSL_cleanse(&sa->csa, sizeof(sa->csa));
	sa->csa_valid = false;
	log_info("peer %s: IKE SA rekeyed", sa->cfg->name);
	if (eng->ev->ike_rekeyed)
		eng->ev->ike_rekeyed(eng->ev_ctx, sa, nsa);
}
