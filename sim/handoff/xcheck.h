/* The cross-check (xcheck.c): mmlkeyd's ike module itself, one instance
 * per node, on the walk of the simulator, at a scale its tables allow. */
#ifndef MML_SIM_HANDOFF_XCHECK_H
#define MML_SIM_HANDOFF_XCHECK_H

#include <stdbool.h>
#include <stdint.h>

#define XC_FAS_MAX 16
#define XC_NODES_MAX 32
#define XC_CSAS_MAX 512

/* xcheck_seams.c: what each node installed (its mml_csa, in memory). */
struct xc_csa {
	uint32_t spi;
	uint8_t flags;	/* MML_CSA_F_* */
	uint32_t owner; /* mml_csa.owner */
};

struct xc_store {
	bool used;
	char dir[256]; /* the node's pin directory: who it is */
	unsigned int n;
	struct xc_csa csa[XC_CSAS_MAX];
};

extern struct xc_store xc_stores[XC_NODES_MAX];

/* The Mobile IP events, delivered to one FA's subscriber. */
void xc_prev_fa(unsigned int fa, uint32_t home, uint32_t ha, uint32_t prev);
void xc_visitor(unsigned int fa, uint32_t home, bool registered);

#endif
