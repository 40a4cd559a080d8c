/* mmlkeyd's process hygiene (docs/security.md, "Daemon hygiene"): one
 * daemon per node, key memory kept out of swap and core dumps, secrets of
 * the configuration wiped once read, capabilities reduced to those the
 * running daemon uses. */
#ifndef MML_KEYD_HARDEN_H
#define MML_KEYD_HARDEN_H

#include <libconfig.h>
#include <stddef.h>

/* First thing in main: not dumpable (PR_SET_DUMPABLE 0: no core dump, no
 * ptrace by other users), core size limit 0, every page locked in memory as
 * it is touched (mlockall MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT, with the
 * memlock limit lifted first), OpenSSL's secure heap (mlocked, MADV_DONTDUMP)
 * for the key material OpenSSL keeps there, and freed heap memory
 * overwritten (M_PERTURB). A step that fails is logged and the daemon goes
 * on (a warning names what is missing); returns the count of such steps. */
int keyd_harden_memory(void);

/* Takes an exclusive lock (flock) on lock_path, created mode 0600, and
 * writes our pid in it; the fd stays open (close-on-exec) for the daemon's
 * life. -EBUSY, with the holder's pid logged, when another mmlkeyd holds it:
 * that daemon's control socket and sockets are left alone. */
int keyd_lock_node(const char *lock_path, const char *node, int *fd);

/* Wipes and frees the buffer a configuration file's text was read into
 * (read(2) into our own buffer: no stdio buffer keeps a copy). */
void keyd_config_text_free(char *text, size_t len);

/* Wipes, in the parsed configuration, the strings of every setting named
 * "key" (inline hex keys), once the modules hold their own key contexts;
 * then scrubs the allocator's free lists of what the parser freed.
 * Returns the count of strings wiped. */
int keyd_wipe_config_keys(config_t *cfg);

/* After set-up: keeps in the effective, permitted and bounding sets only
 * the capabilities the running daemon uses (CAP_NET_ADMIN: the MH's routes;
 * CAP_BPF: pinned maps opened and written at run time; CAP_IPC_LOCK: memory
 * mapped at run time is locked too), drops the rest, and sets
 * no_new_privs. */
int keyd_drop_caps(void);

#endif
