#include "lib/node_maps.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/pin.h"
#include "maps/ep.h"
#include "maps/stats.h"

int mml_gen_bump(const char *pin_dir)
{
	int fd = mml_pin_open_map(pin_dir, MML_MAP_GEN, sizeof(__u32), sizeof(__u64)), err = 0;
	_Atomic __u64 *gen;

	if (fd < 0)
		return fd;
	gen = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (gen == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	atomic_fetch_add(gen, 1);
	munmap((void *)gen, (size_t)sysconf(_SC_PAGESIZE));
out:
	close(fd);
	return err;
}

int mml_flow_put(int flow_fd, int shapes_fd, const struct mml_flow_key *k, const struct mml_flow *f)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	__u32 shape = mml_flow_key_shape(k);
	struct mml_flow_shapes *s;

	/* The shape first: XDP must never hold an entry it does not probe. */
	if (shape) {
		if (shapes_fd < 0)
			return -EBADF;
		s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, shapes_fd, 0);
		if (s == MAP_FAILED)
			return -errno;
		atomic_store((_Atomic __u8 *)&s->seen[shape], 1);
		munmap(s, len);
	}
	return bpf_map_update_elem(flow_fd, k, f, BPF_ANY) ? -errno : 0;
}

void mml_flow_forget_learned(int flow_fd, const struct mml_flow_key *k)
{
	struct mml_flow_key cur, next, masked, *prev = NULL;
	struct mml_flow f;

	while (!bpf_map_get_next_key(flow_fd, prev, &next)) {
		cur = next;
		prev = &cur;
		if (bpf_map_lookup_elem(flow_fd, &cur, &f) || !(f.flags & MML_FLOW_F_LEARNED))
			continue;
		masked = cur; /* k covers cur: cur with k's wildcards is k */
		mml_flow_key_mask(&masked, mml_flow_key_shape(k));
		if (memcmp(&masked, k, sizeof(masked)))
			continue;
		bpf_map_delete_elem(flow_fd, &cur);
		prev = NULL; /* the walk restarts: the deleted key has no successor */
	}
}

int mml_flow_dscp_put(int dscp_fd, unsigned int dscp, const struct mml_flow *f)
{
	struct mml_flow v = { 0 };
	__u32 key = dscp;

	if (dscp >= MML_FLOW_DSCPS)
		return -EINVAL;
	if (f) {
		v = *f;
		v.flags |= MML_FLOW_F_DSCP;
	}
	return bpf_map_update_elem(dscp_fd, &key, &v, BPF_ANY) ? -errno : 0;
}

int mml_wstats_add(const char *pin_dir, uint64_t *out)
{
	size_t len = MML_WSTATS_ENTRIES * sizeof(uint64_t);
	int fd = mml_pin_open_map(pin_dir, MML_MAP_WSTATS, sizeof(__u32), sizeof(__u64));
	const volatile uint64_t *rows;

	if (fd < 0)
		return fd;
	rows = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (rows == MAP_FAILED)
		return -errno;
	for (int t = 0; t < MML_WORKER_THREADS_MAX; t++)
		for (int i = 0; i < MML_STATS_CAP; i++)
			out[i] += rows[t * MML_STATS_CAP + i];
	munmap((void *)rows, len);
	return 0;
}

int mml_stats_read(int map_fd, uint32_t stat, uint64_t *sum)
{
	int ncpus = libbpf_num_possible_cpus(), i, err = 0;
	uint64_t *values;

	*sum = 0;
	if (ncpus < 0)
		return ncpus;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &stat, values)) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < ncpus; i++)
		*sum += values[i];
out:
	free(values);
	return err;
}
