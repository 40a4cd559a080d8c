/* Proactive key distribution (PKD, paper §4.3 and Fig. 5; docs/protocol.md
 * "PKD"). An FA with neighbours names them to its HA (NEIGHBOR_NOTIFY)
 * once their IKE SA is up. For a mobile with handoff = "pkd", once its
 * serving FA holds the zone-1 keys the HA sends them, marked inactive, to
 * each of that FA's neighbours, so that the FA the mobile moves to already
 * has them: it activates them as it relays the HA's registration reply, and
 * the mobile's first packets after the reply verify there. Zone 2 never
 * leaves the HA (mlike_key_distribute refuses it). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/ike/mh_tmpl.h"
#include "lib/args.h"
#include "lib/log.h"

const char *const ike_handoff_names[] = { "redistribute", "pkd", "dkm", NULL };

uint8_t ike_pkd_handoff_of(const struct ike_mod *m, uint32_t home)
{
	const struct ike_peer_cfg *t;

	for (unsigned int i = 0; i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == home && !m->peers[i].tmpl && m->peer_handoff[i])
			return (uint8_t)(m->peer_handoff[i] - 1);
	t = mh_tmpl_match(m->peers, m->ecfg.n_peers, home);
	if (t && m->peer_handoff[t - m->peers])
		return (uint8_t)(m->peer_handoff[t - m->peers] - 1);
	return m->handoff;
}

static const struct fa_neighbors *neighbors_of(const struct ike_mod *m, uint32_t fa)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->nbrs[i].fa == fa)
			return &m->nbrs[i];
	return NULL;
}

/* One inactive KEY_DISTRIBUTE of mb's keys to the neighbour FA at addr;
 * false while that FA cannot take one now (its IKE SA not up, or busy). */
static bool send_to_neighbor(struct ike_mod *m, struct mobile *mb, uint32_t addr)
{
	struct fa_link *fa = fa_of_addr(m, addr, true);
	struct mlike_fa_keys keys;
	char a[16];
	int err;

	if (!fa) {
		log_warn("PKD: neighbour %s is no ike peer of ours: not given the keys",
			 mml_ipv4_str(addr, a));
		return false;
	}
	fa_connect(m, fa);
	if (!fa->up)
		return false;
	/* Never send what the holder set could not record: nothing would
	 * revoke it, and every later event would send it again. */
	if (mb->holders.n == HOLDERS_MAX) {
		if (!mb->holders_full) {
			mb->holders_full = true;
			m->pkd_holders_full++;
			log_warn("PKD: %d FAs hold the keys of %s already: %s not given them",
				 HOLDERS_MAX, mml_ipv4_str(mb->home, a), fa->peer->name);
		}
		return false;
	}
	mlike_fa_keys_from_csa(&mb->csa, true, mb->home, m->ecfg.local_addr, &keys);
	keys.inactive = true;
	err = mlike_key_distribute(fa->sa, &keys);
	OPENSSL_cleanse(&keys, sizeof(keys));
	if (err) {
		if (err != -EBUSY)
			log_err("PKD: KEY_DISTRIBUTE of %s to %s: %s", mml_ipv4_str(mb->home, a),
				fa->peer->name, strerror(-err));
		return false;
	}
	holders_set(&mb->holders, addr, HOLDER_SENDING, false); /* room checked */
	return true;
}

void ike_pkd_distribute(struct ike_mod *m)
{
	/* Per event, a walk: only while some mobile uses PKD (n_pkd). */
	if (m->role != ROLE_HA || !m->n_pkd)
		return;
	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		struct mobile *mb = &m->mobiles[i];
		const struct fa_neighbors *nb;

		/* After the initialisation at the serving FA (Fig. 5 flow 2). */
		if (!mb->used || mb->handoff != IKE_HANDOFF_PKD || !mb->have_csa ||
		    !mb->fa_with_keys || mb->fa_with_keys != mb->coa)
			continue;
		nb = neighbors_of(m, mb->coa);
		if (mb->holders.n < HOLDERS_MAX)
			mb->holders_full = false; /* the next refusal is news again */
		for (unsigned int k = 0; nb && k < nb->n; k++)
			if (!holders_find(&mb->holders, nb->addr[k]))
				send_to_neighbor(m, mb, nb->addr[k]);
	}
}

bool ike_pkd_over_threshold(const struct ike_mod *m, const struct mobile *mb)
{
	const struct fa_neighbors *nb;
	unsigned int outside = 0;

	if (!m->pkd_threshold || mb->handoff != IKE_HANDOFF_PKD ||
	    mb->holders.n <= m->pkd_threshold)
		return false;
	nb = neighbors_of(m, mb->coa);
	for (unsigned int i = 0; i < mb->holders.n; i++) {
		uint32_t fa = mb->holders.h[i].fa;
		bool near = fa == mb->coa;

		for (unsigned int k = 0; nb && k < nb->n && !near; k++)
			near = nb->addr[k] == fa;
		outside += !near;
	}
	return outside > 0;
}

