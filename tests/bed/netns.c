#include "tests/bed/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

int mml_netns_enter(const char *name)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd, err = 0;

	if (n < 0 || (size_t)n >= sizeof(path) || strchr(name, '/'))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		log_err("cannot enter network namespace %s: %s", name, strerror(-err));
	return err;
}
