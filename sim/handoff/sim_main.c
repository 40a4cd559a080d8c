/* sim-handoff: the three handoff schemes at scale (sim.h). Runs each
 * scheme on the same walk (same seed), prints a table and a last summary
 * line, writes the data files for the plot into --out, and with --check
 * fails when a property every run must have does not hold. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "sim/handoff/sim.h"

const char *const sim_scheme_names[SCHEME_N] = { "redistribute", "pkd", "dkm" };

static const struct option long_opts[] = {
	{ "mhs", required_argument, NULL, 'm' },      { "fas", required_argument, NULL, 'f' },
	{ "duration", required_argument, NULL, 'd' }, { "dwell-ms", required_argument, NULL, 'w' },
	{ "warmup", required_argument, NULL, 'u' },   { "hop-us", required_argument, NULL, 'h' },
	{ "seed", required_argument, NULL, 's' },     { "out", required_argument, NULL, 'o' },
	{ "check", no_argument, NULL, 'c' },	      { NULL, 0, NULL, 0 }
};

static void usage(void)
{
	fprintf(stderr, "usage: sim-handoff [--mhs N] [--fas N (square)] [--duration S] "
			"[--dwell-ms MS] [--warmup S] [--hop-us US] [--seed N] [--out DIR] "
			"[--check]\n");
	exit(2);
}

static unsigned int num(const char *s, unsigned int lo, unsigned int hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v < lo || v > hi)
		usage();
	return (unsigned int)v;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_scheme(const struct sim_opts *o, enum sim_scheme s, struct sim_result *r)
{
	double t0 = wall_s();
	char path[512];
	FILE *exp = NULL;

	if (o->out_dir) {
		snprintf(path, sizeof(path), "%s/exposure-%s.dat", o->out_dir, sim_scheme_names[s]);
		exp = fopen(path, "w");
		if (!exp)
			perror(path);
	}
	sim_world_run(o, s, exp);
	sim_result_of_run(r);
	if (o->out_dir)
		sim_write_latency(o->out_dir, s);
	sim_world_free();
	if (exp)
		fclose(exp);
	r->wall_s = wall_s() - t0;
}

/* One scheme's row: aligned columns, or a markdown row (md: no padding). */
static void print_row(FILE *f, enum sim_scheme s, const struct sim_result *r, bool md)
{
	const char *sep = md ? " | " : " ", *sl = md ? " / " : " ";
	int w = md ? 0 : 1; /* column widths only in text */

	fprintf(f, md ? "| %s" : "%-12s", sim_scheme_names[s]);
	fprintf(f, "%s%*lu%s%*.1f%s%*lu%s%*.2f%s%*lu", sep, 8 * w, (unsigned long)r->handoffs, sep,
		7 * w, r->keys_mean, sep, 5 * w, (unsigned long)r->keys_max, sep, 7 * w,
		r->exposure_mean, sep, 4 * w, (unsigned long)r->exposure_max);
	fprintf(f, "%s%*.1f%s%*.1f%s%*.0f%s%*.1f", sep, 7 * w, r->msgs_per_handoff, sep, 6 * w,
		r->ha_msgs_per_handoff, sep, 7 * w, r->bytes_per_handoff, sep, 7 * w,
		r->ha_cpu_us_per_handoff);
	fprintf(f, "%s%*.2f%s%*.2f%s%*.2f%s%*.2f", sep, 6 * w, r->lat_p50, sl, 6 * w, r->lat_p90,
		sl, 6 * w, r->lat_p99, sl, 7 * w, r->lat_max);
	fprintf(f, "%s%*.2f%s%*.2f%s%*.2f%s\n", sep, 6 * w, r->part_p50, sl, 6 * w, r->part_p99, sl,
		6 * w, r->part_max, md ? " |" : "");
}

