/* What the simulator measures: samples of exposure (FAs holding a CSA, from
 * the FA-side sink) and of keys held per FA during the walk, and at the
 * end per handoff: key-ready latency, the key part, messages and the HA's
 * CPU time; and the end state's checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/handoff/sim.h"

void sim_sample(void)
{
	struct sim_stats *st = &W.st;
	uint64_t exp_sum = 0, exp_max = 0, n = 0, keys_sum = 0, keys_max = 0;

	if (!W.measuring) {
		W.measuring = true;
		net.counting = true;
		W.ha_cpu0 = net.ha.cpu_ns;
	}
	for (unsigned int m = 0; m < W.o.mhs; m++) {
		if (!W.mb[m].have_csa)
			continue;
		n++;
		exp_sum += W.holders_at[m];
		if (W.holders_at[m] > exp_max)
			exp_max = W.holders_at[m];
	}
	for (unsigned int f = 0; f < W.o.fas; f++) {
		keys_sum += W.keys_at[f];
		if (W.keys_at[f] > keys_max)
			keys_max = W.keys_at[f];
	}
	st->samples++;
	st->exposure_sum += n ? (double)exp_sum / (double)n : 0;
	st->keys_sum += (double)keys_sum / W.o.fas;
	if (exp_max > st->exposure_max)
		st->exposure_max = exp_max;
	if (keys_max > st->keys_max)
		st->keys_max = keys_max;
	if (W.exposure_out)
		fprintf(W.exposure_out, "%.1f %.3f %lu %.2f %lu %u\n",
			(double)(sim_now - W.t_measure) / 1e9, n ? (double)exp_sum / (double)n : 0,
			(unsigned long)exp_max, (double)keys_sum / W.o.fas, (unsigned long)keys_max,
			W.holders_at[0]);
	if (sim_now + (uint64_t)W.o.sample_ms * 1000000 <= W.t_end)
		sim_evq_push(sim_now + (uint64_t)W.o.sample_ms * 1000000, EV_SAMPLE, 0, 0, NULL);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(const uint64_t *v, uint64_t n, double p)
{
	uint64_t i;

	if (!n)
		return 0;
	i = (uint64_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e6;
}

/* The end state, after the last answers: with redistribute and DKM each
 * CSA is at exactly one FA, its MH's, and active there; the HA's holder
 * record names every FA that holds one; an active copy at an FA the MH
 * has left is counted for every scheme. */
static void end_checks(struct sim_result *r)
{
	for (unsigned int m = 0; m < W.o.mhs; m++) {
		struct sim_mobile *mb = &W.mb[m];

		if (!mb->have_csa)
			continue;
		if (W.slot[(size_t)mb->cell * W.o.mhs + m] != SLOT_ACTIVE)
			r->final_missing++;
		if (W.scheme != SCHEME_PKD && W.holders_at[m] != 1)
			r->final_not_one++;
		for (unsigned int f = 0; f < W.o.fas; f++) {
			uint8_t s = W.slot[(size_t)f * W.o.mhs + m];

			if (s && !holders_find(&mb->holders, sim_fa_addr(f)))
				r->ha_record_missing++;
			if (s == SLOT_ACTIVE && f != mb->cell)
				r->active_left++;
		}
	}
}

void sim_result_of_run(struct sim_result *r)
{
	struct sim_stats *st = &W.st;
	double h = st->handoffs ? (double)st->handoffs : 1;

	memset(r, 0, sizeof(*r));
	r->handoffs = st->handoffs;
	r->keys_ready = st->keys_ready;
	r->superseded = st->superseded;
	r->keys_mean = st->samples ? st->keys_sum / (double)st->samples : 0;
	r->keys_max = st->keys_max;
	r->exposure_mean = st->samples ? st->exposure_sum / (double)st->samples : 0;
	r->exposure_max = st->exposure_max;
	r->msgs_per_handoff = (double)net.tx_msgs / h;
	r->ha_msgs_per_handoff = (double)net.ha_msgs / h;
	r->bytes_per_handoff = (double)net.tx_bytes / h;
	r->ha_cpu_us_per_handoff = (double)(net.ha.cpu_ns - W.ha_cpu0) / 1e3 / h;
	qsort(st->latency_ns, st->n_lat, sizeof(uint64_t), cmp_u64);
	qsort(st->keypart_ns, st->n_lat, sizeof(uint64_t), cmp_u64);
	r->lat_p50 = pct_ms(st->latency_ns, st->n_lat, 0.5);
	r->lat_p90 = pct_ms(st->latency_ns, st->n_lat, 0.9);
	r->lat_p99 = pct_ms(st->latency_ns, st->n_lat, 0.99);
	r->lat_max = pct_ms(st->latency_ns, st->n_lat, 1.0);
	r->part_p50 = pct_ms(st->keypart_ns, st->n_lat, 0.5);
	r->part_p90 = pct_ms(st->keypart_ns, st->n_lat, 0.9);
	r->part_p99 = pct_ms(st->keypart_ns, st->n_lat, 0.99);
	r->part_max = pct_ms(st->keypart_ns, st->n_lat, 1.0);
	r->revoke_busy = st->revoke_busy;
	r->holders_full = st->holders_full;
	r->stale_answers = st->stale_answers;
	r->redundant_keys = st->redundant_keys;
	r->dkm_refused = st->dkm_refused;
	r->dkm_fallbacks = st->dkm_fallbacks;
	r->dkm_cache_miss = st->dkm_cache_miss;
	r->dkm_missing = st->dkm_missing;
	r->revoke_raced = st->revoke_raced;
	r->zone2_at_fa = st->zone2_at_fa;
	end_checks(r);
}

/* The sorted key-ready latencies (ms), one a line, for the CDF plot. */
void sim_write_latency(const char *dir, enum sim_scheme scheme)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/latency-%s.dat", dir, sim_scheme_names[scheme]);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	for (uint64_t i = 0; i < W.st.n_lat; i++)
		fprintf(f, "%.4f %.5f\n", (double)W.st.latency_ns[i] / 1e6,
			(double)(i + 1) / (double)W.st.n_lat);
	fclose(f);
}
