/* The ike module's handoff glue (keyd/ike/ike_dkm.c, keyd/ike/pkd.c) with
 * the engine, the maps and the loop replaced by recorders: the HA's check
 * of a DKM install report (every refusal, each with DKM_UNKNOWN_CSA and
 * nothing changed; above all a report over the MH's own IKE SA), the new
 * FA taking the CSAs it installed by DKM out again when the HA refuses its
 * report, and every refusal of an FA's neighbour list (NEIGHBOR_NOTIFY)
 * at the HA, which the engine answers with MLIKE_NEIGHBORS_REJECTED.
 * Issue 18 item 3: the owner each install and removal path names, and what
 * a refusal by the CSA store leaves (the store's own refusals, on a real
 * map, are unit-csa-store's; the whole attack on the bed is ike-keyd's). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/keyd_ike.h"
#include "keyd/keyd.h"

/* Fake IKE SAs: only their addresses matter; the peer of each is a
 * configuration entry of its own. */
enum {
	SA_MH,
	SA_MH_OTHER,
	SA_FA1,
	SA_FA2,
	SA_FA3,
	SA_HA,
	SA_HA2,
	SA_FA_MANY,
	N_SAS = SA_FA_MANY + 17
};
static char sa_storage[N_SAS];
static struct ike_peer_cfg sa_peer[N_SAS];
#define SA(i) ((struct ike_sa *)&sa_storage[i])

static struct ike_mod m;
static uint64_t now_ns = 1000;
static keyd_prev_fa_fn prev_fa_fn;
static void *prev_fa_arg;
/* What ike_dkm.c asked of the rest of mmlkeyd. */
static struct dkm_mh_pl last_request, last_report;
static unsigned int n_requests, n_reports;
static uint32_t removed[8];
static unsigned int n_removed;

static uint32_t ip(const char *a)
{
	uint32_t v;

	inet_pton(AF_INET, a, &v);
	return v;
}

#define MH_HOME ip("10.1.0.2")
#define HA_ADDR ip("10.0.0.1")
#define HA2_ADDR ip("10.0.0.2")
#define FA1_ADDR ip("10.0.1.1")
#define FA2_ADDR ip("10.0.2.1")
#define FA3_ADDR ip("10.0.3.1")

/* --- the rest of mmlkeyd, recorded --- */

const struct ike_peer_cfg *ike_sa_peer(const struct ike_sa *sa)
{
	return &sa_peer[(const char *)sa - sa_storage];
}

/* Which fake SAs this node opened (the rest the peer opened). */
static bool sa_initiator[N_SAS];

bool ike_sa_is_initiator(const struct ike_sa *sa)
{
	return sa_initiator[(const char *)sa - sa_storage];
}

uint64_t loop_now(void)
{
	return now_ns;
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
}

int loop_timer_in(struct loop *loop, struct loop_timer *t, uint64_t delay_ns)
{
	return 0;
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
}

void keyd_prev_fa_subscribe(keyd_prev_fa_fn fn, void *arg)
{
	prev_fa_fn = fn;
	prev_fa_arg = arg;
}

int cfg_u32(const config_setting_t *s, const char *name, bool required, uint32_t min, uint32_t max,
	    uint32_t *out)
{
	return 0;
}

int dkm_csa_request(struct ike_sa *sa, const struct dkm_mh_pl *req)
{
	n_requests++;
	last_request = *req;
	return 0;
}

int dkm_report_installed(struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	assert_ptr_equal(sa, SA(SA_HA));
	n_reports++;
	last_report = *rep;
	return 0;
}

struct ike_sa *ike_initiate(struct ike_engine *eng, const struct ike_peer_cfg *peer)
{
	return NULL;
}

void mlike_fa_keys_from_csa(const struct mlike_csa *csa, bool out_is_mh, uint32_t mh_home,
			    uint32_t ha_addr, struct mlike_fa_keys *k)
{
	memset(k, 0, sizeof(*k));
}

/* Each fake IKE SA has a window of one: a request while another is out
 * gets -EBUSY, as from the engine; a test answers by clearing busy[]. */
static bool busy[N_SAS];
static unsigned int n_kd, n_deletes, n_sa_deleted, n_missing, n_nn;
static struct ike_sa *last_kd_sa, *last_delete_sa;
static uint32_t last_delete[2];
static struct dkm_mh_pl last_missing;
static int nn_ret;

static int window(struct ike_sa *sa)
{
	size_t i = (size_t)((const char *)sa - sa_storage);

	if (busy[i])
		return -EBUSY;
	busy[i] = true;
	return 0;
}

int mlike_key_distribute(struct ike_sa *sa, const struct mlike_fa_keys *keys)
{
	int err = window(sa);

	if (!err) {
		n_kd++;
		last_kd_sa = sa;
	}
	return err;
}

int mlike_csa_delete(struct ike_sa *sa, const uint32_t *spis, unsigned int n)
{
	int err = window(sa);

	assert_int_equal(n, 2);
	if (!err) {
		n_deletes++;
		last_delete_sa = sa;
		memcpy(last_delete, spis, sizeof(last_delete));
	}
	return err;
}

int ike_sa_delete(struct ike_sa *sa)
{
	n_sa_deleted++;
	return 0;
}

int dkm_report_missing(struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	assert_ptr_equal(sa, SA(SA_HA));
	n_missing++;
	last_missing = *rep;
	return 0;
}

int mlike_neighbor_notify(struct ike_sa *sa, const uint32_t *addrs, unsigned int n)
{
	if (nn_ret)
		return nn_ret;
	n_nn++;
	return 0;
}

/* --- what ike_orch.c calls besides: inert --- */

int ike_engine_timeout_hint_ms(const struct ike_engine *eng)
{
	return -1;
}

void ike_engine_tick(struct ike_engine *eng)
{
}

void ike_engine_input(struct ike_engine *eng)
{
}

bool ike_sa_established(const struct ike_sa *sa)
{
	return true;
}

int ike_sa_liveness(struct ike_sa *sa)
{
	return 0;
}

int mlike_auth_sa_start(struct ike_sa *sa)
{
	return 0;
}

void ike_mod_binding_spis(struct ike_mod *mod, uint32_t home, uint32_t out, uint32_t in,
			  uint32_t owner)
{
}

/* The binding as the CSA rekey writes it (csa_life.c). */
static uint32_t bind_out, bind_in, bind_prev;
static unsigned int n_rekeys_sent;

int mip_maps_binding_spis(struct mip_maps *maps, uint32_t home, unsigned int mode, uint32_t out,
			  uint32_t in)
{
	bind_out = out;
	bind_in = in;
	return 0;
}

int mip_maps_binding_spi_prev(struct mip_maps *maps, uint32_t home, uint32_t prev)
{
	bind_prev = prev;
	return 0;
}

/* The SPI the worker reported past its soft packet limit (mml_rekey). */
static uint32_t rekey_wanted_spi;

bool ike_mod_rekey_pending(struct ike_mod *mod)
{
	return rekey_wanted_spi != 0;
}

bool ike_mod_rekey_wanted(struct ike_mod *mod, uint32_t spi)
{
	if (!spi || spi != rekey_wanted_spi)
		return false;
	rekey_wanted_spi = 0;
	return true;
}

int mlike_csa_rekey(struct ike_sa *sa)
{
	int err = window(sa);

	if (!err)
		n_rekeys_sent++;
	return err;
}

void ike_mod_bypass(struct ike_mod *mod, uint32_t home, uint32_t peer, bool add)
{
}

void ike_mod_own_binding_spis(struct ike_mod *mod, uint32_t out, uint32_t in, uint32_t owner)
{
}

/* The CSA store's verdicts: the SPIs whose CSA is another owner's. */
static uint32_t foreign[4];
static unsigned int n_foreign, n_puts;
static uint32_t last_owner;

static bool is_foreign(uint32_t spi)
{
	for (unsigned int i = 0; i < n_foreign; i++)
		if (foreign[i] == spi)
			return true;
	return false;
}

int ike_mod_install_pair(struct ike_mod *mod, const struct mlike_csa *csa, uint32_t owner)
{
	last_owner = owner;
	return is_foreign(csa->spi_out) || is_foreign(csa->spi_in) ? -EPERM : 0;
}

void ike_mod_esp_rekeyed(struct ike_mod *mod, struct ike_sa *old_sa, struct ike_sa *new_sa)
{
}

void ike_mod_esp_child_up(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
}

void ike_mod_esp_child_down(void *ctx, struct ike_sa *sa, const struct ike_child *c)
{
}

/* The map layout: one fwd CSA per zone-1 SECRET, its SPI alone. */
int mlike_fa_keys_to_map(const struct mlike_fa_keys *keys, uint32_t owner, uint64_t now,
			 struct mml_csa *csas, unsigned int *n)
{
	*n = 0;
	for (unsigned int i = 0; i < keys->n_secrets && *n < 2; i++)
		if (keys->secret[i].zone == 1)
			csas[(*n)++] =
				(struct mml_csa){ .spi = keys->secret[i].spi, .owner = owner };
	return 0;
}

