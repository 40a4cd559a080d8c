/* NEIGHBOR_NOTIFY (docs/protocol.md, PKD): after its initialisation an FA
 * tells its HA, inside their IKE SA, which FAs are its neighbours, so that
 * the HA can hand them a mobile's zone-1 CSA before the mobile moves there
 * (paper Fig. 5 flow 1). One NEIGHBORS payload; the answer is
 * MLIKE_NEIGHBORS_ACCEPTED or an error notify. */
#include <errno.h>
#include <string.h>

#include "keyd/ike/ike_xchg.h"
#include "lib/log.h"

int mlike_neighbor_notify(struct ike_sa *sa, const uint32_t *addrs, unsigned int n)
{
	struct mlike_neighbors_pl nb = { .n = (uint8_t)n };
	uint8_t buf[256];
	struct ike_wbuf in;

	if (n > MLIKE_NEIGHBORS_MAX)
		return -E2BIG;
	if (sa->state != IKE_S_ESTABLISHED)
		return -ENOTCONN;
	if (sa->req_kind != IKE_REQ_NONE)
		return -EBUSY;
	memcpy(nb.addr, addrs, 4 * (size_t)n);
	ike_wb_init(&in, buf, sizeof(buf));
	mlike_put_neighbors(&in, &nb);
	return ike_send_protected(sa, MLIKE_NEIGHBOR_NOTIFY, false, sa->next_msg_id,
				  IKE_REQ_NEIGHBOR_NOTIFY, &in);
}

void mlike_neighbor_notify_request(struct ike_sa *sa, const struct ike_hdr *h,
				   const struct ike_chain *c)
{
	struct ike_engine *eng = sa->eng;
	struct mlike_neighbors_pl nb;
	const struct ike_pl *pl;
	struct ike_wbuf out;
	uint8_t buf[64];
	unsigned int n_pl;
	uint16_t refuse = 0;

	pl = ike_chain_find(c, MLIKE_PL_NEIGHBORS, &n_pl);
	if (n_pl != 1 || mlike_neighbors_parse(pl->body, pl->len, &nb))
		refuse = IKE_N_INVALID_SYNTAX;
	/* Only an HA that runs PKD takes a list (ev->neighbors); it refuses
	 * one naming the sender itself. */
	else if (!eng->ev->neighbors || eng->ev->neighbors(eng->ev_ctx, sa, nb.addr, nb.n))
		refuse = MLIKE_N_NEIGHBORS_REJECTED;
	if (refuse) {
		ike_count(eng, IKE_C_NO_PROPOSAL, "peer %s: NEIGHBOR_NOTIFY refused (notify %u)",
			  sa->cfg->name, refuse);
		ike_send_error_notify(sa, MLIKE_NEIGHBOR_NOTIFY, h->msg_id, refuse, NULL, 0);
		return;
	}
	ike_wb_init(&out, buf, sizeof(buf));
	ike_put_notify(&out, 0, NULL, 0, MLIKE_N_NEIGHBORS_ACCEPTED, NULL, 0);
	ike_send_protected(sa, MLIKE_NEIGHBOR_NOTIFY, true, h->msg_id, IKE_REQ_NONE, &out);
	log_info("peer %s: %u neighbour FAs", sa->cfg->name, nb.n);
}

void mlike_neighbor_notify_response(struct ike_sa *sa, const struct ike_chain *c)
{
	int result = ike_answer_result(sa, c, MLIKE_N_NEIGHBORS_ACCEPTED, "NEIGHBOR_NOTIFY");

	if (sa->eng->ev->neighbors_done)
		sa->eng->ev->neighbors_done(sa->eng->ev_ctx, sa, result);
}
