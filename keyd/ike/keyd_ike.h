/* Inside mmlkeyd's "ike" module: its state, and the functions its three
 * files share. keyd_ike.c is the module glue (configuration, start and
 * stop, `ike show`); ike_orch.c runs the engine on the event loop and
 * orchestrates ML-IKE (HA: mobiles, FA links, key distribution and
 * revocation; every role: the engine's events); ike_install.c writes
 * what a node installs (CSA pairs, binding SPIs, the IKE bypass). */
#ifndef MML_KEYD_IKE_KEYD_IKE_H
#define MML_KEYD_IKE_KEYD_IKE_H

#include <stdbool.h>
#include <stdint.h>

#include "keyd/ike/csa_map.h"
#include "keyd/ike/dkm_cache.h"
#include "keyd/ike/flowneg.h"
#include "keyd/ike/holders.h"
#include "keyd/ike/idx.h"
#include "keyd/ike/ike.h"
#include "keyd/ike/linkauto.h"
#include "keyd/loop.h"
#include "keyd/mip.h"
#include "lib/pin.h"

#define IKE_PEERS_MAX 16
/* The ike section's mobiles_max: HA, the mobiles it runs ML-IKE for; FA,
 * the visitors whose keys it holds (PKD's, zone 1's timestamps); either,
 * 4 x that many CSAs recorded under one IKE SA. Records are allocated as
 * they are used (keyd/ike/mobiles.c); a binding beyond it is refused
 * ML-IKE, logged once and counted (mobiles_full). */
#define IKE_MOBILES_DEFAULT 1024
#define IKE_MOBILES_LIMIT 1000000

enum ike_role { ROLE_HA, ROLE_MH, ROLE_FA };
/* HA: the one DKM record per mobile (ike_dkm.c): a handoff waits until
 * deadline for the new FA's install report (then KEY_DISTRIBUTE instead);
 * early_fa reported before the binding moved to it. Who holds zone 1 is
 * fa_with_keys, as for KEY_DISTRIBUTE. */
struct dkm_wait {
	uint64_t deadline_ns;
	uint32_t early_fa;
	uint32_t missed_fa; /* told us it could not get the CSA by DKM */
};

/* How a mobile's zone-1 keys follow it from FA to FA (issue 16):
 * redistribute = KEY_DISTRIBUTE to the new FA after the binding moved, and
 * revocation at the old one; pkd = handed to the serving FA's neighbours
 * ahead of time, held inactive there (keyd/ike/pkd.c); dkm = the new FA
 * asks the previous one. */
enum ike_handoff { IKE_HANDOFF_REDISTRIBUTE, IKE_HANDOFF_PKD, IKE_HANDOFF_DKM };

/* A CSA rekey in progress (csa_life.c, paper Fig. 7), make before break.
 * HA: STARTED (our MLIKE_CREATE_CHILD_SA out) -> DISTRIBUTING (the new
 * pair installed here, its zone 1 on its way to the serving FA) ->
 * TELL_MH (we send with the new pair; the old pair's Delete waits for the
 * MH's window) -> DRAINING (the MH moves to the new pair; both accepted)
 * -> NONE (the old pair deleted here and at every FA that held it).
 * MH: STARTED -> PENDING (new pair installed, still sending with the old
 * one until the HA's Delete of it, at most RK_PENDING_NS) -> DRAINING (sending with the new one;
 * the old inbound CSA kept for packets in flight) -> NONE. */
enum csa_rekey_state {
	RK_NONE,
	RK_STARTED,
	RK_DISTRIBUTING,
	RK_TELL_MH,
	RK_PENDING,
	RK_DRAINING,
};

struct csa_rekey {
	uint8_t state;			/* enum csa_rekey_state */
	uint32_t old_out, old_in;	/* the pair being retired (this node's view) */
	uint32_t new_out, new_in;	/* MH: the pair to switch to */
	uint32_t owner;			/* the peer the pairs were agreed with (their owner) */
	struct csa_holders old_holders; /* HA: every FA given the old pair */
	uint64_t deadline_ns;		/* CLOCK_BOOTTIME: the state's bound */
	bool again;			/* HA: another rekey wanted once this one ends */
	uint64_t tell_until_ns;		/* HA: TELL_MH's bound */
	bool delete_out;		/* HA: the old pair's Delete to the MH unanswered */
	uint64_t next_at_ns;		/* the next rekey (soft lifetime, jittered), 0 = none */
	uint64_t done;			/* rekeys completed (the pair's generation) */
};