/* The map's room: puts beyond map_room fail as a full kernel map does. */
static unsigned int map_room = ~0u;

int csa_map_put(struct mml_csa_store *st, const struct mml_csa *csa)
{
	if (is_foreign(csa->spi))
		return -EPERM;
	if (n_puts == map_room)
		return -E2BIG;
	n_puts++;
	last_owner = csa->owner;
	return 0;
}

/* As keyd/ike/ike_install.c counts. */
int ike_mod_install_csa(struct ike_mod *mod, const struct mml_csa *c)
{
	int err = csa_map_put(&mod->store, c);

	if (!err)
		mod->csas_installed++;
	else if (err == -EPERM)
		mod->csas_refused_owner++;
	else if (err == -E2BIG)
		mod->csas_refused_full++;
	return err;
}

int csa_map_may(struct mml_csa_store *st, const uint32_t *spis, unsigned int n, uint32_t owner)
{
	last_owner = owner;
	for (unsigned int i = 0; i < n; i++)
		if (is_foreign(spis[i]))
			return -EPERM;
	return 0;
}

void mip_maps_gen_bump(struct mip_maps *maps)
{
}

/* Flow modes (flow_ctl.c) are tested in test_flowneg.c. */
uint16_t ike_flow_mode(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm)
{
	return MLIKE_N_FLOW_MODE_REFUSED;
}

void ike_flow_mode_done(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm,
			uint16_t notify)
{
}

void ike_flow_sa_down(struct ike_mod *mod, struct ike_sa *sa)
{
}

/* The auto policy (link_ctl.c): its decisions in test_linkauto.c. */
uint16_t ike_link_state(void *ctx, struct ike_sa *sa, const struct mlike_link_state_pl *ls)
{
	return MLIKE_N_LINK_STATE_REFUSED;
}

void ike_link_state_done(void *ctx, struct ike_sa *sa, uint16_t notify)
{
}

void ike_link_sa_changed(struct ike_mod *mod, struct ike_sa *sa)
{
}

int ike_mod_remove_csa(struct ike_mod *mod, uint32_t spi, uint32_t owner)
{
	last_owner = owner;
	if (is_foreign(spi))
		return -EPERM;
	if (n_removed < 8)
		removed[n_removed] = spi;
	n_removed++;
	return 0;
}

/* m with its tables (keyd/ike/mobiles.c) for 64 mobiles, the last
 * test's freed. */
static void mod_zero(void)
{
	ike_tables_free(&m);
	memset(&m, 0, sizeof(m));
	m.mobiles_max = 64;
	assert_int_equal(ike_tables_init(&m), 0);
}

/* --- the HA --- */

static struct mobile *ha_setup(void)
{
	struct mobile *mb;

	mod_zero();
	mb = ike_mobile_new(&m, MH_HOME);
	m.role = ROLE_HA;
	m.handoff = IKE_HANDOFF_DKM;
	sa_peer[SA_MH].addr = ip("10.9.9.9"); /* the MH's IKE SA, not from its home */
	sa_peer[SA_MH_OTHER].addr = MH_HOME;  /* another SA from the MH's home */
	sa_peer[SA_FA1].addr = FA1_ADDR;
	sa_peer[SA_FA2].addr = FA2_ADDR;
	sa_peer[SA_FA3].addr = FA3_ADDR;
	*mb = (struct mobile){ .used = true,
			       .home = MH_HOME,
			       .coa = FA2_ADDR,
			       .mh_sa = SA(SA_MH),
			       .have_csa = true,
			       .csa = { .spi_out = 0x1111, .spi_in = 0x2222 },
			       .fa_with_keys = FA1_ADDR,
			       .handoff = IKE_HANDOFF_DKM,
			       .dkm = { .deadline_ns = now_ns + 1000000 } };
	ike_mobile_set_sa(&m, mb, SA(SA_MH));
	return mb;
}

/* Every report the HA must refuse gets DKM_UNKNOWN_CSA and changes
 * nothing: not its MH, an MH without CSAs, SPIs that are not the MH's,
 * the wrong number of SPIs, and a report that does not come from an FA
 * (over the MH's own IKE SA, or from the MH's home address); an FA's or
 * MH's daemon refuses every report. Then the FA's genuine one ends the
 * handoff's wait. */
static void ha_refuses_reports(void **state)
{
	static const struct {
		int sa;
		struct dkm_mh_pl rep;
		bool no_csa;
		enum ike_role role;
	} refused[] = {
		{ .sa = SA_MH, .rep = { .n_spis = 2, .spi = { 0x1111, 0x2222 } } },
		{ .sa = SA_MH_OTHER, .rep = { .n_spis = 2, .spi = { 0x1111, 0x2222 } } },
		{ .sa = SA_FA2, .rep = { .mh_home = 1, .n_spis = 2, .spi = { 0x1111, 0x2222 } } },
		{ .sa = SA_FA2, .rep = { .n_spis = 2, .spi = { 0x1111, 0x2222 } }, .no_csa = true },
		{ .sa = SA_FA2, .rep = { .n_spis = 2, .spi = { 0x1111, 0x3333 } } },
		{ .sa = SA_FA2, .rep = { .n_spis = 2, .spi = { 0x3333, 0x2222 } } },
		{ .sa = SA_FA2, .rep = { .n_spis = 1, .spi = { 0x1111 } } },
		{ .sa = SA_FA2, .rep = { .n_spis = 0 } },
		{ .sa = SA_FA2,
		  .rep = { .n_spis = 2, .spi = { 0x1111, 0x2222 } },
		  .role = ROLE_FA },
		{ .sa = SA_FA2,
		  .rep = { .n_spis = 2, .spi = { 0x1111, 0x2222 } },
		  .role = ROLE_MH },
	};
	struct mobile *mb, before;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct dkm_mh_pl rep = refused[i].rep;

		mb = ha_setup();
		m.role = refused[i].role;
		mb->have_csa = !refused[i].no_csa;
		if (!rep.mh_home)
			rep.mh_home = MH_HOME;
		rep.ha_addr = HA_ADDR;
		before = *mb;
		assert_int_equal(ike_dkm_installed(&m, SA(refused[i].sa), &rep), DKM_N_UNKNOWN_CSA);
		assert_memory_equal(mb, &before, sizeof(before));
		assert_int_equal(m.dkm.reported, 0);
	}

	/* The new FA's report: the handoff is done, zone 1 is at FA2. */
	mb = ha_setup();
	assert_int_equal(ike_dkm_installed(&m, SA(SA_FA2),
					   &(struct dkm_mh_pl){ .mh_home = MH_HOME,
								.ha_addr = HA_ADDR,
								.n_spis = 2,
								.spi = { 0x2222, 0x1111 } }),
			 0);
	assert_int_equal(m.dkm.reported, 1);
	assert_int_equal(mb->fa_with_keys, FA2_ADDR);
	assert_int_equal(mb->dkm.deadline_ns, 0);
	/* One overtaking the registration: remembered for the binding. */
	mb = ha_setup();
	assert_int_equal(ike_dkm_installed(&m, SA(SA_FA3),
					   &(struct dkm_mh_pl){ .mh_home = MH_HOME,
								.n_spis = 2,
								.spi = { 0x1111, 0x2222 } }),
			 0);
	assert_int_equal(mb->dkm.early_fa, FA3_ADDR);
	assert_int_equal(mb->fa_with_keys, FA1_ADDR);
}

/* --- the new FA --- */

/* FA2 with FA1 (a neighbour) and the HA as peers, both IKE SAs up; the
 * MH registered through us naming FA1 and FA1 answered with its zone-1
 * CSAs: installed and reported to the HA. */
static void fa_installed_by_dkm(void)
{
	struct mlike_fa_keys keys = { .mh_home = MH_HOME, .ha_addr = HA_ADDR, .n_secrets = 2 };

	mod_zero();
	n_requests = n_reports = n_removed = n_rekeys_sent = 0;
	rekey_wanted_spi = 0;
	m.role = ROLE_FA;
	m.handoff = IKE_HANDOFF_DKM;
	m.dkm.timeout_ms = 1000;
	m.dkm.cache.grace_ns = 10ULL * 1000000000;
	m.ecfg.local_addr = FA2_ADDR;
	m.ecfg.n_peers = 2;
	m.peers[0] = (struct ike_peer_cfg){ .addr = FA1_ADDR, .neighbor = true };
	m.peers[1] = (struct ike_peer_cfg){ .addr = HA_ADDR };
	sa_peer[SA_FA1].addr = FA1_ADDR;
	sa_peer[SA_HA].addr = HA_ADDR;
	ike_dkm_start(&m);
	assert_ptr_equal(prev_fa_arg, &m);
	ike_dkm_ike_up(&m, SA(SA_FA1));
	ike_dkm_ike_up(&m, SA(SA_HA));

	prev_fa_fn(prev_fa_arg, MH_HOME, HA_ADDR, FA1_ADDR);
	assert_int_equal(n_requests, 1);
	assert_int_equal(last_request.mh_home, MH_HOME);
	keys.secret[0] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x1111 };
	keys.secret[1] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x2222 };
	ike_dkm_answer(&m, SA(SA_FA1), MH_HOME, &keys, 0);
	assert_int_equal(m.dkm.installed, 1);
	assert_int_equal(n_reports, 1);
	assert_int_equal(last_report.n_spis, 2);
	assert_int_equal(last_report.spi[0], 0x1111);
	assert_int_equal(last_report.spi[1], 0x2222);
	assert_int_equal(installed_n(&m.inst[0]), 2);
}