bool ike_pkd_keys_done(struct ike_mod *m, struct fa_link *fa, int result)
{
	uint32_t addr = fa->peer->addr;
	char a[16];

	for (unsigned int i = 0; m->n_pkd && i < m->mobiles_max; i++) {
		struct mobile *mb = &m->mobiles[i];
		struct csa_holder *h = mb->used ? holders_find(&mb->holders, addr) : NULL;

		if (!h || h->state != HOLDER_SENDING)
			continue;
		if (result) {
			log_err("PKD: %s refused the keys of %s", fa->peer->name,
				mml_ipv4_str(mb->home, a));
			holders_remove(&mb->holders, addr);
			return true;
		}
		h->state = HOLDER_HELD;
		/* The mobile moved there while the keys were on their way: the
		 * FA activated them itself (it relayed the reply first). */
		h->active = addr == mb->coa;
		if (h->active && mb->fa_with_keys != addr) {
			mb->fa_with_keys = addr;
			mb->t_done = loop_now();
		}
		log_info("PKD: %s holds the keys of %s (%s)", fa->peer->name,
			 mml_ipv4_str(mb->home, a), h->active ? "active" : "inactive");
		return true;
	}
	return false;
}

void ike_pkd_moved(struct ike_mod *m, struct mobile *mb)
{
	struct csa_holder *h;
	char a[16], c[16];

	if (mb->handoff != IKE_HANDOFF_PKD || !mb->have_csa)
		return;
	h = holders_find(&mb->holders, mb->coa);
	if (!h || h->state != HOLDER_HELD)
		return; /* KEY_DISTRIBUTE as for any new FA, or its answer */
	h->active = true;
	mb->fa_with_keys = mb->coa;
	mb->t_done = loop_now();
	m->handoffs_held++;
	log_info("PKD: handoff of %s to %s: the keys are there already", mml_ipv4_str(mb->home, a),
		 mml_ipv4_str(mb->coa, c));
}

void ike_pkd_fa_gone(struct ike_mod *m, uint32_t fa)
{
	for (unsigned int i = 0; i < m->mobiles_max; i++)
		if (m->mobiles[i].used)
			holders_remove(&m->mobiles[i].holders, fa);
}

int ike_pkd_neighbors(void *ctx, struct ike_sa *sa, const uint32_t *addrs, unsigned int n)
{
	struct ike_mod *m = ctx;
	struct fa_link *fa = m->role == ROLE_HA ? fa_of_sa(m, sa) : NULL;
	struct fa_neighbors *slot = NULL;

	if (!fa)
		return -EPERM; /* only an HA, and only from an FA of ours */
	for (unsigned int i = 0; i < n; i++)
		if (addrs[i] == fa->peer->addr || addrs[i] == m->ecfg.local_addr)
			return -EINVAL;
	for (unsigned int i = 0; i < IKE_PEERS_MAX && !slot; i++)
		if (m->nbrs[i].fa == fa->peer->addr)
			slot = &m->nbrs[i];
	for (unsigned int i = 0; i < IKE_PEERS_MAX && !slot; i++)
		if (!m->nbrs[i].fa)
			slot = &m->nbrs[i];
	if (!slot)
		return -ENOSPC;
	slot->fa = fa->peer->addr;
	slot->n = (uint8_t)n;
	memcpy(slot->addr, addrs, 4 * (size_t)n);
	ike_pkd_distribute(m);
	return 0;
}

void ike_pkd_neighbors_done(void *ctx, struct ike_sa *sa, int result)
{
	(void)ctx;
	if (result)
		log_err("PKD: %s did not take our neighbour list (%s)", ike_sa_peer(sa)->name,
			strerror(-result));
}

void ike_pkd_fa_up(struct ike_mod *m, struct ike_sa *sa)
{
	uint32_t addrs[MLIKE_NEIGHBORS_MAX];
	unsigned int n = 0;
	int err;

	if (ike_sa_peer(sa)->neighbor)
		return; /* NEIGHBOR_NOTIFY goes to the HA */
	for (unsigned int i = 0; i < m->ecfg.n_peers && n < MLIKE_NEIGHBORS_MAX; i++)
		if (m->peers[i].neighbor)
			addrs[n++] = m->peers[i].addr;
	if (!n)
		return;
	err = mlike_neighbor_notify(sa, addrs, n);
	if (err == -EBUSY) {
		/* Another exchange (a DKM report) holds the window: later. */
		m->dkm.nn_pending = sa;
		ike_dkm_arm(m);
		return;
	}
	if (m->dkm.nn_pending == sa)
		m->dkm.nn_pending = NULL;
	if (err)
		log_err("PKD: NEIGHBOR_NOTIFY to %s: %s", ike_sa_peer(sa)->name, strerror(-err));
}

