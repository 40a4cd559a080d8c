/* The responder side of CREATE_CHILD_SA for CHILD_SAs, new and rekeyed
 * (RFC 7296 1.3.1, 1.3.3); the initiator side is ike_create.c, an IKE SA
 * rekey is ike_rekey.c's (the dispatcher tells them apart). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_proposal.h"
#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

struct create_req {
	struct ike_sa_pl offer;
	struct ike_ts_pl tsi, tsr;
	const struct ike_pl *nonce;
	struct ike_ke_pl ke;
	bool have_ke;
	uint32_t rekey_spi; /* REKEY_SA: the peer's inbound SPI (our outbound); 0 = new */
};

/* REKEY_SA (RFC 7296 1.3.3): the CHILD_SA the request replaces, named by the
 * SPI the peer receives with. Malformed or not ESP: false. */
static bool rekey_notify(const struct ike_chain *c, uint32_t *spi)
{
	*spi = 0;
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl n;

		if (c->pl[i].type != IKE_PL_NOTIFY ||
		    ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) || n.type != IKE_N_REKEY_SA)
			continue;
		if (n.proto != IKE_PROTO_ESP || n.spi_len != 4)
			return false;
		*spi = get_be32(n.spi);
	}
	return true;
}

/* Validates the request's payloads; returns the notify to refuse it with. */
static uint16_t create_parse(const struct ike_chain *c, struct create_req *r)
{
	const struct ike_pl *sa_pl = ike_chain_find(c, IKE_PL_SA, NULL);
	const struct ike_pl *ke_pl = ike_chain_find(c, IKE_PL_KE, NULL);
	const struct ike_pl *tsi = ike_chain_find(c, IKE_PL_TSI, NULL);
	const struct ike_pl *tsr = ike_chain_find(c, IKE_PL_TSR, NULL);

	r->nonce = ike_chain_find(c, IKE_PL_NONCE, NULL);
	if (!sa_pl || !r->nonce || ike_sa_parse(sa_pl->body, sa_pl->len, &r->offer) ||
	    ike_nonce_parse(r->nonce->body, r->nonce->len) || !rekey_notify(c, &r->rekey_spi))
		return IKE_N_INVALID_SYNTAX;
	if (!tsi || !tsr || ike_ts_parse(tsi->body, tsi->len, &r->tsi) ||
	    ike_ts_parse(tsr->body, tsr->len, &r->tsr))
		return IKE_N_INVALID_SYNTAX;
	r->have_ke = ke_pl != NULL;
	if (ke_pl && ike_ke_parse(ke_pl->body, ke_pl->len, &r->ke))
		return IKE_N_INVALID_SYNTAX;
	if (r->have_ke && r->ke.group != IKE_DH_CURVE25519)
		return IKE_N_INVALID_KE_PAYLOAD;
	return 0;
}

/* The refusal of a CREATE_CHILD_SA request: INVALID_KE_PAYLOAD names group
 * 31, CHILD_SA_NOT_FOUND the SPI of the REKEY_SA (RFC 7296 2.25). */
static void create_refuse(struct ike_sa *sa, const struct ike_hdr *h, uint16_t type,
			  uint32_t rekey_spi)
{
	uint8_t buf[64], group[2], spi[4];
	struct ike_wbuf out;

	ike_count(sa->eng, IKE_C_NO_PROPOSAL, "peer %s: CREATE_CHILD_SA refused (notify %u)",
		  sa->cfg->name, type);
	put_be16(group, IKE_DH_CURVE25519);
	put_be32(spi, rekey_spi);
	ike_wb_init(&out, buf, sizeof(buf));
	if (type == IKE_N_CHILD_SA_NOT_FOUND)
		ike_put_notify(&out, IKE_PROTO_ESP, spi, sizeof(spi), type, NULL, 0);
	else
		ike_put_notify(&out, 0, NULL, 0, type, group,
			       type == IKE_N_INVALID_KE_PAYLOAD ? sizeof(group) : 0);
	ike_send_protected(sa, IKE_CREATE_CHILD_SA, true, h->msg_id, IKE_REQ_NONE, &out);
}

/* Why a parsed CHILD_SA request cannot be granted, or 0 (then *idx, *encr
 * and the narrowed selectors are set). */