static uint16_t cache_take(void)
{
	struct dkm_mh_pl req = { .mh_home = MH_HOME };
	struct mlike_fa_keys k;

	return dkm_cache_take(&m.dkm.cache, &req, FA3_ADDR, now_ns, &k);
}

/* The HA refuses the report: both CSAs leave the map and the record of
 * the HA's IKE SA, counted; no FA gets them from us afterwards. */
static void fa_removes_refused(void **state)
{
	fa_installed_by_dkm();
	/* Not our outstanding report (another MH): nothing happens. */
	ike_dkm_reported(&m, SA(SA_HA), FA3_ADDR, DKM_N_UNKNOWN_CSA);
	assert_int_equal(n_removed, 0);

	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, DKM_N_UNKNOWN_CSA);
	assert_int_equal(n_removed, 2);
	assert_int_equal(removed[0], 0x1111);
	assert_int_equal(removed[1], 0x2222);
	assert_int_equal(m.dkm.refused, 1);
	assert_int_equal(installed_n(&m.inst[0]), 0);
	assert_int_equal(cache_take(), DKM_N_NOT_VISITOR);
	/* Answered once: a second answer finds nothing to remove. */
	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, DKM_N_UNKNOWN_CSA);
	assert_int_equal(n_removed, 2);
	assert_int_equal(m.dkm.refused, 1);
	ike_dkm_stop(&m);
}

/* Acknowledged: the CSAs stay and serve a later DKM request; an answer
 * lost with the HA's IKE SA frees the report too. */
static void fa_keeps_acknowledged(void **state)
{
	fa_installed_by_dkm();
	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, 0);
	assert_int_equal(n_removed, 0);
	assert_int_equal(m.dkm.refused, 0);
	assert_int_not_equal(idx_find(&m.inst[0].spis, 0x1111), IDX_NONE);
	assert_int_equal(cache_take(), 0);
	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++)
		assert_false(m.dkm.rep[i].used);
	ike_dkm_stop(&m);

	fa_installed_by_dkm();
	ike_dkm_ike_down(&m, SA(SA_HA));
	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++)
		assert_false(m.dkm.rep[i].used);
	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, DKM_N_UNKNOWN_CSA);
	assert_int_equal(n_removed, 0);
	ike_dkm_stop(&m);
}

/* --- NEIGHBOR_NOTIFY at the HA (pkd.c) --- */

/* The HA with FA links to FA1 and FA2. */
static void ha_with_fas(void)
{
	mod_zero();
	m.role = ROLE_HA;
	m.ecfg.local_addr = HA_ADDR;
	m.peers[0] = (struct ike_peer_cfg){ .addr = FA1_ADDR };
	m.peers[1] = (struct ike_peer_cfg){ .addr = FA2_ADDR };
	m.fas[0] = (struct fa_link){ .peer = &m.peers[0], .sa = SA(SA_FA1), .up = true };
	m.fas[1] = (struct fa_link){ .peer = &m.peers[1], .sa = SA(SA_FA2), .up = true };
}

/* Refused (the engine answers MLIKE_NEIGHBORS_REJECTED), nothing stored:
 * by an FA or MH daemon, over an IKE SA that is not an FA link (the MH's),
 * a list naming the sender or the HA, a full table; a list replaces the
 * same FA's earlier one even then. */
static void ha_refuses_neighbor_lists(void **state)
{
	uint32_t ok[] = { FA2_ADDR, FA3_ADDR };
	uint32_t self[] = { FA3_ADDR, FA1_ADDR }, ha[] = { HA_ADDR };
	struct ike_mod empty;

	ha_with_fas();
	m.role = ROLE_FA;
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA1), ok, 2), -EPERM);
	m.role = ROLE_MH;
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA1), ok, 2), -EPERM);
	ha_with_fas();
	memcpy(&empty, &m, sizeof(m));
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_MH), ok, 2), -EPERM);
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA1), self, 2), -EINVAL);
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA1), ha, 1), -EINVAL);
	assert_memory_equal(m.nbrs, empty.nbrs, sizeof(m.nbrs));

	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA1), ok, 2), 0);
	assert_int_equal(m.nbrs[0].fa, FA1_ADDR);
	assert_int_equal(m.nbrs[0].n, 2);
	assert_memory_equal(m.nbrs[0].addr, ok, sizeof(ok));

	/* Every slot taken by other FAs: FA2's first list does not fit. */
	for (unsigned int i = 0; i < IKE_PEERS_MAX; i++)
		m.nbrs[i].fa = htonl(0x0a000a00 + i);
	m.nbrs[0].fa = FA1_ADDR;
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA2), &ok[1], 1), -ENOSPC);
	assert_int_equal(ike_pkd_neighbors(&m, SA(SA_FA1), &ok[1], 1), 0);
	assert_int_equal(m.nbrs[0].n, 1);
	assert_int_equal(m.nbrs[0].addr[0], FA3_ADDR);
}

/* --- the handoff races the simulator found (docs/results.md) --- */

static void reset_recorders(void)
{
	mod_zero();
	memset(busy, 0, sizeof(busy));
	n_kd = n_deletes = n_sa_deleted = n_missing = n_nn = 0;
	n_requests = n_reports = n_removed = n_rekeys_sent = 0;
	rekey_wanted_spi = 0;
	last_kd_sa = last_delete_sa = NULL;
	nn_ret = 0;
	n_foreign = n_puts = 0;
	map_room = ~0u;
	last_owner = 0;
	memset(sa_initiator, 0, sizeof(sa_initiator));
}

/* The HA with IKE SAs up to FA1, FA2 and FA3; its one mobile served by
 * FA1, which holds its keys. */
static struct mobile *ha_at_fa1(enum ike_handoff scheme)
{
	static const int sas[] = { SA_FA1, SA_FA2, SA_FA3 };
	const uint32_t addrs[] = { FA1_ADDR, FA2_ADDR, FA3_ADDR };
	struct mobile *mb;

	reset_recorders();
	mb = ike_mobile_new(&m, MH_HOME);
	m.role = ROLE_HA;
	m.handoff = (uint8_t)scheme;
	m.ecfg.local_addr = HA_ADDR;
	m.ecfg.n_peers = 3;
	sa_peer[SA_MH].addr = ip("10.9.9.9");
	for (unsigned int i = 0; i < 3; i++) {
		m.peers[i] = (struct ike_peer_cfg){ .addr = addrs[i] };
		sa_peer[sas[i]].addr = addrs[i];
		m.fas[i] = (struct fa_link){ .peer = &m.peers[i], .sa = SA(sas[i]), .up = true };
	}
	*mb = (struct mobile){ .used = true,
			       .home = MH_HOME,
			       .coa = FA1_ADDR,
			       .mh_sa = SA(SA_MH),
			       .have_csa = true,
			       .csa = { .spi_out = 0x1111, .spi_in = 0x2222 },
			       .fa_with_keys = FA1_ADDR,
			       .handoff = (uint8_t)scheme };
	ike_mobile_set_sa(&m, mb, SA(SA_MH));
	m.n_pkd = scheme == IKE_HANDOFF_PKD;
	holders_set(&mb->holders, FA1_ADDR, HOLDER_HELD, true);
	return mb;
}

/* Issue 17, make before break at the HA: a rekey installs the new pair
 * and sends its zone 1 to the serving FA while both ends still send with
 * the old one; only when that FA holds it does the HA send with the new
 * pair (accepting both) and delete the old one at the MH; after the grace
 * period the old pair goes here and at every FA that held it (PKD's
 * neighbour too), not before. */
