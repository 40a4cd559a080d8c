/* Capture at the FA (issue 22): tcpdump on an FA's interfaces never sees
 * the frames its XDP programs redirect, so the programs copy them out
 * themselves when asked (bpf/capture.h), with where they were taken and
 * the verdict; `mmlctl fa capture` writes them as pcapng. */
#ifndef MML_MAPS_CAPTURE_H
#define MML_MAPS_CAPTURE_H

#include "maps/types.h"

/* Where a frame is taken (bits of mml_capture_cfg.at). */
enum mml_capture_at {
	MML_CAPTURE_ENTRY = 1, /* as the program got it */
	MML_CAPTURE_EXIT = 2,  /* as it leaves, with the verdict */
};

#define MML_CAPTURE_SNAPLEN_MAX 2048

/* Map mml_capture_cfg (array, one entry): at = 0 is off, the programs'
 * only cost then one lookup and a test per packet. Written by mmlctl. */
struct mml_capture_cfg {
	__u32 at;      /* enum mml_capture_at bits; 0 = off */
	__u32 snaplen; /* bytes of each frame, at most MML_CAPTURE_SNAPLEN_MAX */
};

/* What precedes each frame in mml_capture (a perf event array, one ring
 * per CPU: bpf_xdp_output copies the frame after this record). */
struct mml_capture_rec {
	__u64 ts_ns;   /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u32 ifindex; /* the interface the frame came in on */
	__u32 len;     /* the frame's length; caplen bytes follow */
	__u32 caplen;
	__u8 at;       /* MML_CAPTURE_ENTRY or _EXIT */
	__u8 prog;     /* enum mml_fa_dir: mml_fa_down or mml_fa_up */
	__u16 verdict; /* at exit: XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, ... */
};

MML_STATIC_ASSERT(sizeof(struct mml_capture_cfg) == 8, "mml_capture_cfg layout");
MML_STATIC_ASSERT(sizeof(struct mml_capture_rec) == 24, "mml_capture_rec layout");

#endif
