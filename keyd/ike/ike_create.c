/* CREATE_CHILD_SA as initiator (RFC 7296 1.3): a new or rekeyed CHILD_SA
 * with optional PFS, its answer, and the error notifies that refuse it or
 * our IKE SA rekey (ike_rekey.c builds and installs that one). The
 * dispatcher routes the answers and starts requests when soft lifetimes
 * end or a retry is due. One request of ours at a time (window 1); the
 * state of the exchange lives in sa->cc from the request to its end. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_proposal.h"
#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

/* TEMPORARY_FAILURE answers before we give up (RFC 7296 2.25 asks for a
 * wait before each retry, and allows a few). */
#define TEMP_FAILURE_TRIES 4

/* HDR, SK {[N(REKEY_SA),] SA, Ni, [KEi,] TSi, TSr} (RFC 7296 1.3.1, 1.3.3):
 * a rekey names the old CHILD_SA by the SPI we receive with and asks for
 * its transform and selectors again. */
int ike_create_send(struct ike_sa *sa)
{
	struct ike_cc *cc = &sa->cc;
	const struct ike_child *old = cc->rekey_spi ? ike_child_by_spi_in(sa, cc->rekey_spi) : NULL;
	const struct ike_ts_pl *tsi = old ? &old->ts_local : &sa->cfg->ts_local;
	const struct ike_ts_pl *tsr = old ? &old->ts_remote : &sa->cfg->ts_remote;
	uint8_t buf[1024], spi[4];
	struct ike_proposal *p;
	struct ike_sa_pl offer;
	struct ike_wbuf in;
	int err;

	if (cc->rekey_spi && !old)
		return -ENOENT; /* deleted meanwhile */
	if (!tsi->n || !tsr->n)
		return -EINVAL;
	cc->spi = ike_new_spi32();
	err = cc->spi ? ike_cc_fresh(cc, cc->pfs) : -EIO;
	if (err)
		return err;
	ike_child_offer(sa->cfg, cc->spi, &offer);
	p = &offer.p[0];
	if (old)
		p->t[0] = ike_xform(IKE_TRANS_ENCR, old->encr);
	if (cc->pfs)
		p->t[p->n_trans++] = ike_xform(IKE_TRANS_DH, IKE_DH_CURVE25519);
	cc->encr = p->t[0].id;
	ike_wb_init(&in, buf, sizeof(buf));
	if (old) {
		put_be32(spi, old->spi_in);
		ike_put_notify(&in, IKE_PROTO_ESP, spi, sizeof(spi), IKE_N_REKEY_SA, NULL, 0);
	}
	ike_put_sa(&in, &offer);
	ike_put_nonce(&in, cc->ni, sizeof(cc->ni));
	if (cc->pfs)
		ike_put_ke(&in, IKE_DH_CURVE25519, cc->dh.pub, sizeof(cc->dh.pub));
	ike_put_ts(&in, IKE_PL_TSI, tsi);
	ike_put_ts(&in, IKE_PL_TSR, tsr);
	return ike_send_protected(sa, IKE_CREATE_CHILD_SA, false, sa->next_msg_id,
				  IKE_REQ_CREATE_CHILD, &in);
}

int ike_child_create(struct ike_sa *sa, uint32_t rekey_spi_in, bool pfs)
{
	int err = ike_cc_ready(sa);

	if (err)
		return err;
	if (rekey_spi_in && !ike_child_by_spi_in(sa, rekey_spi_in))
		return -ENOENT;
	sa->cc = (struct ike_cc){ .active = true, .pfs = pfs, .rekey_spi = rekey_spi_in };
	err = ike_create_send(sa);
	if (err)
		ike_cc_wipe(sa);
	return err;
}

/* The D-H transform of an accepted proposal: its group, 0 for none or
 * NONE, -1 for more than one. */
static int proposal_dh(const struct ike_proposal *p)
{
	int group = 0;

	for (unsigned int i = 0; i < p->n_trans; i++) {
		if (p->t[i].type != IKE_TRANS_DH || p->t[i].id == 0)
			continue;
		if (group)
			return -1;
		group = p->t[i].id;
	}
	return group;
}

struct child_answer {
	struct ike_sa_pl acc;
	struct ike_ts_pl tsi, tsr;
	const struct ike_pl *nonce;
	struct ike_ke_pl ke;
};

