/* The ike module's engine on the event loop, and the ML-IKE
 * initialisation of the paper's Fig. 4 driven by Mobile IP. HA: a binding
 * starts IKE SAs with the MH and the serving FA in parallel, MLIKE_AUTH_SA
 * with the MH, KEY_DISTRIBUTE of zone 1 to the FA; a handoff moves the
 * keys from the old FA to the new one; a binding that goes away revokes
 * them. MH and FA: install what the engine's events bring. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/args.h"
#include "lib/log.h"

#define RETRY_NS (2 * NS_PER_SEC)

/* After every message: the engine's hint, not its walk over every SA (an
 * HA holds one per mobile); a tick at least once a second makes up for
 * what the hint may miss (a soft lifetime whose exchange was busy). */
void ike_mod_rearm(struct ike_mod *m)
{
	int ms = ike_engine_timeout_hint_ms(m->eng);

	if (ms < 0 || ms > 1000)
		ms = 1000;
	loop_timer_in(m->loop, &m->timer, (uint64_t)ms * NS_PER_MS + 1);
}

void ike_mod_on_timer(void *arg)
{
	struct ike_mod *m = arg;

	ike_engine_tick(m->eng);
	ike_mod_revoke_pump(m);
	ike_mod_rearm(m);
}

void ike_mod_on_readable(void *arg, uint32_t events)
{
	struct ike_mod *m = arg;

	(void)events;
	ike_engine_input(m->eng);
	ike_mod_revoke_pump(m); /* an answer may have freed a window */
	ike_mod_rearm(m);
}

static const struct ike_peer_cfg *peer_at(struct ike_mod *m, uint32_t addr)
{
	for (unsigned int i = 0; i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == addr && !m->peers[i].tmpl)
			return &m->peers[i];
	return NULL;
}

#define mobile_of_home ike_mobile_of_home
#define mobile_of_sa ike_mobile_of_sa

struct fa_link *fa_of_addr(struct ike_mod *m, uint32_t addr, bool create)
{
	const struct ike_peer_cfg *peer;

	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].peer && m->fas[i].peer->addr == addr)
			return &m->fas[i];
	peer = create ? peer_at(m, addr) : NULL;
	if (!peer)
		return NULL;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (!m->fas[i].peer) {
			m->fas[i] = (struct fa_link){ .peer = peer };
			return &m->fas[i];
		}
	return NULL;
}

struct fa_link *fa_of_sa(struct ike_mod *m, struct ike_sa *sa)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].peer && m->fas[i].sa == sa)
			return &m->fas[i];
	return NULL;
}

void fa_connect(struct ike_mod *m, struct fa_link *fa)
{
	if (fa->sa)
		return;
	fa->sa = ike_initiate(m->eng, fa->peer);
	if (!fa->sa)
		loop_timer_in(m->loop, &m->retry, RETRY_NS);
}

/* The serving FA lacks mb's zone-1 keys, and nothing is on its way or
 * waited for (DKM). */
static bool wants_keys(const struct mobile *mb)
{
	return mb->used && mb->have_csa && mb->distributing != mb->coa &&
	       mb->fa_with_keys != mb->coa && !mb->dkm.deadline_ns;
}

void ike_mod_unqueue(struct ike_mod *m, struct mobile *mb)
{
	struct fa_link *fa;

	if (!mb->q_fa)
		return;
	fa = &m->fas[mb->q_fa - 1];
	if (mb->q_prev)
		m->mobiles[mb->q_prev - 1].q_next = mb->q_next;
	else
		fa->q_head = mb->q_next;
	if (mb->q_next)
		m->mobiles[mb->q_next - 1].q_prev = mb->q_prev;
	else
		fa->q_tail = mb->q_prev;
	mb->q_next = mb->q_prev = 0;
	mb->q_fa = 0;
}

/* Queued at its serving FA (an FA that is no peer of ours gets none), so
 * that each distribution looks at the mobiles waiting, never at all. */
