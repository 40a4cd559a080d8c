/* DKM in mmlkeyd (docs/protocol.md §8): the zone-1 CSA follows the MH from
 * FA to FA without the HA sending it again.
 *
 * New FA: the Mobile IP role relayed a registration naming the previous
 * FA (keyd_prev_fa); if that FA is a configured neighbour, we set up (or
 * reuse) an IKE SA with it and send DKM_CSA_REQUEST, in parallel with the
 * relay. The answer is installed as KEY_DISTRIBUTE's would be and
 * reported to the HA over its IKE SA; a report the HA refuses takes the
 * CSAs out again. A refusal, no answer within dkm_timeout_ms or the
 * previous FA unreachable: we give up (logged once) and tell the HA at
 * once (a DKM_CSA_MISSING report), which redistributes without waiting.
 *
 * Previous FA: answers from dkm_cache (installed CSAs, and removed ones for
 * dkm_grace seconds), each MH's CSAs once; the engine refuses peers that
 * are not neighbours.
 *
 * HA: a handoff of an MH with handoff = "dkm" holds KEY_DISTRIBUTE back
 * for dkm_timeout_ms; the new FA's install report ends the wait (and makes
 * it a holder), its "missing" report or its silence runs KEY_DISTRIBUTE
 * (logged once). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"

#define DKM_TICK_NS (50 * NS_PER_MS)

int ike_dkm_config(struct ike_mod *m, const config_setting_t *sec)
{
	uint32_t grace_s = 10;

	m->dkm.timeout_ms = 1000;
	if (cfg_u32(sec, "dkm_grace", false, 0, 3600, &grace_s) ||
	    cfg_u32(sec, "dkm_timeout_ms", false, 10, 60000, &m->dkm.timeout_ms))
		return -EINVAL;
	m->dkm.cache.grace_ns = (uint64_t)grace_s * NS_PER_SEC;
	return 0;
}

static int peer_index(const struct ike_mod *m, uint32_t addr)
{
	for (unsigned int i = 0; i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == addr)
			return (int)i;
	return -1;
}

static struct dkm_link *link_of(struct ike_mod *m, uint32_t addr)
{
	int i = peer_index(m, addr);

	return i < 0 ? NULL : &m->dkm.link[i];
}

static void arm(struct ike_mod *m)
{
	loop_timer_in(m->loop, &m->dkm.timer, DKM_TICK_NS);
}

void ike_dkm_arm(struct ike_mod *m)
{
	arm(m);
}

static int send_report(struct ike_sa *sa, const struct dkm_pend *p)
{
	return p->missing ? dkm_report_missing(sa, &p->mh) : dkm_report_installed(sa, &p->mh);
}

/* New FA: every request and report whose IKE SA is up goes out (one
 * exchange at a time per SA: -EBUSY waits for the next tick). */
static bool pump(struct ike_mod *m)
{
	bool waiting = false;

	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++) {
		struct dkm_pend *r = &m->dkm.req[i], *p = &m->dkm.rep[i];
		struct dkm_link *l;

		if (r->used && !r->sent) {
			l = link_of(m, r->prev);
			if (l && l->up && !dkm_csa_request(l->sa, &r->mh)) {
				r->sent = true;
				m->dkm.requested++;
			}
		}
		/* A report stays until the HA answers it (ike_dkm_reported). */
		if (p->used && !p->sent) {
			l = link_of(m, p->mh.ha_addr);
			if (l && l->up && !send_report(l->sa, p)) {
				p->sent = true;
				if (p->missing)
					m->dkm.missing++;
				else
					m->dkm.reported++;
			}
		}
		waiting |= r->used || (p->used && !p->sent);
	}
	return waiting;
}

/* New FA: the HA hears at once that DKM brought nothing, and sends the
 * keys itself instead of waiting out its bound. */
static void tell_missing(struct ike_mod *m, uint32_t home, uint32_t ha)
{
	struct dkm_pend *p = NULL;
	char a[16];

	for (unsigned int i = 0; i < DKM_PENDING_MAX && !p; i++)
		if (!m->dkm.rep[i].used)
			p = &m->dkm.rep[i];
	if (!p || !ha) {
		log_warn("DKM: the HA not told that %s has no CSA here (reports full): its "
			 "bound redistributes",
			 mml_ipv4_str(home, a));
		return;
	}
	*p = (struct dkm_pend){ .used = true,
				.missing = true,
				.mh = { .mh_home = home, .ha_addr = ha } };
	if (pump(m))
		arm(m);
}