/* HA: one mobile host's initialisation. */
struct mobile {
	bool used;
	uint32_t home, coa;   /* network order; coa = the serving FA */
	uint32_t prev_coa;    /* the one before (a late DKM report comes from it) */
	struct ike_sa *mh_sa; /* IKE SA with the MH */
	bool have_csa;
	struct mlike_csa csa;	  /* this HA's view (out = towards the MH) */
	uint32_t csa_owner;	  /* the peer that agreed it (its pair's owner) */
	uint32_t fa_with_keys;	  /* FA address holding zone 1, 0 = none */
	uint32_t distributing;	  /* the FA a KEY_DISTRIBUTE is out to, 0 = none */
	uint64_t t_bound, t_done; /* CLOCK_BOOTTIME ns, for `ike show` */
	struct dkm_wait dkm;
	uint8_t handoff;	    /* enum ike_handoff */
	struct csa_holders holders; /* every FA sent the zone-1 keys */
	bool holders_full;	    /* PKD: refused a neighbour (logged, counted once) */
	struct csa_rekey rk;
	struct ike_peer_cfg *dcfg; /* from a template (mh_tmpl.c): one reference */
	/* On its serving FA's queue of mobiles waiting for KEY_DISTRIBUTE
	 * (ike_orch.c): slots + 1, and that FA's index + 1. */
	uint32_t q_next, q_prev;
	uint8_t q_fa;
};

/* HA: an FA's neighbour FAs, from its NEIGHBOR_NOTIFY (PKD). */
struct fa_neighbors {
	uint32_t fa; /* network order; 0 = unused */
	uint8_t n;
	uint32_t addr[MLIKE_NEIGHBORS_MAX];
};

/* FA: a mobile's CSAs held inactive until it registers here (PKD). */
struct held_csa {
	uint32_t home; /* 0 = unused */
	uint32_t spi[2];
};

/* FA: a mobile's zone-1 CSAs active here since active_ns (CLOCK_BOOTTIME),
 * and how they came (z1_ready.c). */
enum z1_via { Z1_VIA_KEY_DISTRIBUTE, Z1_VIA_DKM, Z1_VIA_PKD };
struct z1_ready {
	uint32_t home; /* 0 = unused */
	uint32_t spi[2];
	uint64_t active_ns;
	uint64_t removed_ns; /* its keys removed since (spi, active_ns 0) */
	uint8_t via;	     /* enum z1_via */
};

/* HA: one revocation (the CSA Delete of a mobile's pair at one FA). */
struct revocation {
	uint32_t fa, home; /* network order; fa 0 = none */
	uint32_t spi[2];
};

/* HA: queued revocations: at most one per mobile and FA holding its keys
 * (the queue grows to mobiles_max x IKE_PEERS_MAX). */
_Static_assert(HOLDERS_MAX >= IKE_PEERS_MAX, "a holder set must have room for every FA peer");

/* HA: one FA and our IKE SA with it. */
struct fa_link {
	const struct ike_peer_cfg *peer;
	struct ike_sa *sa;
	bool up;
	struct revocation revoking; /* the CSA Delete out on sa, unanswered */
	uint32_t q_head, q_tail;    /* mobiles waiting for KEY_DISTRIBUTE: slots + 1 */
	uint32_t dist_slot;	    /* the mobile whose KEY_DISTRIBUTE is out: slot + 1 */
};

#define DKM_PENDING_MAX 8

/* DKM (ike_dkm.c). New FA: requests to previous FAs, reports to the HA;
 * previous FA: the cache; HA: the bound. link: our IKE SA per peer (index
 * into peers), FA only. */