void ike_mod_want_keys(struct ike_mod *m, struct mobile *mb)
{
	struct fa_link *fa;
	uint8_t q;

	if (!wants_keys(mb))
		return;
	fa = fa_of_addr(m, mb->coa, false);
	if (!fa)
		return;
	q = (uint8_t)(fa - m->fas + 1);
	if (mb->q_fa == q)
		return;
	ike_mod_unqueue(m, mb);
	mb->q_fa = q;
	mb->q_prev = fa->q_tail;
	if (fa->q_tail)
		m->mobiles[fa->q_tail - 1].q_next = ike_mobile_slot(m, mb) + 1;
	else
		fa->q_head = ike_mobile_slot(m, mb) + 1;
	fa->q_tail = ike_mobile_slot(m, mb) + 1;
}

/* One KEY_DISTRIBUTE at a time per FA: the head of its queue, unless it
 * no longer wants keys there (moved, given them, DKM). */
static void distribute_at(struct ike_mod *m, struct fa_link *fa)
{
	while (fa->up && fa->q_head) {
		struct mobile *mb = &m->mobiles[fa->q_head - 1];
		struct mlike_fa_keys keys;
		char a[16];
		int err;

		if (!wants_keys(mb) || mb->coa != fa->peer->addr) {
			ike_mod_unqueue(m, mb);
			continue;
		}
		mlike_fa_keys_from_csa(&mb->csa, true, mb->home, m->ecfg.local_addr, &keys);
		err = mlike_key_distribute(fa->sa, &keys);
		OPENSSL_cleanse(&keys, sizeof(keys));
		if (err == -EBUSY)
			return; /* after the answer in flight */
		ike_mod_unqueue(m, mb);
		if (err) {
			/* The lifetime timer's sweep tries again. */
			log_err("KEY_DISTRIBUTE of %s to %s: %s", mml_ipv4_str(mb->home, a),
				fa->peer->name, strerror(-err));
			continue;
		}
		mb->distributing = mb->coa;
		fa->dist_slot = ike_mobile_slot(m, mb) + 1;
	}
}

/* KEY_DISTRIBUTE to each FA whose IKE SA is up, one exchange at a time. */
void ike_mod_distribute(struct ike_mod *m)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].peer)
			distribute_at(m, &m->fas[i]);
}

/* A safety net, once per tick: an event that made a mobile want keys
 * without queueing it would otherwise leave its FA without them. */
void ike_mod_distribute_sweep(struct ike_mod *m)
{
	for (unsigned int i = 0; m->mobiles && i < m->mobiles_max; i++) {
		struct mobile *mb = &m->mobiles[i];
		struct fa_link *fa;

		if (mb->q_fa || !wants_keys(mb))
			continue;
		fa = fa_of_addr(m, mb->coa, false);
		if (!fa || !fa->up)
			continue;
		m->dist_swept++;
		ike_mod_want_keys(m, mb);
	}
	ike_mod_distribute(m);
}

static void revq_drop(struct ike_mod *m, unsigned int i)
{
	m->n_revq--;
	memmove(&m->revq[i], &m->revq[i + 1], (m->n_revq - i) * sizeof(m->revq[0]));
}

/* HA: each queued CSA Delete goes out once its FA's window is free (one
 * exchange at a time per IKE SA); the FA's IKE SA gone, it is dropped:
 * the FA removed everything it got under that SA. */
void ike_mod_revoke_pump(struct ike_mod *m)
{
	char a[16];

	for (unsigned int i = 0; i < m->n_revq;) {
		struct revocation *r = &m->revq[i];
		struct fa_link *fa = fa_of_addr(m, r->fa, false);
		int err = -ENOTCONN;

		if (fa && fa->up && fa->sa)
			err = mlike_csa_delete(fa->sa, r->spi, 2);
		if (err == -EBUSY) {
			i++;
			continue;
		}
		if (!err)
			fa->revoking = *r;
		else if (fa && fa->up)
			log_err("revocation of %s at %s: %s", mml_ipv4_str(r->home, a),
				fa->peer->name, strerror(-err));
		revq_drop(m, i);
	}
}

