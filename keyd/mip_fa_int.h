/* The foreign agent's state, shared by its protocol core (mip_fa.c) and
 * the sockets and configuration that run it in mmlkeyd (mip_fa_sock.c).
 * Private to those two files; everyone else goes through mip_fa.h. */
#ifndef MML_KEYD_MIP_FA_INT_H
#define MML_KEYD_MIP_FA_INT_H

#include "keyd/mip_fa.h"
#include "keyd/mip_fh.h"

struct fa_visitor {
	struct mip_fa *fa;
	uint32_t home;
	uint32_t ha;
	struct mip_fa_link link;
	/* pending: a request relayed, the reply not yet back */
	bool pending;
	uint32_t pend_ha; /* the home agent the pending request went to */
	uint64_t pend_ident;
	uint16_t pend_lifetime;
	uint64_t pend_since;
	struct loop_timer pend_timer;
	bool has_prev_fa; /* DKM: carried for the key migration (paper 4.3) */
	struct mip_prev_fa prev_fa;
	/* registered: the HA accepted */
	bool registered;
	uint16_t granted;
	uint64_t expires;
	uint64_t since;
	/* CLOCK_BOOTTIME: the latest accepted reply relayed (ML-IKE's key
	 * work on relaying it, PKD's activation, comes after this) */
	uint64_t reply_ns;
	uint64_t registrations;
	struct loop_timer expiry;
};

struct mip_fa {
	struct mip_fa_cfg cfg;
	struct loop *loop;
	struct mip_maps *maps;
	struct mip_stats *st;
	struct mip_fa_io io;
	struct u32map visitors;
	struct u32map ha_keys; /* home agent -> struct mip_fh_peer (mip_fh.h) */
	uint32_t n_registered;
	uint16_t advert_seq;
	bool advert_seq_wrapped;
	struct loop_timer advert_timer;
	uint64_t solicit_window;
	uint32_t solicit_answers;
	/* socket wrapper (mip_fa_start) */
	int udp_fd, pkt_fd;
	struct mip_maps own_maps;
};

/* Sends an advertisement and arms the next one (arg: the FA); called once
 * when the agent starts, then by its own timer. */
void mip_fa_advert_tick(void *arg);

#endif