struct ike_dkm {
	uint32_t timeout_ms;
	struct dkm_cache cache;
	struct dkm_pend {
		bool used, sent;
		bool missing;	      /* a report: no CSA by DKM, redistribute now */
		uint32_t prev;	      /* the previous FA */
		struct dkm_mh_pl mh;  /* the request, or the report */
		uint64_t deadline_ns; /* requests only */
	} req[DKM_PENDING_MAX], rep[DKM_PENDING_MAX];
	struct dkm_link {
		struct ike_sa *sa;
		bool up;
	} link[IKE_PEERS_MAX];
	struct loop_timer timer;
	uint64_t requested, installed, handed_over, timeouts, reported, waits, fallbacks;
	uint64_t refused;	   /* new FA: reports the HA refused (their CSAs removed) */
	uint64_t missing;	   /* new FA: "no CSA by DKM" sent; HA: received */
	struct ike_sa *nn_pending; /* FA: NEIGHBOR_NOTIFY found the window busy */
};

/* MH and HA: the ESP-format CSA pair of one CHILD_SA (ike_esp.c). */
struct esp_child {
	struct ike_sa *sa; /* NULL = free */
	uint32_t home;	   /* network order */
	uint32_t spi_in, spi_out;
	uint64_t serial; /* the newest is the binding's after a rekey */
};

/* FA and MH: the CSAs installed because of one IKE SA, every one of them
 * (an FA holds a pair per mobile of that HA, PKD's inactive ones
 * included), so a revocation or the IKE SA's end removes them all. The
 * SPIs are the keys of spis, which grows to 4 x mobiles_max. */
struct installed {
	struct ike_sa *sa;
	uint32_t owner; /* its peer's address: the owner of every CSA recorded */
	struct idx spis;
};

/* After a restart, the CSAs a previous instance installed (reconcile.c);
 * the arrays grow with what the map holds. */
struct reconcile {
	uint32_t grace_s;
	unsigned int n, cap;
	uint32_t *spi, *owner;
	struct loop_timer timer;
	uint64_t wiped, kept;
	uint64_t superseded; /* FA: IKE SAs a peer replaced by a new one */
};

/* The auto flow policy (link_ctl.c, issue 19). FA: its link's state and
 * what each HA peer (index into peers) was told; HA: each FA's state and
 * the auto flows. */
#define LINK_AUTO_MAX 16
struct ike_link {
	bool on; /* FA: link_auto configured: sampling */
	uint32_t sample_ms;
	struct link_hyst hyst;
	struct link_auto_cfg auto_cfg;
	struct loop_timer timer;
	int stats_fd;
	bool no_stats_logged;
	uint8_t told[IKE_PEERS_MAX], asking[IKE_PEERS_MAX]; /* enum link_state, 0 = none */
	uint64_t retry_at[IKE_PEERS_MAX];
	uint64_t reports, refused;
	struct link_ha ha;
	struct link_auto autos[LINK_AUTO_MAX];
};