/* At most one per mobile and FA holding its keys. */
static int revq_grow(struct ike_mod *m)
{
	unsigned int cap = m->revq_cap ? 2 * m->revq_cap : 64;
	unsigned int max = (m->mobiles_max ? m->mobiles_max : IKE_MOBILES_DEFAULT) * IKE_PEERS_MAX;
	struct revocation *q;

	if (cap > max)
		cap = max;
	if (cap <= m->revq_cap)
		return -ENOSPC;
	q = realloc(m->revq, cap * sizeof(*q));
	if (!q)
		return -ENOMEM;
	m->revq = q;
	m->revq_cap = cap;
	return 0;
}

/* Revokes a CSA pair of home at an FA: queued, so a busy window delays it
 * instead of costing the FA's IKE SA (and every other mobile's keys). */
void ike_mod_revoke_spis(struct ike_mod *m, uint32_t home, uint32_t fa_addr, const uint32_t spi[2])
{
	struct fa_link *fa = fa_of_addr(m, fa_addr, false);
	struct revocation r = { .fa = fa_addr, .home = home, .spi = { spi[0], spi[1] } };

	if (!fa || !fa->up || !fa->sa)
		return;
	for (unsigned int i = 0; i < m->n_revq; i++)
		if (!memcmp(&m->revq[i], &r, sizeof(r)))
			return;
	if (m->n_revq == m->revq_cap && revq_grow(m)) {
		/* Out of memory, or more than one per mobile and holder:
		 * never forget one. */
		log_err("revocation queue full (%u): deleting the IKE SA with %s instead",
			m->n_revq, fa->peer->name);
		ike_sa_delete(fa->sa);
		return;
	}
	m->revq[m->n_revq++] = r;
	m->revocations_queued++;
	ike_mod_revoke_pump(m);
}

static void revoke_at_fa(struct ike_mod *m, struct mobile *mb, uint32_t fa_addr)
{
	ike_mod_revoke_spis(m, mb->home, fa_addr, (uint32_t[2]){ mb->csa.spi_out, mb->csa.spi_in });
}

void ike_mod_revoke(struct ike_mod *m, struct mobile *mb, uint32_t fa)
{
	revoke_at_fa(m, mb, fa);
}

/* HA: the MH is back at fa: a revocation there that has not left yet
 * would remove what fa holds, or is about to be given, for it now. */
static void revoke_cancel(struct ike_mod *m, struct mobile *mb, uint32_t fa)
{
	char a[16], c[16];

	for (unsigned int i = 0; i < m->n_revq;) {
		/* A rekey's old pair goes whatever the MH does. */
		if (m->revq[i].fa != fa || m->revq[i].home != mb->home ||
		    m->revq[i].spi[0] != mb->csa.spi_out) {
			i++;
			continue;
		}
		m->revocations_dropped++;
		log_info("revocation of %s at %s dropped: the MH is back there",
			 mml_ipv4_str(mb->home, a), mml_ipv4_str(fa, c));
		revq_drop(m, i);
	}
}

static void mobile_drop_csa(struct ike_mod *m, struct mobile *mb)
{
	ike_mod_unqueue(m, mb);
	if (!mb->have_csa)
		return;
	ike_life_drop(m, mb);
	if (mb->fa_with_keys)
		revoke_at_fa(m, mb, mb->fa_with_keys);
	for (unsigned int i = 0; i < mb->holders.n; i++)
		if (mb->holders.h[i].fa != mb->fa_with_keys)
			revoke_at_fa(m, mb, mb->holders.h[i].fa);
	holders_clear(&mb->holders);
	ike_mod_remove_csa(m, mb->csa.spi_out, mb->csa_owner);
	ike_mod_remove_csa(m, mb->csa.spi_in, mb->csa_owner);
	mip_maps_gen_bump(&m->maps);
	ike_mod_binding_spis(m, mb->home, 0, 0, mb->csa_owner);
	OPENSSL_cleanse(&mb->csa, sizeof(mb->csa));
	mb->have_csa = false;
	mb->fa_with_keys = 0;
	mb->distributing = 0;
}

