#include "keyd/ike/csa_store.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/csa.h"
#include "lib/log.h"
#include "maps/pin.h"

int csa_store_open(struct csa_store *st, const char *root, const char *node)
{
	int err;

	st->fd = -1;
	err = mml_pin_dir_init(&st->dir, root ? root : MML_PIN_ROOT_DEFAULT, node);
	if (err)
		return err;
	st->fd = mml_pin_open_map(st->dir.path, MML_MAP_CSA, sizeof(uint32_t),
				  sizeof(struct mml_csa));
	if (st->fd < 0) {
		err = st->fd;
		log_err("%s/%s: %s", st->dir.path, MML_MAP_CSA,
			err == -ENOENT ? "not pinned (attach the role first)" : strerror(-err));
		st->fd = -1;
		return err;
	}
	return 0;
}

void csa_store_init_dir(struct csa_store *st, const struct mml_pin_dir *dir)
{
	st->dir = *dir;
	st->dir.lock_fd = -1;
	st->fd = -1;
}

/* A map pinned after we started (the role attached later) is picked up on
 * the next write. */
static int ensure_open(struct csa_store *st)
{
	if (st->fd >= 0)
		return 0;
	st->fd = mml_pin_open_map(st->dir.path, MML_MAP_CSA, sizeof(uint32_t),
				  sizeof(struct mml_csa));
	if (st->fd < 0) {
		int err = st->fd;

		st->fd = -1;
		log_err("%s/%s: %s", st->dir.path, MML_MAP_CSA,
			err == -ENOENT ? "not pinned (attach the role first)" : strerror(-err));
		return err;
	}
	return 0;
}

void csa_store_close(struct csa_store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

int csa_store_put(struct csa_store *st, const struct mml_csa *csa)
{
	char why[160];
	int err;

	err = mml_csa_validate(csa, why, sizeof(why));
	if (!err)
		err = ensure_open(st);
	if (err == -ENOENT || err == -EPROTO)
		return err;
	if (err) {
		log_err("CSA %08x not installed: %s", csa->spi, why);
		return err;
	}
	if (bpf_map_update_elem(st->fd, &csa->spi, csa, BPF_ANY)) {
		err = -errno;
		log_err("CSA %08x: map update: %s", csa->spi, strerror(errno));
		return err;
	}
	return 0;
}

int csa_store_del(struct csa_store *st, uint32_t spi)
{
	struct mml_csa zero;

	if (ensure_open(st))
		return -ENOENT;
	memset(&zero, 0, sizeof(zero));
	/* A reader between the two calls finds an invalid CSA and drops. */
	if (bpf_map_update_elem(st->fd, &spi, &zero, BPF_EXIST) ||
	    bpf_map_delete_elem(st->fd, &spi))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

uint64_t csa_store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