static void ha_rekey_make_before_break(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_PKD);
	struct mlike_csa old = mb->csa, csa = { .spi_out = 0x3333, .spi_in = 0x4444 };

	holders_set(&mb->holders, FA2_ADDR, HOLDER_HELD, false); /* a PKD neighbour */
	bind_out = 0x1111, bind_in = 0x2222, bind_prev = 0;
	ike_mod_events.csa_rekeyed(&m, SA(SA_MH), &old, &csa);
	assert_int_equal(mb->rk.state, RK_DISTRIBUTING);
	assert_int_equal(n_kd, 1);
	assert_ptr_equal(last_kd_sa, SA(SA_FA1));
	assert_int_equal(bind_out, 0x1111); /* still sending with the old pair */
	assert_int_equal(n_deletes, 0);
	assert_int_equal(n_removed, 0);

	/* FA1 holds it: both pairs accepted, the MH told to move; the HA
	 * sends with the new pair once the MH answered (it holds the pair). */
	busy[SA_FA1] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA1), 0);
	assert_int_equal(bind_out, 0x1111);
	assert_int_equal(bind_in, 0x4444);
	assert_int_equal(bind_prev, 0x2222);
	assert_int_equal(n_deletes, 1);
	assert_ptr_equal(last_delete_sa, SA(SA_MH));
	assert_int_equal(last_delete[0], 0x1111);
	assert_int_equal(last_delete[1], 0x2222);
	assert_int_equal(mb->rk.state, RK_TELL_MH);
	/* An answer acknowledging nothing: the MH does not hold the new pair
	 * yet (its rekey's answer was lost on the air): keep sending with the
	 * old one, ask again at the next tick. */
	busy[SA_MH] = false;
	ike_mod_events.csa_revoked(&m, SA(SA_MH), NULL, 0);
	assert_int_equal(bind_out, 0x1111);
	assert_int_equal(m.rekeys_mh_not_ready, 1);
	ike_life_on_timer(&m);
	assert_int_equal(n_deletes, 2);
	ike_mod_events.csa_revoked(&m, SA(SA_MH), (uint32_t[]){ 0x1111, 0x2222 }, 2);
	assert_int_equal(bind_out, 0x3333);
	assert_int_equal(mb->rk.state, RK_DRAINING);
	assert_int_equal(n_removed, 0);

	now_ns += 100 * NS_PER_MS; /* within the grace period */
	ike_life_on_timer(&m);
	assert_int_equal(n_removed, 0);
	now_ns += 500 * NS_PER_MS;
	busy[SA_MH] = false;
	ike_life_on_timer(&m);
	assert_int_equal(mb->rk.state, RK_NONE);
	assert_int_equal(bind_prev, 0);
	assert_int_equal(n_removed, 2);
	assert_int_equal(removed[0], 0x1111);
	assert_int_equal(removed[1], 0x2222);
	/* Revoked at FA1 (sent) and FA2 (PKD's neighbour; sent once FA2's
	 * window allows), the old SPIs only. */
	assert_int_equal(n_deletes + m.n_revq, 4); /* two Deletes to the MH */
	assert_int_equal(m.fas[0].revoking.spi[0], 0x1111);
	assert_null(holders_find(&mb->holders, FA2_ADDR)); /* given the new pair later */
}

/* A rekey asked for by the MH while the HA has not moved to the last new
 * pair is refused (TEMPORARY_FAILURE) rather than stacked. */
static void ha_rekey_busy_until_switched(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_REDISTRIBUTE);
	struct mlike_csa old = mb->csa, csa = { .spi_out = 0x3333, .spi_in = 0x4444 };

	assert_false(ike_mod_events.csa_rekey_busy(&m, SA(SA_MH)));
	ike_mod_events.csa_rekeyed(&m, SA(SA_MH), &old, &csa);
	assert_true(ike_mod_events.csa_rekey_busy(&m, SA(SA_MH)));
	busy[SA_FA1] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA1), 0);
	assert_true(ike_mod_events.csa_rekey_busy(&m, SA(SA_MH)));
	ike_mod_events.csa_revoked(&m, SA(SA_MH), (uint32_t[]){ 0x1111, 0x2222 }, 2);
	assert_false(ike_mod_events.csa_rekey_busy(&m, SA(SA_MH)));
	/* The soft lifetime of the new pair starts the next one here. */
	mb->rk.next_at_ns = now_ns;
	now_ns += 600 * NS_PER_MS;
	busy[SA_MH] = false;
	ike_life_on_timer(&m);
	ike_life_on_timer(&m);
	assert_int_equal(n_rekeys_sent, 1);
	assert_int_equal(mb->rk.state, RK_STARTED);
}

/* The MH's side of a rekey whose Delete of the old pair never comes (lost
 * with its retransmissions, or answered while the MH did not hold the new
 * pair yet and not asked again): the MH moves to the new pair by itself
 * inside the window in which the HA accepts both, counted, instead of
 * sending for ever with a pair the HA retires. A Delete arriving late is
 * acknowledged and cuts nothing short. */
static void mh_rekey_moves_without_delete(void **state)
{
	/* The MH's view: its out is the HA's in. */
	struct mlike_csa old = { .spi_out = 0x2222, .spi_in = 0x1111 };
	struct mlike_csa csa = { .spi_out = 0x4444, .spi_in = 0x3333 };
	uint32_t late[] = { 0x1111, 0x2222 }; /* the HA's view of the old pair */

	reset_recorders();
	m.role = ROLE_MH;
	sa_peer[SA_HA].addr = HA_ADDR;
	m.mh_spi_out = 0x2222;
	ike_mod_events.csa_rekeyed(&m, SA(SA_HA), &old, &csa);
	assert_int_equal(m.mh_rk.state, RK_PENDING);
	assert_true(ike_mod_events.csa_rekey_busy(&m, SA(SA_HA)));

	now_ns += 2 * NS_PER_SEC; /* the HA may still wait for its FA */
	ike_life_on_timer(&m);
	assert_int_equal(m.mh_rk.state, RK_PENDING);
	assert_int_equal(m.mh_spi_out, 0x2222);
	assert_int_equal(n_removed, 0);

	now_ns += 600 * NS_PER_MS;
	ike_life_on_timer(&m);
	assert_int_equal(m.mh_rk.state, RK_DRAINING);
	assert_int_equal(m.mh_spi_out, 0x4444);
	assert_int_equal(m.rekeys_unconfirmed, 1);
	assert_int_equal(n_removed, 1);
	assert_int_equal(removed[0], 0x2222); /* outbound only */
	assert_false(ike_mod_events.csa_rekey_busy(&m, SA(SA_HA)));

	assert_int_equal(ike_mod_events.csa_deleted(&m, SA(SA_HA), late, 2), 2);
	assert_int_equal(n_removed, 1); /* the old inbound CSA keeps its grace */
	now_ns += 600 * NS_PER_MS;
	ike_life_on_timer(&m);
	assert_int_equal(m.mh_rk.state, RK_NONE);
	assert_int_equal(n_removed, 2);
	assert_int_equal(removed[1], 0x1111);
}

/* Paper Fig. 8: the new FA's DKM install report ends the handoff and
 * starts a rekey, so that the key the previous FA held protects nothing
 * from then on; with dkm_rekey = false, none. */
static void ha_rekeys_after_dkm(void **state)
{
	for (int on = 0; on < 2; on++) {
		struct dkm_mh_pl rep = { .mh_home = MH_HOME,
					 .ha_addr = HA_ADDR,
					 .n_spis = 2,
					 .spi = { 0x1111, 0x2222 } };

		reset_recorders();
		ha_setup();
		m.dkm_rekey = on;
		assert_int_equal(ike_dkm_installed(&m, SA(SA_FA2), &rep), 0);
		ike_life_on_timer(&m);
		assert_int_equal(n_rekeys_sent, on);
		assert_int_equal(m.rekeys_dkm, on);
	}
}

/* The soft limit in packets: the worker's mml_rekey entry for the
 * mobile's outbound SPI starts a rekey at the next tick; another SPI's
 * does nothing. */
static void ha_rekeys_on_worker_signal(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_REDISTRIBUTE);

	rekey_wanted_spi = 0x2222; /* an inbound SPI: not ours to count */
	ike_life_on_timer(&m);
	assert_int_equal(n_rekeys_sent, 0);
	rekey_wanted_spi = mb->csa.spi_out;
	ike_life_on_timer(&m);
	assert_int_equal(n_rekeys_sent, 1);
	assert_int_equal(m.rekeys_packets, 1);
	assert_int_equal(mb->rk.state, RK_STARTED);
}

/* Paper Fig. 9: more FAs than pkd_threshold hold the pair and one of them
 * is neither the serving FA nor its neighbour: a rekey. Within the
 * threshold, or all of them near, none. */
static void ha_rekeys_over_pkd_threshold(void **state)
{
	static const struct {
		unsigned int threshold;
		bool fa3_holds;
		unsigned int rekeys;
	} cases[] = { { 0, true, 0 }, { 3, true, 0 }, { 1, false, 0 }, { 2, true, 1 } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mobile *mb = ha_at_fa1(IKE_HANDOFF_PKD);

		m.pkd_threshold = cases[i].threshold;
		m.nbrs[0] = (struct fa_neighbors){ .fa = FA1_ADDR, .n = 1, .addr = { FA2_ADDR } };
		holders_set(&mb->holders, FA2_ADDR, HOLDER_HELD, false);
		if (cases[i].fa3_holds)
			holders_set(&mb->holders, FA3_ADDR, HOLDER_HELD, false);
		else
			holders_set(&mb->holders, FA2_ADDR, HOLDER_HELD, true); /* n stays 2 */
		ike_life_on_timer(&m);
		assert_int_equal(n_rekeys_sent, cases[i].rekeys);
		assert_int_equal(m.rekeys_threshold, cases[i].rekeys);
	}
}

/* Finding 2: a PKD holder set that is full never sends keys it cannot
 * record; the refusal is logged and counted once, not on every event.
 * With room again the neighbour gets them, recorded as "sending". */