struct ike_mod {
	enum ike_role role;
	struct loop *loop;
	struct loop_timer timer, retry, dpd;
	uint32_t dpd_s; /* HA: liveness check period, 0 = off */
	struct ike_engine *eng;
	struct ike_engine_cfg ecfg;
	struct ike_peer_cfg peers[IKE_PEERS_MAX];
	struct mml_csa_store store;
	struct mip_maps maps;
	struct mml_pin_dir pin;
	int flow_fd, flow_shapes_fd, rekey_fd;
	uint32_t home; /* MH: its home address */
	/* MH: SPIs waiting for the Mobile IP role to write our binding (the HA
	 * starts ML-IKE in parallel with the registration reply, Fig. 4). */
	struct loop_timer spi_timer;
	uint32_t pending_out, pending_in;
	uint32_t pending_owner; /* the HA whose pair the binding names */
	unsigned int spi_tries;
	/* HA: mobiles_max records, found by home (mob_home, whose slots they
	 * are) and by their IKE SA (mob_sa); keyd/ike/mobiles.c. */
	uint32_t mobiles_max;
	struct mobile *mobiles;
	struct idx mob_home, mob_sa;
	uint64_t mobiles_full;	  /* bindings refused ML-IKE: mobiles_max in use */
	uint64_t mobiles_no_peer; /* bindings of homes no peer (or template) names */
	uint64_t dist_swept;	  /* mobiles the periodic sweep found unqueued */
	unsigned int life_ticks;  /* HA: the sweep runs every 20th (once a second) */
	unsigned int n_pkd;	  /* mobiles with handoff = pkd (their walks) */
	struct fa_link fas[IKE_PEERS_MAX];
	struct installed inst[IKE_PEERS_MAX];
	uint64_t csas_installed, csas_removed, inits_done;
	/* Installs and removals refused: the SPI's CSA is another peer's, or
	 * static (docs/security.md "CSA ownership"). */
	uint64_t csas_refused_owner;
	uint64_t csas_refused_full; /* mml_csa full: the install refused */
	struct ike_dkm dkm;
	/* ESP mode keyed by IKE; MH: the ESP SPIs waiting for its binding. */
	struct esp_child *esp; /* esp_max: two per mobile (a rekey holds two) */
	unsigned int esp_max;
	uint64_t esp_serial;
	uint32_t pending_esp_out, pending_esp_in;
	/* PKD (keyd/ike/pkd.c) */
	uint8_t handoff;		     /* the section's enum ike_handoff */
	uint8_t peer_handoff[IKE_PEERS_MAX]; /* a peer's own + 1; 0 = the section's */
	struct fa_neighbors nbrs[IKE_PEERS_MAX];
	struct held_csa *held; /* FA: slots of held_ix (by home) */
	struct idx held_ix;
	struct idx here;	   /* FA: homes whose registration reply we relayed */
	uint64_t handoffs_held;	   /* HA: handoffs to an FA that held the keys already */
	struct z1_ready *z1;	   /* FA: zone 1 active since when; slots of z1_ix */
	struct idx z1_ix, z1_spi;  /* by home; by SPI (slot 2 x record + which) */
	uint64_t visitors_full;	   /* FA: records refused, mobiles_max in use */
	uint64_t pkd_holders_full; /* HA: neighbours not given keys, the set full */
	uint32_t pkd_threshold;	   /* HA: rekey when more FAs hold a pair (0 = off) */
	bool dkm_rekey;		   /* HA: rekey after a DKM handoff (Fig. 8) */
	uint64_t rekeys_threshold, rekeys_dkm; /* HA: rekeys those two started */
	/* HA: CSA Deletes waiting for their FA's window (ike_orch.c). */
	struct revocation *revq;
	unsigned int n_revq, revq_cap;
	uint64_t revocations_queued, revocations_dropped, revocations_raced;
	/* CSA lifecycle (csa_life.c): MH: its IKE SA with the HA and its rekey */
	struct loop_timer life_timer;
	struct ike_sa *mh_sa;
	struct csa_rekey mh_rk;
	uint32_t mh_spi_out;	 /* MH: the outbound CSA in use */
	uint64_t rekeys_packets; /* rekeys the soft packet limit started */
	uint64_t rekeys_started, rekeys_switched, rekeys_retired;
	uint64_t rekeys_mh_not_ready; /* HA: the MH's answer acknowledged nothing yet */
	uint64_t rekeys_unconfirmed;  /* MH: moved to the new pair without the HA's Delete */
	struct reconcile rec;
	/* Flow modes by agreement with the peer (flow_ctl.c, issue 19). */
	struct flowneg_table flows;
	struct loop_timer flow_timer;
	struct ike_link link;
};

/* --- mobiles.c: the tables sized by mobiles_max --- */

/* Allocates them for m->mobiles_max (0: the default); ike_tables_free
 * wipes and frees them (a zeroed m is fine). */
int ike_tables_init(struct ike_mod *m);
void ike_tables_free(struct ike_mod *m);
struct mobile *ike_mobile_of_home(struct ike_mod *m, uint32_t home);
struct mobile *ike_mobile_of_sa(struct ike_mod *m, struct ike_sa *sa);
/* A new record for home (zeroed, used); NULL when mobiles_max are in use
 * (logged at the 1st, 2nd, 4th ... refusal, counted in mobiles_full). */