static void mobile_start(struct ike_mod *m, struct mobile *mb)
{
	const struct ike_peer_cfg *mh = ike_mobile_cfg(m, mb);
	struct fa_link *fa = fa_of_addr(m, mb->coa, true);
	char a[16];

	if (!mh) {
		log_warn("binding %s: no ike peer with that address: no ML-IKE for it",
			 mml_ipv4_str(mb->home, a));
		return;
	}
	if (!fa)
		log_warn("care-of address %s: no ike peer (FA) with that address: the CSA stays "
			 "between MH and HA",
			 mml_ipv4_str(mb->coa, a));
	/* Fig. 4 flows 5 and 6: both IKE SAs at once. */
	if (!mb->mh_sa) {
		ike_mobile_set_sa(m, mb, ike_initiate(m->eng, mh));
		if (!mb->mh_sa)
			loop_timer_in(m->loop, &m->retry, RETRY_NS);
	}
	if (fa)
		fa_connect(m, fa);
}

void ike_mod_on_binding(void *arg, uint32_t home, uint32_t coa)
{
	struct ike_mod *m = arg;
	struct mobile *mb = mobile_of_home(m, home);

	if (!coa) {
		if (!mb)
			return;
		mobile_drop_csa(m, mb);
		if (mb->mh_sa)
			ike_sa_delete(mb->mh_sa);
		ike_mod_bypass(m, home, m->ecfg.local_addr, false);
		ike_mobile_del(m, mb);
		ike_mod_rearm(m);
		return;
	}
	if (mb && mb->coa == coa) {
		/* A renewal. The MH may have restarted meanwhile (its IKE SA
		 * gone): a liveness check finds out at once, and a timeout
		 * starts over. */
		if (mb->mh_sa && ike_sa_established(mb->mh_sa))
			ike_sa_liveness(mb->mh_sa);
		ike_mod_rearm(m);
		return;
	}
	if (!mb) {
		/* A mobile host without ML-IKE (Mobile IP only) takes no
		 * record: it would hold a slot an IKE mobile needs, and log a
		 * line at each registration. Counted instead. */
		if (!ike_mobile_has_peer(m, home)) {
			m->mobiles_no_peer++;
			return;
		}
		mb = ike_mobile_new(m, home);
		if (!mb)
			return;
		mb->t_bound = loop_now();
		mb->handoff = ike_pkd_handoff_of(m, home);
		m->n_pkd += mb->handoff == IKE_HANDOFF_PKD;
	} else {
		/* A new care-of address: its initialisation is timed from now. */
		mb->prev_coa = mb->coa;
		mb->t_bound = loop_now();
		mb->t_done = 0;
		revoke_cancel(m, mb, coa);
		/* KEY_DISTRIBUTE still out to the FA the MH left: its
		 * revocation waits behind it, and the new FA is served. */
		if (mb->distributing && mb->distributing != coa) {
			if (mb->handoff != IKE_HANDOFF_PKD)
				revoke_at_fa(m, mb, mb->distributing);
			else /* PKD: it keeps them, a holder once it answers */
				holders_set(&mb->holders, mb->distributing, HOLDER_SENDING, false);
			mb->distributing = 0;
		}
		/* Handoff: the old FA loses the keys, the new one gets them;
		 * with PKD the old one keeps them (a neighbour of the new). */
		if (mb->fa_with_keys && mb->handoff != IKE_HANDOFF_PKD) {
			revoke_at_fa(m, mb, mb->fa_with_keys);
			holders_remove(&mb->holders, mb->fa_with_keys);
			mb->fa_with_keys = 0;
			mb->coa = coa;
			ike_dkm_ha_wait(m, mb);
		}
		mb->fa_with_keys = 0;
	}
	mb->coa = coa;
	ike_pkd_moved(m, mb);
	ike_mod_bypass(m, home, m->ecfg.local_addr, true);
	mobile_start(m, mb);
	ike_mod_want_keys(m, mb);
	ike_mod_distribute(m);
	ike_pkd_distribute(m);
	ike_mod_rearm(m);
}

