/* The emulated wireless link's Poisson bit-error model (DESIGN.md 6): layouts
 * shared by tests/bed/bpf/link_ber.bpf.c and tests/bed/link_ber.c. One loaded instance models
 * one direction of one link; its maps are pinned together in one directory.
 *
 * The distance in bits from one bit error to the next is exponential with
 * mean 1/BER. Userspace tabulates the inverse CDF; the program picks a point
 * with bpf_get_prandom_u32() and interpolates linearly between knots. */
#ifndef MML_MAPS_LINK_BER_H
#define MML_MAPS_LINK_BER_H

#include "maps/types.h"

/* Knots of the inverse CDF: gap[i] = F^-1(i / N) for i < N, gap[N] closes
 * the last (unbounded) cell so that its mean is exact. N is a power of two;
 * the top log2(N) bits of a random word pick the cell, the rest interpolate. */
#define MML_BER_TABLE_BITS 12
#define MML_BER_TABLE_CELLS (1U << MML_BER_TABLE_BITS)
#define MML_BER_FRAC_BITS (32 - MML_BER_TABLE_BITS)

/* Smallest non-zero BER accepted: keeps every gap below 2^44 bits so that the
 * interpolation product fits in 64 bits. */
#define MML_BER_MIN 1e-12

/* Pinned map names (under the instance's pin directory). */
#define MML_BER_MAP_CFG "ber_cfg"     /* array[1] of struct mml_ber_cfg, written by userspace */
#define MML_BER_MAP_STATE "ber_state" /* per-CPU array[1] of struct mml_ber_state, BPF only */
#define MML_BER_MAP_STATS "ber_stats" /* per-CPU array[1] of struct mml_ber_stats, BPF writes */

struct mml_ber_cfg {
	__u32 enabled;			    /* 0: BER 0, every frame passes */
	__u32 generation;		    /* bumped on every change; CPUs redraw their gap */
	__u64 ber_e18;			    /* BER x 1e18, for display (bpftool map dump) */
	__u64 mean_gap_bits;		    /* 1/BER, for display */
	__u64 gap[MML_BER_TABLE_CELLS + 1]; /* inverse-CDF knots, bits */
};

/* Per CPU: bits left until the next bit error. The exponential distribution
 * is memoryless, so each CPU may run its own error process. */
struct mml_ber_state {
	__u32 generation;
	__u32 pad;
	__u64 bits_to_error;
};

struct mml_ber_stats {
	__u64 frames_passed;
	__u64 bytes_passed;
	__u64 frames_lost;
	__u64 bytes_lost;
};

MML_STATIC_ASSERT(__builtin_offsetof(struct mml_ber_cfg, gap) == 24, "mml_ber_cfg layout");
MML_STATIC_ASSERT(sizeof(struct mml_ber_cfg) == 24 + 8 * (MML_BER_TABLE_CELLS + 1),
		  "mml_ber_cfg size");
MML_STATIC_ASSERT(sizeof(struct mml_ber_state) == 16, "mml_ber_state layout");
MML_STATIC_ASSERT(sizeof(struct mml_ber_stats) == 32, "mml_ber_stats layout");

#endif
