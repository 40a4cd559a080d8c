/* The "ike" module of mmlkeyd, its glue: the configuration section, start
 * and stop, `ike show`. The engine on the event loop and the ML-IKE
 * initialisation of the paper's Fig. 4 driven by Mobile IP are
 * ike_orch.c's, the map writes ike_install.c's (keyd/ike/keyd_ike.h).
 *
 *   ike = { role = "ha" | "mh" | "fa"; local = "A.B.C.D"; [home = "A.B.C.D";]
 *           [nat_detection = false; cookie_threshold = 16; retransmit_ms = 500;
 *            init_retransmit_ms = 20; dpd_s = 30;]
 *           peers = ( ...keyd/ike/ike_conf.h... ); };
 *
 * HA: a binding of home H to care-of address C (keyd_binding_changed, from
 * the Mobile IP role) starts IKE SAs with the peer whose address is H (the
 * MH, reached through its tunnel) and the peer whose address is C (the FA),
 * in parallel; MLIKE_AUTH_SA with the MH; KEY_DISTRIBUTE of zone 1 to the FA.
 * The CSAs go into mml_csa and their SPIs into the binding. A moved binding
 * hands the CSA to the new FA and revokes it at the old one; a binding that
 * goes away deletes the MH's IKE SA, revokes the FA's keys, and removes the
 * CSAs. MH: installs the CSA pair agreed with its HA (and the SPIs into its
 * own binding, home = its home address). FA: installs what KEY_DISTRIBUTE
 * brings, removes it on revocation or when the HA's IKE SA ends. MH and HA:
 * a CHILD_SA between them (child = true) keys ESP mode (ike_esp.c). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_conf.h"
#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"
#include "lib/args.h"
#include "lib/log.h"
#include "maps/ep.h"

static const char *const role_names[] = { "ha", "mh", "fa", NULL };

static int read_section(struct ike_mod *m, const config_setting_t *sec)
{
	const config_setting_t *peers = config_setting_lookup((config_setting_t *)sec, "peers");
	int role = -1, handoff, n;
	uint32_t v;
	bool b = false;

	if (cfg_choice(sec, "role", role_names, &role))
		return -EINVAL;
	if (role < 0) {
		log_err("%s: section \"ike\" needs role = \"ha\", \"mh\" or \"fa\"", cfg_path);
		return -EINVAL;
	}
	m->role = (enum ike_role)role;
	if (cfg_ipv4(sec, "local", true, &m->ecfg.local_addr) ||
	    cfg_ipv4(sec, "home", m->role == ROLE_MH, &m->home) ||
	    cfg_bool(sec, "nat_detection", &b))
		return -EINVAL;
	m->ecfg.nat_detection = b;
	m->ecfg.cookie_threshold = 16;
	if (cfg_u32(sec, "cookie_threshold", false, 0, 100000, &m->ecfg.cookie_threshold))
		return -EINVAL;
	v = 0;
	if (cfg_u32(sec, "retransmit_ms", false, 10, 60000, &v))
		return -EINVAL;
	m->ecfg.retransmit_base_ms = v;
	v = 20;
	if (cfg_u32(sec, "init_retransmit_ms", false, 0, 60000, &v))
		return -EINVAL;
	m->ecfg.init_retransmit_ms = v;
	m->dpd_s = 30;
	if (cfg_u32(sec, "dpd_s", false, 0, 86400, &m->dpd_s))
		return -EINVAL;
	m->mobiles_max = IKE_MOBILES_DEFAULT;
	if (cfg_u32(sec, "mobiles_max", false, 1, IKE_MOBILES_LIMIT, &m->mobiles_max))
		return -EINVAL;
	n = peers ? config_setting_length(peers) : 0;
	if (n <= 0 || n > IKE_PEERS_MAX) {
		log_err("%s: ike: peers: 1..%d peers expected", cfg_path, IKE_PEERS_MAX);
		return -EINVAL;
	}
	handoff = IKE_HANDOFF_REDISTRIBUTE;
	if (cfg_choice(sec, "handoff", ike_handoff_names, &handoff))
		return -EINVAL;
	m->handoff = (uint8_t)handoff;
	/* Papers Figs. 8 and 9 (docs/protocol.md 2.6). */
	b = true;
	if (cfg_u32(sec, "pkd_threshold", false, 0, HOLDERS_MAX, &m->pkd_threshold) ||
	    cfg_bool(sec, "dkm_rekey", &b))
		return -EINVAL;
	m->dkm_rekey = b;
	for (int i = 0; i < n; i++) {
		const config_setting_t *p = config_setting_get_elem(peers, (unsigned int)i);
		int h = -1;

		/* A peer's own handoff (at the HA: an MH's) overrides the section's. */
		if (ike_conf_peer(p, &m->peers[i]) ||
		    cfg_choice(p, "handoff", ike_handoff_names, &h))
			return -EINVAL;
		m->peer_handoff[i] = (uint8_t)(h + 1);
		/* The address names the peer as the owner of what it installs
		 * (maps/csa.h owner): two peers must not share one. */
		for (int k = 0; k < i && !m->peers[i].tmpl; k++)
			if (m->peers[k].addr == m->peers[i].addr) {
				log_err("%s: ike: peers %s and %s have the same address", cfg_path,
					m->peers[k].name, m->peers[i].name);
				return -EINVAL;
			}
		/* A template is the HA's, for its mobiles; ESP mode's selectors
		 * would be per mobile. */
		if (m->peers[i].tmpl && (m->role != ROLE_HA || m->peers[i].child)) {
			log_err("%s: ike: peer %s: mobiles = ... is a template for an HA's mobile "
				"hosts, without child = true",
				cfg_path, m->peers[i].name);
			return -EINVAL;
		}
		/* ESP mode keys are the MH's and the HA's alone. */
		if (m->role == ROLE_FA && m->peers[i].child) {
			log_err("%s: ike: peer %s: child = true (ESP mode) is for MH and HA, not "
				"an FA",
				cfg_path, m->peers[i].name);
			return -EINVAL;
		}
	}
	m->ecfg.peers = m->peers;
	m->ecfg.n_peers = (unsigned int)n;
	if (ike_reconcile_config(m, sec) || ike_flow_config(m, sec) || ike_link_config(m, sec))
		return -EINVAL;
	return ike_dkm_config(m, sec);
}

