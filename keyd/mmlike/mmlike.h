/* mmlike's state and the functions its files share: mmlike.c (options,
 * configuration, the event loop), mmlike_events.c (the engine's events:
 * installs, key lines, KEY_DISTRIBUTE), mmlike_timing.c (the timing JSON
 * file of the paper's Table 2). */
#ifndef MML_KEYD_MMLIKE_H
#define MML_KEYD_MMLIKE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "keyd/ike/ike.h"
#include "keyd/loop.h"
#include "lib/csa_store.h"

#define PEERS_MAX 8

enum role { ROLE_NONE, ROLE_HA, ROLE_MH, ROLE_FA };

struct app {
	struct ike_engine *eng;
	struct ike_engine_cfg ecfg;
	struct ike_peer_cfg peers[PEERS_MAX];
	enum role role;
	const struct ike_peer_cfg *mh_peer, *fa_peer;
	struct ike_sa *mh_sa, *fa_sa;
	uint32_t mh_home;
	bool have_csa, fa_up, fa_sent;
	struct mlike_csa csa;
	struct mml_csa_store store;
	bool store_open;
	uint32_t installed[4], installed_owner[4];
	unsigned int n_installed;
	FILE *keys_out;
	const char *timing_path;
	uint32_t delete_after_ms;
	uint32_t rekey_child_after_ms, rekey_ike_after_ms;
	bool once;
	unsigned int timeout_s; /* 0 = none */
	int result;		/* exit status */
	bool done;		/* stop the loop after the current event */
	struct loop *loop;
	/* The engine's timer, delete-after and the rekeys, and the timeout. */
	struct loop_timer eng_timer, due_timer, timeout_timer;
	uint64_t delete_at_ms;
	uint64_t rekey_child_at_ms, rekey_ike_at_ms; /* 0 = not armed */
	uint32_t first_child_spi;		     /* the CHILD_SA rekey-child-after rekeys */
	/* Tests only (forge-kd, forge-delete): over the initiated IKE SA, a
	 * KEY_DISTRIBUTE of fresh random zone-1 keys under these SPIs (to the
	 * MH, to the HA) for mh_home, naming us as the HA; then a CSA Delete
	 * of them. What an HA that is not the mobile's could send its FA. */
	uint32_t forge_spi[2];
	bool forge_delete;
	/* timeline, CLOCK_MONOTONIC ns */
	uint64_t t_start, t_ike_up[2], t_csa, t_fa_done;
	uint64_t build_init_ns[2], build_ml_ns, build_kd_ns;
};

/* The timeline's clock (CLOCK_MONOTONIC, as the timing file says). */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

/* mmlike_events.c */
extern const struct ike_events mmlike_events;
/* The CSAs this run installed go from the map. */
void mmlike_uninstall_all(struct app *app);

/* mmlike_timing.c: the timeline and the engine's processing times. */
void mmlike_write_timing(const struct app *app);

#endif