struct mobile *ike_mobile_new(struct ike_mod *m, uint32_t home);
/* The record goes: off its queue and both indexes, keys wiped. */
void ike_mobile_del(struct ike_mod *m, struct mobile *mb);
/* The configuration the HA runs IKE with mb by: a configured peer with its
 * home address, else one derived from the template of its prefix (kept in
 * mb->dcfg); NULL if neither. */
/* Whether a peer, or a template's prefix, names the home address: the
 * mobiles the HA runs ML-IKE for. */
bool ike_mobile_has_peer(const struct ike_mod *m, uint32_t home);
const struct ike_peer_cfg *ike_mobile_cfg(struct ike_mod *m, struct mobile *mb);
/* The engine's peer_lookup and cfg_put (HA: a bound mobile's derived
 * configuration, for an IKE_SA_INIT it sends). */
const struct ike_peer_cfg *ike_mobile_peer_lookup(void *ctx, uint32_t addr);
void ike_mobile_cfg_put(void *ctx, const struct ike_peer_cfg *cfg);
/* mb->mh_sa = sa, and the index by IKE SA with it. */
void ike_mobile_set_sa(struct ike_mod *m, struct mobile *mb, struct ike_sa *sa);
static inline uint32_t ike_mobile_slot(const struct ike_mod *m, const struct mobile *mb)
{
	return (uint32_t)(mb - m->mobiles);
}

/* --- ike_orch.c --- */

/* The engine on the loop: its sockets readable, its timer, and when that
 * timer must fire next (after every call into the engine). */
void ike_mod_on_readable(void *arg, uint32_t events);
void ike_mod_on_timer(void *arg);
void ike_mod_rearm(struct ike_mod *m);
/* HA: a binding of home to coa (0: gone) from the Mobile IP role. */
void ike_mod_on_binding(void *arg, uint32_t home, uint32_t coa);
/* HA: IKE SAs that could not start or went down start again. */
void ike_mod_on_retry(void *arg);
/* HA: dead peer detection. */
void ike_mod_on_dpd(void *arg);
/* HA: KEY_DISTRIBUTE to each queued mobile's FA that lacks the keys (one
 * exchange per FA at a time); ike_mod_want_keys queues mb if its serving
 * FA lacks them. */
void ike_mod_distribute(struct ike_mod *m);
void ike_mod_want_keys(struct ike_mod *m, struct mobile *mb);
/* Off its queue. */
void ike_mod_unqueue(struct ike_mod *m, struct mobile *mb);
/* Once per lifetime tick: queues any mobile an event did not (counted). */
void ike_mod_distribute_sweep(struct ike_mod *m);
/* FA: zone-1 keys into mml_csa, owned by owner (the HA) and recorded under
 * in (may be NULL); via says who sent them (KEY_DISTRIBUTE or DKM), for
 * z1_ready.c. Nothing installed: -ENOSPC when in cannot record them all,
 * -EPERM when an SPI's CSA here is another owner's. */
int ike_mod_fa_install(struct ike_mod *m, const struct mlike_fa_keys *keys, struct installed *in,
		       enum z1_via via, uint32_t owner);
/* HA: sends the queued CSA Deletes whose FA's window is free. */
void ike_mod_revoke_pump(struct ike_mod *m);
/* HA: revokes mb's CSA pair at fa (queued behind a busy window). */
void ike_mod_revoke(struct ike_mod *m, struct mobile *mb, uint32_t fa);
extern const struct ike_events ike_mod_events;

/* --- ike_install.c --- */

/* IKE's own UDP between home and peer exempt from the CSAs (add) or not. */
void ike_mod_bypass(struct ike_mod *m, uint32_t home, uint32_t peer, bool add);
/* The pair of csa, owned by the peer at owner: both CSAs or none (-EPERM
 * when an SPI's CSA is another owner's, counted). */
int ike_mod_install_pair(struct ike_mod *m, const struct mlike_csa *csa, uint32_t owner);
/* One CSA into mml_csa, counted (installed, refused: owner, map full). */
int ike_mod_install_csa(struct ike_mod *m, const struct mml_csa *c);
/* Removes spi if owner installed it: -EPERM (counted, the CSA kept) if
 * not; 0 also when it was gone. */
