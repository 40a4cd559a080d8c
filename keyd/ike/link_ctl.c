/* The auto flow policy (issue 19; keyd/ike/linkauto.h) on mmlkeyd's ike
 * module. FA: every sample_ms it reads its SNOOP worker's counters
 * (mml_snoop_stats: local retransmissions over downlink segments cached)
 * into the hysteresis, and tells each HA it has an IKE SA with when the
 * link's state changes (MLIKE_N_LINK_STATE; again every RETRY_NS while an
 * HA has not taken it). HA: takes a report from an FA serving one of its
 * mobiles, and moves every `auto` flow of the mobiles bound through that
 * FA: ESP on a clean link (a downgrade agreed with the MH, keyd/ike/
 * flowneg.c), ML-ESP on a lossy one (an upgrade, at once). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"
#include "maps/pin.h"
#include "maps/snoop.h"

#define LINK_RETRY_NS (10 * NS_PER_SEC)
#define AUTO_TICK_NS (200 * NS_PER_MS)

static const char *const mode_names[] = { "plain", "esp", "mlesp" };

int ike_link_config(struct ike_mod *m, const config_setting_t *sec)
{
	const config_setting_t *s = config_setting_get_member(sec, "link_auto");
	struct link_hyst_cfg h = { .high_ppm = 20000,
				   .low_ppm = 5000,
				   .lossy_samples = 2,
				   .clean_samples = 3,
				   .min_segments = 50 };
	uint32_t k = h.lossy_samples, mm = h.clean_samples;

	m->link.sample_ms = 1000;
	m->link.auto_cfg =
		(struct link_auto_cfg){ .probe_every_s = 30, .probe_s = 4, .retry_s = 5 };
	m->link.on = s != NULL;
	if (!s) {
		link_hyst_init(&m->link.hyst, &h);
		return 0;
	}
	if (cfg_u32(s, "sample_ms", false, 100, 60000, &m->link.sample_ms) ||
	    cfg_u32(s, "high_ppm", false, 1, 1000000, &h.high_ppm) ||
	    cfg_u32(s, "low_ppm", false, 0, 1000000, &h.low_ppm) ||
	    cfg_u32(s, "lossy_samples", false, 1, 100, &k) ||
	    cfg_u32(s, "clean_samples", false, 1, 100, &mm) ||
	    cfg_u32(s, "min_segments", false, 1, 1000000, &h.min_segments) ||
	    cfg_u32(s, "probe_every_s", false, 0, 86400, &m->link.auto_cfg.probe_every_s) ||
	    cfg_u32(s, "probe_s", false, 1, 3600, &m->link.auto_cfg.probe_s) ||
	    cfg_u32(s, "retry_s", false, 1, 3600, &m->link.auto_cfg.retry_s))
		return -EINVAL;
	h.lossy_samples = (uint8_t)k;
	h.clean_samples = (uint8_t)mm;
	if (link_hyst_init(&m->link.hyst, &h)) {
		log_err("ike: link_auto: low_ppm %u above high_ppm %u", h.low_ppm, h.high_ppm);
		return -EINVAL;
	}
	return 0;
}

static void arm(struct ike_mod *m, uint64_t in_ns)
{
	loop_timer_in(m->loop, &m->link.timer, in_ns);
}

/* --- FA --- */

/* The SNOOP worker's cumulative counters; -ENOENT without SNOOP here. */
static int snoop_counters(struct ike_mod *m, uint64_t *lost, uint64_t *segs)
{
	static const uint32_t lost_ids[] = { MML_SNOOP_STAT_RXMIT_DUPACK,
					     MML_SNOOP_STAT_RXMIT_TIMER };
	static const uint32_t seg_ids[] = { MML_SNOOP_STAT_CACHED, MML_SNOOP_STAT_NOT_CACHED_FULL };
	uint64_t v;

	if (m->link.stats_fd < 0)
		m->link.stats_fd = mml_pin_open_map(m->pin.path, MML_MAP_SNOOP_STATS,
						    sizeof(uint32_t), sizeof(uint64_t));
	if (m->link.stats_fd < 0)
		return -ENOENT;
	*lost = *segs = 0;
	for (size_t i = 0; i < 2; i++) {
		if (bpf_map_lookup_elem(m->link.stats_fd, &lost_ids[i], &v))
			return -errno;
		*lost += v;
		if (bpf_map_lookup_elem(m->link.stats_fd, &seg_ids[i], &v))
			return -errno;
		*segs += v;
	}
	return 0;
}