static void ike_stop(void *state)
{
	struct ike_mod *m = state;
	int fds[2];
	unsigned int n;

	if (!m)
		return;
	if (m->eng) {
		n = ike_engine_fds(m->eng, fds);
		for (unsigned int i = 0; i < n; i++)
			loop_del_fd(m->loop, fds[i]);
		/* Deletes every SA; the callbacks remove what was installed. */
		ike_engine_free(m->eng);
	}
	if (m->role == ROLE_HA)
		keyd_binding_subscribe(NULL, NULL);
	if (m->role == ROLE_FA)
		keyd_visitor_subscribe(NULL, NULL);
	loop_timer_cancel(m->loop, &m->timer);
	loop_timer_cancel(m->loop, &m->retry);
	loop_timer_cancel(m->loop, &m->spi_timer);
	loop_timer_cancel(m->loop, &m->dpd);
	loop_timer_cancel(m->loop, &m->life_timer);
	loop_timer_cancel(m->loop, &m->rec.timer);
	ike_flow_stop(m);
	ike_link_stop(m);
	ike_dkm_stop(m);
	ike_tables_free(m);
	mml_csa_store_close(&m->store);
	mip_maps_close(&m->maps);
	if (m->flow_fd >= 0)
		close(m->flow_fd);
	if (m->flow_shapes_fd >= 0)
		close(m->flow_shapes_fd);
	if (m->rekey_fd >= 0)
		close(m->rekey_fd);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

static int ike_start(struct keyd *kd, const config_setting_t *sec, void **state)
{
	struct ike_mod *m = calloc(1, sizeof(*m));
	int fds[2], err;
	unsigned int n;

	if (!m)
		return -ENOMEM;
	m->loop = kd->loop;
	loop_timer_init(&m->timer, ike_mod_on_timer, m);
	loop_timer_init(&m->retry, ike_mod_on_retry, m);
	loop_timer_init(&m->spi_timer, ike_mod_on_spi_timer, m);
	loop_timer_init(&m->dpd, ike_mod_on_dpd, m);
	loop_timer_init(&m->dkm.timer, NULL, m);
	loop_timer_init(&m->life_timer, ike_life_on_timer, m);
	loop_timer_init(&m->rec.timer, ike_reconcile_on_timer, m);
	loop_timer_init(&m->flow_timer, ike_flow_on_timer, m);
	loop_timer_init(&m->link.timer, ike_link_on_timer, m);
	m->link.stats_fd = -1;
	mml_csa_store_init(&m->store, &kd->pin);
	mip_maps_init(&m->maps, &kd->pin);
	m->pin = kd->pin;
	m->flow_fd = -1;
	m->flow_shapes_fd = -1;
	m->rekey_fd = -1;
	err = read_section(m, sec);
	if (!err)
		err = ike_tables_init(m);
	if (err)
		goto fail;
	m->eng = ike_engine_new(&m->ecfg, &ike_mod_events, m);
	if (!m->eng) {
		err = -EIO;
		goto fail;
	}
	n = ike_engine_fds(m->eng, fds);
	for (unsigned int i = 0; i < n; i++) {
		err = loop_add_fd(m->loop, fds[i], EPOLLIN, ike_mod_on_readable, m);
		if (err)
			goto fail;
	}
	ike_reconcile_start(m);
	ike_dkm_start(m);
	ike_link_start(m);
	/* Last of the set-up: the subscription replays the bindings adopted
	 * at the start, which starts ML-IKE for each at once. */
	if (m->role == ROLE_HA)
		keyd_binding_subscribe(ike_mod_on_binding, m);
	if (m->role == ROLE_FA)
		keyd_visitor_subscribe(ike_pkd_on_visitor, m);
	/* The MH's IKE traffic with its HA (the first peer) is exempt from
	 * the CSAs from the start. */
	if (m->role == ROLE_MH)
		ike_mod_bypass(m, m->home, m->peers[0].addr, true);
	if (m->role == ROLE_HA && m->dpd_s)
		loop_timer_in(m->loop, &m->dpd, (uint64_t)m->dpd_s * NS_PER_SEC);
	log_info("ike: %s role, %u peers, mobiles_max %u", role_names[m->role], m->ecfg.n_peers,
		 m->mobiles_max);
	*state = m;
	return 0;
fail:
	ike_stop(m);
	return err;
}

/* The settings a reload may change, as in force (docs/operations.md). */
static json_object *settings_json(const struct ike_mod *m)
{
	json_object *o = json_object_new_object(), *peers = json_object_new_array();

	json_object_object_add(o, "pkd_threshold", json_object_new_uint64(m->pkd_threshold));
	for (unsigned int i = 0; i < m->ecfg.n_peers; i++) {
		const struct ike_peer_cfg *p = &m->peers[i];
		json_object *q = json_object_new_object();

		json_object_object_add(q, "name", json_object_new_string(p->name));
		json_object_object_add(q, "ike_rekey_time",
				       json_object_new_uint64(p->ike_rekey_ms / 1000));
		json_object_object_add(q, "child_rekey_time",
				       json_object_new_uint64(p->child_rekey_ms / 1000));
		json_object_object_add(q, "csa_soft_lifetime",
				       json_object_new_uint64(p->csa_soft_lifetime_s));
		json_object_object_add(q, "csa_hard_lifetime",
				       json_object_new_uint64(p->csa_hard_lifetime_s));
		json_object_object_add(q, "csa_soft_packets",
				       json_object_new_uint64(p->csa_soft_packets));
		json_object_object_add(q, "csa_hard_packets",
				       json_object_new_uint64(p->csa_hard_packets));
		json_object_array_add(peers, q);
	}
	json_object_object_add(o, "peers", peers);
	return o;
}

static json_object *show(struct ike_mod *m)
{
	json_object *o = json_object_new_object(), *ctr = json_object_new_object();
	json_object *mobiles = json_object_new_array();
	char a[16], c[16];

	json_object_object_add(o, "role", json_object_new_string(role_names[m->role]));
	for (int i = 0; i < IKE_C_MAX; i++)
		json_object_object_add(ctr, ike_counter_name((enum ike_counter)i),
				       json_object_new_uint64(ike_engine_counter(m->eng, i)));
	json_object_object_add(o, "counters", ctr);
	json_object_object_add(o, "settings", settings_json(m));
	{
		/* Processing time of the last message of each exchange, µs
		 * (the paper's Table 2 per node). */
		static const struct {
			const char *name;
			uint8_t x;
		} xs[] = { { "ike_sa_init", IKE_SA_INIT },
			   { "ike_auth", IKE_AUTH },
			   { "create_child_sa", IKE_CREATE_CHILD_SA },
			   { "informational", IKE_INFORMATIONAL },
			   { "mlike_auth_sa", MLIKE_AUTH_SA },
			   { "key_distribute", MLIKE_KEY_DISTRIBUTE },
			   { "neighbor_notify", MLIKE_NEIGHBOR_NOTIFY },
			   { "dkm_csa_request", DKM_CSA_REQUEST },
			   { "mlike_create_child_sa", MLIKE_CREATE_CHILD_SA } };
		json_object *proc = json_object_new_object();

		for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(
				e, "request_us",
				json_object_new_double(
					(double)ike_engine_proc_ns(m->eng, xs[i].x, false) / 1e3));
			json_object_object_add(
				e, "response_us",
				json_object_new_double(
					(double)ike_engine_proc_ns(m->eng, xs[i].x, true) / 1e3));
			json_object_object_add(
				e, "round_trip_us",
				json_object_new_double((double)ike_engine_rtt_ns(m->eng, xs[i].x) /
						       1e3));
			json_object_object_add(proc, xs[i].name, e);
		}
		json_object_object_add(o, "processing", proc);
	}
	json_object_object_add(o, "csas_installed", json_object_new_uint64(m->csas_installed));
	json_object_object_add(o, "csas_removed", json_object_new_uint64(m->csas_removed));
	json_object_object_add(o, "csas_refused_owner",
			       json_object_new_uint64(m->csas_refused_owner));
	json_object_object_add(o, "csas_refused_full",
			       json_object_new_uint64(m->csas_refused_full));
	json_object_object_add(o, "initialisations", json_object_new_uint64(m->inits_done));
	json_object_object_add(o, "mobiles_max", json_object_new_uint64(m->mobiles_max));
	json_object_object_add(o, "mobiles_in_use", json_object_new_uint64(m->mob_home.n));
	json_object_object_add(o, "mobiles_full", json_object_new_uint64(m->mobiles_full));
	json_object_object_add(o, "mobiles_no_peer", json_object_new_uint64(m->mobiles_no_peer));
	json_object_object_add(o, "visitors_full", json_object_new_uint64(m->visitors_full));
	json_object_object_add(o, "distribute_swept", json_object_new_uint64(m->dist_swept));
	json_object_object_add(o, "dkm", ike_dkm_json(m));
	json_object_object_add(o, "esp_child_sas", json_object_new_uint64(ike_mod_esp_count(m)));
	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		struct mobile *mb = &m->mobiles[i];
		json_object *e;

		if (!mb->used)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "home",
				       json_object_new_string(mml_ipv4_str(mb->home, a)));
		json_object_object_add(e, "coa", json_object_new_string(mml_ipv4_str(mb->coa, c)));
		json_object_object_add(
			e, "ike",
			json_object_new_boolean(mb->mh_sa && ike_sa_established(mb->mh_sa)));
		json_object_object_add(e, "csa", json_object_new_boolean(mb->have_csa));
		json_object_object_add(e, "fa_keys",
				       json_object_new_boolean(mb->fa_with_keys != 0));
		json_object_object_add(e, "handoff",
				       json_object_new_string(ike_handoff_names[mb->handoff]));
		json_object_object_add(e, "holders", holders_json(&mb->holders));
		json_object_object_add(e, "rekey", ike_life_mobile_json(mb));
		if (mb->have_csa) {
			json_object_object_add(e, "spi_out",
					       json_object_new_uint64(mb->csa.spi_out));
			json_object_object_add(e, "spi_in", json_object_new_uint64(mb->csa.spi_in));
		}
		if (mb->t_done)
			json_object_object_add(
				e, "init_ms",
				json_object_new_double((double)(mb->t_done - mb->t_bound) / 1e6));
		json_object_array_add(mobiles, e);
	}
	json_object_object_add(o, "mobiles", mobiles);
	if (m->role == ROLE_FA)
		json_object_object_add(o, "zone1_active", ike_z1_json(m));
	ike_pkd_show(m, o);
	ike_life_show(m, o);
	{
		json_object *r = json_object_new_object();

		json_object_object_add(r, "pending", json_object_new_uint64(m->rec.n));
		json_object_object_add(r, "wiped", json_object_new_uint64(m->rec.wiped));
		json_object_object_add(r, "kept", json_object_new_uint64(m->rec.kept));
		json_object_object_add(r, "superseded_sas",
				       json_object_new_uint64(m->rec.superseded));
		json_object_object_add(o, "reconciled", r);
	}
	return o;
}