static void pkd_full_holder_set_sends_nothing(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_PKD);

	m.nbrs[0] = (struct fa_neighbors){ .fa = FA1_ADDR, .n = 1, .addr = { FA2_ADDR } };
	for (unsigned int i = 1; i < HOLDERS_MAX; i++)
		holders_set(&mb->holders, htonl(0x0a006400 + i), HOLDER_HELD, false);
	assert_int_equal(mb->holders.n, HOLDERS_MAX);
	for (unsigned int i = 0; i < 3; i++)
		ike_pkd_distribute(&m);
	assert_int_equal(n_kd, 0);
	assert_int_equal(m.pkd_holders_full, 1);
	assert_null(holders_find(&mb->holders, FA2_ADDR));

	holders_remove(&mb->holders, htonl(0x0a006401));
	ike_pkd_distribute(&m);
	assert_int_equal(n_kd, 1);
	assert_ptr_equal(last_kd_sa, SA(SA_FA2));
	assert_int_equal(holders_find(&mb->holders, FA2_ADDR)->state, HOLDER_SENDING);
	assert_int_equal(m.pkd_holders_full, 1);
}

/* Finding 5: an FA that reports a DKM install is in the holder set,
 * active at the MH's FA; one that reported ahead of the binding becomes
 * active when the binding gets there. */
static void ha_records_dkm_holder(void **state)
{
	struct mobile *mb = ha_setup();
	struct csa_holder *h;

	assert_int_equal(ike_dkm_installed(&m, SA(SA_FA2),
					   &(struct dkm_mh_pl){ .mh_home = MH_HOME,
								.n_spis = 2,
								.spi = { 0x1111, 0x2222 } }),
			 0);
	h = holders_find(&mb->holders, FA2_ADDR);
	assert_non_null(h);
	assert_int_equal(h->state, HOLDER_HELD);
	assert_true(h->active);

	mb = ha_setup();
	assert_int_equal(ike_dkm_installed(&m, SA(SA_FA3),
					   &(struct dkm_mh_pl){ .mh_home = MH_HOME,
								.n_spis = 2,
								.spi = { 0x1111, 0x2222 } }),
			 0);
	h = holders_find(&mb->holders, FA3_ADDR);
	assert_non_null(h);
	assert_false(h->active);
	mb->coa = FA3_ADDR;
	assert_true(ike_dkm_ha_wait(&m, mb));
	assert_int_equal(mb->fa_with_keys, FA3_ADDR);
	assert_true(holders_find(&mb->holders, FA3_ADDR)->active);

	/* A late one, from FA2 after the MH moved on to FA3: FA2's copy is
	 * revoked, not left there unrecorded. */
	mb = ha_at_fa1(IKE_HANDOFF_DKM);
	ike_mod_on_binding(&m, MH_HOME, FA2_ADDR);
	ike_mod_on_binding(&m, MH_HOME, FA3_ADDR);
	assert_int_equal(n_deletes, 1); /* FA1's */
	assert_int_equal(ike_dkm_installed(&m, SA(SA_FA2),
					   &(struct dkm_mh_pl){ .mh_home = MH_HOME,
								.n_spis = 2,
								.spi = { 0x1111, 0x2222 } }),
			 0);
	assert_int_equal(n_deletes, 2);
	assert_ptr_equal(last_delete_sa, SA(SA_FA2));
	assert_null(holders_find(&mb->holders, FA2_ADDR));
	assert_int_equal(mb->fa_with_keys, 0);
}

/* Finding 6: a revocation that finds the FA's window busy waits for it;
 * the IKE SA (every other mobile's keys at that FA) stays. */
static void ha_queues_busy_revocation(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_REDISTRIBUTE);

	busy[SA_FA1] = true; /* say, a liveness check out */
	ike_mod_on_binding(&m, MH_HOME, FA2_ADDR);
	assert_int_equal(n_sa_deleted, 0);
	assert_int_equal(n_deletes, 0);
	assert_int_equal(m.n_revq, 1);
	assert_int_equal(n_kd, 1);
	assert_ptr_equal(last_kd_sa, SA(SA_FA2));
	assert_null(holders_find(&mb->holders, FA1_ADDR));

	busy[SA_FA1] = false; /* its answer came in */
	ike_mod_on_readable(&m, 0);
	assert_int_equal(n_deletes, 1);
	assert_ptr_equal(last_delete_sa, SA(SA_FA1));
	assert_int_equal(last_delete[0], 0x1111);
	assert_int_equal(last_delete[1], 0x2222);
	assert_int_equal(m.n_revq, 0);
	assert_int_equal(m.fas[0].revoking.home, MH_HOME);
	assert_int_equal(n_sa_deleted, 0);
	/* Answered while the MH is elsewhere: nothing more to do. */
	busy[SA_FA1] = false;
	ike_mod_events.csa_revoked(&m, SA(SA_FA1), NULL, 0);
	assert_int_equal(m.revocations_raced, 0);
	assert_int_equal(m.fas[0].revoking.fa, 0);
	assert_int_equal(n_kd, 1);
}

/* Finding 7: the MH moves on while KEY_DISTRIBUTE to FA1 is out: FA2 is
 * given the keys at once, FA1's copy is revoked as soon as FA1 answers. */
static void ha_handoff_during_key_distribute(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_REDISTRIBUTE);

	mb->fa_with_keys = 0;
	holders_clear(&mb->holders);
	ike_mod_want_keys(&m, mb);
	ike_mod_distribute(&m);
	assert_int_equal(n_kd, 1);
	assert_int_equal(mb->distributing, FA1_ADDR);

	ike_mod_on_binding(&m, MH_HOME, FA2_ADDR);
	assert_int_equal(n_kd, 2);
	assert_ptr_equal(last_kd_sa, SA(SA_FA2));
	assert_int_equal(mb->distributing, FA2_ADDR);
	assert_int_equal(m.n_revq, 1); /* behind FA1's KEY_DISTRIBUTE */

	busy[SA_FA1] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA1), 0);
	assert_int_equal(n_deletes, 1);
	assert_ptr_equal(last_delete_sa, SA(SA_FA1));
	assert_int_equal(mb->fa_with_keys, 0);

	busy[SA_FA2] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA2), 0);
	assert_int_equal(mb->fa_with_keys, FA2_ADDR);
	assert_int_equal(mb->distributing, 0);
	assert_true(holders_find(&mb->holders, FA2_ADDR)->active);
	assert_null(holders_find(&mb->holders, FA1_ADDR));
}

/* Finding 9, a revocation still queued: the MH is back at FA1 before it
 * left, so it never leaves (it would remove what FA1 holds for it now). */
static void ha_drops_revocation_on_return(void **state)
{
	ha_at_fa1(IKE_HANDOFF_DKM);
	busy[SA_FA1] = true;
	ike_mod_on_binding(&m, MH_HOME, FA2_ADDR);
	assert_int_equal(m.n_revq, 1);
	ike_mod_on_binding(&m, MH_HOME, FA1_ADDR);
	assert_int_equal(m.n_revq, 0);
	assert_int_equal(m.revocations_dropped, 1);
	busy[SA_FA1] = false;
	ike_mod_on_readable(&m, 0);
	assert_int_equal(n_deletes, 0);
	assert_int_equal(n_sa_deleted, 0);
}

/* Finding 9, a revocation on its way: FA1 installs the CSA again by DKM
 * (and reports it) before the Delete of the first visit arrives and
 * removes it. When FA1 answers that Delete with the MH back there, the
 * HA knows FA1's copy is gone and gives it the keys again. */
static void ha_repairs_revocation_crossing_return(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_DKM);
	const struct dkm_mh_pl rep = { .mh_home = MH_HOME, .n_spis = 2, .spi = { 0x1111, 0x2222 } };

	ike_mod_on_binding(&m, MH_HOME, FA2_ADDR);
	assert_int_equal(n_deletes, 1);
	assert_ptr_equal(last_delete_sa, SA(SA_FA1));
	assert_int_not_equal(mb->dkm.deadline_ns, 0);
	ike_mod_on_binding(&m, MH_HOME, FA1_ADDR);
	assert_int_equal(ike_dkm_installed(&m, SA(SA_FA1), &rep), 0);
	assert_int_equal(mb->fa_with_keys, FA1_ADDR);
	assert_int_equal(n_kd, 0);

	busy[SA_FA1] = false; /* FA1 answers the Delete: its copy went */
	ike_mod_events.csa_revoked(&m, SA(SA_FA1), NULL, 0);
	assert_int_equal(m.revocations_raced, 1);
	assert_int_equal(n_kd, 1);
	assert_ptr_equal(last_kd_sa, SA(SA_FA1));
	busy[SA_FA1] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA1), 0);
	assert_int_equal(mb->fa_with_keys, FA1_ADDR);
	assert_true(holders_find(&mb->holders, FA1_ADDR)->active);
}

/* Finding 4, the HA: "no CSA by DKM" from the MH's new FA ends the wait
 * at once (KEY_DISTRIBUTE); ahead of the binding it is remembered; not
 * from an FA, or naming SPIs, it is refused. */
