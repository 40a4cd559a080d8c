/* Poisson bit-error model of the emulated wireless link, shared by the TC and
 * XDP entry points of link_ber.bpf.c. A frame is lost iff a bit error falls
 * inside its bits; the counters say how many frames and bytes passed and were
 * lost. Layouts and the table format: tests/bed/maps/link_ber.h. */
#ifndef MML_BPF_LINK_BER_H
#define MML_BPF_LINK_BER_H

#include "tests/bed/maps/link_ber.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mml_ber_cfg);
} ber_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mml_ber_state);
} ber_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mml_ber_stats);
} ber_stats SEC(".maps");

/* Distance to the next bit error: a uniform point of the inverse CDF, linear
 * between the two knots around it. */
static __always_inline __u64 ber_draw_gap(const struct mml_ber_cfg *cfg)
{
	__u32 r = bpf_get_prandom_u32();
	__u32 cell = r >> MML_BER_FRAC_BITS;
	__u64 frac = r & ((1U << MML_BER_FRAC_BITS) - 1);
	__u64 lo, hi;

	if (cell >= MML_BER_TABLE_CELLS)
		return 0;
	lo = cfg->gap[cell];
	hi = cfg->gap[cell + 1];
	if (hi < lo)
		return lo;
	return lo + (((hi - lo) * frac) >> MML_BER_FRAC_BITS);
}

/* Returns true if the frame of frame_len bytes survives. After a lost frame
 * the next gap is drawn afresh from the frame's end: the exponential
 * distribution is memoryless, so this equals continuing the error process
 * through the rest of the frame. */
static __always_inline bool ber_frame_survives(__u32 frame_len)
{
	__u32 key = 0;
	const struct mml_ber_cfg *cfg = bpf_map_lookup_elem(&ber_cfg, &key);
	struct mml_ber_state *st = bpf_map_lookup_elem(&ber_state, &key);
	struct mml_ber_stats *stats = bpf_map_lookup_elem(&ber_stats, &key);
	__u64 bits = (__u64)frame_len * 8;
	bool survives = true;

	if (!cfg || !st || !stats)
		return true;
	if (cfg->enabled) {
		if (st->generation != cfg->generation) {
			st->generation = cfg->generation;
			st->bits_to_error = ber_draw_gap(cfg);
		}
		if (st->bits_to_error >= bits) {
			st->bits_to_error -= bits;
		} else {
			st->bits_to_error = ber_draw_gap(cfg);
			survives = false;
		}
	}
	if (survives) {
		stats->frames_passed++;
		stats->bytes_passed += frame_len;
	} else {
		stats->frames_lost++;
		stats->bytes_lost += frame_len;
	}
	return survives;
}

#endif
