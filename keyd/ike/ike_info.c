/* INFORMATIONAL (RFC 7296 1.4, 2.4): liveness, the revocation of CSAs and
 * a flow's mode change (MLIKE_N_FLOW_MODE, issue 19) and an FA's link state
 * (MLIKE_N_LINK_STATE, the auto policy) as initiator; the peer's Deletes
 * (IKE SA, CHILD_SAs, ML-ESP CSAs), flow mode requests and link state
 * reports, and the answers to ours. The Deletes of ours are the SA layer's
 * (ike_sa_delete, ike_child_delete). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_xchg.h"
#include "lib/log.h"

int ike_sa_liveness(struct ike_sa *sa)
{
	uint8_t buf[8];
	struct ike_wbuf in;

	ike_wb_init(&in, buf, sizeof(buf));
	return ike_info_send(sa, &in, IKE_REQ_LIVENESS);
}

int mlike_csa_delete(struct ike_sa *sa, const uint32_t *spis, unsigned int n)
{
	uint8_t buf[256];
	struct ike_wbuf in;

	if (n == 0 || n > IKE_DELETE_MAX)
		return -EINVAL;
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_delete(&in, MLIKE_PROTO_ZONE, spis, (uint16_t)n);
	return ike_info_send(sa, &in, IKE_REQ_CSA_DELETE);
}

int mlike_flow_mode(struct ike_sa *sa, const struct mlike_flow_mode_pl *fm)
{
	uint8_t buf[64], data[MLIKE_FLOW_MODE_LEN];
	struct ike_wbuf in;
	int err;

	mlike_flow_mode_encode(fm, data);
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_FLOW_MODE, data, sizeof(data));
	err = ike_info_send(sa, &in, IKE_REQ_FLOW_MODE);
	if (!err)
		sa->flow_asked = *fm;
	return err;
}

int mlike_link_state(struct ike_sa *sa, const struct mlike_link_state_pl *ls)
{
	uint8_t buf[32], data[MLIKE_LINK_STATE_LEN];
	struct ike_wbuf in;

	mlike_link_state_encode(ls, data);
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_notify(&in, 0, NULL, 0, MLIKE_N_LINK_STATE, data, sizeof(data));
	return ike_info_send(sa, &in, IKE_REQ_LINK_STATE);
}

/* An FA's MLIKE_N_LINK_STATE: exactly one, alone, well formed; then the
 * embedder decides (the HA takes it from an FA serving one of its
 * mobiles). The answer repeats the notify, or refuses. */
static void link_state_request(struct ike_sa *sa, const struct ike_hdr *h,
			       const struct ike_chain *c, const struct ike_notify_pl *n)
{
	struct ike_engine *eng = sa->eng;
	struct mlike_link_state_pl ls;
	uint8_t buf[32], data[MLIKE_LINK_STATE_LEN];
	struct ike_wbuf out;
	uint16_t refuse;

	if (c->n != 1 || n->proto || n->spi_len ||
	    mlike_link_state_parse(n->data, n->data_len, &ls)) {
		ike_count(eng, IKE_C_LINK_STATE_REFUSED, "peer %s: malformed link state report",
			  sa->cfg->name);
		ike_send_error_notify(sa, IKE_INFORMATIONAL, h->msg_id, IKE_N_INVALID_SYNTAX, NULL,
				      0);
		return;
	}
	refuse = eng->ev->link_state ? eng->ev->link_state(eng->ev_ctx, sa, &ls) :
				       MLIKE_N_LINK_STATE_REFUSED;
	if (refuse) {
		ike_count(eng, IKE_C_LINK_STATE_REFUSED, "peer %s: link state report refused (%u)",
			  sa->cfg->name, refuse);
		ike_send_error_notify(sa, IKE_INFORMATIONAL, h->msg_id, refuse, NULL, 0);
		return;
	}
	eng->counters[IKE_C_LINK_STATE_TAKEN]++;
	mlike_link_state_encode(&ls, data);
	ike_wb_init(&out, buf, sizeof(buf));
	ike_put_notify(&out, 0, NULL, 0, MLIKE_N_LINK_STATE, data, sizeof(data));
	ike_send_protected(sa, IKE_INFORMATIONAL, true, h->msg_id, IKE_REQ_NONE, &out);
}

