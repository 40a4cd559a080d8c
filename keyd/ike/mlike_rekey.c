/* The CSA rekey (paper Fig. 7, "MLIKE CREATE_CHILD_SA"): MH and HA agree a
 * new CSA pair inside their IKE SA, negotiated like MLIKE_AUTH_SA's, with
 * N(REKEY_SA) naming the pair it replaces (the SPI its sender receives
 * on). Either end may start it. Installing the new pair, moving the
 * senders and retiring the old one are the embedder's (csa_rekeyed).
 *
 * Both ends at once (RFC 7296 2.8.1): each answers the other's request
 * while its own is out, holds that pair, and when its own answer arrives
 * keeps the pair whose exchange did not carry the lowest of the four
 * nonces. Both ends compare the same nonces, so they keep the same pair
 * without another message. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_xchg.h"
#include "lib/bytes.h"
#include "lib/log.h"

int mlike_csa_rekey(struct ike_sa *sa)
{
	if (!sa->csa_valid)
		return -ENOENT;
	return mlike_csa_offer_send(sa, MLIKE_CREATE_CHILD_SA, IKE_REQ_MLIKE_REKEY, sa->csa.spi_in);
}

/* The SPI N(REKEY_SA) names (ML-ESP zone protocol), 0 if none or more. */
static uint32_t rekey_spi(const struct ike_chain *c)
{
	uint32_t spi = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->n; i++) {
		struct ike_notify_pl nt;

		if (c->pl[i].type != IKE_PL_NOTIFY ||
		    ike_notify_parse(c->pl[i].body, c->pl[i].len, &nt) || nt.type != IKE_N_REKEY_SA)
			continue;
		n++;
		if (nt.proto == MLIKE_PROTO_ZONE && nt.spi_len == 4)
			spi = get_be32(nt.spi);
	}
	return n == 1 ? spi : 0;
}

static void rekeyed(struct ike_sa *sa, const struct mlike_csa *csa)
{
	const struct ike_events *ev = sa->eng->ev;
	struct mlike_csa old = sa->csa;

	sa->csa = *csa;
	sa->eng->counters[IKE_C_CSA_REKEYS]++;
	log_info("peer %s: CSA pair %08x/%08x rekeyed to %08x/%08x", sa->cfg->name, old.spi_out,
		 old.spi_in, csa->spi_out, csa->spi_in);
	if (ev->csa_rekeyed)
		ev->csa_rekeyed(sa->eng->ev_ctx, sa, &old, &sa->csa);
	else if (ev->csa_up)
		ev->csa_up(sa->eng->ev_ctx, sa, &sa->csa);
	OPENSSL_cleanse(&old, sizeof(old));
}

static void coll_clear(struct ike_sa *sa)
{
	OPENSSL_cleanse(&sa->ml_coll_csa, sizeof(sa->ml_coll_csa));
	sa->ml_coll = false;
}

void mlike_rekey_request(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	uint32_t spi = rekey_spi(c);
	struct ike_nonce_lo lo;
	struct mlike_csa csa;
	uint16_t refuse = 0;

	if (!spi)
		refuse = IKE_N_INVALID_SYNTAX;
	else if (!sa->csa_valid || spi != sa->csa.spi_out || sa->ml_coll)
		refuse = IKE_N_CHILD_SA_NOT_FOUND;
	else if (sa->eng->ev->csa_rekey_busy && sa->eng->ev->csa_rekey_busy(sa->eng->ev_ctx, sa))
		refuse = IKE_N_TEMPORARY_FAILURE;
	if (refuse) {
		ike_count(sa->eng, IKE_C_CSA_REKEY_REFUSED,
			  "peer %s: rekey of CSA %08x refused (notify %u)", sa->cfg->name, spi,
			  refuse);
		ike_send_error_notify(sa, MLIKE_CREATE_CHILD_SA, h->msg_id, refuse, NULL, 0);
		return;
	}
	if (mlike_csa_answer(sa, h, c, &csa, &lo))
		return;
	if (sa->req_kind == IKE_REQ_MLIKE_REKEY) {
		/* Ours is out too: decided when its answer comes. */
		sa->ml_coll = true;
		sa->ml_coll_csa = csa;
		sa->ml_coll_lo = lo;
		ike_count(sa->eng, IKE_C_CSA_REKEY_COLLISIONS,
			  "peer %s: both ends rekey CSA %08x at once", sa->cfg->name, spi);
	} else {
		rekeyed(sa, &csa);
	}
	OPENSSL_cleanse(&csa, sizeof(csa));
}

void mlike_rekey_response(struct ike_sa *sa, const struct ike_chain *c)
{
	uint16_t error = ike_chain_error(c);
	struct ike_nonce_lo lo;
	struct mlike_csa csa;
	bool ours;

	ours = !error && !mlike_csa_from_answer(sa, c, &csa, &lo);
	if (error)
		log_err("peer %s refused the CSA rekey (notify %u)", sa->cfg->name, error);
	if (sa->ml_coll) {
		/* The exchange with the lowest nonce is the redundant one. */
		if (!ours || ike_nonce_cmp(&lo, &sa->ml_coll_lo) < 0) {
			if (ours)
				OPENSSL_cleanse(&csa, sizeof(csa));
			csa = sa->ml_coll_csa;
			ours = true;
		}
		coll_clear(sa);
	}
	if (ours)
		rekeyed(sa, &csa);
	else if (sa->eng->ev->csa_rekeyed)
		sa->eng->ev->csa_rekeyed(sa->eng->ev_ctx, sa, &sa->csa, NULL);
	OPENSSL_cleanse(&csa, sizeof(csa));
}
