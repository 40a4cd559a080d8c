/* The FAs' side: their engines' events, re-expressed from keyd/ike/
 * ike_orch.c (ev_fa_keys, ike_mod_fa_install, ev_csa_deleted), pkd.c
 * (ike_pkd_fa_up, ike_pkd_fa_install, ike_pkd_on_visitor) and ike_dkm.c
 * (on_prev_fa, ike_dkm_lookup, ike_dkm_answer, the reports: installed,
 * and "no CSA" when the previous FA refused). The CSA map
 * is the one seam on this side: where the product writes mml_csa through
 * its CSA store, the simulator records in its sink which FA holds which
 * mobile's zone-1 pair and whether it is active, after the product's own
 * conversion (mlike_fa_keys_to_map). The DKM cache is the product's. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/csa_map.h"
#include "keyd/ike/ike_xchg.h"
#include "sim/handoff/sim.h"

static unsigned int fa_index(const struct sim_node *fa)
{
	return (unsigned int)fa->idx;
}

static size_t at(unsigned int fa, unsigned int mh)
{
	return (size_t)fa * W.o.mhs + mh;
}

void sim_sink_set(unsigned int fa, unsigned int mh, uint8_t state)
{
	uint8_t *s = &W.slot[at(fa, mh)];

	if (!*s && state) {
		W.holders_at[mh]++;
		W.keys_at[fa]++;
	} else if (*s && !state) {
		W.holders_at[mh]--;
		W.keys_at[fa]--;
	}
	*s = state;
	if (state == SLOT_ACTIVE)
		sim_key_ready(mh, fa);
}

/* Zone 2 never reaches an FA: checked against the HA's own copy. */
static void check_zone1(unsigned int mh, const struct mlike_fa_keys *keys)
{
	const struct mlike_csa *csa = &W.mb[mh].csa;

	if (!mlike_fa_keys_zone1_only(keys))
		W.st.zone2_at_fa++;
	for (unsigned int i = 0; i < keys->n_secrets; i++)
		for (unsigned int z = 1; z < csa->n_zones; z++)
			if (!memcmp(keys->secret[i].key, csa->key_out[z], IKE_AEAD_KEY_LEN) ||
			    !memcmp(keys->secret[i].key, csa->key_in[z], IKE_AEAD_KEY_LEN))
				W.st.zone2_at_fa++;
}

/* ike_mod_fa_install with ike_pkd_fa_install: inactive until the MH is
 * here when the keys say so. */
static int install(struct sim_node *fa, const struct mlike_fa_keys *keys)
{
	int mh = sim_mh_of_addr(keys->mh_home);
	unsigned int f = fa_index(fa);
	struct mml_csa csas[2];
	unsigned int n = 0;
	bool inactive;

	if (mh < 0 || mlike_fa_keys_to_map(keys, keys->ha_addr, sim_now, csas, &n) || n != 2)
		return -EINVAL;
	OPENSSL_cleanse(csas, sizeof(csas));
	check_zone1((unsigned int)mh, keys);
	inactive = keys->inactive && !W.here[at(f, (unsigned int)mh)];
	sim_sink_set(f, (unsigned int)mh, inactive ? SLOT_INACTIVE : SLOT_ACTIVE);
	dkm_cache_put(&W.dkm[f], keys);
	return 0;
}

static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	(void)sa;
	return install(ctx, keys);
}

/* One HA per mobile here: every Delete is its owner's (no owner check). */
static unsigned int ev_csa_deleted(void *ctx, struct ike_sa *sa, uint32_t *spis, unsigned int n)
{
	struct sim_node *fa = ctx;

	(void)sa;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t mh = sim_mh_of_spi(spis[i]);

		if (mh != UINT32_MAX)
			sim_sink_set(fa_index(fa), mh, SLOT_NONE);
		dkm_cache_depart(&W.dkm[fa_index(fa)], spis[i], sim_now);
	}
	return n;
}

static void ev_ike_up(void *ctx, struct ike_sa *sa)
{
	struct sim_node *fa = ctx;
	int p = sim_peer_index(fa, ike_sa_peer(sa)->addr);
	uint32_t addrs[SIM_NBR_MAX];

	if (p < 0)
		return;
	fa->links[p].sa = sa;
	fa->links[p].up = true;
	if (p == 0) {
		/* ike_pkd_fa_up: our neighbours to the HA. */
		for (unsigned int i = 1; i < fa->n_peers; i++)
			addrs[i - 1] = fa->peers[i].addr;
		if (fa->n_peers > 1)
			mlike_neighbor_notify(sa, addrs, fa->n_peers - 1);
	}
	sim_link_pump(fa, (unsigned int)p);
}