static void give_up(struct ike_mod *m, struct dkm_pend *r, const char *why)
{
	uint32_t home = r->mh.mh_home, ha = r->mh.ha_addr;
	char a[16], p[16];

	m->dkm.timeouts++;
	log_warn("DKM: no zone-1 CSAs of %s from previous FA %s (%s); the HA redistributes",
		 mml_ipv4_str(home, a), mml_ipv4_str(r->prev, p), why);
	*r = (struct dkm_pend){ 0 };
	tell_missing(m, home, ha);
}

/* HA: a handoff whose report did not come in time gets KEY_DISTRIBUTE. */
static void ha_bound(struct ike_mod *m, uint64_t now)
{
	bool run = false;
	char a[16], c[16];

	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		struct mobile *mb = &m->mobiles[i];

		if (!mb->used || !mb->dkm.deadline_ns || now < mb->dkm.deadline_ns)
			continue;
		mb->dkm.deadline_ns = 0;
		ike_mod_want_keys(m, mb);
		m->dkm.fallbacks++;
		run = true;
		log_warn("DKM handoff of %s to %s: no install report within %u ms, "
			 "KEY_DISTRIBUTE instead",
			 mml_ipv4_str(mb->home, a), mml_ipv4_str(mb->coa, c), m->dkm.timeout_ms);
	}
	if (run)
		ike_mod_distribute(m);
}

static void on_timer(void *arg)
{
	struct ike_mod *m = arg;
	uint64_t now = loop_now();
	bool again = false;

	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++)
		if (m->dkm.req[i].used && now >= m->dkm.req[i].deadline_ns)
			give_up(m, &m->dkm.req[i], "timed out");
	if (m->role == ROLE_HA) {
		ha_bound(m, now);
		for (unsigned int i = 0; i < m->mobiles_max && !again; i++)
			again = m->mobiles[i].used && m->mobiles[i].dkm.deadline_ns;
	} else {
		again = pump(m);
		again |= ike_pkd_fa_retry(m);
		dkm_cache_expire(&m->dkm.cache, now);
		for (unsigned int i = 0; i < DKM_CACHE_MAX; i++)
			again |= m->dkm.cache.e[i].used && m->dkm.cache.e[i].departed_ns;
	}
	if (again)
		arm(m);
	ike_mod_rearm(m);
}

void ike_dkm_depart(struct ike_mod *m, uint32_t spi)
{
	dkm_cache_depart(&m->dkm.cache, spi, loop_now());
	arm(m); /* the grace period ends with a wipe */
}

/* New FA: the Mobile IP role relayed a registration naming prev. */
static void on_prev_fa(void *arg, uint32_t home, uint32_t ha, uint32_t prev)
{
	struct ike_mod *m = arg;
	int idx = peer_index(m, prev);
	struct dkm_pend *r = NULL;
	struct dkm_link *l;
	char a[16], p[16];

	if (m->handoff != IKE_HANDOFF_DKM || prev == m->ecfg.local_addr)
		return;
	if (idx < 0 || !m->peers[idx].neighbor) {
		log_info("DKM: previous FA %s of %s is not a neighbour: no request",
			 mml_ipv4_str(prev, p), mml_ipv4_str(home, a));
		tell_missing(m, home, ha);
		return;
	}
	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++)
		if (m->dkm.req[i].used && m->dkm.req[i].mh.mh_home == home)
			return; /* a retransmitted registration: asked already */
	for (unsigned int i = 0; i < DKM_PENDING_MAX && !r; i++)
		if (!m->dkm.req[i].used)
			r = &m->dkm.req[i];
	if (!r) {
		log_warn("DKM: more than %d requests pending: none for %s", DKM_PENDING_MAX,
			 mml_ipv4_str(home, a));
		tell_missing(m, home, ha);
		return;
	}
	*r = (struct dkm_pend){ .used = true,
				.prev = prev,
				.mh = { .mh_home = home, .ha_addr = ha },
				.deadline_ns =
					loop_now() + (uint64_t)m->dkm.timeout_ms * NS_PER_MS };
	l = &m->dkm.link[idx];
	if (!l->sa) {
		l->sa = ike_initiate(m->eng, &m->peers[idx]);
		l->up = false;
	}
	pump(m);
	arm(m);
	ike_mod_rearm(m);
}

