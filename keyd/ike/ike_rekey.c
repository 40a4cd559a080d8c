/* Rekeying an IKE SA (RFC 7296 1.3.2, 2.18), both roles: a CREATE_CHILD_SA
 * with an IKE proposal carrying the initiator's new SPI, a nonce and a KE;
 * the answer carries the responder's. The new SA takes SKEYSEED =
 * prf(SK_d(old), g^ir(new) | Ni | Nr), the old SA's CHILD_SAs and CSA, and
 * message IDs from 0; whoever rekeyed is its original initiator. The
 * initiator then deletes the old SA, which ends on both sides without an
 * ike_down event. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_proposal.h"
#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

/* nsa (SPIs, nonces and transform set) takes its keys from the old SA's
 * SK_d and g^ir, the old SA's peer, and its CHILD_SAs and CSA. */
static int rekey_install(struct ike_sa *old, struct ike_sa *nsa, const uint8_t *g_ir)
{
	int err;

	err = ike_derive_keys(old->keys.sk_d, nsa->ni, nsa->ni_len, nsa->nr, nsa->nr_len, g_ir,
			      IKE_X25519_LEN, nsa->spi_i, nsa->spi_r, &nsa->keys);
	if (!err)
		err = ike_sk_init(&nsa->sk, nsa->encr,
				  nsa->initiator ? nsa->keys.sk_ei : nsa->keys.sk_er,
				  nsa->initiator ? nsa->keys.sk_er : nsa->keys.sk_ei);
	if (err)
		return err;
	nsa->peer_addr = old->peer_addr;
	nsa->peer_port = old->peer_port;
	nsa->natt = old->natt;
	nsa->user = old->user;
	nsa->have_keys = true;
	nsa->state = IKE_S_ESTABLISHED;
	nsa->rekey_at_ms = ike_soft_deadline(nsa->cfg->ike_rekey_ms);
	ike_deadline(nsa->eng, nsa->rekey_at_ms);
	memcpy(nsa->child, old->child, sizeof(nsa->child));
	OPENSSL_cleanse(old->child, sizeof(old->child));
	nsa->csa = old->csa;
	nsa->csa_valid = old->csa_valid;
	return 0;
}

/* The old SA only waits for its Delete now. */
static void rekey_done(struct ike_sa *old, struct ike_sa *nsa)
{
	struct ike_engine *eng = old->eng;

	old->rekeyed = true;
	OPENSSL_cleanse(&old->csa, sizeof(old->csa));
	old->csa_valid = false;
	log_info("peer %s: IKE SA rekeyed (%s)", old->cfg->name,
		 nsa->initiator ? "by us" : "by the peer");
	if (eng->ev->ike_rekeyed)
		eng->ev->ike_rekeyed(eng->ev_ctx, old, nsa);
}

/* --- responder --- */

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

/* The new SA's nonce, key pair and keys from the peer's request. */
static int rekey_new_sa(struct ike_sa *old, struct ike_sa *nsa, const struct rekey_req *r)
{
	uint8_t g_ir[IKE_X25519_LEN];
	int err;

	memcpy(nsa->spi_i, r->prop->spi, IKE_SPI_LEN);
	nsa->encr = r->encr;
	memcpy(nsa->ni, r->nonce->body, r->nonce->len);
	nsa->ni_len = r->nonce->len;
	nsa->nr_len = IKE_NONCE_LEN;
	err = ike_random(nsa->nr, nsa->nr_len);
	if (!err)
		err = ike_dh_generate(&nsa->dh);
	if (!err)
		err = ike_dh_shared(&nsa->dh, r->ke.data, r->ke.len, g_ir);
	if (!err)
		err = rekey_install(old, nsa, g_ir);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	return err;
}

/* RFC 7296 2.25.2: while a request of ours is out on this SA (its answer
 * would land on an SA that no longer holds the CHILD_SAs), or one of ours
 * waits for a retry, the peer's rekey must wait. */
static bool rekey_must_wait(const struct ike_sa *sa)
{
	return sa->req_kind != IKE_REQ_NONE || sa->cc.active;
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

	refuse =
		rekey_must_wait(sa) ? IKE_N_TEMPORARY_FAILURE : rekey_parse(sa->cfg, c, &offer, &r);
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
	rekey_done(sa, nsa);
}

/* --- initiator --- */

