/* Files that hold secrets (IKE PSKs, Mobile IP keys): read with the checks
 * mmlkeyd applies to its configuration file, so that a key file is never
 * less protected than the config that names it. */
#ifndef MML_LIB_SECRET_FILE_H
#define MML_LIB_SECRET_FILE_H

#include <stddef.h>

/* Reads the whole of path into buf. Refused, with one log line naming what
 * ("psk file") and path: a symbolic link (opened with O_NOFOLLOW), anything
 * but a regular file, a file not owned by our effective uid, any access bit
 * for group or others, fewer than min bytes, more than size bytes (an error,
 * never a silent cut). *len is the byte count read. On error buf is wiped.
 * Returns 0 or a negative errno (-ELOOP, -EPERM, -EFBIG, -EINVAL, ...). */
int mml_secret_file_read(const char *what, const char *path, void *buf, size_t size, size_t min,
			 size_t *len);

#endif
