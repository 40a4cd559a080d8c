/* DKM (docs/protocol.md §8): one exchange type, DKM_CSA_REQUEST, for two
 * requests inside an authenticated IKE SA. New FA -> previous FA: "the
 * zone-1 CSAs of this MH", answered with what KEY_DISTRIBUTE would carry.
 * New FA -> HA: "I installed these by DKM" (a DKM_CSA_INSTALLED notify),
 * acknowledged empty. Zone 2 has no way in: the previous FA only ever held
 * zone 1, and neither side sends or accepts a SECRET of any other zone that
 * is not a null SA. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_xchg.h"
#include "lib/log.h"

static int dkm_send(struct ike_sa *sa, const struct dkm_mh_pl *mh, uint16_t report,
		    enum ike_req_kind kind)
{
	uint8_t buf[128];
	struct ike_wbuf in;
	int err;

	if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed)
		return -ENOTCONN;
	if (sa->req_kind != IKE_REQ_NONE)
		return -EBUSY;
	ike_wb_init(&in, buf, sizeof(buf));
	if (report)
		ike_put_notify(&in, 0, NULL, 0, report, NULL, 0);
	dkm_put_mh(&in, mh);
	err = ike_send_protected(sa, DKM_CSA_REQUEST, false, sa->next_msg_id, kind, &in);
	if (!err)
		sa->dkm_home = mh->mh_home;
	return err;
}

int dkm_csa_request(struct ike_sa *sa, const struct dkm_mh_pl *req)
{
	return dkm_send(sa, req, 0, IKE_REQ_DKM);
}

int dkm_report_installed(struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	return dkm_send(sa, rep, DKM_N_CSA_INSTALLED, IKE_REQ_DKM_REPORT);
}

int dkm_report_missing(struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	return dkm_send(sa, rep, DKM_N_CSA_MISSING, IKE_REQ_DKM_REPORT);
}

/* The one DKM payload of a request, and which report it is (0: none, a
 * CSA request; both report notifies: malformed). */
static uint16_t request_parse(const struct ike_chain *c, struct dkm_mh_pl *mh, uint16_t *report)
{
	const struct ike_pl *pl;
	unsigned int n;

	*report = 0;
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl nt;

		if (c->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(c->pl[i].body, c->pl[i].len, &nt))
			return IKE_N_INVALID_SYNTAX;
		if (nt.type != DKM_N_CSA_INSTALLED && nt.type != DKM_N_CSA_MISSING)
			continue;
		if (*report && *report != nt.type)
			return IKE_N_INVALID_SYNTAX;
		*report = nt.type;
	}
	pl = ike_chain_find(c, DKM_PL_MH, &n);
	if (n != 1 || dkm_mh_parse(pl->body, pl->len, mh))
		return IKE_N_INVALID_SYNTAX;
	return 0;
}

/* Previous FA: the zone-1 CSAs, or the refusal. */
static uint16_t csa_answer(struct ike_sa *sa, const struct dkm_mh_pl *mh, struct ike_wbuf *out,
			   struct mlike_fa_keys *keys)
{
	struct ike_engine *eng = sa->eng;
	uint16_t refuse;

	if (!sa->cfg->neighbor)
		return DKM_N_NOT_NEIGHBOR;
	if (!eng->ev->dkm_lookup)
		return DKM_N_NOT_VISITOR;
	refuse = eng->ev->dkm_lookup(eng->ev_ctx, sa, mh, keys);
	if (refuse)
		return refuse;
	/* Structural: whatever the lookup found, zone 1 is all that leaves. */
	if (!mlike_fa_keys_zone1_only(keys) || keys->mh_home != mh->mh_home)
		return DKM_N_NOT_VISITOR;
	mlike_put_fa_keys(out, keys);
	return 0;
}

void dkm_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	struct mlike_fa_keys keys = { 0 };
	struct dkm_mh_pl mh;
	uint8_t buf[1024];
	struct ike_wbuf out;
	uint16_t refuse, report;

	ike_wb_init(&out, buf, sizeof(buf));
	refuse = request_parse(c, &mh, &report);
	if (!refuse && report == DKM_N_CSA_INSTALLED)
		refuse = eng->ev->dkm_installed ? eng->ev->dkm_installed(eng->ev_ctx, sa, &mh) :
						  DKM_N_UNKNOWN_CSA;
	else if (!refuse && report == DKM_N_CSA_MISSING)
		refuse = eng->ev->dkm_missing ? eng->ev->dkm_missing(eng->ev_ctx, sa, &mh) :
						DKM_N_UNKNOWN_CSA;
	else if (!refuse)
		refuse = csa_answer(sa, &mh, &out, &keys);
	if (refuse) {
		ike_count(eng, IKE_C_DKM_REFUSED, "peer %s: DKM %s refused (notify %u)",
			  sa->cfg->name, report ? "report" : "CSA request", refuse);
		ike_send_error_notify(sa, DKM_CSA_REQUEST, h->msg_id, refuse, NULL, 0);
		goto out;
	}
	ike_send_protected(sa, DKM_CSA_REQUEST, true, h->msg_id, IKE_REQ_NONE, &out);
	if (!report)
		log_info("peer %s: DKM: zone-1 CSAs handed over", sa->cfg->name);
out:
	OPENSSL_cleanse(&keys, sizeof(keys));
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void csa_response(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	struct mlike_fa_keys keys;
	uint16_t error = ike_chain_error(c);
	bool usable = false;

	if (error) {
		log_warn("peer %s refused the DKM CSA request (notify %u)", sa->cfg->name, error);
	} else if (mlike_fa_keys_parse(c, &keys) || keys.mh_home != sa->dkm_home) {
		ike_count(eng, IKE_C_MALFORMED, "peer %s: DKM answer unusable, dropped",
			  sa->cfg->name);
	} else {
		usable = true;
	}
	if (eng->ev->dkm_answer)
		eng->ev->dkm_answer(eng->ev_ctx, sa, sa->dkm_home, usable ? &keys : NULL, error);
	OPENSSL_cleanse(&keys, sizeof(keys));
}

void dkm_response(struct ike_sa *sa, const struct ike_chain *c, enum ike_req_kind kind)
{
	uint16_t error;

	if (kind == IKE_REQ_DKM) {
		csa_response(sa, c);
		return;
	}
	error = ike_chain_error(c);
	if (error)
		log_warn("peer %s refused the DKM install report (notify %u)", sa->cfg->name,
			 error);
	if (sa->eng->ev->dkm_reported)
		sa->eng->ev->dkm_reported(sa->eng->ev_ctx, sa, sa->dkm_home, error);
}
