/* The auto flow policy's decisions (keyd/ike/linkauto.h). */
#include "keyd/ike/linkauto.h"

#include <errno.h>
#include <string.h>

#define NS_PER_S 1000000000ull

const char *const link_state_names[LINK_STATES] = { "unknown", "clean", "lossy" };

int link_hyst_init(struct link_hyst *h, const struct link_hyst_cfg *cfg)
{
	if (cfg->low_ppm > cfg->high_ppm || cfg->high_ppm > 1000000 || !cfg->lossy_samples ||
	    !cfg->clean_samples)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->cfg = *cfg;
	return 0;
}

bool link_hyst_sample(struct link_hyst *h, uint64_t lost, uint64_t segs)
{
	uint64_t dl, ds, ppm;

	if (!h->primed || lost < h->last_lost || segs < h->last_segs) {
		h->primed = true;
		h->last_lost = lost;
		h->last_segs = segs;
		h->run_high = h->run_low = 0;
		return false;
	}
	dl = lost - h->last_lost;
	ds = segs - h->last_segs;
	h->last_lost = lost;
	h->last_segs = segs;
	h->samples++;
	/* An idle link (or one whose flows are all ESP, which the FA cannot
	 * read) says nothing about its losses: the runs wait for evidence. */
	if (!ds || ds < h->cfg.min_segments) {
		h->idle++;
		return false;
	}
	ppm = dl * 1000000 / ds;
	h->last_ppm = (uint32_t)(ppm > 1000000 ? 1000000 : ppm);
	/* Between the thresholds both runs start over: a rate that wanders
	 * around one threshold, or between them, switches nothing. */
	if (h->last_ppm > h->cfg.high_ppm) {
		h->run_low = 0;
		if (h->run_high < UINT8_MAX)
			h->run_high++;
	} else if (h->last_ppm < h->cfg.low_ppm) {
		h->run_high = 0;
		if (h->run_low < UINT8_MAX)
			h->run_low++;
	} else {
		h->run_high = h->run_low = 0;
	}
	if (h->state != LINK_LOSSY && h->run_high >= h->cfg.lossy_samples) {
		h->state = LINK_LOSSY;
		h->to_lossy++;
		return true;
	}
	if (h->state != LINK_CLEAN && h->run_low >= h->cfg.clean_samples) {
		h->state = LINK_CLEAN;
		h->to_clean++;
		return true;
	}
	return false;
}

int link_ha_report(struct link_ha *t, uint32_t fa, uint8_t state, bool serves)
{
	int free_slot = -1;

	if (!fa || state >= LINK_STATES)
		return -EINVAL;
	if (!serves) {
		t->refused++;
		return -EPERM;
	}
	for (int i = 0; i < LINK_HA_MAX; i++) {
		if (t->e[i].fa == fa) {
			if (t->e[i].state != state) {
				t->to_lossy += state == LINK_LOSSY;
				t->to_clean += state == LINK_CLEAN;
			}
			t->e[i].state = state;
			t->taken++;
			return 0;
		}
		if (!t->e[i].fa && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		t->refused++;
		return -ENOSPC;
	}
	t->e[free_slot].fa = fa;
	t->e[free_slot].state = state;
	t->to_lossy += state == LINK_LOSSY;
	t->to_clean += state == LINK_CLEAN;
	t->taken++;
	return 0;
}

uint8_t link_ha_state(const struct link_ha *t, uint32_t fa)
{
	for (int i = 0; fa && i < LINK_HA_MAX; i++)
		if (t->e[i].fa == fa)
			return t->e[i].state;
	return LINK_UNKNOWN;
}

void link_ha_forget(struct link_ha *t, uint32_t fa)
{
	for (int i = 0; fa && i < LINK_HA_MAX; i++)
		if (t->e[i].fa == fa)
			t->e[i].fa = 0, t->e[i].state = LINK_UNKNOWN;
}

int link_auto_step(struct link_auto *a, const struct link_auto_cfg *cfg, uint8_t link,
		   uint64_t now_ns)
{
	uint8_t want;

	if (!a->used || a->asking || now_ns < a->retry_at)
		return -1;
	if (link != LINK_CLEAN) {
		/* Lossy, or nobody vouches for the link: SNOOP needs zone 1. */
		a->probe_until = 0;
		want = MML_MODE_MLESP;
	} else if (a->probe_until) {
		want = now_ns >= a->probe_until ? MML_MODE_ESP : MML_MODE_MLESP;
		if (want == MML_MODE_ESP)
			a->probe_until = 0;
	} else if (a->mode == MML_MODE_ESP && cfg->probe_every_s && now_ns >= a->next_probe) {
		a->probe_until = now_ns + (uint64_t)cfg->probe_s * NS_PER_S;
		a->probes++;
		want = MML_MODE_MLESP;
	} else {
		want = MML_MODE_ESP;
	}
	return want == a->mode ? -1 : want;
}

void link_auto_asked(struct link_auto *a, uint8_t mode, uint64_t id, uint64_t now_ns,
		     const struct link_auto_cfg *cfg)
{
	if (id) {
		a->asking = mode;
		a->id = id;
		return;
	}
	a->failed++;
	a->retry_at = now_ns + (uint64_t)cfg->retry_s * NS_PER_S;
}

void link_auto_done(struct link_auto *a, bool agreed, bool refused, uint64_t now_ns,
		    const struct link_auto_cfg *cfg)
{
	uint8_t mode = a->asking;

	if (!mode)
		return;
	a->asking = 0;
	a->id = 0;
	if (!agreed) {
		if (refused)
			a->refused++;
		else
			a->failed++;
	}
	if (mode == MML_MODE_MLESP) {
		/* An upgrade is in force at once, answered or not. */
		a->mode = MML_MODE_MLESP;
		a->to_mlesp++;
		if (!agreed)
			a->retry_at = now_ns + (uint64_t)cfg->retry_s * NS_PER_S;
		return;
	}
	if (!agreed) {
		a->probe_until = 0;
		a->retry_at = now_ns + (uint64_t)cfg->retry_s * NS_PER_S;
		return;
	}
	a->mode = MML_MODE_ESP;
	a->to_esp++;
	a->next_probe = now_ns + (uint64_t)cfg->probe_every_s * NS_PER_S;
}
