/* The HA's side: its engine's events and its handoff decisions per scheme,
 * re-expressed from keyd/ike/ike_orch.c (ike_mod_on_binding,
 * ike_mod_distribute, ev_fa_keys_done, revoke_at_fa), pkd.c
 * (ike_pkd_distribute, ike_pkd_keys_done, ike_pkd_moved,
 * ike_pkd_neighbors) and ike_dkm.c (ike_dkm_ha_wait, ike_dkm_installed,
 * ike_dkm_missing, the bound), as fixed after the simulator's findings
 * (docs/results.md): a revocation waits for a busy window (revoke_busy
 * counts those; the product queues them too, ike_mod_revoke_pump), and
 * one still waiting when the MH is back at that FA is dropped; a Delete
 * answered with the MH back at that FA makes the HA send the keys again
 * (revoke_raced); PKD does not send to a neighbour its full holder set
 * cannot record (holders_full counts each skip, the product once per
 * mobile); a handoff while KEY_DISTRIBUTE is out revokes it at the FA the
 * MH left, behind that exchange (stale_answers); a DKM install report
 * makes its FA a holder, a late one is revoked; "no CSA by DKM" from the
 * new FA ends the wait at once (dkm_missing). The one difference left:
 * other requests wait in a FIFO per FA for the engine's window of one,
 * where the product rescans its mobiles after each answer.
 * sim-handoff-xcheck checks this against the module itself. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_sa.h"
#include "sim/handoff/sim.h"

/* Neighbour lists as the FAs' NEIGHBOR_NOTIFY told them. */
static struct {
	uint8_t n;
	uint32_t addr[MLIKE_NEIGHBORS_MAX];
} nbrs[256];

static struct sim_mobile *mobile_of_home(uint32_t home)
{
	int m = sim_mh_of_addr(home);

	return m < 0 ? NULL : &W.mb[m];
}

static unsigned int mh_index(const struct sim_mobile *mb)
{
	return (unsigned int)(mb - W.mb);
}

static struct sim_node *net_ha(void)
{
	return &net.ha;
}

static bool link_busy(struct sim_node *ha, unsigned int fa)
{
	struct sim_link *l = &ha->links[fa];

	return !l->sa || l->sa->req_kind != IKE_REQ_NONE || l->head != l->tail;
}

static void revoke(struct sim_node *ha, struct sim_mobile *mb, unsigned int fa)
{
	if (link_busy(ha, fa) && W.measuring)
		W.st.revoke_busy++;
	sim_link_push(ha, fa, REQ_REVOKE, mh_index(mb));
}

/* ike_mod_distribute for one mobile: KEY_DISTRIBUTE to its FA. */
static void distribute(struct sim_node *ha, struct sim_mobile *mb)
{
	if (!mb->have_csa || mb->distributing || mb->fa_with_keys == mb->coa || mb->dkm_deadline)
		return;
	mb->distributing = true;
	sim_link_push(ha, mb->coa, REQ_KEYS, mh_index(mb));
}

/* ike_pkd_distribute for one mobile: its FA's neighbours that lack it. */
static void pkd_distribute(struct sim_node *ha, struct sim_mobile *mb)
{
	if (W.scheme != SCHEME_PKD || !mb->have_csa || mb->fa_with_keys != mb->coa)
		return;
	for (unsigned int k = 0; k < nbrs[mb->coa].n; k++) {
		uint32_t addr = nbrs[mb->coa].addr[k];

		if (holders_find(&mb->holders, addr))
			continue;
		if (!holders_set(&mb->holders, addr, HOLDER_SENDING, false)) {
			W.st.holders_full += W.measuring;
			continue;
		}
		sim_link_push(ha, (unsigned int)sim_fa_of_addr(addr), REQ_KEYS_INACTIVE,
			      mh_index(mb));
	}
}

void sim_ha_req_send(struct sim_node *ha, unsigned int peer, const struct sim_req *r, int *err)
{
	struct sim_mobile *mb = &W.mb[r->mh];
	struct sim_link *l = &ha->links[peer];
	struct mlike_fa_keys keys;
	uint32_t spis[2] = { mb->csa.spi_out, mb->csa.spi_in };

	if (r->kind == REQ_REVOKE) {
		/* Back at that FA by now: the product's revocation would have
		 * left at once, before the return; this one must not remove
		 * what the FA holds for the MH now. */
		*err = peer == mb->coa ? -ESTALE : mlike_csa_delete(l->sa, spis, 2);
		if (!*err)
			l->inflight = *r;
		return;
	}
	if (r->kind == REQ_KEYS && mb->coa != peer) {
		*err = -ESTALE; /* moved on before it left (the product never sent it) */
		return;
	}
	if (r->kind == REQ_KEYS && mb->fa_with_keys == (int)peer) {
		mb->distributing = false;
		*err = -ESTALE;
		return;
	}
	mlike_fa_keys_from_csa(&mb->csa, true, mb->home, ha->addr, &keys);
	keys.inactive = r->kind == REQ_KEYS_INACTIVE;
	*err = mlike_key_distribute(l->sa, &keys);
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (!*err)
		l->inflight = *r;
	if (!*err && r->kind == REQ_KEYS)
		mb->kd_out = (int)peer;
}

