/* bench-wstats-rows PIN-DIR COUNTER...: one line per worker thread (a row
 * of mml_wstats, docs/endpoints.md) that counted anything, with the named
 * counters: what bench/multiqueue.sh prints to show that every queue's
 * thread carried traffic. mmlctl stats sums the rows. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/pin.h"
#include "maps/ep.h"
#include "maps/pin.h"
#include "maps/stats.h"

static int stat_index(const char *name)
{
	for (unsigned int i = 0; i < MML_STAT_MAX; i++)
		if (!strcmp(mml_stat_name(i), name))
			return (int)i;
	return -1;
}

int main(int argc, char **argv)
{
	size_t len = MML_WSTATS_ENTRIES * sizeof(uint64_t);
	const volatile uint64_t *rows;
	int idx[16], n = argc - 2, fd;

	if (argc < 3 || n > 16) {
		fprintf(stderr, "usage: bench-wstats-rows PIN-DIR COUNTER... (at most 16)\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		idx[i] = stat_index(argv[i + 2]);
		if (idx[i] < 0) {
			fprintf(stderr, "bench-wstats-rows: no counter %s\n", argv[i + 2]);
			return 2;
		}
	}
	fd = mml_pin_open_map(argv[1], MML_MAP_WSTATS, sizeof(__u32), sizeof(__u64));
	if (fd < 0) {
		fprintf(stderr, "bench-wstats-rows: %s/%s: %s\n", argv[1], MML_MAP_WSTATS,
			strerror(-fd));
		return 1;
	}
	rows = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (rows == MAP_FAILED) {
		fprintf(stderr, "bench-wstats-rows: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (int t = 0; t < MML_WORKER_THREADS_MAX; t++) {
		uint64_t any = 0;

		for (int i = 0; i < MML_STATS_CAP; i++)
			any |= rows[t * MML_STATS_CAP + i];
		if (!any)
			continue;
		printf("thread %d", t);
		for (int i = 0; i < n; i++)
			printf(" %s=%llu", argv[i + 2],
			       (unsigned long long)rows[t * MML_STATS_CAP + idx[i]]);
		printf("\n");
	}
	munmap((void *)rows, len);
	return 0;
}