void ike_dkm_ike_up(struct ike_mod *m, struct ike_sa *sa)
{
	struct dkm_link *l = link_of(m, ike_sa_peer(sa)->addr);

	if (!l)
		return;
	l->sa = sa;
	l->up = true;
	if (pump(m))
		arm(m);
}

void ike_dkm_ike_down(struct ike_mod *m, struct ike_sa *sa)
{
	uint32_t addr = ike_sa_peer(sa) ? ike_sa_peer(sa)->addr : 0;
	struct dkm_link *l = link_of(m, addr);

	if (m->dkm.nn_pending == sa)
		m->dkm.nn_pending = NULL;
	if (!l || l->sa != sa)
		return;
	*l = (struct dkm_link){ 0 };
	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++) {
		if (m->dkm.req[i].used && m->dkm.req[i].prev == addr)
			give_up(m, &m->dkm.req[i], "its IKE SA is down");
		/* Unanswered reports went with it; the HA's bound decides. */
		if (m->dkm.rep[i].used && m->dkm.rep[i].sent && m->dkm.rep[i].mh.ha_addr == addr)
			m->dkm.rep[i] = (struct dkm_pend){ 0 };
	}
}

void ike_dkm_rekeyed(struct ike_mod *m, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		if (m->dkm.link[i].sa == old_sa)
			m->dkm.link[i].sa = new_sa;
	if (m->dkm.nn_pending == old_sa)
		m->dkm.nn_pending = new_sa;
}

/* Previous FA. */
uint16_t ike_dkm_lookup(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *req,
			struct mlike_fa_keys *keys)
{
	struct ike_mod *m = ctx;
	uint16_t refuse;
	char a[16];

	if (m->role != ROLE_FA)
		return DKM_N_NOT_VISITOR;
	refuse = dkm_cache_take(&m->dkm.cache, req, ike_sa_peer(sa)->addr, loop_now(), keys);
	if (!refuse) {
		m->dkm.handed_over++;
		log_info("DKM: zone-1 CSAs of %s handed over to %s", mml_ipv4_str(req->mh_home, a),
			 ike_sa_peer(sa)->name);
	}
	return refuse;
}

static struct dkm_pend *request_of(struct ike_mod *m, uint32_t prev, uint32_t home)
{
	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++)
		if (m->dkm.req[i].used && m->dkm.req[i].sent && m->dkm.req[i].prev == prev &&
		    m->dkm.req[i].mh.mh_home == home)
			return &m->dkm.req[i];
	return NULL;
}

/* New FA: install, and tell the HA (queued until its IKE SA is up). */
void ike_dkm_answer(void *ctx, struct ike_sa *sa, uint32_t mh_home,
		    const struct mlike_fa_keys *keys, uint16_t notify)
{
	struct ike_mod *m = ctx;
	struct dkm_pend *r = request_of(m, ike_sa_peer(sa)->addr, mh_home), *p = NULL;
	struct dkm_link *ha;
	struct installed *in = NULL;
	char a[16];

	if (!r)
		return; /* given up meanwhile: the HA redistributes */
	if (!keys) {
		give_up(m, r, notify ? "refused" : "unusable answer");
		return;
	}
	/* The HA vouches for these CSAs (it acknowledges our report, revokes
	 * and rekeys them): it owns them here, so it must be the MH's HA of
	 * the registration, not whichever the previous FA names. */
	if (keys->ha_addr != r->mh.ha_addr) {
		m->csas_refused_owner++;
		give_up(m, r, "the answer names another HA");
		return;
	}
	*r = (struct dkm_pend){ 0 };
	ha = link_of(m, keys->ha_addr);
	if (ha && ha->up)
		in = ike_mod_inst_of(m, ha->sa, true);
	if (ike_mod_fa_install(m, keys, in, Z1_VIA_DKM, keys->ha_addr)) {
		log_err("DKM: installing the zone-1 CSAs of %s failed", mml_ipv4_str(mh_home, a));
		tell_missing(m, mh_home, keys->ha_addr); /* the HA sends them itself */
		return;
	}
	mip_maps_gen_bump(&m->maps);
	m->dkm.installed++;
	log_info("DKM: zone-1 CSAs of %s from previous FA %s installed", mml_ipv4_str(mh_home, a),
		 ike_sa_peer(sa)->name);
	for (unsigned int i = 0; i < DKM_PENDING_MAX && !p; i++)
		if (!m->dkm.rep[i].used)
			p = &m->dkm.rep[i];
	if (!p)
		return; /* the HA's bound redistributes */
	*p = (struct dkm_pend){ .used = true,
				.mh = { .mh_home = mh_home, .ha_addr = keys->ha_addr } };
	for (unsigned int i = 0; i < keys->n_secrets && p->mh.n_spis < DKM_SPIS_MAX; i++)
		if (keys->secret[i].zone == 1)
			p->mh.spi[p->mh.n_spis++] = keys->secret[i].spi;
	if (pump(m))
		arm(m);
}