static uint16_t create_check(struct ike_sa *sa, const struct create_req *r, int *idx,
			     uint16_t *encr, struct ike_ts_pl *our_i, struct ike_ts_pl *our_r)
{
	if (r->rekey_spi) {
		const struct ike_child *old = ike_child_by_spi_out(sa, r->rekey_spi);

		/* RFC 7296 2.25.1: one we never had or deleted already, and one
		 * whose Delete of ours is out. */
		if (!old)
			return IKE_N_CHILD_SA_NOT_FOUND;
		if (sa->child_deleting && old->spi_in == sa->child_deleting)
			return IKE_N_TEMPORARY_FAILURE;
	}
	*idx = ike_child_select(sa->cfg, &r->offer, encr);
	if (*idx < 0)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	if (!ike_ts_narrow(&sa->cfg->ts_remote, &r->tsi, our_i) ||
	    !ike_ts_narrow(&sa->cfg->ts_local, &r->tsr, our_r))
		return IKE_N_TS_UNACCEPTABLE;
	return 0;
}

void ike_create_child_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	uint8_t buf[1024], nr[IKE_NONCE_LEN], g_ir[IKE_X25519_LEN];
	struct ike_dh dh = { 0 };
	struct ike_ts_pl our_i, our_r;
	struct ike_sa_pl acc;
	struct create_req r = { 0 };
	struct ike_child *child = NULL;
	struct ike_wbuf out;
	uint16_t encr = 0, refuse;
	int idx = -1;

	/* RFC 7296 2.25.2: nothing new on an IKE SA that is going away. */
	if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed) {
		create_refuse(sa, h, IKE_N_TEMPORARY_FAILURE, 0);
		return;
	}
	refuse = create_parse(c, &r);
	if (!refuse)
		refuse = create_check(sa, &r, &idx, &encr, &our_i, &our_r);
	child = refuse ? NULL : ike_child_slot(sa);
	if (!refuse && !child)
		refuse = IKE_N_NO_ADDITIONAL_SAS;
	if (!refuse && (ike_random(nr, sizeof(nr)) ||
			(r.have_ke &&
			 (ike_dh_generate(&dh) || ike_dh_shared(&dh, r.ke.data, r.ke.len, g_ir)))))
		refuse = IKE_N_NO_PROPOSAL_CHOSEN;
	if (refuse) {
		create_refuse(sa, h, refuse, r.rekey_spi);
		goto out;
	}
	child->encr = encr;
	child->encap = sa->natt;
	child->spi_out = get_be32(r.offer.p[idx].spi);
	child->spi_in = ike_new_spi32();
	child->ts_local = our_r;
	child->ts_remote = our_i;
	if (ike_child_keys(sa, child, false, r.have_ke ? g_ir : NULL, r.have_ke ? sizeof(g_ir) : 0,
			   r.nonce->body, r.nonce->len, nr, sizeof(nr)))
		goto out;
	ike_wb_init(&out, buf, sizeof(buf));
	ike_child_offer(sa->cfg, child->spi_in, &acc);
	acc.p[0].num = r.offer.p[idx].num;
	acc.p[0].n_trans = 0;
	acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_ENCR, encr);
	if (r.have_ke)
		acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_DH, IKE_DH_CURVE25519);
	acc.p[0].t[acc.p[0].n_trans++] = ike_xform(IKE_TRANS_ESN, IKE_ESN_NONE);
	ike_put_sa(&out, &acc);
	ike_put_nonce(&out, nr, sizeof(nr));
	if (r.have_ke)
		ike_put_ke(&out, IKE_DH_CURVE25519, dh.pub, sizeof(dh.pub));
	ike_put_ts(&out, IKE_PL_TSI, &our_i);
	ike_put_ts(&out, IKE_PL_TSR, &our_r);
	if (ike_send_protected(sa, IKE_CREATE_CHILD_SA, true, h->msg_id, IKE_REQ_NONE, &out)) {
		OPENSSL_cleanse(child, sizeof(*child));
		goto out;
	}
	child->used = true;
	log_info("peer %s: CHILD_SA %08x/%08x created by the peer's CREATE_CHILD_SA%s",
		 sa->cfg->name, child->spi_in, child->spi_out, r.have_ke ? " (PFS)" : "");
	/* Our rekey of the same CHILD_SA is out: one of the two new ones is
	 * redundant, which one ours decides when its answer comes. */
	if (r.rekey_spi && sa->cc.active && !sa->cc.ike && sa->cc.rekey_spi) {
		const struct ike_child *old = ike_child_by_spi_in(sa, sa->cc.rekey_spi);

		if (old && old->spi_out == r.rekey_spi) {
			sa->cc_coll_spi = child->spi_in;
			ike_nonce_low(r.nonce->body, r.nonce->len, nr, sizeof(nr), &sa->cc_coll_lo);
			ike_count(sa->eng, IKE_C_CHILD_REKEY_COLLISIONS,
				  "peer %s: both ends rekey CHILD_SA %08x at once", sa->cfg->name,
				  old->spi_in);
		}
	}
	if (sa->eng->ev->child_up)
		sa->eng->ev->child_up(sa->eng->ev_ctx, sa, child);
out:
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	ike_dh_free(&dh);
}
