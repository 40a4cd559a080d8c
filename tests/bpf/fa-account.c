#include "tests/bpf/fa-account.h"

#include <stdio.h>

#include "maps/stats.h"

#define XDP_DROP 1
#define XDP_PASS 2
#define XDP_REDIRECT 4

/* The verdict an outcome counter stands for, or -1 (not an outcome). */
static int outcome_class(uint32_t s)
{
	if (s >= MML_STAT_FWD_MLESP && s <= MML_STAT_FWD_PLAIN)
		return XDP_REDIRECT;
	if ((s >= MML_STAT_DROP_BAD_TAG && s <= MML_STAT_DROP_TOO_BIG) ||
	    s == MML_STAT_FA_CSA_INACTIVE || s == MML_STAT_SNOOP_STALE_ACK ||
	    s == MML_STAT_DROP_FOREIGN_TUNNEL || s == MML_STAT_DROP_VISITOR_SPOOF ||
	    s == MML_STAT_FA_CSA_EXPIRED)
		return XDP_DROP;
	if (s == MML_STAT_PASS_NOT_VISITOR || s == MML_STAT_PASS_NO_ROUTE ||
	    s == MML_STAT_PASS_LOCAL)
		return XDP_PASS;
	return -1;
}

static bool auxiliary(uint32_t s)
{
	return s == MML_STAT_Z1_SHORT ||
	       (s >= MML_STAT_SNOOP_DATA && s <= MML_STAT_SNOOP_EVENT_LOST);
}

const char *fa_accounting(bool down, int verdict, const uint64_t *d)
{
	static char why[160];
	uint32_t rx = down ? MML_STAT_RX_DOWN : MML_STAT_RX_UP, outcome = MML_STAT_MAX;
	unsigned int outcomes = 0, aux = 0;
	int want = -1;

	if (verdict != XDP_PASS && verdict != XDP_DROP && verdict != XDP_REDIRECT) {
		snprintf(why, sizeof(why), "verdict %d: the FA never gives it", verdict);
		return why;
	}
	for (uint32_t s = 0; s < MML_STAT_MAX; s++) {
		if (!d[s] || s == rx)
			continue;
		if (d[s] != 1 || (outcome_class(s) < 0 && !auxiliary(s))) {
			snprintf(why, sizeof(why), "counter %s went up by %llu", mml_stat_name(s),
				 (unsigned long long)d[s]);
			return why;
		}
		if (auxiliary(s) && s != MML_STAT_SNOOP_STALE_ACK) {
			aux++;
			continue;
		}
		outcomes++;
		outcome = s;
		want = outcome_class(s);
	}
	if (d[rx] > 1 || d[down ? MML_STAT_RX_UP : MML_STAT_RX_DOWN])
		return "rx counters wrong for the program's side";
	if (!d[rx])
		return outcomes || aux || verdict != XDP_PASS ?
			       "not counted as the FA's, yet not simply passed" :
			       NULL;
	if (outcomes != 1)
		return outcomes ? "more than one outcome counted" :
				  "counted as the FA's, no outcome";
	if (verdict != want) {
		snprintf(why, sizeof(why), "verdict %d with outcome %s", verdict,
			 mml_stat_name(outcome));
		return why;
	}
	if (d[MML_STAT_Z1_SHORT] && outcome != MML_STAT_FWD_MLESP)
		return "z1_short without fwd_mlesp";
	if ((d[MML_STAT_SNOOP_DATA] || d[MML_STAT_SNOOP_DUPACK]) && verdict != XDP_REDIRECT)
		return "SNOOP gave the frame to its worker, but it was not redirected";
	return NULL;
}
