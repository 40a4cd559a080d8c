/* Loader of the emulated link's bit-error model (tests/bed/bpf/link_ber.bpf.c,
 * layouts in tests/bed/maps/link_ber.h): load, pin, attach and detach an
 * instance, set the BER at
 * run time and read the counters. One instance models one direction of one
 * link and sits on one interface hook; its maps live in one pin directory,
 * by default MML_PIN_ROOT/<node>/link_ber/<ifname>-<hook>/. mml-link (the
 * test bed's CLI) is the thin layer over this; the product (mmlctl) never
 * links the test bed's code. */
#ifndef MML_BED_LINK_BER_H
#define MML_BED_LINK_BER_H

#include <stddef.h>

#include "tests/bed/maps/link_ber.h"

#ifndef MML_PIN_ROOT
#define MML_PIN_ROOT "/sys/fs/bpf/mmlipsec"
#endif

/* The TC filter handle that marks our classifier on a hook. */
#define MML_LINK_BER_TC_HANDLE 0x6265
#define MML_LINK_BER_TC_PRIO_DEFAULT 1

enum mml_link_ber_hook {
	MML_LINK_BER_TC_INGRESS,
	MML_LINK_BER_TC_EGRESS,
	MML_LINK_BER_XDP,
};

struct mml_link_ber; /* a loaded (maybe attached) instance */

/* Map fds of an instance, either from an open instance or from its pins. */
struct mml_link_ber_maps {
	int cfg_fd;
	int stats_fd;
};

/* Sum of the per-CPU counters. */
struct mml_link_ber_counters {
	unsigned long long frames_passed, bytes_passed;
	unsigned long long frames_lost, bytes_lost;
};

int mml_link_ber_hook_parse(const char *text, enum mml_link_ber_hook *hook);
const char *mml_link_ber_hook_name(enum mml_link_ber_hook hook);

/* "0", "1/65536", "1/64K" (K = 2^10, M = 2^20, the paper's notation),
 * "1.9e-6": 0 or a value in [MML_BER_MIN, 1). */
int mml_link_ber_parse(const char *text, double *ber);

/* The inverse-CDF table for a BER (0 disables the model); keeps generation. */
int mml_link_ber_table_fill(double ber, struct mml_ber_cfg *cfg);

/* root/node/link_ber/ifname-hook */
int mml_link_ber_pin_dir(char *buf, size_t len, const char *root, const char *node,
			 const char *ifname, enum mml_link_ber_hook hook);

/* Load the programs; with pin_dir, reuse the maps pinned there or create and
 * pin them (mode 0700 directories). */
int mml_link_ber_open(const char *pin_dir, struct mml_link_ber **out);
void mml_link_ber_close(struct mml_link_ber *lb);
int mml_link_ber_prog_fd(const struct mml_link_ber *lb, enum mml_link_ber_hook hook);
struct mml_link_ber_maps mml_link_ber_maps_of(const struct mml_link_ber *lb);

/* Attach to an interface of the current network namespace. TC: a direct-action
 * filter with our handle at prio (replaced if present). XDP: native mode, only
 * if the interface has no XDP program yet. The attachment outlives the
 * process; mml_link_ber_detach removes it (and only ours). */
int mml_link_ber_attach(struct mml_link_ber *lb, const char *ifname, enum mml_link_ber_hook hook,
			int tc_prio);
int mml_link_ber_detach(const char *ifname, enum mml_link_ber_hook hook, int tc_prio);
/* Serialise changes of attachment state: an exclusive flock on the instance's
 * pin directory (created if missing). Returns the fd to close, or -errno. */
int mml_link_ber_lock(const char *pin_dir);
/* Remove the pinned maps and the (then empty) instance directory. */
int mml_link_ber_unpin(const char *pin_dir);

int mml_link_ber_maps_open(const char *pin_dir, struct mml_link_ber_maps *maps);
void mml_link_ber_maps_close(struct mml_link_ber_maps *maps);

/* Takes effect without reloading: the next frame on every CPU draws its gap
 * from the new table. */
int mml_link_ber_set(int cfg_fd, double ber);
int mml_link_ber_get(int cfg_fd, double *ber);
int mml_link_ber_counters_read(int stats_fd, struct mml_link_ber_counters *sum);
int mml_link_ber_counters_reset(int stats_fd);

#endif
