/* The cells and the walk, shared by the simulator and its cross-check
 * against mmlkeyd's ike module (xcheck.c): the same seed gives both the
 * same neighbour graph and every MH the same cells and dwell times. */
#ifndef MML_SIM_HANDOFF_SIM_GRID_H
#define MML_SIM_HANDOFF_SIM_GRID_H

#include <stdint.h>

#define SIM_NBR_MAX 8
#define SIM_CELLS_MAX 256

struct sim_grid {
	unsigned int side, n;
	uint8_t n_nbr[SIM_CELLS_MAX];
	uint16_t nbr[SIM_CELLS_MAX][SIM_NBR_MAX];
};

/* A torus side x side (n cells, n square): every cell has its four
 * neighbours across the edges, and each diagonal link between two cells
 * exists with probability 1/2, so a cell has 4 to 8 neighbours. */
void sim_grid_build(struct sim_grid *g, unsigned int n, uint64_t seed);
/* Hops between two cells on the torus (Manhattan), and the centre cell. */
unsigned int sim_grid_dist(const struct sim_grid *g, unsigned int a, unsigned int b);
unsigned int sim_grid_centre(const struct sim_grid *g);

/* One MH's walk: its random stream, where it starts, how long it stays
 * (exponential, mean dwell_ms), where it goes next. */
uint64_t sim_walk_seed(uint64_t seed, unsigned int mh);
unsigned int sim_walk_start(uint64_t *rng, unsigned int n_cells);
uint64_t sim_walk_dwell_ns(uint64_t *rng, unsigned int dwell_ms);
unsigned int sim_walk_next(uint64_t *rng, const struct sim_grid *g, unsigned int from);

#endif
