/* See secret_file.h. */
#include "lib/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/log.h"

/* The open file, not the path, is checked: no race with a swap of the path. */
static int check_file(const char *what, const char *path, int fd)
{
	const char *why = NULL;
	struct stat st;

	if (fstat(fd, &st)) {
		log_err("%s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_mode & 077)
		why = "group or others have access";
	else if (st.st_uid != geteuid())
		why = "owned by another user";
	if (why) {
		log_err("%s %s: refused, %s (mode %04o, owner %u): it must be a regular file of "
			"uid %u with mode 0600 or stricter",
			what, path, why, st.st_mode & 07777, st.st_uid, geteuid());
		return -EPERM;
	}
	return 0;
}

/* Reads up to size + 1 bytes: one more than fits tells a long file. */
static ssize_t read_all(int fd, unsigned char *buf, size_t size)
{
	unsigned char extra;
	size_t got = 0;
	ssize_t n;

	while (got <= size) {
		n = read(fd, got < size ? buf + got : &extra, got < size ? size - got : 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	OPENSSL_cleanse(&extra, sizeof(extra));
	return (ssize_t)got;
}

int mml_secret_file_read(const char *what, const char *path, void *buf, size_t size, size_t min,
			 size_t *len)
{
	ssize_t n;
	int fd, err;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		log_err("%s %s: %s", what, path,
			errno == ELOOP ? "a symbolic link, refused" : strerror(errno));
		/* Wiped on every error, as promised: the caller's buffer may
		 * still hold a key of an earlier read. */
		OPENSSL_cleanse(buf, size);
		return err;
	}
	err = check_file(what, path, fd);
	if (err)
		goto out;
	n = read_all(fd, buf, size);
	if (n < 0) {
		err = (int)n;
		log_err("%s %s: %s", what, path, strerror(-err));
	} else if ((size_t)n > size) {
		err = -EFBIG;
		log_err("%s %s: longer than %zu bytes, refused (not cut)", what, path, size);
	} else if ((size_t)n < min) {
		err = -EINVAL;
		log_err("%s %s: %zd bytes, shorter than the minimum of %zu", what, path, n, min);
	} else {
		*len = (size_t)n;
	}
out:
	if (err)
		OPENSSL_cleanse(buf, size);
	close(fd);
	return err;
}
