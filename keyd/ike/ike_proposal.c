/* Proposals (RFC 7296 3.3): the IKE SA's (ours, the pick among the
 * peer's, the one-proposal answer), the CHILD_SA's ESP proposal and
 * traffic selector narrowing (RFC 7296 2.9). Pure functions of the
 * payloads and the peer's configuration. */
#include <string.h>

#include "keyd/ike/ike_proposal.h"
#include "lib/bytes.h"

void ike_offer(const struct ike_peer_cfg *cfg, struct ike_sa_pl *sa)
{
	uint16_t first = cfg && cfg->ike_encr ? cfg->ike_encr : IKE_ENCR_AES_GCM_16;
	uint16_t second =
		first == IKE_ENCR_AES_GCM_16 ? IKE_ENCR_CHACHA20_POLY1305 : IKE_ENCR_AES_GCM_16;
	struct ike_proposal *p = &sa->p[0];

	memset(sa, 0, sizeof(*sa));
	sa->n_props = 1;
	p->num = 1;
	p->proto = IKE_PROTO_IKE;
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_ENCR, first);
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_ENCR, second);
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256);
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_DH, IKE_DH_CURVE25519);
}

static bool encr_ok(const struct ike_transform *t)
{
	if (t->unknown_attr)
		return false;
	if (t->id == IKE_ENCR_AES_GCM_16)
		return t->key_len == 256;
	return t->id == IKE_ENCR_CHACHA20_POLY1305 && t->key_len == 0;
}

/* Chooses one ENCR, PRF and DH from an IKE proposal, or returns false. An
 * INTEG transform is allowed only as NONE with an AEAD (RFC 7296 3.3.3). */
bool ike_proposal_pick(const struct ike_proposal *p, uint16_t prefer, uint16_t *encr,
		       bool *have_dh31)
{
	bool prf = false, dh_seen = false, integ_bad = false;

	*encr = 0;
	*have_dh31 = false;
	if (p->proto != IKE_PROTO_IKE)
		return false;
	for (unsigned int i = 0; i < p->n_trans; i++) {
		const struct ike_transform *t = &p->t[i];

		switch (t->type) {
		case IKE_TRANS_ENCR:
			if (encr_ok(t) && (!*encr || t->id == prefer))
				*encr = t->id;
			break;
		case IKE_TRANS_PRF:
			prf |= t->id == IKE_PRF_HMAC_SHA2_256 && !t->unknown_attr;
			break;
		case IKE_TRANS_INTEG:
			integ_bad |= t->id != 0;
			break;
		case IKE_TRANS_DH:
			dh_seen = true;
			*have_dh31 |= t->id == IKE_DH_CURVE25519;
			break;
		default:
			return false;
		}
	}
	return *encr && prf && dh_seen && !integ_bad;
}

void ike_accepted_proposal(struct ike_sa_pl *out, uint8_t num, uint16_t encr)
{
	ike_offer(NULL, out);
	out->p[0].num = num;
	out->p[0].n_trans = 0;
	out->p[0].t[out->p[0].n_trans++] = ike_xform(IKE_TRANS_ENCR, encr);
	out->p[0].t[out->p[0].n_trans++] = ike_xform(IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256);
	out->p[0].t[out->p[0].n_trans++] = ike_xform(IKE_TRANS_DH, IKE_DH_CURVE25519);
}

/* Picks our proposal among the initiator's, or explains why none fits. */
int ike_proposal_choose(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *offer,
			uint16_t ke_group, uint16_t *encr, uint8_t *num)
{
	for (unsigned int i = 0; i < offer->n_props; i++) {
		bool dh31;

		if (!ike_proposal_pick(&offer->p[i], cfg->ike_encr, encr, &dh31) ||
		    offer->p[i].spi_len)
			continue;
		if (!dh31)
			continue;
		if (ke_group != IKE_DH_CURVE25519)
			return -IKE_N_INVALID_KE_PAYLOAD;
		*num = offer->p[i].num;
		return 0;
	}
	return -IKE_N_NO_PROPOSAL_CHOSEN;
}

void ike_child_offer(const struct ike_peer_cfg *cfg, uint32_t spi, struct ike_sa_pl *sa)
{
	uint16_t encr = cfg->esp_encr ? cfg->esp_encr : IKE_ENCR_AES_GCM_16;
	struct ike_proposal *p = &sa->p[0];

	memset(sa, 0, sizeof(*sa));
	sa->n_props = 1;
	p->num = 1;
	p->proto = IKE_PROTO_ESP;
	p->spi_len = 4;
	put_be32(p->spi, spi);
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_ENCR, encr);
	p->t[p->n_trans++] = ike_xform(IKE_TRANS_ESN, IKE_ESN_NONE);
}

/* An ESP proposal we can take: an AEAD we speak, no ESN (or ESN "none"
 * offered), no integrity algorithm; a DH transform is only acceptable as
 * group 31 (or none). */
static bool esp_pick(const struct ike_peer_cfg *cfg, const struct ike_proposal *p, uint16_t *encr)
{
	bool esn_seen = false, esn_none = false, bad = false;

	*encr = 0;
	if (p->proto != IKE_PROTO_ESP || p->spi_len != 4)
		return false;
	for (unsigned int i = 0; i < p->n_trans; i++) {
		const struct ike_transform *t = &p->t[i];

		switch (t->type) {
		case IKE_TRANS_ENCR:
			if (t->unknown_attr)
				break;
			if ((t->id == IKE_ENCR_AES_GCM_16 && t->key_len == 256) ||
			    (t->id == IKE_ENCR_CHACHA20_POLY1305 && !t->key_len))
				if (!*encr || t->id == cfg->esp_encr)
					*encr = t->id;
			break;
		case IKE_TRANS_ESN:
			esn_seen = true;
			esn_none |= t->id == IKE_ESN_NONE;
			break;
		case IKE_TRANS_INTEG:
			bad |= t->id != 0;
			break;
		case IKE_TRANS_DH:
			break;
		default:
			bad = true;
		}
	}
	return *encr && !bad && (!esn_seen || esn_none);
}

int ike_child_select(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *offer, uint16_t *encr)
{
	for (unsigned int i = 0; i < offer->n_props; i++)
		if (esp_pick(cfg, &offer->p[i], encr))
			return (int)i;
	return -1;
}

static bool ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	out->proto = a->proto ? a->proto : b->proto;
	out->addr_lo = a->addr_lo > b->addr_lo ? a->addr_lo : b->addr_lo;
	out->addr_hi = a->addr_hi < b->addr_hi ? a->addr_hi : b->addr_hi;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	return out->addr_lo <= out->addr_hi && out->port_lo <= out->port_hi;
}

/* RFC 7296 2.9: the result is the intersection of what we allow and what the
 * peer asked for; empty means TS_UNACCEPTABLE. */
bool ike_ts_narrow(const struct ike_ts_pl *ours, const struct ike_ts_pl *offer,
		   struct ike_ts_pl *out)
{
	out->n = out->n_skipped = 0;
	for (unsigned int i = 0; i < ours->n; i++)
		for (unsigned int j = 0; j < offer->n && out->n < IKE_TS_MAX; j++)
			if (ts_intersect(&ours->ts[i], &offer->ts[j], &out->ts[out->n]))
				out->n++;
	return out->n > 0;
}