/* The answer must take our one proposal as offered: the ESP transform we
 * asked for, group 31 with a KE exactly when we sent one, selectors that
 * meet ours. Then the payloads are copied into a. */
static bool child_answer_parse(const struct ike_sa *sa, const struct ike_chain *c,
			       struct child_answer *a)
{
	const struct ike_cc *cc = &sa->cc;
	const struct ike_pl *sa_pl = ike_chain_find(c, IKE_PL_SA, NULL);
	const struct ike_pl *ke_pl = ike_chain_find(c, IKE_PL_KE, NULL);
	const struct ike_pl *tsi_pl = ike_chain_find(c, IKE_PL_TSI, NULL);
	const struct ike_pl *tsr_pl = ike_chain_find(c, IKE_PL_TSR, NULL);
	struct ike_ts_pl check;
	uint16_t encr;

	a->nonce = ike_chain_find(c, IKE_PL_NONCE, NULL);
	if (!sa_pl || !a->nonce || !tsi_pl || !tsr_pl || (ke_pl != NULL) != cc->pfs)
		return false;
	if (ike_sa_parse(sa_pl->body, sa_pl->len, &a->acc) ||
	    ike_nonce_parse(a->nonce->body, a->nonce->len) ||
	    ike_ts_parse(tsi_pl->body, tsi_pl->len, &a->tsi) ||
	    ike_ts_parse(tsr_pl->body, tsr_pl->len, &a->tsr))
		return false;
	if (ke_pl &&
	    (ike_ke_parse(ke_pl->body, ke_pl->len, &a->ke) || a->ke.group != IKE_DH_CURVE25519))
		return false;
	if (a->acc.n_props != 1 || a->acc.p[0].num != 1 ||
	    ike_child_select(sa->cfg, &a->acc, &encr) != 0 || encr != cc->encr ||
	    proposal_dh(&a->acc.p[0]) != (cc->pfs ? IKE_DH_CURVE25519 : 0) ||
	    get_be32(a->acc.p[0].spi) < 256)
		return false;
	return ike_ts_narrow(&sa->cfg->ts_local, &a->tsi, &check) &&
	       ike_ts_narrow(&sa->cfg->ts_remote, &a->tsr, &check);
}

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), we the initiator. */
static int child_answer_keys(struct ike_sa *sa, const struct child_answer *a,
			     struct ike_child *child)
{
	uint8_t g_ir[IKE_X25519_LEN];
	bool pfs = sa->cc.pfs;
	int err = 0;

	if (pfs)
		err = ike_dh_shared(&sa->cc.dh, a->ke.data, a->ke.len, g_ir);
	if (!err)
		err = ike_child_keys(sa, child, true, pfs ? g_ir : NULL, pfs ? sizeof(g_ir) : 0,
				     sa->cc.ni, sizeof(sa->cc.ni), a->nonce->body, a->nonce->len);
	OPENSSL_cleanse(g_ir, sizeof(g_ir));
	return err;
}

