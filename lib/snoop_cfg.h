/* SNOOP's configuration at the FA (maps/snoop.h, map mml_snoop_cfg): Table 4
 * defaults, the keyword/value parser and validator shared by `mmlctl snoop
 * set`, `mmlctl fa attach ... snoop on|off` and the FA worker, and the map's
 * read/write with its generation number. */
#ifndef MML_LIB_SNOOP_CFG_H
#define MML_LIB_SNOOP_CFG_H

#include <stddef.h>

#include <json-c/json.h>

#include "maps/snoop.h"

struct snoop_cfg;

/* Table 4 of the paper; SNOOP itself off until asked for. */
void mml_snoop_cfg_default(struct mml_snoop_cfg *c);
/* KEY VALUE of `mmlctl snoop set` into c; -EINVAL with the reason in why. */
int mml_snoop_cfg_set(struct mml_snoop_cfg *c, const char *key, const char *value, char *why,
		      size_t why_len);
/* The whole configuration is consistent (the state machine's own checks,
 * the map sizes, the DSCP range); -EINVAL with the reason in why. */
int mml_snoop_cfg_check(const struct mml_snoop_cfg *c, char *why, size_t why_len);
/* The state machine's part (lib/snoop.h). */
void mml_snoop_cfg_to_machine(const struct mml_snoop_cfg *c, struct snoop_cfg *out);

int mml_snoop_cfg_read(int map_fd, struct mml_snoop_cfg *c);
/* Checks c, bumps its generation and writes it. */
int mml_snoop_cfg_write(int map_fd, struct mml_snoop_cfg *c);
/* After a load: a map never written gets the defaults; enabled >= 0 sets
 * the switch (attach's snoop on|off), -1 keeps it. */
int mml_snoop_cfg_init(int map_fd, int enabled);

/* Every field by name ("enabled" as a boolean). */
json_object *mml_snoop_cfg_json(const struct mml_snoop_cfg *c);
/* The keys mml_snoop_cfg_set takes, for usage lines. */
extern const char mml_snoop_cfg_keys[];

#endif