/* The peer's MLIKE_N_FLOW_MODE request: exactly one such notify, alone
 * (nothing else in the message), well formed; then the embedder's policy.
 * The answer repeats the data: agreed (the same notify) or refused (the
 * error notify). Everything here arrived inside the SK payload of an
 * established IKE SA: the dispatcher checked the integrity first. */
static void flow_mode_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	struct mlike_flow_mode_pl fm;
	struct ike_notify_pl n = { 0 };
	uint8_t buf[64], data[MLIKE_FLOW_MODE_LEN];
	unsigned int found = 0;
	struct ike_wbuf out;
	uint16_t refuse;

	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl x;

		if (c->pl[i].type == IKE_PL_NOTIFY &&
		    !ike_notify_parse(c->pl[i].body, c->pl[i].len, &x) &&
		    x.type == MLIKE_N_FLOW_MODE) {
			n = x;
			found++;
		}
	}
	if (found != 1 || c->n != 1 || n.proto || n.spi_len ||
	    mlike_flow_mode_parse(n.data, n.data_len, &fm)) {
		ike_count(eng, IKE_C_FLOW_MODE_REFUSED, "peer %s: malformed flow mode request",
			  sa->cfg->name);
		ike_send_error_notify(sa, IKE_INFORMATIONAL, h->msg_id, IKE_N_INVALID_SYNTAX, NULL,
				      0);
		return;
	}
	mlike_flow_mode_encode(&fm, data);
	refuse = eng->ev->flow_mode ? eng->ev->flow_mode(eng->ev_ctx, sa, &fm) :
				      MLIKE_N_FLOW_MODE_REFUSED;
	if (refuse) {
		ike_count(eng, IKE_C_FLOW_MODE_REFUSED, "peer %s: flow mode request refused (%u)",
			  sa->cfg->name, refuse);
		ike_send_error_notify(sa, IKE_INFORMATIONAL, h->msg_id, refuse, data, sizeof(data));
		return;
	}
	eng->counters[IKE_C_FLOW_MODE_AGREED]++;
	ike_wb_init(&out, buf, sizeof(buf));
	ike_put_notify(&out, 0, NULL, 0, MLIKE_N_FLOW_MODE, data, sizeof(data));
	ike_send_protected(sa, IKE_INFORMATIONAL, true, h->msg_id, IKE_REQ_NONE, &out);
}

/* The answer to ours: an error notify refuses; an agreement must repeat
 * what we asked byte for byte. */
static void flow_mode_response(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	uint8_t asked[MLIKE_FLOW_MODE_LEN];
	uint16_t result = ike_chain_error(c);

	mlike_flow_mode_encode(&sa->flow_asked, asked);
	if (!result) {
		result = IKE_N_INVALID_SYNTAX;
		for (unsigned int i = 0; i < c->n; i++) {
			struct ike_notify_pl n;

			if (c->pl[i].type == IKE_PL_NOTIFY &&
			    !ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) &&
			    n.type == MLIKE_N_FLOW_MODE && n.data_len == sizeof(asked) &&
			    !memcmp(n.data, asked, sizeof(asked)))
				result = 0;
		}
		if (result)
			ike_count(eng, IKE_C_MALFORMED,
				  "peer %s: flow mode answer does not repeat the request",
				  sa->cfg->name);
		else
			eng->counters[IKE_C_FLOW_MODE_AGREED]++;
	}
	if (eng->ev->flow_mode_done)
		eng->ev->flow_mode_done(eng->ev_ctx, sa, &sa->flow_asked, result);
}

/* Child deletes: the peer names its inbound SPIs (our outbound); we answer
 * with our inbound SPIs of the same pairs (RFC 7296 1.4.1). */
static void delete_children(struct ike_sa *sa, const struct ike_delete_pl *d, uint32_t *ours,
			    uint16_t *n_ours)
{
	for (unsigned int i = 0; i < d->n_spis; i++) {
		struct ike_child *child = ike_child_by_spi_out(sa, d->spi[i]);

		if (!child)
			continue;
		ours[(*n_ours)++] = child->spi_in;
		ike_child_remove(sa, child, "deleted by the peer");
	}
}