int ike_mod_remove_csa(struct ike_mod *m, uint32_t spi, uint32_t owner);
/* HA: the CSA SPIs into a mobile's binding (0, 0 clears them); the pair
 * they replace goes if owner installed it. */
void ike_mod_binding_spis(struct ike_mod *m, uint32_t home, uint32_t out, uint32_t in,
			  uint32_t owner);
/* The worker found our outbound CSA spi past its soft packet limit
 * (mml_rekey); the entry is taken. */
bool ike_mod_rekey_wanted(struct ike_mod *m, uint32_t spi);
/* Any entry in mml_rekey at all (one lookup): an HA asks this once per
 * tick, and each mobile only then. */
bool ike_mod_rekey_pending(struct ike_mod *m);
/* MH: the same into its own binding, retried until the binding exists. */
void ike_mod_own_binding_spis(struct ike_mod *m, uint32_t out, uint32_t in, uint32_t owner);
void ike_mod_on_spi_timer(void *arg);
/* MH: the ESP CSA SPIs into its own binding, retried like the above. */
void ike_mod_own_binding_esp(struct ike_mod *m, uint32_t out, uint32_t in);

/* --- installed.c: per IKE SA, the CSAs it installed --- */

/* FA and MH: what an IKE SA installed (create: a free entry if none). */
struct installed *ike_mod_inst_of(struct ike_mod *m, struct ike_sa *sa, bool create);
void ike_mod_inst_remove_all(struct ike_mod *m, struct ike_sa *sa);
/* Records spi (once); -ENOSPC when full. */
int installed_add(struct installed *in, uint32_t spi);
/* Room for the SPIs of spis not recorded yet. */
bool installed_room(const struct installed *in, const uint32_t *spis, unsigned int n);
static inline unsigned int installed_n(const struct installed *in)
{
	return in->spis.n;
}
/* The CSA spi is gone: no IKE SA's record names it any more. */
void ike_mod_inst_forget(struct ike_mod *m, uint32_t spi);

/* --- ike_esp.c: ESP mode keyed by IKE --- */

/* The engine's child_up / child_down: install or remove the CHILD_SA's
 * ESP CSA pair (MH and HA, the MH <-> HA IKE SA only). */
void ike_mod_esp_child_up(void *ctx, struct ike_sa *sa, const struct ike_child *c);
void ike_mod_esp_child_down(void *ctx, struct ike_sa *sa, const struct ike_child *c);
void ike_mod_esp_rekeyed(struct ike_mod *m, struct ike_sa *old_sa, struct ike_sa *new_sa);
/* ESP CHILD_SAs installed now, for `ike show`. */
unsigned int ike_mod_esp_count(const struct ike_mod *m);

/* --- ike_dkm.c --- */

int ike_dkm_config(struct ike_mod *m, const config_setting_t *sec);
void ike_dkm_start(struct ike_mod *m);
void ike_dkm_stop(struct ike_mod *m);
void ike_dkm_ike_up(struct ike_mod *m, struct ike_sa *sa);
void ike_dkm_ike_down(struct ike_mod *m, struct ike_sa *sa);
void ike_dkm_rekeyed(struct ike_mod *m, struct ike_sa *old_sa, struct ike_sa *new_sa);
/* FA: the CSA spi was removed here (its grace period starts). */
void ike_dkm_depart(struct ike_mod *m, uint32_t spi);
/* HA: a handoff of mb (binding already moved): true if it waits for DKM
 * (KEY_DISTRIBUTE held back until the report or the bound). */
bool ike_dkm_ha_wait(struct ike_mod *m, struct mobile *mb);
uint16_t ike_dkm_lookup(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *req,
			struct mlike_fa_keys *keys);
void ike_dkm_answer(void *ctx, struct ike_sa *sa, uint32_t mh_home,
		    const struct mlike_fa_keys *keys, uint16_t notify);
uint16_t ike_dkm_installed(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep);
uint16_t ike_dkm_missing(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep);
/* FA: the DKM timer runs the pending work (NEIGHBOR_NOTIFY retries too). */
void ike_dkm_arm(struct ike_mod *m);
void ike_dkm_reported(void *ctx, struct ike_sa *sa, uint32_t mh_home, uint16_t notify);
json_object *ike_dkm_json(const struct ike_mod *m);