/* HDR, SK {SA (our IKE proposal with the new SPIi), Ni, KEi}. */
int ike_rekey_send(struct ike_sa *sa)
{
	struct ike_cc *cc = &sa->cc;
	struct ike_sa_pl offer;
	struct ike_wbuf in;
	uint8_t buf[512];
	int err;

	do {
		if (ike_random(cc->spi_ike, IKE_SPI_LEN))
			return -EIO;
	} while (!memcmp(cc->spi_ike, (uint8_t[IKE_SPI_LEN]){ 0 }, IKE_SPI_LEN));
	err = ike_cc_fresh(cc, true);
	if (err)
		return err;
	ike_offer(sa->cfg, &offer);
	offer.p[0].spi_len = IKE_SPI_LEN;
	memcpy(offer.p[0].spi, cc->spi_ike, IKE_SPI_LEN);
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_sa(&in, &offer);
	ike_put_nonce(&in, cc->ni, sizeof(cc->ni));
	ike_put_ke(&in, IKE_DH_CURVE25519, cc->dh.pub, sizeof(cc->dh.pub));
	return ike_send_protected(sa, IKE_CREATE_CHILD_SA, false, sa->next_msg_id,
				  IKE_REQ_REKEY_IKE, &in);
}

int ike_sa_rekey(struct ike_sa *sa)
{
	int err = ike_cc_ready(sa);

	if (err)
		return err;
	sa->cc = (struct ike_cc){ .active = true, .ike = true };
	err = ike_rekey_send(sa);
	if (err)
		ike_cc_wipe(sa);
	return err;
}

/* One proposal, ours, as in an IKE_SA_INIT answer (one transform of each
 * type), with the responder's non-zero SPI; one Nr; one KE of group 31. */
static bool rekey_answer_parse(const struct ike_chain *c, struct ike_sa_pl *acc, uint16_t *encr,
			       const struct ike_pl **nonce, struct ike_ke_pl *ke)
{
	const struct ike_pl *sa_pl, *ke_pl;
	unsigned int n_sa, n_ke, n_nonce;
	bool dh31;

	sa_pl = ike_chain_find(c, IKE_PL_SA, &n_sa);
	ke_pl = ike_chain_find(c, IKE_PL_KE, &n_ke);
	*nonce = ike_chain_find(c, IKE_PL_NONCE, &n_nonce);
	if (n_sa != 1 || n_ke != 1 || n_nonce != 1 || ike_sa_parse(sa_pl->body, sa_pl->len, acc) ||
	    ike_ke_parse(ke_pl->body, ke_pl->len, ke) ||
	    ike_nonce_parse((*nonce)->body, (*nonce)->len))
		return false;
	return acc->n_props == 1 && acc->p[0].num == 1 && acc->p[0].n_trans == 3 &&
	       acc->p[0].spi_len == IKE_SPI_LEN &&
	       memcmp(acc->p[0].spi, (uint8_t[IKE_SPI_LEN]){ 0 }, IKE_SPI_LEN) &&
	       ike_proposal_pick(&acc->p[0], 0, encr, &dh31) && dh31 &&
	       ke->group == IKE_DH_CURVE25519;
}

/* The new SA from the answer: ours as original initiator. */
static struct ike_sa *rekey_answer_sa(struct ike_sa *sa, const struct ike_sa_pl *acc, uint16_t encr,
				      const struct ike_pl *nonce, const struct ike_ke_pl *ke)
{
	struct ike_sa *nsa = ike_sa_new(sa->eng, sa->cfg, true);
	uint8_t g_ir[IKE_X25519_LEN];
	int err;

	if (!nsa)
		return NULL;
	ike_sa_set_own_spi(nsa, sa->cc.spi_ike);
	memcpy(nsa->spi_r, acc->p[0].spi, IKE_SPI_LEN);
	nsa->encr = encr;
	memcpy(nsa->ni, sa->cc.ni, sizeof(sa->cc.ni));
	nsa->ni_len = sizeof(sa->cc.ni);
	memcpy(nsa->nr, nonce->body, nonce->len);
	nsa->nr_len = nonce->len;
	err = ike_dh_shared(&sa->cc.dh, ke->data, ke->len, g_ir);
	if (!err)
		err = rekey_install(sa, nsa, g_ir);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	if (err) {
		nsa->state = IKE_S_DEAD;
		return NULL;
	}
	return nsa;
}

void ike_rekey_answer(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_pl *nonce;
	struct ike_sa_pl acc;
	struct ike_ke_pl ke;
	struct ike_sa *nsa;
	uint16_t encr;

	if (!rekey_answer_parse(c, &acc, &encr, &nonce, &ke)) {
		ike_count(sa->eng, IKE_C_MALFORMED,
			  "peer %s: IKE SA rekey answer is not within our offer", sa->cfg->name);
		ike_cc_fail(sa, 0);
		return;
	}
	nsa = rekey_answer_sa(sa, &acc, encr, nonce, &ke);
	if (!nsa) {
		ike_cc_fail(sa, 0);
		return;
	}
	ike_cc_wipe(sa);
	rekey_done(sa, nsa);
	/* The initiator of the rekey deletes the old SA (RFC 7296 1.3.2); a
	 * Delete asked for meanwhile now means the new one. */
	if (sa->delete_pending) {
		sa->delete_pending = false;
		ike_sa_delete(nsa);
	}
	ike_sa_delete(sa);
}