void ike_mod_on_retry(void *arg)
{
	struct ike_mod *m = arg;

	for (unsigned int i = 0; i < m->mobiles_max; i++)
		if (m->mobiles[i].used)
			mobile_start(m, &m->mobiles[i]);
	ike_mod_rearm(m);
}

/* Dead peer detection (RFC 7296 2.4): an empty INFORMATIONAL to every MH
 * and FA now and then; a peer that does not answer loses its IKE SA, and
 * the retry timer sets the initialisation up again. */
void ike_mod_on_dpd(void *arg)
{
	struct ike_mod *m = arg;

	for (unsigned int i = 0; i < m->mobiles_max; i++)
		if (m->mobiles[i].used && m->mobiles[i].mh_sa &&
		    ike_sa_established(m->mobiles[i].mh_sa))
			ike_sa_liveness(m->mobiles[i].mh_sa); /* -EBUSY: busy is alive */
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->fas[i].up && m->fas[i].sa)
			ike_sa_liveness(m->fas[i].sa);
	loop_timer_in(m->loop, &m->dpd, (uint64_t)m->dpd_s * NS_PER_SEC);
	ike_mod_rearm(m);
}

static void ev_ike_up(void *ctx, struct ike_sa *sa)
{
	struct ike_mod *m = ctx;
	struct mobile *mb;
	struct fa_link *fa;
	int err;

	if (m->role == ROLE_FA) {
		ike_reconcile_superseded(m, sa);
		ike_dkm_ike_up(m, sa);
		ike_pkd_fa_up(m, sa);
		ike_link_sa_changed(m, sa);
	}
	if (m->role != ROLE_HA)
		return;
	mb = mobile_of_sa(m, sa);
	if (mb) {
		/* Fig. 4 flow 7. */
		err = mlike_auth_sa_start(sa);
		if (err)
			log_err("MLIKE_AUTH_SA to %s: %s", ike_sa_peer(sa)->name, strerror(-err));
		return;
	}
	fa = fa_of_sa(m, sa);
	if (fa) {
		fa->up = true;
		/* Rare: the mobiles it serves wait for it. */
		for (unsigned int i = 0; i < m->mobiles_max; i++)
			if (m->mobiles[i].used && m->mobiles[i].coa == fa->peer->addr)
				ike_mod_want_keys(m, &m->mobiles[i]);
		ike_mod_distribute(m);
		ike_pkd_distribute(m);
	}
}

static void ev_ike_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct ike_mod *m = ctx;
	struct mobile *mb;
	struct fa_link *fa;

	ike_mod_inst_remove_all(m, sa);
	ike_flow_sa_down(m, sa);
	ike_link_sa_changed(m, sa);
	if (m->role == ROLE_FA)
		ike_dkm_ike_down(m, sa);
	if (m->role == ROLE_MH) {
		ike_mod_own_binding_spis(m, 0, 0, ike_sa_peer(sa)->addr);
		if (m->mh_sa == sa) {
			m->mh_sa = NULL;
			m->mh_rk = (struct csa_rekey){ 0 };
		}
		return;
	}
	if (m->role != ROLE_HA)
		return;
	mb = mobile_of_sa(m, sa);
	if (mb) {
		ike_mobile_set_sa(m, mb, NULL);
		mobile_drop_csa(m, mb);
		/* Still bound: try again (the MH may have been unreachable). */
		if (why != IKE_DOWN_SHUTDOWN)
			loop_timer_in(m->loop, &m->retry, RETRY_NS);
		return;
	}
	fa = fa_of_sa(m, sa);
	if (fa) {
		fa->sa = NULL;
		fa->up = false;
		fa->dist_slot = 0;
		for (unsigned int i = 0; i < m->mobiles_max; i++) {
			struct mobile *x = &m->mobiles[i];

			if (x->used && x->fa_with_keys == fa->peer->addr)
				x->fa_with_keys = 0;
			if (x->used && x->distributing == fa->peer->addr)
				x->distributing = 0;
		}
		fa->revoking = (struct revocation){ 0 };
		ike_pkd_fa_gone(m, fa->peer->addr);
		if (why != IKE_DOWN_SHUTDOWN)
			loop_timer_in(m->loop, &m->retry, RETRY_NS);
	}
}

