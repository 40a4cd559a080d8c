/* The cells, their neighbour graph and the MHs' walk (sim_grid.h). */
#include <math.h>
#include <string.h>

#include "sim/handoff/sim_grid.h"

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void link_cells(struct sim_grid *g, unsigned int a, unsigned int b)
{
	g->nbr[a][g->n_nbr[a]++] = (uint16_t)b;
	g->nbr[b][g->n_nbr[b]++] = (uint16_t)a;
}

void sim_grid_build(struct sim_grid *g, unsigned int n, uint64_t seed)
{
	unsigned int s = 1;
	uint64_t rng = seed ? seed : 1;

	while (s * s < n)
		s++;
	memset(g, 0, sizeof(*g));
	g->side = s;
	g->n = n;
	for (unsigned int y = 0; y < s; y++)
		for (unsigned int x = 0; x < s; x++) {
			unsigned int c = y * s + x;

			link_cells(g, c, y * s + (x + 1) % s);
			link_cells(g, c, ((y + 1) % s) * s + x);
			if (xorshift(&rng) & 1)
				link_cells(g, c, ((y + 1) % s) * s + (x + 1) % s);
			if (xorshift(&rng) & 1)
				link_cells(g, c, ((y + 1) % s) * s + (x + s - 1) % s);
		}
}

static unsigned int ring(const struct sim_grid *g, unsigned int a, unsigned int b)
{
	unsigned int d = a > b ? a - b : b - a;

	return d < g->side - d ? d : g->side - d;
}

unsigned int sim_grid_dist(const struct sim_grid *g, unsigned int a, unsigned int b)
{
	return ring(g, a % g->side, b % g->side) + ring(g, a / g->side, b / g->side);
}

unsigned int sim_grid_centre(const struct sim_grid *g)
{
	return (g->side / 2) * g->side + g->side / 2;
}

uint64_t sim_walk_seed(uint64_t seed, unsigned int mh)
{
	return (seed << 32 | mh) * 0x9E3779B97F4A7C15ULL | 1;
}

unsigned int sim_walk_start(uint64_t *rng, unsigned int n_cells)
{
	return (unsigned int)(xorshift(rng) % n_cells);
}

uint64_t sim_walk_dwell_ns(uint64_t *rng, unsigned int dwell_ms)
{
	double u = ((double)(xorshift(rng) >> 11) + 1.0) / 9007199254740993.0;

	return (uint64_t)(-log(u) * dwell_ms * 1e6);
}

unsigned int sim_walk_next(uint64_t *rng, const struct sim_grid *g, unsigned int from)
{
	return g->nbr[from][xorshift(rng) % g->n_nbr[from]];
}
