/* The version every binary prints with --version: the release (VERSION at
 * the top of the tree) and, built from a git checkout, the commit. */
#ifndef MML_LIB_VERSION_H
#define MML_LIB_VERSION_H

#include <stdbool.h>

const char *mml_version(void);
/* argv[1] is --version or -V: prints "PROG VERSION" and returns true. */
bool mml_version_requested(int argc, char **argv, const char *prog);

#endif