/* Every pointer to the old IKE SA now means the new one. */
static void ev_ike_rekeyed(void *ctx, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
	struct ike_mod *m = ctx;
	struct mobile *mb;

	ike_dkm_rekeyed(m, old_sa, new_sa);
	if (m->role == ROLE_HA && (mb = mobile_of_sa(m, old_sa)))
		ike_mobile_set_sa(m, mb, new_sa);
	if (m->mh_sa == old_sa)
		m->mh_sa = new_sa;
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++) {
		if (m->fas[i].sa == old_sa)
			m->fas[i].sa = new_sa;
		if (m->inst[i].sa == old_sa)
			m->inst[i].sa = new_sa;
	}
	ike_mod_esp_rekeyed(m, old_sa, new_sa);
}

/* MH and HA: the pair goes in as the peer's. An SPI whose CSA here is
 * another's (another mobile's, a static one) refuses the pair, and the IKE
 * SA goes with it: the HA starts over with fresh SPIs (its retry timer). */
static bool install_own_pair(struct ike_mod *m, struct ike_sa *sa, const struct mlike_csa *csa)
{
	if (ike_mod_install_pair(m, csa, ike_sa_peer(sa)->addr) != -EPERM)
		return true;
	log_err("peer %s: CSA pair %08x/%08x refused (an SPI is another's here): IKE SA "
		"deleted",
		ike_sa_peer(sa)->name, csa->spi_out, csa->spi_in);
	ike_sa_delete(sa);
	return false;
}

static void ev_csa_up(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct ike_mod *m = ctx;
	uint32_t owner = ike_sa_peer(sa)->addr;
	struct installed *in;
	struct mobile *mb;

	if (m->role == ROLE_MH) {
		ike_mod_inst_remove_all(m, sa); /* a new pair replaces the previous one */
		if (!install_own_pair(m, sa, csa))
			return;
		in = ike_mod_inst_of(m, sa, true);
		if (in) {
			installed_add(in, csa->spi_out);
			installed_add(in, csa->spi_in);
		}
		ike_mod_own_binding_spis(m, csa->spi_out, csa->spi_in, owner);
		ike_mod_bypass(m, m->home, owner, true);
		ike_life_csa_up(m, sa, csa);
		return;
	}
	if (m->role != ROLE_HA)
		return;
	mb = mobile_of_sa(m, sa);
	if (!mb)
		return;
	mobile_drop_csa(m, mb);
	if (!install_own_pair(m, sa, csa))
		return;
	mb->csa = *csa;
	mb->csa_owner = owner;
	mb->have_csa = true;
	ike_mod_binding_spis(m, mb->home, csa->spi_out, csa->spi_in, owner);
	ike_life_csa_up(m, sa, csa);
	ike_mod_want_keys(m, mb);
	ike_mod_distribute(m); /* Fig. 4 flow 8 */
}

int ike_mod_fa_install(struct ike_mod *m, const struct mlike_fa_keys *keys, struct installed *in,
		       enum z1_via via, uint32_t owner)
{
	uint32_t spis[2], ha = dkm_cache_ha_of(&m->dkm.cache, keys->mh_home);
	struct mml_csa csas[2];
	unsigned int n = 0;
	char a[16];
	int err = 0;