static void ha_redistributes_on_missing(void **state)
{
	const struct dkm_mh_pl miss = { .mh_home = MH_HOME, .ha_addr = HA_ADDR };
	struct dkm_mh_pl bad = miss;
	struct mobile *mb = ha_setup();

	m.ecfg.local_addr = HA_ADDR;
	m.peers[0] = (struct ike_peer_cfg){ .addr = FA2_ADDR };
	m.fas[0] = (struct fa_link){ .peer = &m.peers[0], .sa = SA(SA_FA2), .up = true };
	memset(busy, 0, sizeof(busy));
	n_kd = 0;
	bad.n_spis = 2;
	bad.spi[0] = 0x1111;
	bad.spi[1] = 0x2222;
	assert_int_equal(ike_dkm_missing(&m, SA(SA_MH), &miss), DKM_N_UNKNOWN_CSA);
	assert_int_equal(ike_dkm_missing(&m, SA(SA_MH_OTHER), &miss), DKM_N_UNKNOWN_CSA);
	assert_int_equal(ike_dkm_missing(&m, SA(SA_FA2), &bad), DKM_N_UNKNOWN_CSA);
	assert_int_not_equal(mb->dkm.deadline_ns, 0);

	assert_int_equal(ike_dkm_missing(&m, SA(SA_FA2), &miss), 0);
	assert_int_equal(mb->dkm.deadline_ns, 0);
	assert_int_equal(m.dkm.fallbacks, 1);
	assert_int_equal(n_kd, 1);
	assert_ptr_equal(last_kd_sa, SA(SA_FA2));

	mb = ha_setup();
	assert_int_equal(ike_dkm_missing(&m, SA(SA_FA3), &miss), 0);
	assert_int_equal(mb->dkm.missed_fa, FA3_ADDR);
	mb->coa = FA3_ADDR;
	assert_false(ike_dkm_ha_wait(&m, mb));
	assert_int_equal(mb->dkm.deadline_ns, 0);
}

/* FA2 asked FA1 for the MH's CSAs (as fa_installed_by_dkm). */
static void fa_requested(void)
{
	reset_recorders();
	m.role = ROLE_FA;
	m.handoff = IKE_HANDOFF_DKM;
	m.dkm.timeout_ms = 1000;
	m.dkm.cache.grace_ns = 10ULL * 1000000000;
	m.ecfg.local_addr = FA2_ADDR;
	m.ecfg.n_peers = 2;
	m.peers[0] = (struct ike_peer_cfg){ .addr = FA1_ADDR, .neighbor = true };
	m.peers[1] = (struct ike_peer_cfg){ .addr = HA_ADDR };
	sa_peer[SA_FA1].addr = FA1_ADDR;
	sa_peer[SA_HA].addr = HA_ADDR;
	ike_dkm_start(&m);
	ike_dkm_ike_up(&m, SA(SA_FA1));
	ike_dkm_ike_up(&m, SA(SA_HA));
	prev_fa_fn(prev_fa_arg, MH_HOME, HA_ADDR, FA1_ADDR);
	assert_int_equal(n_requests, 1);
}

/* Finding 4, the new FA: refused by the previous FA, or that FA's IKE SA
 * gone, it tells the HA at once; the HA's answer frees the report. */
static void fa_tells_ha_missing(void **state)
{
	fa_requested();
	ike_dkm_answer(&m, SA(SA_FA1), MH_HOME, NULL, DKM_N_NOT_VISITOR);
	assert_int_equal(n_missing, 1);
	assert_int_equal(last_missing.mh_home, MH_HOME);
	assert_int_equal(last_missing.ha_addr, HA_ADDR);
	assert_int_equal(last_missing.n_spis, 0);
	assert_int_equal(m.dkm.missing, 1);
	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, 0);
	for (unsigned int i = 0; i < DKM_PENDING_MAX; i++)
		assert_false(m.dkm.rep[i].used);
	ike_dkm_stop(&m);

	fa_requested();
	ike_dkm_ike_down(&m, SA(SA_FA1));
	assert_int_equal(n_missing, 1);
	/* Refused by the HA: nothing of ours to remove. */
	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, DKM_N_UNKNOWN_CSA);
	assert_int_equal(n_removed, 0);
	assert_int_equal(m.dkm.refused, 0);
	ike_dkm_stop(&m);
}

/* Finding 8: an FA records every CSA an IKE SA brought (here three MHs'
 * pairs), so a revocation removes its pair from the record and the IKE
 * SA's end removes all the rest; a record that is full refuses keys
 * rather than install them unrecorded. */
/* FA2, whose one IKE peer is the HA (SA_HA). */
static void fa2_with_ha(void)
{
	reset_recorders();
	m.role = ROLE_FA;
	m.ecfg.local_addr = FA2_ADDR;
	m.ecfg.n_peers = 1;
	m.peers[0] = (struct ike_peer_cfg){ .addr = HA_ADDR };
	sa_peer[SA_HA].addr = HA_ADDR;
}

static void fa_records_every_csa(void **state)
{
	struct mlike_fa_keys keys = { .ha_addr = HA_ADDR, .n_secrets = 2 };
	uint32_t gone[] = { 0x100, 0x101 };

	fa2_with_ha();
	for (uint32_t i = 0; i < 3; i++) {
		keys.mh_home = htonl(0x0a010002 + i);
		keys.secret[0] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x100 + 2 * i };
		keys.secret[1] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x101 + 2 * i };
		assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA), &keys), 0);
	}
	assert_int_equal(installed_n(&m.inst[0]), 6);

	ike_mod_events.csa_deleted(&m, SA(SA_HA), gone, 2);
	assert_int_equal(n_removed, 2);
	assert_int_equal(installed_n(&m.inst[0]), 4);
	n_removed = 0;
	ike_mod_events.ike_down(&m, SA(SA_HA), IKE_DOWN_TIMEOUT);
	assert_int_equal(n_removed, 4);
	for (unsigned int i = 0; i < 4; i++)
		assert_true(removed[i] >= 0x102 && removed[i] <= 0x105);

	/* 4 x mobiles_max recorded under the HA's SA: full. */
	assert_non_null(ike_mod_inst_of(&m, SA(SA_HA), true));
	for (uint32_t i = 0; installed_n(&m.inst[0]) < 4 * m.mobiles_max; i++)
		assert_int_equal(installed_add(&m.inst[0], 0x1000 + i), 0);
	assert_int_equal(installed_add(&m.inst[0], 0x9999), -ENOSPC);
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA), &keys), -ENOSPC);
	assert_int_equal(m.csas_installed, 6);
	ike_dkm_stop(&m);
}

/* The HA restarted: its new instance opens a new IKE SA with the FA and
 * knows nothing of the CSAs the old one installed. The FA reconciles them
 * (wiped after the grace unless granted again over the new SA), not at
 * once and not never, and deletes the old SA. An SA this FA opened (a
 * simultaneous open with an FA peer) supersedes nothing. */
static void fa_superseded_sa_reconciled(void **state)
{
	struct mlike_fa_keys keys = { .ha_addr = HA_ADDR, .mh_home = MH_HOME, .n_secrets = 2 };

	fa2_with_ha();
	sa_peer[SA_HA2].addr = HA_ADDR; /* the same HA, restarted */
	keys.secret[0] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x100 };
	keys.secret[1] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x101 };
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA), &keys), 0);

	sa_initiator[SA_HA2] = true;
	ike_mod_events.ike_up(&m, SA(SA_HA2));
	assert_int_equal(m.rec.n, 0);
	assert_int_equal(n_sa_deleted, 0);

	sa_initiator[SA_HA2] = false;
	ike_mod_events.ike_up(&m, SA(SA_HA2));
	assert_int_equal(m.rec.n, 2);
	assert_int_equal(m.rec.superseded, 1);
	assert_int_equal(n_sa_deleted, 1);
	assert_null(ike_mod_inst_of(&m, SA(SA_HA), false));
	/* The old SA's end wipes nothing now: the grace decides. */
	ike_mod_events.ike_down(&m, SA(SA_HA), IKE_DOWN_TIMEOUT);
	assert_int_equal(n_removed, 0);

	/* The new instance grants 0x100 again; 0x101 nobody does. */
	keys.n_secrets = 1;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA2), &keys), 0);
	ike_reconcile_on_timer(&m);
	assert_int_equal(n_removed, 1);
	assert_int_equal(removed[0], 0x101);
	assert_int_equal(last_owner, HA_ADDR);
	ike_dkm_stop(&m);
}

/* Issue 20: mml_csa has room for one CSA of a pair: KEY_DISTRIBUTE is
 * refused (the engine answers MLIKE_KEYS_REJECTED), counted, and the half
 * that went in is removed and unrecorded: no zone-1 key half installed. */
static void fa_full_map_refuses_keys(void **state)
{
	struct mlike_fa_keys keys = { .ha_addr = HA_ADDR, .mh_home = MH_HOME, .n_secrets = 2 };

	fa2_with_ha();
	keys.secret[0] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x300 };
	keys.secret[1] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x301 };
	map_room = 1;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA), &keys), -E2BIG);
	assert_int_equal(m.csas_refused_full, 1);
	assert_int_equal(n_removed, 1);
	assert_int_equal(removed[0], 0x300);
	assert_int_equal(installed_n(&m.inst[0]), 0);
	ike_dkm_stop(&m);
}