/* HA: per CSA of a mobile, the FAs holding its zone 1 and whether each
 * uses it (`mmlctl csa list` joins this to the mml_csa map by SPI). */
static json_object *holders_by_csa(const struct ike_mod *m)
{
	json_object *a = json_object_new_array();
	char h[16];

	for (unsigned int i = 0; i < m->mobiles_max; i++) {
		const struct mobile *mb = &m->mobiles[i];
		/* The pair, and a rekey's old one while it drains (issue 17). */
		bool old = mb->rk.state >= RK_DISTRIBUTING;
		const uint32_t spis[] = { mb->csa.spi_out, mb->csa.spi_in, mb->rk.old_out,
					  mb->rk.old_in };

		if (!mb->used || !mb->have_csa)
			continue;
		for (unsigned int k = 0; k < (old ? 4u : 2u); k++) {
			json_object *e = json_object_new_object();
			char spi[16];

			snprintf(spi, sizeof(spi), "0x%08x", spis[k]);
			json_object_object_add(e, "draining", json_object_new_boolean(k >= 2));
			json_object_object_add(
				e, "generation",
				json_object_new_uint64(mb->rk.done + 1 + (k < 2 && old)));
			json_object_object_add(e, "spi", json_object_new_string(spi));
			json_object_object_add(e, "home",
					       json_object_new_string(mml_ipv4_str(mb->home, h)));
			json_object_object_add(
				e, "holders",
				holders_json(k < 2 ? &mb->holders : &mb->rk.old_holders));
			json_object_array_add(a, e);
		}
	}
	return a;
}