/* Each HA up that has not taken the current state is told (one exchange
 * at a time per IKE SA; a busy window waits for the next sample). */
static void fa_report(struct ike_mod *m)
{
	struct mlike_link_state_pl ls = { .state = m->link.hyst.state,
					  .loss_ppm = m->link.hyst.last_ppm };
	uint64_t now = loop_now();

	if (ls.state == LINK_UNKNOWN)
		return;
	for (unsigned int i = 0; i < m->ecfg.n_peers; i++) {
		struct dkm_link *l = &m->dkm.link[i];
		int err;

		if (m->peers[i].neighbor || !l->up || !l->sa || m->link.told[i] == ls.state ||
		    m->link.asking[i] || now < m->link.retry_at[i])
			continue;
		err = mlike_link_state(l->sa, &ls);
		if (err) {
			if (err != -EBUSY)
				log_warn("link state to %s: %s", m->peers[i].name, strerror(-err));
			continue;
		}
		m->link.asking[i] = ls.state;
		m->link.reports++;
	}
	ike_mod_rearm(m);
}

static void fa_sample(struct ike_mod *m)
{
	uint64_t lost, segs;
	int err = snoop_counters(m, &lost, &segs);

	if (err) {
		if (!m->link.no_stats_logged)
			log_warn("link_auto: no SNOOP counters here (%s): the link stays %s",
				 strerror(-err), link_state_names[m->link.hyst.state]);
		m->link.no_stats_logged = true;
	} else if (link_hyst_sample(&m->link.hyst, lost, segs)) {
		log_info("link_auto: the wireless link is %s (loss %u ppm over the last %u ms)",
			 link_state_names[m->link.hyst.state], m->link.hyst.last_ppm,
			 m->link.sample_ms);
	}
	fa_report(m);
}

void ike_link_state_done(void *ctx, struct ike_sa *sa, uint16_t notify)
{
	struct ike_mod *m = ctx;

	for (unsigned int i = 0; i < m->ecfg.n_peers; i++) {
		if (m->dkm.link[i].sa != sa || !m->link.asking[i])
			continue;
		if (notify) {
			/* Mostly: no mobile of that HA is bound through us yet. */
			m->link.refused++;
			m->link.retry_at[i] = loop_now() + LINK_RETRY_NS;
			log_info("link state to %s: refused (notify %u), again in %llu s",
				 m->peers[i].name, notify,
				 (unsigned long long)(LINK_RETRY_NS / NS_PER_SEC));
		} else {
			m->link.told[i] = m->link.asking[i];
		}
		m->link.asking[i] = 0;
	}
}

void ike_link_sa_changed(struct ike_mod *m, struct ike_sa *sa)
{
	const struct ike_peer_cfg *peer = ike_sa_peer(sa);

	if (!peer)
		return;
	for (unsigned int i = 0; m->role == ROLE_FA && i < m->ecfg.n_peers; i++)
		if (m->peers[i].addr == peer->addr)
			m->link.told[i] = 0, m->link.asking[i] = 0, m->link.retry_at[i] = 0;
	if (m->role == ROLE_HA)
		link_ha_forget(&m->link.ha, peer->addr);
}

/* --- HA --- */

#define mobile_of_home ike_mobile_of_home

