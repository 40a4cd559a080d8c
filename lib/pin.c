#include "lib/pin.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lib/log.h"

static bool valid_node_name(const char *node)
{
	size_t n = strlen(node);

	if (n == 0 || n > 64 || !strcmp(node, ".") || !strcmp(node, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = node[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int mml_pin_dir_init(struct mml_pin_dir *dir, const char *root, const char *node)
{
	int n;

	dir->lock_fd = -1;
	if (!valid_node_name(node))
		return -EINVAL;
	n = snprintf(dir->path, sizeof(dir->path), "%s/%s", root ? root : MML_PIN_ROOT_DEFAULT,
		     node);
	return n < 0 || (size_t)n >= sizeof(dir->path) ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* Create path and its parents with mode; existing directories are kept. */
static int mkdir_p(const char *path, mode_t mode)
{
	char buf[256];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The bpffs mount point is the closest existing ancestor of the root that is
 * on bpffs; if there is none, /sys/fs/bpf is mounted (as systemd would). */
static int ensure_bpffs(const char *root)
{
	if (is_bpffs(root) || is_bpffs("/sys/fs/bpf"))
		return 0;
	if (strncmp(root, "/sys/fs/bpf", 11)) {
		log_err("%s is not on a bpffs; mount one there or use a root under /sys/fs/bpf",
			root);
		return -ENOTSUP;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		log_err("mounting bpffs at /sys/fs/bpf: %s", strerror(errno));
		return -errno;
	}
	log_info("mounted bpffs at /sys/fs/bpf");
	return 0;
}

int mml_pin_mkdir(const char *path)
{
	char parent[256];
	int err;

	if (strlen(path) >= sizeof(parent))
		return -ENAMETOOLONG;
	snprintf(parent, sizeof(parent), "%s", path);
	err = ensure_bpffs(dirname(parent));
	if (err)
		return err;
	err = mkdir_p(path, 0700);
	if (err) {
		log_err("creating %s: %s", path, strerror(-err));
		return err;
	}
	/* An existing directory may have been created with a laxer mode. */
	if (chmod(path, 0700)) {
		err = -errno;
		log_err("chmod 0700 %s: %s", path, strerror(errno));
		return err;
	}
	return 0;
}

int mml_pin_dir_create(struct mml_pin_dir *dir)
{
	return mml_pin_mkdir(dir->path);
}

int mml_pin_dir_setup(struct mml_pin_dir *dir, const char *root, const char *node)
{
	int err = mml_pin_dir_init(dir, root, node);

	if (!err)
		err = mml_pin_dir_create(dir);
	if (err)
		log_err("pin directory %s/%s: %s", root ? root : MML_PIN_ROOT_DEFAULT, node,
			strerror(-err));
	return err;
}

int mml_pin_lock_path(const char *path, bool wait)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int mml_pin_dir_lock(struct mml_pin_dir *dir, bool wait)
{
	int fd = mml_pin_lock_path(dir->path, wait);

	if (fd < 0)
		return fd;
	dir->lock_fd = fd;
	return 0;
}

void mml_pin_dir_unlock(struct mml_pin_dir *dir)
{
	if (dir->lock_fd >= 0)
		close(dir->lock_fd);
	dir->lock_fd = -1;
}

int mml_pin_open_map(const char *dir, const char *name, uint32_t key_size, uint32_t value_size)
{
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	char path[320];
	int fd, err, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (!key_size && !value_size)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((key_size && info.key_size != key_size) ||
	    (value_size && info.value_size != value_size)) {
		log_err("%s: key/value sizes %u/%u, this build expects %u/%u (version mismatch?)",
			path, info.key_size, info.value_size, key_size, value_size);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int mml_pin_dir_remove_if_empty(struct mml_pin_dir *dir)
{
	if (rmdir(dir->path) && errno != ENOTEMPTY && errno != ENOENT)
		return -errno;
	return 0;
}