static int ike_control(void *state, const char *verb, json_object *args, json_object **result,
		       char *err, size_t err_len)
{
	struct ike_mod *m = state;
	int ret = ike_flow_control(m, verb, args, result, err, err_len);

	if (ret <= 0)
		return ret;
	if (args && json_object_array_length(args)) {
		snprintf(err, err_len, "ike %s: unexpected argument", verb);
		return -EINVAL;
	}
	if (!strcmp(verb, "show")) {
		*result = show(m);
		return 0;
	}
	if (!strcmp(verb, "holders") && m->role == ROLE_HA) {
		*result = holders_by_csa(m);
		return 0;
	}
	if (!strcmp(verb, "holders")) {
		snprintf(err, err_len, "ike holders: only an HA records who holds a CSA");
		return -EOPNOTSUPP;
	}
	snprintf(err, err_len,
		 "ike %s: unknown command (show, holders, flow-set, flow-status, flows)", verb);
	return -EINVAL;
}

/* What a reload may change (keyd/reload.c): lifetimes and thresholds read
 * when the next SA, CSA or rekey is set up; SAs up keep the ones they were
 * made with. Peers, identities, algorithms and the handoff scheme are
 * fixed into the SAs and the holders: a restart. */
static const char *const ike_reloadable[] = {
	"pkd_threshold",
	"peers.*.ike_rekey_time",
	"peers.*.child_rekey_time",
	"peers.*.csa_soft_lifetime",
	"peers.*.csa_hard_lifetime",
	"peers.*.csa_soft_packets",
	"peers.*.csa_hard_packets",
	NULL,
};

