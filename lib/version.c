#include "lib/version.h"

#include <stdio.h>
#include <string.h>

#include "mml_version.h" /* generated: lib/module.mk */

const char *mml_version(void)
{
	return MML_VERSION;
}

bool mml_version_requested(int argc, char **argv, const char *prog)
{
	if (argc < 2 || (strcmp(argv[1], "--version") && strcmp(argv[1], "-V")))
		return false;
	printf("%s %s\n", prog, MML_VERSION);
	return true;
}
