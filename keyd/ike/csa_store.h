/* Writes ML-IKE's CSAs into the node's pinned mml_csa map, the one state
 * store the data plane reads (DESIGN.md 3). A CSA is validated with the same
 * checks as `mmlctl csa add`; a removed CSA is zeroed before it is deleted
 * so no key stays readable in the map's freed element. */
#ifndef MML_KEYD_CSA_STORE_H
#define MML_KEYD_CSA_STORE_H

#include <stdint.h>

#include "lib/pin.h"
#include "maps/csa.h"

struct csa_store {
	struct mml_pin_dir dir;
	int fd;
};

/* root NULL = MML_PIN_ROOT_DEFAULT. -ENOENT when the role's maps are not
 * pinned (attach it first). */
int csa_store_open(struct csa_store *st, const char *root, const char *node);
/* The same for a node directory already set up (mmlkeyd's); a missing map
 * is not an error here: csa_store_put/del look for it again. */
void csa_store_init_dir(struct csa_store *st, const struct mml_pin_dir *dir);
void csa_store_close(struct csa_store *st);
int csa_store_put(struct csa_store *st, const struct mml_csa *csa);
int csa_store_del(struct csa_store *st, uint32_t spi);

uint64_t csa_store_now_ns(void);

#endif
