/* The FA programs' own capture (maps/capture.h): off unless mmlctl fa
 * capture runs; then each frame at entry and/or exit, up to snaplen bytes,
 * goes to the perf ring of the CPU that handled it (bpf_perf_event_output
 * with the frame length in the flags: XDP's copy of packet data). */
#ifndef MML_BPF_CAPTURE_H
#define MML_BPF_CAPTURE_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "maps/capture.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mml_capture_cfg);
} mml_capture_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} mml_capture SEC(".maps");

static __always_inline void fa_capture(struct xdp_md *ctx, __u8 at, __u8 prog, int verdict)
{
	__u32 zero = 0, len = ctx->data_end - ctx->data, caplen;
	const struct mml_capture_cfg *cfg = bpf_map_lookup_elem(&mml_capture_cfg, &zero);
	struct mml_capture_rec rec;

	if (!cfg || !(cfg->at & at))
		return;
	caplen = cfg->snaplen < len ? cfg->snaplen : len;
	if (caplen > MML_CAPTURE_SNAPLEN_MAX)
		caplen = MML_CAPTURE_SNAPLEN_MAX;
	rec = (struct mml_capture_rec){ .ts_ns = bpf_ktime_get_ns(),
					.ifindex = ctx->ingress_ifindex,
					.len = len,
					.caplen = caplen,
					.at = at,
					.prog = prog,
					.verdict = (__u16)verdict };
	/* A full ring or no reader on this CPU loses the copy, never the
	 * frame. */
	bpf_perf_event_output(ctx, &mml_capture, BPF_F_CURRENT_CPU | ((__u64)caplen << 32), &rec,
			      sizeof(rec));
}

#endif