bool ike_pkd_fa_retry(struct ike_mod *m)
{
	if (m->dkm.nn_pending)
		ike_pkd_fa_up(m, m->dkm.nn_pending);
	return m->dkm.nn_pending != NULL;
}

static bool is_here(const struct ike_mod *m, uint32_t home)
{
	return idx_find(&m->here, home) != IDX_NONE;
}

/* FA: full, a mobile's keys go in active (as without PKD): logged at the
 * 1st, 2nd, 4th... refusal, counted. */
static void visitors_full(struct ike_mod *m, const char *what, uint32_t home)
{
	char a[16];

	if (!m->visitors_full++ || !(m->visitors_full & (m->visitors_full - 1)))
		log_err("ike: mobiles_max (%u) %s: none for %s (%llu refused so far; raise "
			"mobiles_max)",
			m->mobiles_max, what, mml_ipv4_str(home, a),
			(unsigned long long)m->visitors_full);
}

static struct held_csa *held_of(struct ike_mod *m, uint32_t home, bool create)
{
	uint32_t s = idx_find(&m->held_ix, home);

	if (s == IDX_NONE && create) {
		s = idx_take(&m->held_ix, home);
		if (s == IDX_NONE)
			visitors_full(m, "held CSAs", home);
		else
			m->held[s] = (struct held_csa){ .home = home };
	}
	return s == IDX_NONE ? NULL : &m->held[s];
}

static void held_drop(struct ike_mod *m, struct held_csa *held)
{
	idx_drop(&m->held_ix, (uint32_t)(held - m->held));
	*held = (struct held_csa){ 0 };
}

void ike_pkd_fa_install(struct ike_mod *m, const struct mlike_fa_keys *keys, struct mml_csa *csas,
			unsigned int n)
{
	struct held_csa *held;

	if (!keys->inactive || is_here(m, keys->mh_home)) {
		held = held_of(m, keys->mh_home, false);
		if (held)
			held_drop(m, held);
		return;
	}
	held = held_of(m, keys->mh_home, true);
	for (unsigned int i = 0; i < n; i++) {
		csas[i].flags |= MML_CSA_F_INACTIVE;
		if (held && i < 2)
			held->spi[i] = csas[i].spi;
	}
}

void ike_pkd_on_visitor(void *arg, uint32_t home, bool registered)
{
	struct ike_mod *m = arg;
	struct held_csa *held = held_of(m, home, false);
	char a[16];

	if (!registered)
		idx_drop(&m->here, idx_find(&m->here, home));
	else if (!is_here(m, home) && idx_take(&m->here, home) == IDX_NONE)
		visitors_full(m, "visitors", home);
	if (!registered || !held)
		return;
	/* "The FA internally activates the MML-IPsec CSA" (paper §4.3). */
	for (unsigned int i = 0; i < 2; i++) {
		int err = held->spi[i] ? mml_csa_store_set_flags(&m->store, held->spi[i], 0,
								 MML_CSA_F_INACTIVE) :
					 0;

		if (err)
			log_err("PKD: CSA %08x of %s not activated: %s", held->spi[i],
				mml_ipv4_str(home, a), strerror(-err));
	}
	ike_z1_active(m, home, held->spi, Z1_VIA_PKD);
	log_info("PKD: CSAs of %s activated (registration reply relayed)", mml_ipv4_str(home, a));
	held_drop(m, held);
}

void ike_pkd_show(const struct ike_mod *m, json_object *o)
{
	json_object *held;
	char a[16];

	json_object_object_add(o, "handoff", json_object_new_string(ike_handoff_names[m->handoff]));
	if (m->role == ROLE_HA) {
		json_object_object_add(o, "handoffs_held",
				       json_object_new_uint64(m->handoffs_held));
		json_object_object_add(o, "pkd_holders_full",
				       json_object_new_uint64(m->pkd_holders_full));
		json_object_object_add(o, "revocations_queued",
				       json_object_new_uint64(m->revocations_queued));
		json_object_object_add(o, "revocations_dropped",
				       json_object_new_uint64(m->revocations_dropped));
		json_object_object_add(o, "revocations_raced",
				       json_object_new_uint64(m->revocations_raced));
		return;
	}
	if (m->role != ROLE_FA)
		return;
	held = json_object_new_array();
	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		json_object *e;

		if (!m->held[i].home)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "home",
				       json_object_new_string(mml_ipv4_str(m->held[i].home, a)));
		json_object_object_add(e, "spi_to_mh", json_object_new_uint64(m->held[i].spi[0]));
		json_object_object_add(e, "spi_to_ha", json_object_new_uint64(m->held[i].spi[1]));
		json_object_array_add(held, e);
	}
	json_object_object_add(o, "inactive", held);
}