static void ev_ike_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct sim_node *fa = ctx;
	int p = sim_peer_index(fa, ike_sa_peer(sa)->addr);

	(void)why;
	if (p >= 0 && fa->links[p].sa == sa)
		fa->links[p] = (struct sim_link){ .q = fa->links[p].q,
						  .head = fa->links[p].head,
						  .tail = fa->links[p].tail,
						  .cap = fa->links[p].cap };
}

static uint16_t ev_dkm_lookup(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *req,
			      struct mlike_fa_keys *keys)
{
	struct sim_node *fa = ctx;
	uint16_t refuse =
		dkm_cache_take(&W.dkm[fa_index(fa)], req, ike_sa_peer(sa)->addr, sim_now, keys);

	if (refuse)
		W.st.dkm_cache_miss += W.measuring;
	return refuse;
}

static void ev_dkm_answer(void *ctx, struct ike_sa *sa, uint32_t mh_home,
			  const struct mlike_fa_keys *keys, uint16_t notify)
{
	struct sim_node *fa = ctx;
	int mh = sim_mh_of_addr(mh_home);

	(void)sa;
	(void)notify;
	if (mh < 0)
		return;
	if (!keys || install(fa, keys)) {
		/* give_up: the HA is told at once, and redistributes. */
		W.st.dkm_refused += W.measuring;
		sim_link_push(fa, 0, REQ_DKM_MISSING, (uint32_t)mh);
		return;
	}
	sim_link_push(fa, 0, REQ_DKM_REPORT, (uint32_t)mh);
}

const struct ike_events sim_fa_events = {
	.ike_up = ev_ike_up,
	.ike_down = ev_ike_down,
	.fa_keys = ev_fa_keys,
	.csa_deleted = ev_csa_deleted,
	.dkm_lookup = ev_dkm_lookup,
	.dkm_answer = ev_dkm_answer,
};

void sim_fa_req_send(struct sim_node *fa, unsigned int peer, const struct sim_req *r, int *err)
{
	const struct sim_mobile *mb = &W.mb[r->mh];
	struct dkm_mh_pl m = { .mh_home = mb->home, .ha_addr = net.ha.addr };

	if (r->kind == REQ_DKM_ASK) {
		*err = dkm_csa_request(fa->links[peer].sa, &m);
		return;
	}
	if (r->kind == REQ_DKM_MISSING) {
		*err = dkm_report_missing(fa->links[peer].sa, &m);
		return;
	}
	m.n_spis = 2;
	m.spi[0] = mb->csa.spi_out;
	m.spi[1] = mb->csa.spi_in;
	*err = dkm_report_installed(fa->links[peer].sa, &m);
}

/* The MH's registration request reaches this FA (arg: the mobile). With
 * DKM it asks the previous FA, in parallel with the relay (on_prev_fa). */
void sim_fa_attach(struct sim_node *fa, void *arg)
{
	uint32_t mh = *(const uint32_t *)arg;
	struct sim_mobile *mb = &W.mb[mh];
	int p;

	if (W.slot[at(fa_index(fa), mh)] == SLOT_ACTIVE)
		sim_key_ready(mh, fa_index(fa));
	if (W.scheme != SCHEME_DKM)
		return;
	p = sim_peer_index(fa, sim_fa_addr(mb->prev));
	if (p > 0)
		sim_link_push(fa, (unsigned int)p, REQ_DKM_ASK, mh);
}

/* The HA's registration reply is relayed here (ike_pkd_on_visitor): the
 * MH is a visitor now, and a CSA held inactive for it is activated. */
void sim_fa_reply(struct sim_node *fa, void *arg)
{
	uint32_t mh = *(const uint32_t *)arg;
	unsigned int f = fa_index(fa);

	W.here[at(f, mh)] = true;
	if (W.slot[at(f, mh)] == SLOT_INACTIVE)
		sim_sink_set(f, mh, SLOT_ACTIVE);
}
