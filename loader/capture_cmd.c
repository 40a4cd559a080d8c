/* mmlctl fa capture: the frames an FA's XDP programs see, written as pcapng
 * (issue 22). tcpdump on an FA's interfaces never sees what XDP redirects,
 * and xdpdump cannot attach beside the node's programs; so the programs
 * copy frames out themselves when mml_capture_cfg says so (bpf/capture.h),
 * at entry, at exit with the verdict, or both, through a perf ring per
 * CPU. This command switches that on, writes what comes until COUNT
 * frames, SECONDS or a signal, and always switches it off again. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/log.h"
#include "loader/ctl.h"
#include "loader/pcapng.h"
#include "maps/capture.h"
#include "maps/fa.h"
#include "maps/pin.h"

#define RING_PAGES 64 /* per CPU */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct capture {
	struct pcapng out;
	uint64_t realtime_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t frames, lost, count;
	int err;
};

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *verdict_name(unsigned int v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct capture *c = ctx;
	struct mml_capture_rec r;
	const char *prog;
	char comment[96];
	int err;

	if (c->err || (c->count && c->frames >= c->count))
		return;
	/* A perf sample is 4-byte aligned only: the record is copied. */
	if (size < sizeof(r)) {
		c->lost++;
		return;
	}
	memcpy(&r, data, sizeof(r));
	if (r.caplen > size - sizeof(r)) {
		c->lost++;
		return;
	}
	prog = r.prog == MML_FA_DOWN ? "mml_fa_down" : "mml_fa_up";
	if (r.at == MML_CAPTURE_ENTRY)
		snprintf(comment, sizeof(comment), "entry %s", prog);
	else
		snprintf(comment, sizeof(comment), "exit %s %s", prog, verdict_name(r.verdict));
	err = pcapng_frame(&c->out, r.ifindex, r.ts_ns + c->realtime_off,
			   (const uint8_t *)data + sizeof(r), r.caplen, r.len, comment);
	if (err) {
		c->err = err;
		return;
	}
	c->frames++;
}

static void on_lost(void *ctx, int cpu, __u64 n)
{
	((struct capture *)ctx)->lost += n;
}

static int set_cfg(int fd, const struct mml_capture_cfg *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, cfg, BPF_ANY) ? -errno : 0;
}

static int capture_run(int cfg_fd, int ring_fd, const struct mml_capture_cfg *cfg, uint32_t seconds,
		       struct capture *c)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct mml_capture_cfg off = { 0 };
	uint64_t until = seconds ? clock_ns(CLOCK_MONOTONIC) + seconds * 1000000000ull : 0;
	struct perf_buffer *pb;
	int err;

	pb = perf_buffer__new(ring_fd, RING_PAGES, on_sample, on_lost, c, NULL);
	if (!pb)
		return -errno;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	err = set_cfg(cfg_fd, cfg);
	while (!err && !stop && !c->err && (!c->count || c->frames < c->count) &&
	       (!until || clock_ns(CLOCK_MONOTONIC) < until)) {
		err = perf_buffer__poll(pb, 100);
		err = err < 0 && err != -EINTR ? err : 0;
	}
	/* Off before the last read: nothing is copied for no reader. */
	set_cfg(cfg_fd, &off);
	if (!err)
		perf_buffer__consume(pb);
	perf_buffer__free(pb);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return err ? err : c->err;
}

int ctl_fa_capture(struct ctl *ctl, int argc, char **argv)
{
	static const char *const ats[] = { "entry", "exit", "both", NULL };
	const char *file = NULL;
	int at = 2, cfg_fd = -1, ring_fd = -1, err;
	uint32_t snaplen = 256, seconds = 0, zero = 0;
	uint64_t count = 0;
	bool force = false;
	struct mml_opt opts[] = {
		{ "-w", MML_OPT_STR, &file, NULL, false, false },
		{ "--at", MML_OPT_CHOICE, &at, ats, false, false },
		{ "-c", MML_OPT_U64, &count, NULL, false, false },
		{ "-t", MML_OPT_U32, &seconds, NULL, false, false },
		{ "snaplen", MML_OPT_U32, &snaplen, NULL, false, false },
		{ "force", MML_OPT_FLAG, &force, NULL, false, false },
	};
	struct mml_capture_cfg cfg, now;
	static struct capture c;
	json_object *o;

	err = mml_opts_parse("fa capture", argc, argv, opts, sizeof(opts) / sizeof(opts[0]));
	if (err)
		return err;
	if (!file || !snaplen || snaplen > MML_CAPTURE_SNAPLEN_MAX) {
		log_err("fa capture: -w FILE is required, snaplen 1..%d", MML_CAPTURE_SNAPLEN_MAX);
		return -EINVAL;
	}
	cfg = (struct mml_capture_cfg){ .at = (__u32)at + 1, .snaplen = snaplen };
	cfg_fd = ctl_open_map(ctl, MML_MAP_CAPTURE_CFG, sizeof(__u32), sizeof(cfg));
	if (cfg_fd < 0)
		return cfg_fd;
	ring_fd = ctl_open_map(ctl, MML_MAP_CAPTURE, sizeof(__u32), sizeof(__u32));
	if (ring_fd < 0) {
		err = ring_fd;
		goto out;
	}
	/* One reader at a time: a second would take frames from the first. */
	if (!bpf_map_lookup_elem(cfg_fd, &zero, &now) && now.at && !force) {
		log_err("fa capture: a capture runs on this node already (force takes it over)");
		err = -EBUSY;
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.count = count;
	c.realtime_off = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	err = pcapng_open(&c.out, file, snaplen);
	if (!err)
		err = capture_run(cfg_fd, ring_fd, &cfg, seconds, &c);
	if (c.out.f && pcapng_close(&c.out) && !err)
		err = -EIO;
	if (err) {
		log_err("fa capture: %s: %s", file, strerror(-err));
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "frames", json_object_new_uint64(c.frames));
	json_object_object_add(o, "lost", json_object_new_uint64(c.lost));
	ctl_print(ctl, o);
out:
	if (ring_fd >= 0)
		close(ring_fd);
	close(cfg_fd);
	return err;
}
