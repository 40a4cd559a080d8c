/* The one writer of the pinned mml_csa map (DESIGN.md 3), for mmlctl's
 * static keying and mmlkeyd's ML-IKE alike: a CSA is validated before it
 * goes in, and a removed CSA is zeroed before it is deleted, because the map
 * frees the element after an RCU grace period without wiping it.
 *
 * Ownership (maps/csa.h owner, docs/security.md "CSA ownership"): a CSA is
 * replaced or deleted only by whoever installed it: the same IKE peer, or
 * the operator for a static one; MML_CSA_FORCE (mmlctl's `force`) lifts
 * that. The check and the write are two map operations: the peers' writes
 * are serialised by the one mmlkeyd per node; an operator racing the daemon
 * is root, who could write the map with bpftool anyway. */
#ifndef MML_LIB_CSA_STORE_H
#define MML_LIB_CSA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/pin.h"
#include "maps/csa.h"

/* A flag of put and del beside BPF_ANY, BPF_NOEXIST and BPF_EXIST: whoever
 * owns the CSA (the operator's `force`; mmlkeyd never sets it). */
#define MML_CSA_FORCE (1ULL << 32)

struct mml_csa_store {
	struct mml_pin_dir dir;
	int fd; /* -1 until the map is opened */
};

/* A store on a node directory already set up; the map is opened at the
 * first write, so one pinned later (the role attached after the daemon
 * started) is found then. */
void mml_csa_store_init(struct mml_csa_store *st, const struct mml_pin_dir *dir);
/* Opens the map now: -ENOENT when it is not pinned (logged). */
int mml_csa_store_open(struct mml_csa_store *st);
void mml_csa_store_close(struct mml_csa_store *st);

/* Validates csa (on failure -EINVAL and why says what is wrong), opens the
 * map if needed (a failure is logged, why is empty) and writes the entry
 * with flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST, | MML_CSA_FORCE): -errno,
 * why empty. csa->owner is the writer: a CSA of the SPI installed by
 * another owner is kept (-EPERM, why names its owner) unless forced. An
 * endpoint CSA (dir in/out) whose key another SPI uses in the other
 * direction, or in another key set, is refused (-EINVAL, why says which
 * SPI): one sequence counter per key set keeps nonces unique. */
int mml_csa_store_put(struct mml_csa_store *st, const struct mml_csa *csa, uint64_t flags,
		      char *why, size_t why_len);
/* Whether owner may write or delete spi now (flags: 0 or MML_CSA_FORCE):
 * 0 also when there is no such CSA, -EPERM (why names the owner), or the
 * map's errors. For a pair that must go in whole or not at all. */
int mml_csa_store_may(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      char *why, size_t why_len);
/* Zeroes, then deletes the CSA if owner installed it (or flags has
 * MML_CSA_FORCE): -EPERM (why names its owner) if not, -ENOENT when there
 * is no such CSA (or no map: mml_csa_store_open's error, logged, why
 * empty), else -errno. */
int mml_csa_store_del(struct mml_csa_store *st, uint32_t spi, uint32_t owner, uint64_t flags,
		      char *why, size_t why_len);

/* Sets and clears MML_CSA_F_* bits of an installed CSA (PKD: an FA's CSA
 * activated), keys and owner untouched: -ENOENT when there is no such CSA, -EINVAL
 * for flags the CSA may not have, else -errno. */
int mml_csa_store_set_flags(struct mml_csa_store *st, uint32_t spi, uint8_t set, uint8_t clear);

/* CLOCK_BOOTTIME, the clock of the map's add_time_ns. */
uint64_t mml_csa_store_now_ns(void);

#endif