uint16_t ike_link_state(void *ctx, struct ike_sa *sa, const struct mlike_link_state_pl *ls)
{
	struct ike_mod *m = ctx;
	struct fa_link *fa = m->role == ROLE_HA ? fa_of_sa(m, sa) : NULL;
	uint32_t addr = fa ? fa->peer->addr : 0;
	bool serves = false;
	char a[16];
	int err;

	/* A link report, seconds apart: the walk is rare. */
	for (unsigned int i = 0; addr && i < m->mobiles_max && !serves; i++)
		if (m->mobiles[i].used && m->mobiles[i].coa == addr)
			serves = true;
	err = fa ? link_ha_report(&m->link.ha, addr, ls->state, serves) : -EPERM;
	if (err) {
		if (!fa)
			m->link.ha.refused++;
		log_warn("peer %s: link state %s refused: %s", ike_sa_peer(sa)->name,
			 link_state_names[ls->state],
			 err == -EPERM ? "no mobile of ours is bound through it" : strerror(-err));
		return MLIKE_N_LINK_STATE_REFUSED;
	}
	log_info("FA %s: wireless link %s (loss %u ppm)", mml_ipv4_str(addr, a),
		 link_state_names[ls->state], ls->loss_ppm);
	arm(m, 0);
	return 0;
}

static void auto_tick(struct ike_mod *m)
{
	uint64_t now = loop_now();
	bool any = false, kick = false;

	for (unsigned int i = 0; i < LINK_AUTO_MAX; i++) {
		struct link_auto *a = &m->link.autos[i];
		struct mobile *mb;
		uint64_t id;
		int want, err;
		char hb[16];

		if (!a->used)
			continue;
		any = true;
		if (a->asking) {
			const struct flowneg_result *res = flowneg_result(&m->flows, a->id);

			if (res && res->state == FNR_PENDING)
				continue;
			link_auto_done(a, res && res->state == FNR_AGREED,
				       res && res->state == FNR_REFUSED, now, &m->link.auto_cfg);
		}
		mb = mobile_of_home(m, a->key.home_addr);
		if (!mb || !mb->mh_sa || !ike_sa_established(mb->mh_sa))
			continue;
		want = link_auto_step(a, &m->link.auto_cfg, link_ha_state(&m->link.ha, mb->coa),
				      now);
		if (want < 0)
			continue;
		err = flowneg_start(&m->flows, &a->key, (uint8_t)want, 0, 0, now, &id);
		if (err)
			log_warn("auto: flow of %s to %s: %s", mml_ipv4_str(a->key.home_addr, hb),
				 mode_names[want], strerror(-err));
		else
			log_info("auto: flow of %s to %s (link %s%s)",
				 mml_ipv4_str(a->key.home_addr, hb), mode_names[want],
				 link_state_names[link_ha_state(&m->link.ha, mb->coa)],
				 a->probe_until ? ", probing" : "");
		link_auto_asked(a, (uint8_t)want, err ? 0 : id, now, &m->link.auto_cfg);
		kick = true;
	}
	if (kick)
		ike_flow_kick(m);
	if (any)
		arm(m, AUTO_TICK_NS);
}

void ike_link_on_timer(void *arg)
{
	struct ike_mod *m = arg;

	if (m->role == ROLE_FA && m->link.on) {
		fa_sample(m);
		arm(m, (uint64_t)m->link.sample_ms * NS_PER_MS);
	} else if (m->role == ROLE_HA) {
		auto_tick(m);
	}
}

void ike_link_start(struct ike_mod *m)
{
	m->link.stats_fd = -1;
	if (m->role == ROLE_FA && m->link.on)
		arm(m, (uint64_t)m->link.sample_ms * NS_PER_MS);
}

void ike_link_stop(struct ike_mod *m)
{
	loop_timer_cancel(m->loop, &m->link.timer);
	if (m->link.stats_fd >= 0)
		close(m->link.stats_fd);
	m->link.stats_fd = -1;
}