	if (mlike_fa_keys_to_map(keys, owner, loop_now(), csas, &n))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		spis[i] = csas[i].spi;
	/* Installed unrecorded, nothing would ever remove them. */
	if (in && !installed_room(in, spis, n)) {
		OPENSSL_cleanse(csas, sizeof(csas));
		log_err("more than %u CSAs under one IKE SA (4 x mobiles_max): keys refused",
			in->spis.max);
		return -ENOSPC;
	}
	/* Another HA's CSA (or a static one) under one of the SPIs, or
	 * another HA's CSAs for this mobile (its records here are per
	 * mobile): none of them goes in, and nothing of that mobile's here
	 * changes. */
	err = csa_map_may(&m->store, spis, n, owner);
	if (!err && ha && ha != owner) {
		log_err("zone-1 keys of %s refused: its CSAs here are another HA's",
			mml_ipv4_str(keys->mh_home, a));
		err = -EPERM;
	}
	if (err) {
		OPENSSL_cleanse(csas, sizeof(csas));
		if (err == -EPERM)
			m->csas_refused_owner++;
		return err;
	}
	ike_pkd_fa_install(m, keys, csas, n); /* PKD: held inactive until the MH is here */
	for (unsigned int i = 0; i < n && !err; i++) {
		err = ike_mod_install_csa(m, &csas[i]);
		if (!err && in)
			installed_add(in, csas[i].spi);
		/* A full map: none of the set stays (KEY_DISTRIBUTE refused). */
		for (unsigned int k = 0; err && k < i; k++) {
			ike_mod_remove_csa(m, csas[k].spi, owner);
			ike_mod_inst_forget(m, csas[k].spi);
		}
	}
	if (!err && n == 2 && !(csas[0].flags & MML_CSA_F_INACTIVE))
		ike_z1_active(m, keys->mh_home, (uint32_t[2]){ csas[0].spi, csas[1].spi }, via);
	OPENSSL_cleanse(csas, sizeof(csas));
	/* What the previous FA of a DKM handoff hands over (ike_dkm.c). */
	if (!err)
		dkm_cache_put(&m->dkm.cache, keys);
	return err;
}

/* KEY_DISTRIBUTE (PKD's inactive ones too): the sender owns what it
 * installs, and names itself as the HA (the address DKM's install report
 * and a later handoff's owner go by). */
static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	struct ike_mod *m = ctx;
	uint32_t owner = ike_sa_peer(sa)->addr;
	struct installed *in;
	char a[16];

	if (m->role != ROLE_FA)
		return -EPERM;
	if (keys->ha_addr != owner) {
		m->csas_refused_owner++;
		log_err("peer %s: KEY_DISTRIBUTE names %s as the HA, not itself: refused",
			ike_sa_peer(sa)->name, mml_ipv4_str(keys->ha_addr, a));
		return -EPERM;
	}
	in = ike_mod_inst_of(m, sa, true);
	if (!in)
		return -EINVAL;
	return ike_mod_fa_install(m, keys, in, Z1_VIA_KEY_DISTRIBUTE, owner);
}

/* The serving FA answered the one KEY_DISTRIBUTE out to it (one exchange
 * at a time: fa->dist_slot). */
static void keys_done_at(struct ike_mod *m, struct fa_link *fa, int result)
{
	struct mobile *mb = fa->dist_slot ? &m->mobiles[fa->dist_slot - 1] : NULL;
	char a[16];

	fa->dist_slot = 0;
	if (!mb || !mb->used || mb->distributing != fa->peer->addr || mb->coa != fa->peer->addr)
		return;
	mb->distributing = 0;
	if (result) {
		log_err("%s refused the zone-1 keys of %s", fa->peer->name,
			mml_ipv4_str(mb->home, a));
		return;
	}
	mb->fa_with_keys = fa->peer->addr;
	holders_set(&mb->holders, fa->peer->addr, HOLDER_HELD, true);
	ike_life_keys_done(m, mb);
	mb->t_done = loop_now();
	m->inits_done++;
	log_info("ML-IKE initialisation of %s done in %.3f ms (binding to keys at %s)",
		 mml_ipv4_str(mb->home, a), (double)(mb->t_done - mb->t_bound) / 1e6,
		 fa->peer->name);
}

static void ev_fa_keys_done(void *ctx, struct ike_sa *sa, int result)
{
	struct ike_mod *m = ctx;
	struct fa_link *fa = fa_of_sa(m, sa);

	if (fa && ike_pkd_keys_done(m, fa, result))
		fa = NULL; /* a neighbour's copy, not the serving FA's */
	if (fa)
		keys_done_at(m, fa, result);
	ike_mod_revoke_pump(m);
	ike_mod_distribute(m);
	ike_pkd_distribute(m);
}

