/* bench-scale-mip's shared pieces: the synthetic mobiles, the options, and
 * one registration request; the bring-up and renewals are scale_mip.c, the
 * churn mode (register, hold, deregister, again: make soak) scale_churn.c. */
#ifndef MML_BENCH_SCALE_MIP_H
#define MML_BENCH_SCALE_MIP_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/mip_mobiles.h"

#define SCALE_RESEND_NS 1000000000ULL

struct mobile {
	struct mip_key key;
	uint64_t ident, sent_ns;
	uint8_t state; /* bring-up: 0 idle, 1 in flight, 2 answered; churn: its phase */
};

struct opts {
	unsigned int n, window, renew_s;
	/* churn: -C SECONDS (0: until SIGTERM), hold and gap means, the
	 * lifetime asked for, a progress line every report_s */
	unsigned int churn_s, hold_ms, gap_ms, lifetime, report_s;
	int churn;
	bool bring_up_only; /* -b: no renewals (ML-IKE runs meanwhile) */
	const char *config_out;
	uint32_t ha, fa[2], coa[2]; /* network order; fa: wireless addresses */
};

/* Mobile i's request (lifetime seconds, 0: deregistration) to FA fa (0 or
 * 1), from its home address; 0 or -errno. */
int scale_send_request(int fd, const struct opts *o, struct mobile *m, unsigned int i,
		       unsigned int fa, uint16_t lifetime);
/* The churn mode; 0 when every reply was accepted and authentic and every
 * mobile ended deregistered, 1 otherwise, -errno on a local failure. */
int scale_churn(int fd, const struct opts *o, struct mobile *mobiles);

#endif