static void keys_done(struct sim_node *ha, unsigned int fa, const struct sim_req *r, int result)
{
	struct sim_mobile *mb = &W.mb[r->mh];
	uint32_t addr = sim_fa_addr(fa);
	struct csa_holder *h;

	if (r->kind == REQ_KEYS && (int)fa != mb->kd_out) {
		/* From an FA the MH left while it was out: its revocation was
		 * queued behind it at the handoff (PKD: a holder now). */
		if (W.scheme != SCHEME_PKD)
			return;
	}
	if (r->kind == REQ_KEYS_INACTIVE || (int)fa != mb->kd_out) {
		h = holders_find(&mb->holders, addr);
		if (!h || h->state != HOLDER_SENDING)
			return;
		if (result) {
			holders_remove(&mb->holders, addr);
			return;
		}
		h->state = HOLDER_HELD;
		h->active = fa == mb->coa;
		if (h->active)
			mb->fa_with_keys = (int)fa;
		return;
	}
	mb->distributing = false;
	mb->kd_out = -1;
	if (result)
		return;
	mb->fa_with_keys = (int)fa;
	holders_set(&mb->holders, addr, HOLDER_HELD, true);
	pkd_distribute(ha, mb);
}

static void ev_fa_keys_done(void *ctx, struct ike_sa *sa, int result)
{
	struct sim_node *ha = ctx;
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);

	if (fa < 0)
		return;
	keys_done(ha, (unsigned int)fa, &ha->links[fa].inflight, result);
}

/* ev_csa_revoked: a Delete answered while the MH is back at that FA may
 * have removed what DKM gave it again: the keys go once more. */
static void ev_csa_revoked(void *ctx, struct ike_sa *sa, const uint32_t *acked, unsigned int n)
{
	struct sim_node *ha = ctx;
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);
	struct sim_mobile *mb;

	if (fa < 0 || ha->links[fa].inflight.kind != REQ_REVOKE)
		return;
	mb = &W.mb[ha->links[fa].inflight.mh];
	ha->links[fa].inflight.kind = REQ_DKM_ASK; /* none: the HA never asks */
	if (mb->coa != fa || !mb->have_csa)
		return;
	W.st.revoke_raced += W.measuring;
	holders_remove(&mb->holders, sim_fa_addr((unsigned int)fa));
	if (mb->fa_with_keys == fa)
		mb->fa_with_keys = -1;
	if (mb->early_fa == fa)
		mb->early_fa = -1;
	mb->dkm_deadline = 0;
	distribute(ha, mb);
}

static void ev_ike_up(void *ctx, struct ike_sa *sa)
{
	struct sim_node *ha = ctx;
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);

	if (fa < 0)
		return;
	ha->links[fa].sa = sa;
	ha->links[fa].up = true;
	sim_link_pump(ha, (unsigned int)fa);
}

static void ev_ike_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct sim_node *ha = ctx;
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);

	if (fa >= 0 && ha->links[fa].sa == sa) {
		ha->links[fa].sa = NULL;
		ha->links[fa].up = false;
		if (why != IKE_DOWN_SHUTDOWN)
			fprintf(stderr, "sim: the HA's IKE SA with FA %d went down (%d)\n", fa,
				why);
	}
}

/* ike_pkd_neighbors: an FA's list, from its NEIGHBOR_NOTIFY. */
static int ev_neighbors(void *ctx, struct ike_sa *sa, const uint32_t *addrs, unsigned int n)
{
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);

	(void)ctx;
	if (fa < 0)
		return -EPERM;
	for (unsigned int i = 0; i < n; i++)
		if (addrs[i] == ike_sa_peer(sa)->addr || sim_fa_of_addr(addrs[i]) < 0)
			return -EINVAL;
	nbrs[fa].n = (uint8_t)n;
	memcpy(nbrs[fa].addr, addrs, 4 * (size_t)n);
	return 0;
}

static void dkm_done(struct sim_mobile *mb)
{
	mb->dkm_deadline = 0;
	mb->early_fa = -1;
	mb->fa_with_keys = mb->coa;
	holders_activate(&mb->holders, sim_fa_addr(mb->coa), true);
}

/* ike_dkm_installed: an FA installed a mobile's CSAs by DKM. */
static uint16_t ev_dkm_installed(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	struct sim_mobile *mb = mobile_of_home(rep->mh_home);
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);

	(void)ctx;
	if (!mb || !mb->have_csa || rep->n_spis != 2 || fa < 0)
		return DKM_N_UNKNOWN_CSA;
	for (unsigned int i = 0; i < 2; i++)
		if (rep->spi[i] != mb->csa.spi_out && rep->spi[i] != mb->csa.spi_in)
			return DKM_N_UNKNOWN_CSA;
	if (mb->coa != fa && mb->ha_prev == fa) {
		/* Late: from the FA the binding has left meanwhile. */
		W.st.stale_answers += W.measuring;
		holders_remove(&mb->holders, sim_fa_addr((unsigned int)fa));
		revoke(net_ha(), mb, (unsigned int)fa);
		return 0;
	}
	holders_set(&mb->holders, sim_fa_addr((unsigned int)fa), HOLDER_HELD, mb->coa == fa);
	if (mb->coa != fa)
		mb->early_fa = fa;
	else if (mb->dkm_deadline)
		dkm_done(mb);
	else if (mb->fa_with_keys != fa)
		mb->fa_with_keys = fa;
	return 0;
}

