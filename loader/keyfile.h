/* Key material for `mmlctl csa add ... keys FILE`: never on the command line.
 * FILE (or "-" for standard input) holds one line per zone, zone 1 first:
 * the 32-byte key followed by the 4-byte salt, as 72 hex digits (the KEYMAT
 * layout of RFC 4106 / RFC 7634). Blank lines and '#' comments are ignored.
 * A file readable by group or others is refused. */
#ifndef MML_LOADER_KEYFILE_H
#define MML_LOADER_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "maps/csa.h"

struct keymat {
	uint8_t key[MML_KEY_LEN];
	uint8_t salt[MML_SALT_LEN];
};

/* Reads exactly `want` lines into km; -EINVAL with a message naming the line
 * otherwise. The caller wipes km after use. */
int keyfile_read(const char *path, struct keymat *km, size_t want);

#endif