/* --- csa_life.c: CSA rekeys, make before break (paper Fig. 7) --- */

/* MH and HA: a CSA pair is up (the first), or was rekeyed. */
void ike_life_csa_up(struct ike_mod *m, struct ike_sa *sa, const struct mlike_csa *csa);
void ike_life_rekeyed(void *ctx, struct ike_sa *sa, const struct mlike_csa *old,
		      const struct mlike_csa *csa);
bool ike_life_rekey_busy(void *ctx, struct ike_sa *sa);
/* HA: the MH answered our CSA Delete (the old pair of a rekey). */
void ike_life_mh_answered(struct ike_mod *m, struct ike_sa *sa, const uint32_t *acked,
			  unsigned int n);
/* HA: rekey mb's pair now (or right after the rekey in progress): a DKM
 * handoff gave the new FA the key the previous one holds (Fig. 8). */
void ike_life_rekey_soon(struct ike_mod *m, struct mobile *mb);
/* HA: the serving FA answered KEY_DISTRIBUTE for mb. */
void ike_life_keys_done(struct ike_mod *m, struct mobile *mb);
/* MH: the HA deleted CSAs. -1: no rekey's business (the caller removes
 * them); else the rekey's old pair, how many of spis to acknowledge: n when
 * the MH moved to the new pair, 0 while its rekey's answer is still to
 * come (nothing removed; the HA asks again). */
int ike_life_mh_deleted(struct ike_mod *m, const uint32_t *spis, unsigned int n);
/* The periodic work: soft-lifetime rekeys, bounds, retirements. */
void ike_life_on_timer(void *arg);
void ike_life_show(const struct ike_mod *m, json_object *o);
json_object *ike_life_mobile_json(const struct mobile *mb);
/* HA: mb's CSAs go (binding gone, IKE SA down): a rekey's old pair with
 * them, at once. */
void ike_life_drop(struct ike_mod *m, struct mobile *mb);
/* HA: revokes the pair spis of home at fa (queued like ike_mod_revoke). */
void ike_mod_revoke_spis(struct ike_mod *m, uint32_t home, uint32_t fa, const uint32_t spi[2]);

/* --- reconcile.c: after a restart --- */

int ike_reconcile_config(struct ike_mod *m, const config_setting_t *sec);
/* Notes the IKE-installed CSAs found in the map; the timer wipes those no
 * live IKE SA vouches for reconcile_grace seconds later. */
void ike_reconcile_start(struct ike_mod *m);
void ike_reconcile_on_timer(void *arg);
/* FA: a peer opened a new IKE SA while an older one it opened is still up
 * here. It lost that one (a restart, or its liveness check gave up on
 * us): the CSAs the older SA installed are reconciled like those left
 * from before a start, and the older SA is deleted. */
void ike_reconcile_superseded(struct ike_mod *m, struct ike_sa *sa);

/* --- ike_orch.c, for pkd.c --- */

struct fa_link *fa_of_addr(struct ike_mod *m, uint32_t addr, bool create);
struct fa_link *fa_of_sa(struct ike_mod *m, struct ike_sa *sa);
void fa_connect(struct ike_mod *m, struct fa_link *fa);

/* --- pkd.c: proactive key distribution --- */

extern const char *const ike_handoff_names[];
/* The scheme of the mobile whose home address is home. */
uint8_t ike_pkd_handoff_of(const struct ike_mod *m, uint32_t home);
/* HA: KEY_DISTRIBUTE, marked inactive, to each neighbour of a PKD mobile's
 * serving FA that lacks its keys (one exchange per FA at a time). */
void ike_pkd_distribute(struct ike_mod *m);
/* HA, paper Fig. 9: more FAs than pkd_threshold hold mb's pair, some of
 * them neither its serving FA nor that FA's neighbours: time to rekey. */
bool ike_pkd_over_threshold(const struct ike_mod *m, const struct mobile *mb);
/* HA: a KEY_DISTRIBUTE to fa answered; true if it was one of PKD's. */
bool ike_pkd_keys_done(struct ike_mod *m, struct fa_link *fa, int result);
/* HA: mb's binding moved to mb->coa; with PKD an FA that holds the keys
 * serves at once. */