/* New FA: the CSAs of a refused report leave the map, the record of the
 * IKE SA they came under and the DKM cache. */
static void drop_refused(struct ike_mod *m, const struct dkm_mh_pl *rep)
{
	for (unsigned int i = 0; i < rep->n_spis; i++) {
		ike_mod_inst_forget(m, rep->spi[i]);
		ike_mod_remove_csa(m, rep->spi[i], rep->ha_addr);
	}
	dkm_cache_forget(&m->dkm.cache, rep->mh_home);
	mip_maps_gen_bump(&m->maps);
}

/* New FA: the HA answered our install report. Refused: it does not know
 * these CSAs as the MH's (stale, or not from its previous FA), so they are
 * not kept; the HA distributes the MH's real ones. */
void ike_dkm_reported(void *ctx, struct ike_sa *sa, uint32_t mh_home, uint16_t notify)
{
	struct ike_mod *m = ctx;
	uint32_t ha = ike_sa_peer(sa)->addr;
	char a[16];

	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++) {
		struct dkm_pend *p = &m->dkm.rep[i];

		if (!p->used || !p->sent || p->mh.mh_home != mh_home || p->mh.ha_addr != ha)
			continue;
		if (notify && !p->missing) {
			drop_refused(m, &p->mh);
			m->dkm.refused++;
			log_warn("DKM: the HA refused our report for %s (notify %u): its "
				 "zone-1 CSAs removed",
				 mml_ipv4_str(mh_home, a), notify);
		}
		*p = (struct dkm_pend){ 0 };
		return;
	}
}

#define mobile_of ike_mobile_of_home

static void ha_done(struct ike_mod *m, struct mobile *mb)
{
	char a[16], c[16];

	mb->dkm = (struct dkm_wait){ 0 };
	mb->fa_with_keys = mb->coa;
	holders_activate(&mb->holders, mb->coa, true);
	mb->t_done = loop_now();
	log_info("DKM handoff of %s done in %.3f ms: zone 1 at %s from its previous FA",
		 mml_ipv4_str(mb->home, a), (double)(mb->t_done - mb->t_bound) / 1e6,
		 mml_ipv4_str(mb->coa, c));
	/* Fig. 8: the new FA holds the very key the previous one had; the
	 * install report doubles as its request for a new one. */
	if (m->dkm_rekey) {
		m->rekeys_dkm++;
		ike_life_rekey_soon(m, mb);
	}
}

/* HA: an FA installed an MH's CSAs by DKM. They must be the CSAs we hold
 * for that MH; the FA is its FA now, or will be (the report may overtake
 * the registration). */
uint16_t ike_dkm_installed(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	struct ike_mod *m = ctx;
	struct mobile *mb = m->role == ROLE_HA ? mobile_of(m, rep->mh_home) : NULL;
	uint32_t fa = ike_sa_peer(sa)->addr;
	char a[16];

	/* From an FA: never from the MH's own IKE SA. */
	if (!mb || !mb->have_csa || rep->n_spis != 2 || mb->mh_sa == sa || fa == mb->home)
		return DKM_N_UNKNOWN_CSA;
	for (unsigned int i = 0; i < 2; i++)
		if (rep->spi[i] != mb->csa.spi_out && rep->spi[i] != mb->csa.spi_in)
			return DKM_N_UNKNOWN_CSA;
	m->dkm.reported++;
	if (mb->coa != fa && fa == mb->prev_coa) {
		/* Late: the MH has left that FA meanwhile; its copy goes. */
		holders_remove(&mb->holders, fa);
		ike_mod_revoke(m, mb, fa);
		return 0;
	}
	/* Every FA that holds the CSA is in the HA's record (a rekey or a
	 * revocation reaches it); active once the MH is there. */
	if (!holders_set(&mb->holders, fa, HOLDER_HELD, mb->coa == fa))
		log_err("DKM: more than %d FAs hold the keys of %s: %s not recorded", HOLDERS_MAX,
			mml_ipv4_str(mb->home, a), ike_sa_peer(sa)->name);
	if (mb->coa != fa)
		mb->dkm.early_fa = fa;
	else if (mb->dkm.deadline_ns)
		ha_done(m, mb);
	else if (mb->fa_with_keys != fa)
		mb->fa_with_keys = fa; /* after the bound: it holds them too */
	return 0;
}