/* The peer's CSA Delete removes what that peer installed; another's SPI
 * stays, and is left out of the acknowledgement. */
static unsigned int ev_csa_deleted(void *ctx, struct ike_sa *sa, uint32_t *spis, unsigned int n)
{
	struct ike_mod *m = ctx;
	uint32_t owner = ike_sa_peer(sa)->addr;
	int acked = ike_life_mh_deleted(m, spis, n);
	unsigned int done = 0;

	if (acked >= 0)
		return (unsigned int)acked; /* a rekey's old pair (csa_life.c) */
	for (unsigned int i = 0; i < n; i++) {
		if (ike_mod_remove_csa(m, spis[i], owner) == -EPERM)
			continue;
		ike_mod_inst_forget(m, spis[i]);
		spis[done++] = spis[i];
	}
	mip_maps_gen_bump(&m->maps);
	return done;
}

/* HA: an FA answered our CSA Delete. If its MH came back to that FA
 * while the Delete travelled, the FA's copy may have gone with it (DKM
 * installed it before the Delete arrived): the FA holds nothing for it
 * now, and KEY_DISTRIBUTE gives it the keys again. */
static void ev_csa_revoked(void *ctx, struct ike_sa *sa, const uint32_t *acked, unsigned int n)
{
	struct ike_mod *m = ctx;
	struct fa_link *fa = m->role == ROLE_HA ? fa_of_sa(m, sa) : NULL;
	struct revocation r;
	struct mobile *mb;
	char a[16];

	if (!fa) {
		ike_life_mh_answered(m, sa, acked, n);
		return;
	}
	r = fa->revoking;
	fa->revoking = (struct revocation){ 0 };
	mb = r.fa ? mobile_of_home(m, r.home) : NULL;
	if (mb && mb->have_csa && mb->coa == r.fa && r.spi[0] == mb->csa.spi_out &&
	    r.spi[1] == mb->csa.spi_in) {
		m->revocations_raced++;
		log_info("revocation of %s at %s crossed its return: keys sent again",
			 mml_ipv4_str(mb->home, a), fa->peer->name);
		holders_remove(&mb->holders, r.fa);
		if (mb->fa_with_keys == r.fa)
			mb->fa_with_keys = 0;
		if (mb->dkm.early_fa == r.fa)
			mb->dkm.early_fa = 0;
		mb->dkm.deadline_ns = 0;
		ike_mod_want_keys(m, mb);
	}
	ike_mod_revoke_pump(m);
	ike_mod_distribute(m);
	ike_pkd_distribute(m);
}

const struct ike_events ike_mod_events = {
	.ike_up = ev_ike_up,
	.ike_down = ev_ike_down,
	.ike_rekeyed = ev_ike_rekeyed,
	.csa_up = ev_csa_up,
	.csa_rekeyed = ike_life_rekeyed,
	.csa_rekey_busy = ike_life_rekey_busy,
	.fa_keys = ev_fa_keys,
	.fa_keys_done = ev_fa_keys_done,
	.csa_deleted = ev_csa_deleted,
	.csa_revoked = ev_csa_revoked,
	.dkm_missing = ike_dkm_missing,
	.dkm_lookup = ike_dkm_lookup,
	.dkm_answer = ike_dkm_answer,
	.dkm_installed = ike_dkm_installed,
	.dkm_reported = ike_dkm_reported,
	.child_up = ike_mod_esp_child_up,
	.child_down = ike_mod_esp_child_down,
	.neighbors = ike_pkd_neighbors,
	.neighbors_done = ike_pkd_neighbors_done,
	.flow_mode = ike_flow_mode,
	.flow_mode_done = ike_flow_mode_done,
	.link_state = ike_link_state,
	.link_state_done = ike_link_state_done,
	.peer_lookup = ike_mobile_peer_lookup,
	.cfg_put = ike_mobile_cfg_put,
};
