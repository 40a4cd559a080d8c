/* Validation of a CSA (maps/csa.h) before any node installs or uses it. The
 * same checks serve mmlctl, the config file, mmlkeyd and the workers. */
#ifndef MML_LIB_CSA_H
#define MML_LIB_CSA_H

#include <stddef.h>
#include <stdint.h>

#include "maps/csa.h"

/* 0 if the CSA is usable; otherwise -EINVAL with "field: reason" in why. */
int mml_csa_validate(const struct mml_csa *csa, char *why, size_t why_len);

const char *mml_format_name(unsigned int format);
const char *mml_dir_name(unsigned int dir);
/* Who owns a CSA (mml_csa.owner), for people: "static" (the operator's)
 * or the IKE peer's address, written into buf. */
const char *mml_csa_owner_name(uint32_t owner, char buf[16]);

#endif
