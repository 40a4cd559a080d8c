#include "loader/keyfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "lib/log.h"

static int check_mode(FILE *f, const char *path)
{
	struct stat st;

	if (fstat(fileno(f), &st))
		return -errno;
	if (S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		log_err("keys %s: readable by group or others (mode %03o); chmod 600 it", path,
			st.st_mode & 0777);
		return -EPERM;
	}
	return 0;
}

/* One line: 72 hex digits, optionally with ':' separators, surrounding
 * blanks allowed. */
static int parse_line(char *line, struct keymat *km)
{
	unsigned char *buf;
	long n;
	char *end;

	line += strspn(line, " \t");
	end = line + strcspn(line, " \t\r\n#");
	*end = '\0';
	buf = OPENSSL_hexstr2buf(line, &n);
	if (!buf)
		return -EINVAL;
	if (n != (long)sizeof(*km)) {
		OPENSSL_clear_free(buf, (size_t)n);
		return -EINVAL;
	}
	memcpy(km->key, buf, MML_KEY_LEN);
	memcpy(km->salt, buf + MML_KEY_LEN, MML_SALT_LEN);
	OPENSSL_clear_free(buf, (size_t)n);
	return 0;
}

int keyfile_read(const char *path, struct keymat *km, size_t want)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	char *line = NULL;
	size_t got = 0, cap = 0;
	int lineno = 0, err = 0;
	ssize_t n;

	if (!f) {
		err = -errno;
		log_err("keys %s: %s", path, strerror(errno));
		return err;
	}
	err = check_mode(f, path);
	/* Whole lines of any length (a fixed buffer cut long ones into two
	 * "lines", so one line could hold two zones' keys). */
	while (!err && (n = getline(&line, &cap, f)) >= 0) {
		char *p = line + strspn(line, " \t\r\n");

		lineno++;
		if (memchr(line, '\0', (size_t)n)) {
			log_err("keys %s:%d: a NUL byte", path, lineno);
			err = -EINVAL;
		} else if (!*p || *p == '#') {
			continue;
		} else if (got == want) {
			log_err("keys %s:%d: more key lines than the CSA has zones (%zu)", path,
				lineno, want);
			err = -EINVAL;
		} else if (parse_line(p, &km[got])) {
			log_err("keys %s:%d: need 72 hex digits (32-byte key, 4-byte salt)", path,
				lineno);
			err = -EINVAL;
		} else {
			got++;
		}
	}
	if (line)
		OPENSSL_clear_free(line, cap);
	if (!err && got != want) {
		log_err("keys %s: %zu key line(s), the CSA needs %zu", path, got, want);
		err = -EINVAL;
	}
	if (!is_stdin)
		fclose(f);
	return err;
}