void ike_pkd_moved(struct ike_mod *m, struct mobile *mb);
/* HA: an FA's IKE SA went: it holds nothing any more. */
void ike_pkd_fa_gone(struct ike_mod *m, uint32_t fa);
/* FA: the IKE SA with the HA is up: NEIGHBOR_NOTIFY if we have neighbours. */
void ike_pkd_fa_up(struct ike_mod *m, struct ike_sa *sa);
/* FA: a NEIGHBOR_NOTIFY that found the window busy, tried again; true
 * while it still waits. */
bool ike_pkd_fa_retry(struct ike_mod *m);
/* FA: marks csas inactive when keys say so and the MH is not here yet. */
void ike_pkd_fa_install(struct ike_mod *m, const struct mlike_fa_keys *keys, struct mml_csa *csas,
			unsigned int n);
/* FA: keyd_visitor_changed's subscriber. */
void ike_pkd_on_visitor(void *arg, uint32_t home, bool registered);
int ike_pkd_neighbors(void *ctx, struct ike_sa *sa, const uint32_t *addrs, unsigned int n);
void ike_pkd_neighbors_done(void *ctx, struct ike_sa *sa, int result);
/* --- flow_ctl.c: flow modes by agreement, MH and HA (issue 19) --- */

/* flow_downgrade_min = "plain" | "esp" | "mlesp": the weakest mode a peer
 * may ask a flow to go down to (default "mlesp": none). */
int ike_flow_config(struct ike_mod *m, const config_setting_t *sec);
void ike_flow_stop(struct ike_mod *m);
void ike_flow_on_timer(void *arg);
uint16_t ike_flow_mode(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm);
void ike_flow_mode_done(void *ctx, struct ike_sa *sa, const struct mlike_flow_mode_pl *fm,
			uint16_t notify);
/* The engine's ike_down: our requests on sa fail. */
void ike_flow_sa_down(struct ike_mod *m, struct ike_sa *sa);
/* flow-set, flow-status, flows; 1 for another verb. */
int ike_flow_control(struct ike_mod *m, const char *verb, json_object *args, json_object **result,
		     char *err, size_t err_len);

/* Sends what is queued now (the auto policy's requests). */
void ike_flow_kick(struct ike_mod *m);

/* --- link_ctl.c: the auto policy (issue 19) --- */

/* The ike section's link_auto group (FA: sampling on when present). */
int ike_link_config(struct ike_mod *m, const config_setting_t *sec);
void ike_link_start(struct ike_mod *m);
void ike_link_stop(struct ike_mod *m);
void ike_link_on_timer(void *arg);
/* An IKE SA came up or went down: FA: that HA knows nothing of our link
 * any more; HA: that FA's link is unknown again. */
void ike_link_sa_changed(struct ike_mod *m, struct ike_sa *sa);
uint16_t ike_link_state(void *ctx, struct ike_sa *sa, const struct mlike_link_state_pl *ls);
void ike_link_state_done(void *ctx, struct ike_sa *sa, uint16_t notify);
/* HA: k becomes auto (on) or not; mode_now is the mode in force. */
int ike_link_auto_set(struct ike_mod *m, const struct mml_flow_key *k, bool on, uint8_t mode_now);
json_object *ike_link_json(const struct ike_mod *m);

/* --- z1_ready.c: FA, when zone 1 became active --- */

/* The CSA pair spi of home is active here from now on. */
void ike_z1_active(struct ike_mod *m, uint32_t home, const uint32_t spi[2], enum z1_via via);
/* The CSA spi is gone: its mobile's record too. */
void ike_z1_removed(struct ike_mod *m, uint32_t spi);
/* [ { "home", "spi_to_mh", "active_ns", "via" }, ... ] for `ike show`. */
json_object *ike_z1_json(const struct ike_mod *m);

/* `ike show` additions: a mobile's holders (HA), the CSAs held (FA). */
void ike_pkd_show(const struct ike_mod *m, json_object *o);

#endif