/* ike_dkm_missing: the new FA got no CSA by DKM: KEY_DISTRIBUTE now. */
static uint16_t ev_dkm_missing(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	struct sim_mobile *mb = mobile_of_home(rep->mh_home);
	int fa = sim_fa_of_addr(ike_sa_peer(sa)->addr);

	if (!mb || !mb->have_csa || rep->n_spis || fa < 0)
		return DKM_N_UNKNOWN_CSA;
	W.st.dkm_missing += W.measuring;
	if (mb->coa != fa) {
		mb->missed_fa = fa;
		return 0;
	}
	if (mb->dkm_deadline) {
		mb->dkm_deadline = 0;
		distribute(ctx, mb);
	}
	return 0;
}

const struct ike_events sim_ha_events = {
	.ike_up = ev_ike_up,
	.csa_revoked = ev_csa_revoked,
	.dkm_missing = ev_dkm_missing,
	.ike_down = ev_ike_down,
	.fa_keys_done = ev_fa_keys_done,
	.neighbors = ev_neighbors,
	.dkm_installed = ev_dkm_installed,
};

/* ike_mod_on_binding, the handoff of a mobile whose CSA is up (a.b:
 * mobile, new FA). */
void sim_ha_binding(struct sim_node *ha, void *arg)
{
	const uint32_t *ab = arg;
	struct sim_mobile *mb = &W.mb[ab[0]];
	unsigned int to = ab[1];

	mb->ha_prev = mb->coa;
	mb->coa = (uint16_t)to; /* first: a revocation never targets the MH's FA */
	if (mb->kd_out >= 0 && mb->kd_out != (int)to) {
		/* KEY_DISTRIBUTE out to the FA the MH left: revoked there
		 * behind it (PKD: it keeps them, a holder once it answers). */
		W.st.stale_answers += W.measuring;
		if (W.scheme != SCHEME_PKD)
			revoke(ha, mb, (unsigned int)mb->kd_out);
		else
			holders_set(&mb->holders, sim_fa_addr((unsigned int)mb->kd_out),
				    HOLDER_SENDING, false);
		mb->kd_out = -1;
	}
	mb->distributing = false; /* a queued one is dropped when its turn comes */
	if (mb->fa_with_keys >= 0 && W.scheme != SCHEME_PKD) {
		revoke(ha, mb, (unsigned int)mb->fa_with_keys);
		holders_remove(&mb->holders, sim_fa_addr((unsigned int)mb->fa_with_keys));
		mb->fa_with_keys = -1;
		if (W.scheme == SCHEME_DKM && mb->missed_fa != (int)to) {
			mb->dkm_deadline = sim_now + (uint64_t)W.o.dkm_timeout_ms * 1000000;
			if (mb->early_fa == (int)to)
				dkm_done(mb);
			else
				sim_evq_push(mb->dkm_deadline, EV_TICK, ab[0], 1, NULL);
		}
		mb->missed_fa = -1;
	}
	/* As the product: reset even after an early DKM report ended the
	 * wait, so that KEY_DISTRIBUTE follows (redundant_keys counts it). */
	if (mb->fa_with_keys == (int)to && W.scheme == SCHEME_DKM)
		W.st.redundant_keys += W.measuring;
	mb->fa_with_keys = -1;
	mb->coa = (uint16_t)to;
	if (W.scheme == SCHEME_PKD) {
		struct csa_holder *h = holders_find(&mb->holders, sim_fa_addr(to));

		if (h && h->state == HOLDER_HELD) {
			h->active = true;
			mb->fa_with_keys = (int)to;
		}
	}
	distribute(ha, mb);
	pkd_distribute(ha, mb);
}

/* The DKM bound: no install report in time, KEY_DISTRIBUTE instead. */
void sim_ha_dkm_bound(struct sim_node *ha, void *arg)
{
	struct sim_mobile *mb = &W.mb[*(const uint32_t *)arg];

	if (!mb->dkm_deadline || sim_now < mb->dkm_deadline)
		return;
	mb->dkm_deadline = 0;
	W.st.dkm_fallbacks += W.measuring;
	distribute(ha, mb);
}

/* The initialisation's end at the HA: the serving FA gets zone 1. */
void sim_ha_init_mobile(struct sim_node *ha, void *arg)
{
	struct sim_mobile *mb = &W.mb[*(const uint32_t *)arg];

	distribute(ha, mb);
}