/* The FA's NEIGHBOR_NOTIFY found the window busy (a DKM report out when
 * its IKE SA with the HA came back): tried again, not lost. */
static void fa_retries_neighbor_notify(void **state)
{
	reset_recorders();
	m.role = ROLE_FA;
	m.ecfg.local_addr = FA2_ADDR;
	m.ecfg.n_peers = 2;
	m.peers[0] = (struct ike_peer_cfg){ .addr = FA1_ADDR, .neighbor = true };
	m.peers[1] = (struct ike_peer_cfg){ .addr = HA_ADDR };
	sa_peer[SA_HA] = (struct ike_peer_cfg){ .addr = HA_ADDR };
	nn_ret = -EBUSY;
	ike_mod_events.ike_up(&m, SA(SA_HA));
	assert_int_equal(n_nn, 0);
	assert_true(ike_pkd_fa_retry(&m));
	nn_ret = 0;
	assert_false(ike_pkd_fa_retry(&m));
	assert_int_equal(n_nn, 1);
	assert_false(ike_pkd_fa_retry(&m));
	assert_int_equal(n_nn, 1);
}

/* --- issue 18 item 3: who owns a CSA --- */

/* An FA with two HAs as IKE peers (both authenticated), HA's zone-1 CSAs
 * of MH_HOME installed (0x1111, 0x2222). */
static void fa_with_two_has(struct mlike_fa_keys *keys)
{
	reset_recorders();
	m.role = ROLE_FA;
	m.ecfg.local_addr = FA2_ADDR;
	m.ecfg.n_peers = 2;
	m.peers[0] = (struct ike_peer_cfg){ .addr = HA_ADDR };
	m.peers[1] = (struct ike_peer_cfg){ .addr = HA2_ADDR };
	sa_peer[SA_HA].addr = HA_ADDR;
	sa_peer[SA_HA2].addr = HA2_ADDR;
	*keys = (struct mlike_fa_keys){ .mh_home = MH_HOME, .ha_addr = HA_ADDR, .n_secrets = 2 };
	keys->secret[0] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x1111 };
	keys->secret[1] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x2222 };
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA), keys), 0);
	assert_int_equal(last_owner, HA_ADDR);
	assert_int_equal(n_puts, 2);
}

static uint32_t cached_ha(void)
{
	return dkm_cache_ha_of(&m.dkm.cache, MH_HOME);
}

/* KEY_DISTRIBUTE from HA2 aimed at HA's mobile: naming HA as the HA, under
 * HA's SPIs (the store says they are HA's), or for HA's mobile under fresh
 * SPIs: each refused (the engine answers MLIKE_KEYS_REJECTED), counted,
 * nothing written, HA's records unchanged. HA2's own mobile is served, and
 * HA replaces its own keys (a rekey, PKD's inactive copy made active). */
static void fa_keys_only_from_owner(void **state)
{
	struct mlike_fa_keys keys, evil;
	struct installed *ha2;

	fa_with_two_has(&keys);
	evil = keys;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA2), &evil), -EPERM);
	evil.ha_addr = HA2_ADDR;
	n_foreign = 2;
	foreign[0] = 0x1111;
	foreign[1] = 0x2222;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA2), &evil), -EPERM);
	assert_int_equal(last_owner, HA2_ADDR);
	n_foreign = 0;
	evil.secret[0].spi = 0x3333;
	evil.secret[1].spi = 0x4444;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA2), &evil), -EPERM);
	assert_int_equal(m.csas_refused_owner, 3);
	assert_int_equal(n_puts, 2);
	assert_int_equal(m.csas_installed, 2);
	ha2 = ike_mod_inst_of(&m, SA(SA_HA2), false);
	assert_true(!ha2 || installed_n(ha2) == 0);
	assert_int_equal(cached_ha(), HA_ADDR);
	assert_int_equal(m.z1[0].spi[0], 0x1111);

	evil.mh_home = ip("10.1.0.99"); /* HA2's own mobile */
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA2), &evil), 0);
	assert_int_equal(last_owner, HA2_ADDR);
	keys.inactive = true;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA), &keys), 0);
	assert_int_equal(last_owner, HA_ADDR);
	assert_int_equal(m.csas_installed, 6);
	assert_int_equal(m.csas_refused_owner, 3);
	ike_dkm_stop(&m);
}

/* A CSA Delete from HA2 naming HA's SPIs and one of its own: only its own
 * goes and is acknowledged; HA's stays in HA's record. The end of HA's IKE
 * SA removes HA's as HA's. */
static void fa_delete_only_own(void **state)
{
	struct mlike_fa_keys keys, own;
	uint32_t spis[3] = { 0x1111, 0x5555, 0x2222 };

	fa_with_two_has(&keys);
	own = keys;
	own.mh_home = ip("10.1.0.99");
	own.ha_addr = HA2_ADDR;
	own.secret[0].spi = 0x5555;
	own.secret[1].spi = 0x6666;
	assert_int_equal(ike_mod_events.fa_keys(&m, SA(SA_HA2), &own), 0);
	n_foreign = 2; /* what the store answers HA2 */
	foreign[0] = 0x1111;
	foreign[1] = 0x2222;
	assert_int_equal(ike_mod_events.csa_deleted(&m, SA(SA_HA2), spis, 3), 1);
	assert_int_equal(spis[0], 0x5555);
	assert_int_equal(last_owner, HA2_ADDR);
	assert_int_equal(n_removed, 1);
	assert_int_equal(installed_n(ike_mod_inst_of(&m, SA(SA_HA), false)), 2);
	assert_int_equal(installed_n(ike_mod_inst_of(&m, SA(SA_HA2), false)), 1);
	n_foreign = 0;
	ike_mod_events.ike_down(&m, SA(SA_HA), IKE_DOWN_TIMEOUT);
	assert_int_equal(last_owner, HA_ADDR);
	assert_int_equal(n_removed, 3);
	ike_dkm_stop(&m);
}

/* DKM: the CSAs are installed as the HA's that the MH's registration
 * names (it vouches for them, revokes and rekeys them), not as the
 * previous FA's; an answer naming another HA is refused, counted, and the
 * HA told at once that DKM brought nothing. */
static void dkm_install_owned_by_ha(void **state)
{
	struct mlike_fa_keys keys = { .mh_home = MH_HOME, .ha_addr = HA2_ADDR, .n_secrets = 2 };

	keys.secret[0] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x1111 };
	keys.secret[1] = (struct mlike_secret_pl){ .zone = 1, .spi = 0x2222 };
	fa_requested();
	ike_dkm_answer(&m, SA(SA_FA1), MH_HOME, &keys, 0);
	assert_int_equal(n_puts, 0);
	assert_int_equal(m.dkm.installed, 0);
	assert_int_equal(m.csas_refused_owner, 1);
	assert_int_equal(n_missing, 1);
	assert_int_equal(last_missing.ha_addr, HA_ADDR);
	ike_dkm_stop(&m);

	fa_requested();
	keys.ha_addr = HA_ADDR;
	ike_dkm_answer(&m, SA(SA_FA1), MH_HOME, &keys, 0);
	assert_int_equal(m.dkm.installed, 1);
	assert_int_equal(last_owner, HA_ADDR);
	/* Refused by the HA: removed as the HA's. */
	last_owner = 0;
	ike_dkm_reported(&m, SA(SA_HA), MH_HOME, DKM_N_UNKNOWN_CSA);
	assert_int_equal(n_removed, 2);
	assert_int_equal(last_owner, HA_ADDR);
	ike_dkm_stop(&m);
}

/* HA: an MH that agrees a pair under another mobile's SPI (the store
 * refuses it) gets no CSA and no KEY_DISTRIBUTE; its IKE SA goes (the HA
 * starts over with fresh SPIs). Its own pair is installed as its own. */
static void ha_pair_refused_drops_sa(void **state)
{
	struct mobile *mb = ha_at_fa1(IKE_HANDOFF_REDISTRIBUTE);
	struct mlike_csa csa = { .spi_out = 0x7777, .spi_in = 0x8888 };

	mb->have_csa = false;
	mb->fa_with_keys = 0;
	n_foreign = 1;
	foreign[0] = 0x7777;
	ike_mod_events.csa_up(&m, SA(SA_MH), &csa);
	assert_false(mb->have_csa);
	assert_int_equal(n_sa_deleted, 1);
	assert_int_equal(n_kd, 0);
	assert_int_equal(last_owner, ip("10.9.9.9"));
	n_foreign = 0;
	ike_mod_events.csa_up(&m, SA(SA_MH), &csa);
	assert_true(mb->have_csa);
	assert_int_equal(mb->csa_owner, ip("10.9.9.9"));
	assert_int_equal(n_kd, 1);
	assert_int_equal(n_sa_deleted, 1);
}

/* --- the tables sized by mobiles_max (keyd/ike/mobiles.c, idx.c) --- */