/* The engine points into m->peers: the new values are written in place. */
static int ike_reload(void *state, const config_setting_t *sec, bool apply)
{
	const config_setting_t *peers = config_setting_get_member(sec, "peers");
	struct ike_mod *m = state;
	struct ike_peer_cfg *p = malloc(sizeof(*p));
	uint32_t pkd = 0;
	int err = 0;

	if (!p)
		return -ENOMEM;
	if (cfg_u32(sec, "pkd_threshold", false, 0, HOLDERS_MAX, &pkd))
		err = -EINVAL;
	for (unsigned int i = 0; !err && i < m->ecfg.n_peers; i++) {
		struct ike_peer_cfg *cur = &m->peers[i];

		/* Validates the whole peer again (its PSK file too). */
		err = ike_conf_peer(config_setting_get_elem(peers, i), p);
		if (err || !apply)
			continue;
		if (p->csa_soft_lifetime_s != cur->csa_soft_lifetime_s ||
		    p->csa_hard_lifetime_s != cur->csa_hard_lifetime_s ||
		    p->csa_soft_packets != cur->csa_soft_packets ||
		    p->csa_hard_packets != cur->csa_hard_packets ||
		    p->ike_rekey_ms != cur->ike_rekey_ms ||
		    p->child_rekey_ms != cur->child_rekey_ms)
			log_info("reload: peer %s: CSA lifetime %u/%u s, %u/%u packets, rekeys IKE "
				 "%u s, CHILD %u s",
				 cur->name, p->csa_soft_lifetime_s, p->csa_hard_lifetime_s,
				 p->csa_soft_packets, p->csa_hard_packets, p->ike_rekey_ms / 1000,
				 p->child_rekey_ms / 1000);
		cur->csa_soft_lifetime_s = p->csa_soft_lifetime_s;
		cur->csa_hard_lifetime_s = p->csa_hard_lifetime_s;
		cur->csa_soft_packets = p->csa_soft_packets;
		cur->csa_hard_packets = p->csa_hard_packets;
		cur->ike_rekey_ms = p->ike_rekey_ms;
		cur->child_rekey_ms = p->child_rekey_ms;
	}
	if (!err && apply && pkd != m->pkd_threshold) {
		log_info("reload: pkd_threshold %u", pkd);
		m->pkd_threshold = pkd;
	}
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	return err;
}

const struct keyd_module ike_module = {
	.name = "ike",
	.start = ike_start,
	.stop = ike_stop,
	.control = ike_control,
	.reloadable = ike_reloadable,
	.reload = ike_reload,
};