/* HA: the new FA (or one the MH is about to reach: the report may
 * overtake the registration) has no CSA by DKM: KEY_DISTRIBUTE now. */
uint16_t ike_dkm_missing(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	struct ike_mod *m = ctx;
	struct mobile *mb = m->role == ROLE_HA ? mobile_of(m, rep->mh_home) : NULL;
	uint32_t fa = ike_sa_peer(sa)->addr;
	char a[16], c[16];

	if (!mb || !mb->have_csa || rep->n_spis || mb->mh_sa == sa || fa == mb->home)
		return DKM_N_UNKNOWN_CSA;
	m->dkm.missing++;
	if (mb->coa != fa) {
		mb->dkm.missed_fa = fa;
		return 0;
	}
	if (!mb->dkm.deadline_ns)
		return 0; /* not waiting (any more) */
	mb->dkm.deadline_ns = 0;
	m->dkm.fallbacks++;
	log_info("DKM handoff of %s to %s: no CSA by DKM there, KEY_DISTRIBUTE at once",
		 mml_ipv4_str(mb->home, a), mml_ipv4_str(fa, c));
	ike_mod_want_keys(m, mb);
	ike_mod_distribute(m);
	return 0;
}

bool ike_dkm_ha_wait(struct ike_mod *m, struct mobile *mb)
{
	if (ike_pkd_handoff_of(m, mb->home) != IKE_HANDOFF_DKM)
		return false;
	if (mb->dkm.missed_fa == mb->coa) {
		mb->dkm = (struct dkm_wait){ 0 };
		m->dkm.fallbacks++;
		return false; /* told already: KEY_DISTRIBUTE at once */
	}
	mb->dkm.missed_fa = 0;
	m->dkm.waits++;
	mb->dkm.deadline_ns = loop_now() + (uint64_t)m->dkm.timeout_ms * NS_PER_MS;
	if (mb->dkm.early_fa == mb->coa)
		ha_done(m, mb);
	else
		arm(m);
	return true;
}

json_object *ike_dkm_json(const struct ike_mod *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "handoff", json_object_new_string(ike_handoff_names[m->handoff]));
	json_object_object_add(o, "requested", json_object_new_uint64(m->dkm.requested));
	json_object_object_add(o, "installed", json_object_new_uint64(m->dkm.installed));
	json_object_object_add(o, "handed_over", json_object_new_uint64(m->dkm.handed_over));
	json_object_object_add(o, "timeouts", json_object_new_uint64(m->dkm.timeouts));
	json_object_object_add(o, "reported", json_object_new_uint64(m->dkm.reported));
	json_object_object_add(o, "report_refused", json_object_new_uint64(m->dkm.refused));
	json_object_object_add(o, "waits", json_object_new_uint64(m->dkm.waits));
	json_object_object_add(o, "fallbacks", json_object_new_uint64(m->dkm.fallbacks));
	json_object_object_add(o, "missing", json_object_new_uint64(m->dkm.missing));
	return o;
}

void ike_dkm_start(struct ike_mod *m)
{
	loop_timer_init(&m->dkm.timer, on_timer, m);
	if (m->role == ROLE_FA)
		keyd_prev_fa_subscribe(on_prev_fa, m);
}

void ike_dkm_stop(struct ike_mod *m)
{
	if (m->role == ROLE_FA)
		keyd_prev_fa_subscribe(NULL, NULL);
	loop_timer_cancel(m->loop, &m->dkm.timer);
	dkm_cache_clear(&m->dkm.cache);
}