/* Addresses of one /16 in network order differ in their high bytes'
 * low bits: all of them found, none lost when the table grows, a slot
 * number reused once dropped, nothing beyond max. */
static void idx_finds_a_prefix(void **state)
{
	struct idx x;

	assert_int_equal(idx_init(&x, 16, 5000), 0);
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(idx_take(&x, htonl(0x0ac80000 + i)), i);
	assert_int_equal(idx_take(&x, htonl(0x0ac90000)), IDX_NONE);
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(idx_find(&x, htonl(0x0ac80000 + i)), i);
	assert_int_equal(idx_find(&x, htonl(0x0ac90000)), IDX_NONE);
	idx_drop(&x, 1234);
	assert_int_equal(idx_find(&x, htonl(0x0ac80000 + 1234)), IDX_NONE);
	assert_int_equal(x.n, 4999);
	assert_int_equal(idx_take(&x, 7), 1234);
	assert_int_equal(idx_find(&x, 7), 1234);
	assert_int_equal(idx_find(&x, htonl(0x0ac80000 + 1235)), 1235);
	idx_free(&x);
}

/* mobiles_max mobiles get ML-IKE; the next binding is refused, counted
 * (and logged), never a silent drop; a binding that goes frees a record. */
/* The HA's peer template for 10.200.0.0/15 (the mobiles of the tests
 * below). */
static void ha_template_peer(void)
{
	m.ecfg.n_peers = 1;
	m.peers[0] = (struct ike_peer_cfg){ .tmpl = true,
					    .tmpl_net = htonl(0x0ac80000),
					    .tmpl_mask = htonl(0xfffe0000),
					    .psk = "master",
					    .psk_len = 6 };
}

static void ha_mobiles_full_refused_counted(void **state)
{
	reset_recorders();
	m.role = ROLE_HA;
	m.ecfg.local_addr = HA_ADDR;
	ha_template_peer();
	for (uint32_t i = 0; i < m.mobiles_max; i++)
		ike_mod_on_binding(&m, htonl(0x0ac80001 + i), FA1_ADDR);
	assert_int_equal(m.mob_home.n, 64);
	assert_int_equal(m.mobiles_full, 0);
	ike_mod_on_binding(&m, htonl(0x0ac90001), FA1_ADDR);
	ike_mod_on_binding(&m, htonl(0x0ac90002), FA1_ADDR);
	assert_int_equal(m.mobiles_full, 2);
	assert_null(ike_mobile_of_home(&m, htonl(0x0ac90001)));
	assert_non_null(ike_mobile_of_home(&m, htonl(0x0ac80001 + 63)));
	ike_mod_on_binding(&m, htonl(0x0ac80001 + 5), 0);
	assert_null(ike_mobile_of_home(&m, htonl(0x0ac80001 + 5)));
	ike_mod_on_binding(&m, htonl(0x0ac90001), FA1_ADDR);
	assert_non_null(ike_mobile_of_home(&m, htonl(0x0ac90001)));
	assert_int_equal(m.mobiles_full, 2);
}

/* Mobile IP without ML-IKE (no peer names the home address): no record,
 * counted; so mobiles_max such bindings leave an IKE mobile its slot. */
static void ha_mobile_without_peer_takes_no_slot(void **state)
{
	reset_recorders();
	m.role = ROLE_HA;
	m.ecfg.local_addr = HA_ADDR;
	ha_template_peer();
	for (uint32_t i = 0; i < m.mobiles_max + 8; i++)
		ike_mod_on_binding(&m, htonl(0x0b000001 + i), FA1_ADDR);
	assert_int_equal(m.mob_home.n, 0);
	assert_int_equal(m.mobiles_no_peer, m.mobiles_max + 8);
	assert_int_equal(m.mobiles_full, 0);
	ike_mod_on_binding(&m, htonl(0x0ac80001), FA1_ADDR);
	assert_non_null(ike_mobile_of_home(&m, htonl(0x0ac80001)));
	ike_mod_on_binding(&m, htonl(0x0b000001), 0); /* its deregistration */
	assert_int_equal(m.mob_home.n, 1);
}

/* Key distribution goes through each FA's queue: the mobiles waiting at
 * a busy FA wait there (no KEY_DISTRIBUTE lost, none sent twice), the
 * other FA is served meanwhile, and each answer sends the next. */
static void ha_distributes_per_fa_queue(void **state)
{
	struct mobile *mbs[6];

	ha_at_fa1(IKE_HANDOFF_REDISTRIBUTE);
	ike_mod_on_binding(&m, MH_HOME, 0);
	busy[SA_FA1] = false; /* its revocation at FA1 answered */
	for (uint32_t i = 0; i < 6; i++) {
		mbs[i] = ike_mobile_new(&m, htonl(0x0ac80001 + i));
		mbs[i]->coa = i % 2 ? FA2_ADDR : FA1_ADDR;
		mbs[i]->have_csa = true;
		mbs[i]->csa.spi_out = 0x100 + i;
		ike_mod_want_keys(&m, mbs[i]);
	}
	ike_mod_distribute(&m);
	assert_int_equal(n_kd, 2); /* one per FA: the windows are busy now */
	assert_int_equal(mbs[0]->distributing, FA1_ADDR);
	assert_int_equal(mbs[1]->distributing, FA2_ADDR);
	for (unsigned int k = 0; k < 2; k++) {
		busy[SA_FA1] = false; /* the window frees with the answer */
		ike_mod_events.fa_keys_done(&m, SA(SA_FA1), 0);
		busy[SA_FA2] = false;
		ike_mod_events.fa_keys_done(&m, SA(SA_FA2), 0);
	}
	assert_int_equal(n_kd, 6);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(mbs[i]->fa_with_keys, i % 2 ? FA2_ADDR : FA1_ADDR);
	busy[SA_FA1] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA1), 0);
	busy[SA_FA2] = false;
	ike_mod_events.fa_keys_done(&m, SA(SA_FA2), 0);
	assert_int_equal(n_kd, 6);
	assert_int_equal(m.inits_done, 6);
	/* The sweep finds nothing an event did not queue. */
	ike_mod_distribute_sweep(&m);
	assert_int_equal(m.dist_swept, 0);
	mbs[5]->fa_with_keys = 0; /* behind the queue's back */
	ike_mod_distribute_sweep(&m);
	assert_int_equal(m.dist_swept, 1);
	assert_int_equal(n_kd, 7);
}

/* FA: more visitors than mobiles_max: the next is refused and counted. */
static void fa_visitors_full_counted(void **state)
{
	fa2_with_ha();
	for (uint32_t i = 0; i < m.mobiles_max; i++)
		ike_pkd_on_visitor(&m, htonl(0x0ac80001 + i), true);
	assert_int_equal(m.visitors_full, 0);
	ike_pkd_on_visitor(&m, htonl(0x0ac90001), true);
	assert_int_equal(m.visitors_full, 1);
	ike_pkd_on_visitor(&m, htonl(0x0ac80001), false);
	ike_pkd_on_visitor(&m, htonl(0x0ac90001), true);
	assert_int_equal(m.visitors_full, 1);
	assert_int_equal(m.here.n, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ha_refuses_reports),
		cmocka_unit_test(fa_removes_refused),
		cmocka_unit_test(fa_keeps_acknowledged),
		cmocka_unit_test(ha_refuses_neighbor_lists),
		cmocka_unit_test(pkd_full_holder_set_sends_nothing),
		cmocka_unit_test(ha_records_dkm_holder),
		cmocka_unit_test(ha_queues_busy_revocation),
		cmocka_unit_test(ha_handoff_during_key_distribute),
		cmocka_unit_test(ha_drops_revocation_on_return),
		cmocka_unit_test(ha_repairs_revocation_crossing_return),
		cmocka_unit_test(ha_redistributes_on_missing),
		cmocka_unit_test(fa_tells_ha_missing),
		cmocka_unit_test(fa_records_every_csa),
		cmocka_unit_test(fa_superseded_sa_reconciled),
		cmocka_unit_test(fa_full_map_refuses_keys),
		cmocka_unit_test(fa_retries_neighbor_notify),
		cmocka_unit_test(ha_rekey_make_before_break),
		cmocka_unit_test(ha_rekey_busy_until_switched),
		cmocka_unit_test(mh_rekey_moves_without_delete),
		cmocka_unit_test(ha_rekeys_after_dkm),
		cmocka_unit_test(ha_rekeys_on_worker_signal),
		cmocka_unit_test(ha_rekeys_over_pkd_threshold),
		cmocka_unit_test(fa_keys_only_from_owner),
		cmocka_unit_test(fa_delete_only_own),
		cmocka_unit_test(dkm_install_owned_by_ha),
		cmocka_unit_test(ha_pair_refused_drops_sa),
		cmocka_unit_test(idx_finds_a_prefix),
		cmocka_unit_test(ha_mobiles_full_refused_counted),
		cmocka_unit_test(ha_mobile_without_peer_takes_no_slot),
		cmocka_unit_test(ha_distributes_per_fa_queue),
		cmocka_unit_test(fa_visitors_full_counted),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	ike_tables_free(&m);
	return rc;
}
