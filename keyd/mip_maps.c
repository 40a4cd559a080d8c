/* The data plane's maps as the Mobile IPv4 roles write them: mml_binding
 * (HA, MH; maps/ep.h) and mml_visitor (FA; maps/visitor.h). Writers of
 * mml_binding bump mml_gen so that running workers reload their caches. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keyd/mip.h"
#include "lib/log.h"
#include "maps/ep.h"
#include "maps/visitor.h"

/* A map that is not pinned is looked for again at most this often. */
#define RETRY_NS (1 * NS_PER_SEC)

void mip_maps_init(struct mip_maps *m, const struct mml_pin_dir *pin)
{
	memset(m, 0, sizeof(*m));
	m->pin = pin;
	m->binding_fd = m->visitor_fd = m->gen_fd = -1;
}

void mip_maps_close(struct mip_maps *m)
{
	if (m->gen)
		munmap(m->gen, (size_t)sysconf(_SC_PAGESIZE));
	if (m->binding_fd >= 0)
		close(m->binding_fd);
	if (m->visitor_fd >= 0)
		close(m->visitor_fd);
	if (m->gen_fd >= 0)
		close(m->gen_fd);
	mip_maps_init(m, m->pin);
}

static int open_map(struct mip_maps *m, int *fd, const char *name, uint32_t value_size)
{
	uint64_t now;

	if (*fd >= 0)
		return *fd;
	if (!m->pin)
		return -ENOENT;
	now = loop_now();
	if (now < m->next_try)
		return -ENOENT;
	*fd = mml_pin_open_map(m->pin->path, name, sizeof(__u32), value_size);
	if (*fd == -EPROTO)
		log_err("%s/%s has another layout than this build's", m->pin->path, name);
	if (*fd < 0) {
		m->next_try = now + RETRY_NS;
		return *fd;
	}
	log_info("using %s/%s", m->pin->path, name);
	return *fd;
}

static void gen_bump(struct mip_maps *m)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (!m->gen) {
		if (m->gen_fd < 0)
			m->gen_fd = mml_pin_open_map(m->pin->path, MML_MAP_GEN, sizeof(__u32),
						     sizeof(__u64));
		if (m->gen_fd < 0)
			return; /* no worker on this node */
		p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, m->gen_fd, 0);
		if (p == MAP_FAILED)
			return;
		m->gen = p;
	}
	atomic_fetch_add((_Atomic __u64 *)m->gen, 1);
}

int mip_maps_binding_put(struct mip_maps *m, uint32_t home, uint32_t ha_addr, uint32_t coa,
			 uint64_t expires_ns)
{
	int fd = open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding));
	struct mml_binding b;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &home, &b))
		memset(&b, 0, sizeof(b));
	b.ha_addr = ha_addr;
	b.coa = coa;
	b.expires_ns = expires_ns;
	if (bpf_map_update_elem(fd, &home, &b, BPF_ANY))
		return -errno;
	gen_bump(m);
	return 0;
}

int mip_maps_binding_spis(struct mip_maps *m, uint32_t home, unsigned int mode, uint32_t spi_out,
			  uint32_t spi_in)
{
	int fd = open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding));
	struct mml_binding b;

	if (fd < 0)
		return fd;
	if (mode >= MML_MODE_MAX)
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &home, &b))
		return -ENOENT;
	b.spi_out[mode] = spi_out;
	b.spi_in[mode] = spi_in;
	if (bpf_map_update_elem(fd, &home, &b, BPF_EXIST))
		return -errno;
	gen_bump(m);
	return 0;
}

int mip_maps_binding_spi_prev(struct mip_maps *m, uint32_t home, uint32_t spi_in_prev)
{
	int fd = open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding));
	struct mml_binding b;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &home, &b))
		return -ENOENT;
	b.spi_in_prev = spi_in_prev;
	if (bpf_map_update_elem(fd, &home, &b, BPF_EXIST))
		return -errno;
	gen_bump(m);
	return 0;
}

int mip_maps_binding_get_spis(struct mip_maps *m, uint32_t home, unsigned int mode,
			      uint32_t *spi_out, uint32_t *spi_in)
{
	int fd = open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding));
	struct mml_binding b;

	if (fd < 0)
		return fd;
	if (mode >= MML_MODE_MAX)
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &home, &b))
		return -ENOENT;
	*spi_out = b.spi_out[mode];
	*spi_in = b.spi_in[mode];
	return 0;
}

void mip_maps_gen_bump(struct mip_maps *m)
{
	gen_bump(m);
}

int mip_maps_binding_del(struct mip_maps *m, uint32_t home)
{
	int fd = open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding));

	if (fd < 0)
		return fd;
	if (bpf_map_delete_elem(fd, &home) && errno != ENOENT)
		return -errno;
	gen_bump(m);
	return 0;
}

int mip_maps_binding_each(struct mip_maps *m,
			  void (*fn)(void *arg, uint32_t home, const struct mml_binding *b),
			  void *arg)
{
	int fd = open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding));
	__u32 key, next, *prev = NULL;
	struct mml_binding b;

	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &b))
			fn(arg, key, &b);
	}
	return 0;
}

int mip_maps_visitor_put(struct mip_maps *m, uint32_t home, const struct mml_visitor *v)
{
	int fd = open_map(m, &m->visitor_fd, MML_MAP_VISITOR, sizeof(struct mml_visitor));

	if (fd < 0)
		return fd;
	return bpf_map_update_elem(fd, &home, v, BPF_ANY) ? -errno : 0;
}

int mip_maps_visitor_get(struct mip_maps *m, uint32_t home, struct mml_visitor *v)
{
	int fd = open_map(m, &m->visitor_fd, MML_MAP_VISITOR, sizeof(struct mml_visitor));

	if (fd < 0)
		return fd;
	return bpf_map_lookup_elem(fd, &home, v) ? -errno : 0;
}

int mip_maps_visitor_del(struct mip_maps *m, uint32_t home)
{
	int fd = open_map(m, &m->visitor_fd, MML_MAP_VISITOR, sizeof(struct mml_visitor));

	if (fd < 0)
		return fd;
	return bpf_map_delete_elem(fd, &home) && errno != ENOENT ? -errno : 0;
}

uint32_t mip_maps_capacity(struct mip_maps *m, enum mip_map which)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd;

	if (m->cap[which])
		return m->cap[which];
	fd = which == MIP_MAP_BINDING ?
		     open_map(m, &m->binding_fd, MML_MAP_BINDING, sizeof(struct mml_binding)) :
		     open_map(m, &m->visitor_fd, MML_MAP_VISITOR, sizeof(struct mml_visitor));

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	m->cap[which] = info.max_entries;
	return info.max_entries;
}
