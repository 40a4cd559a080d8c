/* See harden.h. */
#include "keyd/harden.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/log.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* OpenSSL's secure heap: HMAC keys, private exponents. A few contexts per
 * peer; 256 KiB leaves room for thousands. */
#define SECURE_HEAP_SIZE (256 * 1024)
#define SECURE_HEAP_MIN 16
/* The byte freed heap memory is overwritten with. */
#define PERTURB_BYTE 0xa5

int keyd_harden_memory(void)
{
	struct rlimit none = { 0, 0 }, unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	int missing = 0;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		log_warn("hardening: PR_SET_DUMPABLE 0: %s", strerror(errno));
		missing++;
	}
	if (setrlimit(RLIMIT_CORE, &none)) {
		log_warn("hardening: no core size limit: %s", strerror(errno));
		missing++;
	}
	/* Lifted while we may (CAP_SYS_RESOURCE), so that pages locked after
	 * the capabilities are dropped do not hit the limit. */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		log_debug("hardening: memlock limit kept: %s", strerror(errno));
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) {
		log_warn("hardening: mlockall: %s: keys may reach swap", strerror(errno));
		missing++;
	}
	if (CRYPTO_secure_malloc_init(SECURE_HEAP_SIZE, SECURE_HEAP_MIN) != 1) {
		log_warn("hardening: OpenSSL secure heap unavailable");
		missing++;
	}
	if (mallopt(M_PERTURB, PERTURB_BYTE) != 1) {
		log_warn("hardening: M_PERTURB refused: freed memory is not overwritten");
		missing++;
	}
	return missing;
}

/* The lock sits beside the control socket: its directory (mode 0700) is
 * created here when it is ours to create, as ctl.c does for the socket. */
static int make_parent_dir(const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int keyd_lock_node(const char *lock_path, const char *node, int *fd_out)
{
	char pid[24] = "?";
	ssize_t n;
	int fd, err;

	*fd_out = -1;
	err = make_parent_dir(lock_path);
	if (err) {
		log_err("directory of %s: %s", lock_path, strerror(-err));
		return err;
	}
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		log_err("lock file %s: %s", lock_path, strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (err == -EBUSY)
			log_err("another mmlkeyd (pid %s) serves node %s (lock %s): not starting",
				pid[0] ? pid : "?", node, lock_path);
		else
			log_err("lock file %s: %s", lock_path, strerror(-err));
		close(fd);
		return err;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("lock file %s: pid not written: %s", lock_path, strerror(errno));
	*fd_out = fd;
	return 0;
}

void keyd_config_text_free(char *text, size_t len)
{
	if (!text)
		return;
	OPENSSL_cleanse(text, len);
	free(text);
}

/* The allocator keeps recently freed small chunks in per-size caches that
 * M_PERTURB does not touch: take them out, zero them, give them back. */
static void scrub_heap(void)
{
	enum { SIZES = 64, PER_SIZE = 16 };
	void **held = calloc(SIZES * PER_SIZE, sizeof(*held));
	size_t n = 0;

	if (!held)
		return;
	for (size_t size = 16; size <= SIZES * 16; size += 16) {
		for (int i = 0; i < PER_SIZE; i++) {
			void *p = malloc(size);

			if (!p)
				break;
			explicit_bzero(p, size);
			held[n++] = p;
		}
	}
	while (n)
		free(held[--n]);
	free(held);
}

static int wipe_keys(config_setting_t *s)
{
	int wiped = 0;

	if (config_setting_is_aggregate(s)) {
		for (int i = 0; i < config_setting_length(s); i++)
			wiped += wipe_keys(config_setting_get_elem(s, (unsigned int)i));
		return wiped;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING && config_setting_name(s) &&
	    !strcmp(config_setting_name(s), "key")) {
		/* libconfig's own copy: ours to clear, it is never read again. */
		char *str = (char *)config_setting_get_string(s);

		if (str) {
			OPENSSL_cleanse(str, strlen(str));
			wiped++;
		}
	}
	return wiped;
}

int keyd_wipe_config_keys(config_t *cfg)
{
	int wiped = wipe_keys(config_root_setting(cfg));

	scrub_heap();
	return wiped;
}

/* Capabilities as the kernel takes them (version 3: two 32-bit words). */
static int caps_set(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int keyd_drop_caps(void)
{
	/* NET_ADMIN: the MH's routes (rtnetlink) on every registration.
	 * BPF: pinned maps opened when they appear (mip_maps.c, csa_store).
	 * IPC_LOCK: pages mapped at run time are locked too (MCL_FUTURE);
	 * without it the MH's ML-IKE stalls (tests/ike/bed-init.sh). */
	uint64_t keep = 1ull << CAP_NET_ADMIN | 1ull << CAP_BPF | 1ull << CAP_IPC_LOCK;
	int err;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the rest below. Capabilities this kernel does not know
	 * end the loop (EINVAL). */
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno == EINVAL)
			break;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		log_err("hardening: no_new_privs: %s", strerror(errno));
		return err;
	}
	err = caps_set(keep);
	if (err)
		log_err("hardening: dropping capabilities: %s", strerror(-err));
	return err;
}