void ike_info_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	uint32_t esp_gone[IKE_DELETE_MAX], csa_gone[IKE_DELETE_MAX];
	uint16_t n_esp = 0, n_csa = 0;
	bool ike_gone = false;
	uint8_t buf[512];
	struct ike_wbuf out;

	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl n;

		if (c->pl[i].type == IKE_PL_NOTIFY &&
		    !ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) &&
		    n.type == MLIKE_N_FLOW_MODE) {
			flow_mode_request(sa, h, c);
			return;
		}
		if (c->pl[i].type == IKE_PL_NOTIFY &&
		    !ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) &&
		    n.type == MLIKE_N_LINK_STATE) {
			link_state_request(sa, h, c, &n);
			return;
		}
	}
	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_delete_pl d;

		if (c->pl[i].type != IKE_PL_DELETE)
			continue;
		if (ike_delete_parse(c->pl[i].body, c->pl[i].len, &d)) {
			ike_count(sa->eng, IKE_C_MALFORMED, "peer %s: malformed Delete payload",
				  sa->cfg->name);
			ike_send_error_notify(sa, IKE_INFORMATIONAL, h->msg_id,
					      IKE_N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		if (d.proto == IKE_PROTO_IKE) {
			ike_gone = true;
		} else if (d.proto == IKE_PROTO_ESP) {
			delete_children(sa, &d, esp_gone, &n_esp);
		} else if (d.proto == MLIKE_PROTO_ZONE) {
			for (unsigned int k = 0; k < d.n_spis && n_csa < IKE_DELETE_MAX; k++)
				csa_gone[n_csa++] = d.spi[k];
		}
	}
	/* The answer names the CSAs removed: one the peer may not remove (not
	 * its own) stays and is left out (RFC 7296 1.4.1: the SAs deleted). */
	if (n_csa && sa->eng->ev->csa_deleted)
		n_csa = (uint16_t)sa->eng->ev->csa_deleted(sa->eng->ev_ctx, sa, csa_gone, n_csa);
	ike_wb_init(&out, buf, sizeof(buf));
	/* Deleting the IKE SA takes everything with it: the answer is empty. */
	if (!ike_gone && n_esp)
		ike_put_delete(&out, IKE_PROTO_ESP, esp_gone, n_esp);
	if (!ike_gone && n_csa)
		ike_put_delete(&out, MLIKE_PROTO_ZONE, csa_gone, n_csa);
	ike_send_protected(sa, IKE_INFORMATIONAL, true, h->msg_id, IKE_REQ_NONE, &out);
	if (ike_gone) {
		log_info("peer %s: IKE SA deleted by the peer", sa->cfg->name);
		ike_sa_kill(sa, IKE_DOWN_DELETED);
	}
}

/* The CSA SPIs the peer's answer acknowledges as deleted (ML-ESP zone
 * protocol), at most max. */
static unsigned int csa_acked(const struct ike_chain *c, uint32_t *spis, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_delete_pl d;

		if (c->pl[i].type != IKE_PL_DELETE ||
		    ike_delete_parse(c->pl[i].body, c->pl[i].len, &d) ||
		    d.proto != MLIKE_PROTO_ZONE)
			continue;
		for (unsigned int k = 0; k < d.n_spis && n < max; k++)
			spis[n++] = d.spi[k];
	}
	return n;
}

void ike_info_response(struct ike_sa *sa, const struct ike_chain *c)
{
	enum ike_req_kind kind = sa->req_kind;

	sa->req_kind = IKE_REQ_NONE;
	if (kind == IKE_REQ_DELETE) {
		log_info("peer %s: %sIKE SA deleted", sa->cfg->name,
			 sa->rekeyed ? "rekeyed (old) " : "");
		ike_sa_kill(sa, IKE_DOWN_DELETED);
	} else if (kind == IKE_REQ_CHILD_DELETE) {
		/* Answered, with the peer's SPI or empty when it had deleted
		 * the pair already (RFC 7296 1.4.1): ours goes either way. */
		struct ike_child *child = ike_child_by_spi_in(sa, sa->child_deleting);

		sa->child_deleting = 0;
		if (child)
			ike_child_remove(sa, child, "deleted");
	} else if (kind == IKE_REQ_FLOW_MODE) {
		flow_mode_response(sa, c);
	} else if (kind == IKE_REQ_LINK_STATE) {
		if (sa->eng->ev->link_state_done)
			sa->eng->ev->link_state_done(sa->eng->ev_ctx, sa, ike_chain_error(c));
	} else if (kind == IKE_REQ_CSA_DELETE && sa->eng->ev->csa_revoked) {
		uint32_t acked[IKE_DELETE_MAX];
		unsigned int n = csa_acked(c, acked, IKE_DELETE_MAX);

		sa->eng->ev->csa_revoked(sa->eng->ev_ctx, sa, acked, n);
	}
}
