#include "lib/csa_store.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/csa.h"
#include "lib/log.h"

void mml_csa_store_init(struct mml_csa_store *st, const struct mml_pin_dir *dir)
{
	st->dir = *dir;
	st->dir.lock_fd = -1;
	st->fd = -1;
}

int mml_csa_store_open(struct mml_csa_store *st)
{
	int fd;

	if (st->fd >= 0)
		return 0;
	fd = mml_pin_open_map(st->dir.path, MML_MAP_CSA, sizeof(uint32_t), sizeof(struct mml_csa));
	if (fd == -ENOENT)
		log_err("%s/%s is not pinned: attach a role to this node first (mmlctl attach)",
			st->dir.path, MML_MAP_CSA);
	else if (fd < 0 && fd != -EPROTO)
		log_err("opening %s/%s: %s", st->dir.path, MML_MAP_CSA, strerror(-fd));
	if (fd < 0)
		return fd;
	st->fd = fd;
	return 0;
}

void mml_csa_store_close(struct mml_csa_store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

static bool has_key(const struct mml_csa *c, const uint8_t *key)
{
	for (int z = 0; z < MML_ZONES; z++)
		if (c->zone[z].alg != MML_ALG_NULL && !memcmp(c->zone[z].key, key, MML_KEY_LEN))
			return true;
	return false;
}

static bool same_keys(const struct mml_csa *a, const struct mml_csa *b)
{
	for (int z = 0; z < MML_ZONES; z++)
		if (a->zone[z].alg != b->zone[z].alg ||
		    (a->zone[z].alg != MML_ALG_NULL &&
		     memcmp(a->zone[z].key, b->zone[z].key, MML_KEY_LEN)))
			return false;
	return true;
}

/* Nonces stay unique under a key only while one counter numbers everything
 * it protects (docs/endpoints.md "Nonce safety"): the worker keeps one
 * counter per key set, so a key may serve other SPIs only with the same
 * key set and direction. The same key in and out would have both ends
 * count from 1 under it; a key shared by two different sets would be
 * numbered by two counters. FA CSAs (dir fwd) seal nothing. */
static int key_conflict(int fd, const struct mml_csa *csa, char *why, size_t why_len)
{
	uint32_t key, next, *prev = NULL;
	struct mml_csa o;
	int err = 0;

	if (csa->dir != MML_DIR_IN && csa->dir != MML_DIR_OUT)
		return 0;
	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key == csa->spi || bpf_map_lookup_elem(fd, &key, &o) ||
		    (o.dir != MML_DIR_IN && o.dir != MML_DIR_OUT))
			continue;
		for (int z = 0; z < MML_ZONES && !err; z++)
			if (csa->zone[z].alg != MML_ALG_NULL && has_key(&o, csa->zone[z].key) &&
			    (o.dir != csa->dir || !same_keys(&o, csa)))
				err = -EINVAL;
		if (err)
			snprintf(why, why_len,
				 "keys: a key of this CSA is already used by SPI 0x%x (dir %s) %s",
				 key, o.dir == MML_DIR_IN ? "in" : "out",
				 o.dir != csa->dir ? "in the other direction" : "with other keys");
	}
	OPENSSL_cleanse(&o, sizeof(o));
	return err;
}

/* "the operator (static)" or "IKE peer A.B.C.D". */
static const char *owner_words(uint32_t owner, char buf[32])
{
	char a[16];

	if (owner == MML_CSA_OWNER_STATIC)
		return "the operator (static)";
	snprintf(buf, 32, "IKE peer %s", mml_csa_owner_name(owner, a));
	return buf;
}

/* Who owns spi, if it exists (*exists), and whether writer may touch it:
 * -EPERM with why naming the owner when not. */
static int owner_check(int fd, uint32_t spi, uint32_t writer, uint64_t flags, bool *exists,
		       char *why, size_t why_len)
{
	char a[32], b[32];
	struct mml_csa cur;
	int err = 0;

	*exists = !bpf_map_lookup_elem(fd, &spi, &cur);
	if (!*exists)
		return errno == ENOENT ? 0 : -errno;
	if (cur.owner != writer && !(flags & MML_CSA_FORCE)) {
		snprintf(why, why_len, "owner: spi 0x%x is %s's, not %s's", spi,
			 owner_words(cur.owner, a), owner_words(writer, b));
		err = -EPERM;
	}
	OPENSSL_cleanse(&cur, sizeof(cur));
	return err;
}

/* The map opened, and owner's right to spi (owner_check). */
static int open_check(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      bool *exists, char *why, size_t why_len)
{
	int err;

	why[0] = '\0';
	err = mml_csa_store_open(st);
	return err ? err : owner_check(st->fd, spi, owner, flags, exists, why, why_len);
}

int mml_csa_store_may(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      char *why, size_t why_len)
{
	bool exists;

	return open_check(st, spi, owner, flags, &exists, why, why_len);
}

int mml_csa_store_put(struct mml_csa_store *st, const struct mml_csa *csa, uint64_t flags,
		      char *why, size_t why_len)
{
	uint64_t map_flags = flags & ~MML_CSA_FORCE;
	bool exists;
	int err;

	err = mml_csa_validate(csa, why, why_len);
	if (err)
		return err;
	why[0] = '\0';
	err = mml_csa_store_open(st);
	if (err)
		return err;
	err = owner_check(st->fd, csa->spi, csa->owner, flags, &exists, why, why_len);
	if (exists && map_flags == BPF_NOEXIST) {
		why[0] = '\0';
		return -EEXIST; /* the add's own answer, whoever owns it */
	}
	if (err)
		return err;
	err = key_conflict(st->fd, csa, why, why_len);
	if (err)
		return err;
	/* Absent when checked: a CSA another writer adds meanwhile is not
	 * overwritten unchecked. */
	if (!exists && map_flags == BPF_ANY)
		map_flags = BPF_NOEXIST;
	if (bpf_map_update_elem(st->fd, &csa->spi, csa, map_flags))
		return -errno;
	return 0;
}

int mml_csa_store_del(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      char *why, size_t why_len)
{
	struct mml_csa zero;
	bool exists;
	int err;

	err = open_check(st, spi, owner, flags, &exists, why, why_len);
	if (err)
		return err;
	if (!exists)
		return -ENOENT;
	memset(&zero, 0, sizeof(zero));
	/* A reader between the two calls finds an invalid CSA and drops. */
	if (bpf_map_update_elem(st->fd, &spi, &zero, BPF_EXIST) ||
	    bpf_map_delete_elem(st->fd, &spi))
		return -errno;
	return 0;
}

int mml_csa_store_set_flags(struct mml_csa_store *st, uint32_t spi, uint8_t set, uint8_t clear)
{
	struct mml_csa c;
	char why[128];
	int err;

	err = mml_csa_store_open(st);
	if (err)
		return err;
	if (bpf_map_lookup_elem(st->fd, &spi, &c))
		return -errno;
	c.flags = (uint8_t)((c.flags & ~clear) | set);
	err = mml_csa_validate(&c, why, sizeof(why));
	/* BPF_EXIST: a CSA deleted meanwhile is not brought back. */
	if (!err && bpf_map_update_elem(st->fd, &spi, &c, BPF_EXIST))
		err = -errno;
	OPENSSL_cleanse(&c, sizeof(c));
	return err;
}

uint64_t mml_csa_store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
