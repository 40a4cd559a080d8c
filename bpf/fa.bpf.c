/* Foreign Agent XDP programs: mml_fa_down on the wired interface (HA side),
 * mml_fa_up on the wireless interfaces (MH side). The work is in fa.h; the
 * capture around it (bpf/capture.h) is off unless mmlctl fa capture runs. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "capture.h"
#include "fa.h"

SEC("xdp")
int mml_fa_down(struct xdp_md *ctx)
{
	int verdict;

	fa_capture(ctx, MML_CAPTURE_ENTRY, MML_FA_DOWN, 0);
	verdict = fa_down(ctx);
	fa_capture(ctx, MML_CAPTURE_EXIT, MML_FA_DOWN, verdict);
	return verdict;
}

SEC("xdp")
int mml_fa_up(struct xdp_md *ctx)
{
	int verdict;

	fa_capture(ctx, MML_CAPTURE_ENTRY, MML_FA_UP, 0);
	verdict = fa_up(ctx);
	fa_capture(ctx, MML_CAPTURE_EXIT, MML_FA_UP, verdict);
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
