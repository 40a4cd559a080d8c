/* The `auto` flow policy (issue 19, paper §5.5; docs/endpoints.md "The
 * auto policy"): ML-ESP only while the FA's wireless link loses segments,
 * ESP while it is clean (SNOOP has nothing to do there). Pure logic, the
 * clock and the counters given by the caller (keyd/ike/link_ctl.c runs it,
 * tests/ike/test_linkauto.c tests it):
 *
 *   FA: link_hyst, the link's state from its SNOOP counters sampled every
 *     T: lossy after K samples in a row above the high loss rate, clean
 *     after M in a row below the low one; a rate between the two, or a
 *     sample with too few segments to judge, changes nothing.
 *   HA: link_ha, each FA's last reported state, taken only from an FA that
 *     serves one of our mobiles; link_auto, per `auto` flow the mode to
 *     ask for. The FA cannot see inside ESP: a clean link's ESP flow goes
 *     back to ML-ESP for probe_s every probe_every_s so that the FA has
 *     segments to judge again (0 = never). */
#ifndef MML_KEYD_IKE_LINKAUTO_H
#define MML_KEYD_IKE_LINKAUTO_H

#include <stdbool.h>
#include <stdint.h>

#include "maps/ep.h"

enum link_state { LINK_UNKNOWN, LINK_CLEAN, LINK_LOSSY, LINK_STATES };

extern const char *const link_state_names[LINK_STATES];

struct link_hyst_cfg {
	uint32_t high_ppm, low_ppm; /* loss rate, parts per million; low <= high */
	uint8_t lossy_samples;	    /* K */
	uint8_t clean_samples;	    /* M */
	uint32_t min_segments;	    /* fewer in a sample: no evidence either way */
};

struct link_hyst {
	struct link_hyst_cfg cfg;
	uint8_t state; /* enum link_state */
	uint8_t run_high, run_low;
	bool primed;
	uint64_t last_lost, last_segs; /* the cumulative counters at the last sample */
	uint32_t last_ppm;	       /* the last judged sample's rate */
	uint64_t samples, idle, to_lossy, to_clean;
};

/* 0, or -EINVAL for low > high, high > 1e6 or K/M of 0. */
int link_hyst_init(struct link_hyst *h, const struct link_hyst_cfg *cfg);
/* One sample of the cumulative counters (segments lost and sent again
 * locally, segments sent): true when the state changed. A counter that
 * went down (the worker restarted) starts over without a judgement. */
bool link_hyst_sample(struct link_hyst *h, uint64_t lost, uint64_t segs);

/* HA: the state each FA reported. */
#define LINK_HA_MAX 16
struct link_ha {
	struct {
		uint32_t fa; /* 0 = free */
		uint8_t state;
	} e[LINK_HA_MAX];
	uint64_t taken, refused, to_lossy, to_clean;
};

/* The report of fa (its IKE SA's peer): 0 taken, or -EPERM when fa serves
 * none of our mobiles (the link is nobody's here: counted, not kept),
 * -ENOSPC, -EINVAL for a state out of range. */
int link_ha_report(struct link_ha *t, uint32_t fa, uint8_t state, bool serves);
/* The state of fa's link: LINK_UNKNOWN until it reported. */
uint8_t link_ha_state(const struct link_ha *t, uint32_t fa);
/* fa's IKE SA went: what it said is no longer known. */
void link_ha_forget(struct link_ha *t, uint32_t fa);

struct link_auto_cfg {
	uint32_t probe_every_s, probe_s;
	uint32_t retry_s; /* after a refusal or a failure */
};

/* HA: one `auto` flow. mode is what is in force (agreed, or an upgrade
 * made); ML-ESP until the serving FA says its link is clean. */
struct link_auto {
	bool used;
	struct mml_flow_key key;
	uint8_t mode;	      /* MML_MODE_ESP or MML_MODE_MLESP */
	uint8_t asking;	      /* the mode of the change in progress, 0 = none */
	uint64_t id;	      /* its flowneg request */
	uint64_t probe_until; /* ns; 0 = not probing */
	uint64_t next_probe;  /* ns; when an ESP flow probes next */
	uint64_t retry_at;    /* ns; no request before */
	uint64_t to_mlesp, to_esp, refused, failed, probes;
};

/* The mode to ask for now (MML_MODE_ESP / _MLESP), or -1 for none:
 * lossy or unknown: ML-ESP; clean: ESP, but ML-ESP while probing. Starts
 * and ends probes. */
int link_auto_step(struct link_auto *a, const struct link_auto_cfg *cfg, uint8_t link,
		   uint64_t now_ns);
/* The request for mode went out as id (or could not start: id 0). */
void link_auto_asked(struct link_auto *a, uint8_t mode, uint64_t id, uint64_t now_ns,
		     const struct link_auto_cfg *cfg);
/* Its answer: agreed, or not (refused by the peer's flow_downgrade_min,
 * or failed). An upgrade is in force either way (flowneg keeps it). */
void link_auto_done(struct link_auto *a, bool agreed, bool refused, uint64_t now_ns,
		    const struct link_auto_cfg *cfg);

#endif