/* The new CHILD_SA goes up; a rekey then deletes the one it replaces. */
void ike_create_answer(struct ike_sa *sa, const struct ike_chain *c)
{
	struct child_answer a;
	struct ike_child *child;
	uint32_t old_spi = sa->cc.rekey_spi;
	bool pfs = sa->cc.pfs;

	if (!child_answer_parse(sa, c, &a)) {
		ike_count(sa->eng, IKE_C_MALFORMED,
			  "peer %s: CREATE_CHILD_SA answer is not within our offer", sa->cfg->name);
		ike_cc_fail(sa, 0);
		return;
	}
	child = ike_child_slot(sa);
	if (!child) {
		ike_cc_fail(sa, 0);
		return;
	}
	child->encr = sa->cc.encr;
	child->encap = sa->natt;
	child->spi_in = sa->cc.spi;
	child->spi_out = get_be32(a.acc.p[0].spi);
	child->ts_local = a.tsi;
	child->ts_remote = a.tsr;
	if (child_answer_keys(sa, &a, child)) {
		OPENSSL_cleanse(child, sizeof(*child));
		ike_cc_fail(sa, 0);
		return;
	}
	child->used = true;
	if (old_spi && sa->cc_coll_spi && ike_child_by_spi_in(sa, sa->cc_coll_spi)) {
		struct ike_nonce_lo lo;

		/* RFC 7296 2.8.1: the CHILD_SA made with the lowest of the four
		 * nonces is redundant, and its initiator deletes it. Ours: it
		 * goes now (the peer deletes the old one, as its rekey's
		 * initiator); the peer's: the peer deletes it, and ours
		 * replaces the old one as usual. */
		ike_nonce_low(sa->cc.ni, sizeof(sa->cc.ni), a.nonce->body, a.nonce->len, &lo);
		sa->cc_coll_spi = 0;
		if (ike_nonce_cmp(&lo, &sa->cc_coll_lo) < 0) {
			uint32_t redundant = child->spi_in;

			ike_cc_wipe(sa);
			log_info("peer %s: CHILD_SA %08x/%08x of our rekey is redundant (both ends "
				 "rekeyed): deleted",
				 sa->cfg->name, child->spi_in, child->spi_out);
			if (ike_child_delete(sa, redundant))
				log_warn("peer %s: cannot delete the redundant CHILD_SA %08x",
					 sa->cfg->name, redundant);
			return;
		}
	}
	sa->cc_coll_spi = 0;
	ike_cc_wipe(sa);
	log_info("peer %s: CHILD_SA %08x/%08x %s by our CREATE_CHILD_SA%s", sa->cfg->name,
		 child->spi_in, child->spi_out, old_spi ? "rekeyed" : "created",
		 pfs ? " (PFS)" : "");
	/* The Delete goes before child_up, so that nothing the callback
	 * starts can hold it up. */
	if (old_spi && ike_child_by_spi_in(sa, old_spi) && ike_child_delete(sa, old_spi))
		log_warn("peer %s: cannot delete the rekeyed CHILD_SA %08x", sa->cfg->name,
			 old_spi);
	if (sa->eng->ev->child_up)
		sa->eng->ev->child_up(sa->eng->ev_ctx, sa, child);
}

/* The group an INVALID_KE_PAYLOAD names (two bytes), 0 if it names none. */
static uint16_t invalid_ke_group(const struct ike_chain *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl n;

		if (c->pl[i].type == IKE_PL_NOTIFY &&
		    !ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) &&
		    n.type == IKE_N_INVALID_KE_PAYLOAD)
			return n.data_len == 2 ? get_be16(n.data) : 0;
	}
	return 0;
}

/* After TEMPORARY_FAILURE: between one and two base timeouts at random,
 * doubled for each further one, so that two colliding peers part. */
static uint64_t retry_delay(const struct ike_sa *sa)
{
	uint64_t base = (uint64_t)sa->eng->cfg.retransmit_base_ms << (sa->cc.temp_failures - 1);
	uint32_t r = 0;

	ike_random(&r, sizeof(r));
	return base + r % (base + 1);
}

/* The peer refused: the notifies we can act on are acted on (RFC 7296
 * 1.3, 2.25); any other ends the exchange as create_failed. */
void ike_create_refused(struct ike_sa *sa, const struct ike_chain *c, uint16_t error)
{
	struct ike_cc *cc = &sa->cc;

	log_info("peer %s: CREATE_CHILD_SA answered with notify %u", sa->cfg->name, error);
	switch (error) {
	case IKE_N_INVALID_KE_PAYLOAD:
		/* Only group 31 exists here: it helps only a request that had
		 * no KE, retried once with one. */
		if (invalid_ke_group(c) == IKE_DH_CURVE25519 && !cc->ike && !cc->pfs &&
		    !cc->ke_retried) {
			cc->pfs = cc->ke_retried = true;
			if (!ike_create_send(sa))
				return;
		}
		log_warn("peer %s: asks for D-H group %u; not retried (group 31 only, once)",
			 sa->cfg->name, invalid_ke_group(c));
		break;
	case IKE_N_TEMPORARY_FAILURE:
		if (++cc->temp_failures < TEMP_FAILURE_TRIES) {
			cc->retry_at_ms = ike_now_ms() + retry_delay(sa);
			ike_deadline(sa->eng, cc->retry_at_ms);
			return;
		}
		break;
	case IKE_N_CHILD_SA_NOT_FOUND:
		/* RFC 7296 2.25: forget the old one, ask for a new one. */
		if (cc->rekey_spi) {
			struct ike_child *old = ike_child_by_spi_in(sa, cc->rekey_spi);

			if (old)
				ike_child_remove(sa, old, "unknown to the peer, dropped");
			cc->rekey_spi = 0;
			if (!ike_create_send(sa))
				return;
		}
		break;
	default:
		break;
	}
	ike_cc_fail(sa, error);
}