static bool key_eq(const struct mml_flow_key *a, const struct mml_flow_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int ike_link_auto_set(struct ike_mod *m, const struct mml_flow_key *k, bool on, uint8_t mode_now)
{
	struct link_auto *free_slot = NULL;

	for (unsigned int i = 0; i < LINK_AUTO_MAX; i++) {
		struct link_auto *a = &m->link.autos[i];

		if (a->used && key_eq(&a->key, k)) {
			if (!on)
				*a = (struct link_auto){ 0 };
			return 0;
		}
		if (!a->used && !free_slot)
			free_slot = a;
	}
	if (!on)
		return 0;
	if (!free_slot)
		return -ENOSPC;
	*free_slot = (struct link_auto){ .used = true, .key = *k, .mode = mode_now };
	arm(m, 0);
	return 0;
}

json_object *ike_link_json(const struct ike_mod *m)
{
	json_object *o = json_object_new_object();
	char h[16], p[16];

	if (m->role == ROLE_FA) {
		const struct link_hyst *hy = &m->link.hyst;

		json_object_object_add(o, "sampling", json_object_new_boolean(m->link.on));
		json_object_object_add(o, "state",
				       json_object_new_string(link_state_names[hy->state]));
		json_object_object_add(o, "loss_ppm", json_object_new_int64(hy->last_ppm));
		json_object_object_add(o, "high_ppm", json_object_new_int64(hy->cfg.high_ppm));
		json_object_object_add(o, "low_ppm", json_object_new_int64(hy->cfg.low_ppm));
		json_object_object_add(o, "samples", json_object_new_uint64(hy->samples));
		json_object_object_add(o, "samples_idle", json_object_new_uint64(hy->idle));
		json_object_object_add(o, "to_lossy", json_object_new_uint64(hy->to_lossy));
		json_object_object_add(o, "to_clean", json_object_new_uint64(hy->to_clean));
		json_object_object_add(o, "reports", json_object_new_uint64(m->link.reports));
		json_object_object_add(o, "reports_refused",
				       json_object_new_uint64(m->link.refused));
		return o;
	}
	if (m->role == ROLE_HA) {
		json_object *fas = json_object_new_array(), *autos = json_object_new_array();

		for (unsigned int i = 0; i < LINK_HA_MAX; i++) {
			json_object *e;

			if (!m->link.ha.e[i].fa)
				continue;
			e = json_object_new_object();
			json_object_object_add(
				e, "fa",
				json_object_new_string(mml_ipv4_str(m->link.ha.e[i].fa, h)));
			json_object_object_add(
				e, "state",
				json_object_new_string(link_state_names[m->link.ha.e[i].state]));
			json_object_array_add(fas, e);
		}
		for (unsigned int i = 0; i < LINK_AUTO_MAX; i++) {
			const struct link_auto *a = &m->link.autos[i];
			json_object *e;

			if (!a->used)
				continue;
			e = json_object_new_object();
			json_object_object_add(
				e, "home",
				json_object_new_string(mml_ipv4_str(a->key.home_addr, h)));
			json_object_object_add(
				e, "peer",
				json_object_new_string(mml_ipv4_str(a->key.peer_addr, p)));
			json_object_object_add(e, "proto", json_object_new_int(a->key.proto));
			json_object_object_add(e, "home-port",
					       json_object_new_int(a->key.home_port));
			json_object_object_add(e, "peer-port",
					       json_object_new_int(a->key.peer_port));
			json_object_object_add(e, "mode",
					       json_object_new_string(mode_names[a->mode]));
			json_object_object_add(
				e, "asking",
				json_object_new_string(a->asking ? mode_names[a->asking] : "none"));
			json_object_object_add(e, "probing",
					       json_object_new_boolean(a->probe_until));
			json_object_object_add(e, "to_esp", json_object_new_uint64(a->to_esp));
			json_object_object_add(e, "to_mlesp", json_object_new_uint64(a->to_mlesp));
			json_object_object_add(e, "refused", json_object_new_uint64(a->refused));
			json_object_object_add(e, "failed", json_object_new_uint64(a->failed));
			json_object_object_add(e, "probes", json_object_new_uint64(a->probes));
			json_object_array_add(autos, e);
		}
		json_object_object_add(o, "fa_links", fas);
		json_object_object_add(o, "auto", autos);
		json_object_object_add(o, "reports_taken",
				       json_object_new_uint64(m->link.ha.taken));
		json_object_object_add(o, "reports_refused",
				       json_object_new_uint64(m->link.ha.refused));
		json_object_object_add(o, "to_lossy", json_object_new_uint64(m->link.ha.to_lossy));
		json_object_object_add(o, "to_clean", json_object_new_uint64(m->link.ha.to_clean));
	}
	return o;
}
