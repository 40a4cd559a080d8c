/* Load and attach the Foreign Agent's XDP data plane (bpf/fa.bpf.c) for
 * mmlctl and the tests: open the skeleton, set its rodata, pin or reuse the
 * public maps under <root>/<node>/, attach the two programs to interfaces.
 *
 *   struct fa *fa;
 *   mml_fa_load(&cfg, dir.path, &fa);      dir: lib/pin.h, created and locked
 *   mml_fa_attach(fa, MML_FA_WIRED, eth0, XDP_FLAGS_DRV_MODE);
 *   mml_fa_attach(fa, MML_FA_WIRELESS, wlan0, XDP_FLAGS_DRV_MODE);
 *   mml_fa_unload(fa);          programs stay attached, pinned maps stay
 *   ...
 *   mml_fa_detach(eth0, XDP_FLAGS_DRV_MODE);
 *
 * Attachments hold their own reference to the programs, so the data plane
 * keeps running after the loader exits; the maps are found again by pin. */
#ifndef MML_LIB_FA_LOADER_H
#define MML_LIB_FA_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/fa.h"

struct fa; /* the generated skeleton, build/skel/fa.skel.h */

enum mml_fa_side {
	MML_FA_WIRED,	 /* mml_fa_down: tunnel from the HAs */
	MML_FA_WIRELESS, /* mml_fa_up: the visitors' link */
};

/* Open and load with cfg as rodata (cfg->coa must be set: -EINVAL
 * otherwise). pin_dir NULL: private maps (tests);
 * otherwise mml_csa, mml_visitor, mml_stats, mml_ports and SNOOP's maps
 * (maps/snoop.h, mml_xsks, mml_xsk_slot) are reused from pin_dir when
 * pinned there already, created and pinned otherwise. */
int mml_fa_load(const struct mml_fa_cfg *cfg, const char *pin_dir, struct fa **out);
/* SNOOP's configuration after a load (lib/snoop_cfg.h): defaults into a
 * fresh map; enabled 0/1 sets the switch, -1 keeps it. */
int mml_fa_snoop_init(struct fa *fa, int enabled);
/* Closes the loader's handles; attachments and pins are not touched.
 * NULL is fine. */
void mml_fa_unload(struct fa *fa);

/* Attach the side's program to ifindex (xdp_flags: XDP_FLAGS_* of
 * linux/if_link.h; 0 lets the kernel choose native or generic) and make
 * ifindex a redirect target in mml_ports. */
int mml_fa_attach(struct fa *fa, enum mml_fa_side side, int ifindex, uint32_t xdp_flags);
/* Detach whatever XDP program is attached to ifindex in that mode. */
int mml_fa_detach(int ifindex, uint32_t xdp_flags);

#endif