static void print_table(FILE *f, const struct sim_result *r, bool md)
{
	if (md)
		fprintf(f, "| scheme | handoffs | keys/FA mean | max | FAs/CSA mean | max | "
			   "msgs/handoff | HA msgs | bytes | HA CPU µs | key-ready ms p50 / p90 / "
			   "p99 / max | key part ms p50 / p99 / max |\n"
			   "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	else
		fprintf(f,
			"%-12s %8s %7s %5s %7s %4s %7s %6s %7s %7s %6s %6s %6s %7s %6s %6s %6s\n",
			"scheme", "handoff", "keys/FA", "max", "FAs/CSA", "max", "msgs/h", "HA/h",
			"bytes/h", "HAcpuus", "rdy50", "rdy90", "rdy99", "rdymax", "part50",
			"part99", "partmx");
	for (int s = 0; s < SCHEME_N; s++)
		print_row(f, (enum sim_scheme)s, &r[s], md);
}

static void print_notes(const struct sim_result *r)
{
	for (int s = 0; s < SCHEME_N; s++)
		printf("  %-12s ready %lu/%lu (superseded %lu); end: missing %lu, not at one FA "
		       "%lu, active where the MH left %lu, not in the HA's record %lu; revocations "
		       "waiting for a busy window %lu (crossing a return %lu), holder set full "
		       "%lu, stale answers %lu, redundant KEY_DISTRIBUTE %lu, DKM refused %lu "
		       "(cache misses %lu; HA told at once %lu), DKM fallbacks %lu; zone 2 at an "
		       "FA %lu; %.1f s\n",
		       sim_scheme_names[s], (unsigned long)r[s].keys_ready,
		       (unsigned long)r[s].handoffs, (unsigned long)r[s].superseded,
		       (unsigned long)r[s].final_missing, (unsigned long)r[s].final_not_one,
		       (unsigned long)r[s].active_left, (unsigned long)r[s].ha_record_missing,
		       (unsigned long)r[s].revoke_busy, (unsigned long)r[s].revoke_raced,
		       (unsigned long)r[s].holders_full, (unsigned long)r[s].stale_answers,
		       (unsigned long)r[s].redundant_keys, (unsigned long)r[s].dkm_refused,
		       (unsigned long)r[s].dkm_cache_miss, (unsigned long)r[s].dkm_missing,
		       (unsigned long)r[s].dkm_fallbacks, (unsigned long)r[s].zone2_at_fa,
		       r[s].wall_s);
}

static int fail(const char *what)
{
	printf("sim-handoff check FAILED: %s\n", what);
	return 1;
}

/* Properties of every run (the smoke suite's checks). */
static int check(const struct sim_result *r)
{
	const struct sim_result *rd = &r[SCHEME_REDISTRIBUTE], *pkd = &r[SCHEME_PKD],
				*dkm = &r[SCHEME_DKM];
	int bad = 0;

	for (int s = 0; s < SCHEME_N; s++) {
		if (!r[s].handoffs || r[s].keys_ready + r[s].superseded != r[s].handoffs)
			bad |= fail("a handoff did not get its key");
		if (r[s].final_missing)
			bad |= fail("an MH's CSA is not active at its FA at the end");
		if (r[s].zone2_at_fa)
			bad |= fail("a zone-2 key reached an FA");
	}
	if (rd->final_not_one || dkm->final_not_one)
		bad |= fail("redistribute/DKM: a CSA not at exactly one FA at the end");
	if (rd->exposure_max > 2)
		bad |= fail("redistribute: a CSA at more than two FAs at a sample");
	if (!(pkd->exposure_mean > dkm->exposure_mean && pkd->exposure_mean > rd->exposure_mean))
		bad |= fail("PKD's exposure is not above DKM's and redistribute's");
	if (pkd->part_p99 != 0)
		bad |= fail("PKD: a key part above zero (p99)");
	if (!(rd->lat_p50 > dkm->lat_p50))
		bad |= fail("DKM's median key-ready latency is not below redistribute's");
	if (dkm->dkm_fallbacks)
		bad |= fail("DKM fell back to the HA");
	if (!bad)
		printf("sim-handoff checks: OK\n");
	return bad;
}

int main(int argc, char **argv)
{
	struct sim_opts o = { .mhs = 10000,
			      .fas = 100,
			      .duration_s = 60,
			      .dwell_ms = 20000,
			      .warmup_s = 20,
			      .sample_ms = 1000,
			      .hop_us = 1000,
			      .dkm_timeout_ms = 1000,
			      .seed = 1 };
	struct sim_result r[SCHEME_N];
	bool do_check = false;
	int c;

	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.mhs = num(optarg, 1, 60000);
			break;
		case 'f':
			o.fas = num(optarg, 9, 256);
			break;
		case 'd':
			o.duration_s = num(optarg, 1, 3600);
			break;
		case 'w':
			o.dwell_ms = num(optarg, 10, 3600000);
			break;
		case 'u':
			o.warmup_s = num(optarg, 1, 3600);
			break;
		case 'h':
			o.hop_us = num(optarg, 0, 1000000);
			break;
		case 's':
			o.seed = num(optarg, 1, 1u << 30);
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'c':
			do_check = true;
			break;
		default:
			usage();
		}
	}
	mml_log_open("sim-handoff", false, getenv("SIM_DEBUG") ? MML_LOG_DEBUG : MML_LOG_ERR);
	for (int s = 0; s < SCHEME_N; s++)
		run_scheme(&o, (enum sim_scheme)s, &r[s]);
	printf("sim-handoff: %u MHs random-walking over %u FAs (torus, 4-8 neighbours), mean "
	       "dwell %.1f s, %u s measured after %u s warm-up, %u us per wired hop, real "
	       "crypto\n",
	       o.mhs, o.fas, o.dwell_ms / 1e3, o.duration_s, o.warmup_s, o.hop_us);
	print_table(stdout, r, false);
	print_notes(r);
	if (o.out_dir) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/table.md", o.out_dir);
		f = fopen(path, "w");
		if (f) {
			print_table(f, r, true);
			fclose(f);
		}
	}
	printf("sim-handoff: pkd %.2f FAs/CSA, key part p50 %.2f ms; dkm %.2f FAs/CSA, key part "
	       "p50 %.2f ms; redistribute %.2f FAs/CSA, key part p50 %.2f ms\n",
	       r[SCHEME_PKD].exposure_mean, r[SCHEME_PKD].part_p50, r[SCHEME_DKM].exposure_mean,
	       r[SCHEME_DKM].part_p50, r[SCHEME_REDISTRIBUTE].exposure_mean,
	       r[SCHEME_REDISTRIBUTE].part_p50);
	return do_check ? check(r) : 0;
}
