/* Helpers of the endpoint integration test (tests/ep/ep-bed.sh), run
 * inside a node's network namespace:
 *
 *   ep-tools tamper DEV EVERY PIN     attach tests/ep/ep_tamper.bpf.c at DEV's TC
 *                                     ingress (prio 1, before the bed's
 *                                     forwarder), pin its counters at PIN
 *   ep-tools tamper-stats PIN         print "esp z1 z2 hdr" */
#include <errno.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ep_tamper.skel.h"
#include "lib/log.h"
#include "lib/pin.h"

static int tamper(const char *dev, unsigned int every, const char *pin)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 0xe7, .priority = 1);
	struct ep_tamper *skel = ep_tamper__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->every = every;
	hook.ifindex = (int)if_nametoindex(dev);
	err = ep_tamper__load(skel);
	if (!err) {
		/* The bed's clsact is there already: say nothing about it. */
		bool quiet = mml_log_libbpf_quiet(true);

		err = bpf_tc_hook_create(&hook);
		mml_log_libbpf_quiet(quiet);
		if (err == -EEXIST)
			err = 0;
	}
	if (!err) {
		opts.prog_fd = bpf_program__fd(skel->progs.ep_tamper);
		err = bpf_tc_attach(&hook, &opts);
	}
	if (!err)
		err = bpf_map__pin(skel->maps.tamper_stats, pin);
	if (err)
		log_err("tamper on %s: %s", dev, strerror(-err));
	ep_tamper__destroy(skel);
	return err;
}

static int tamper_stats(const char *pin)
{
	char dir[256], name[256];
	__u64 v[4] = { 0 };
	int fd;

	snprintf(dir, sizeof(dir), "%s", pin);
	snprintf(name, sizeof(name), "%s", pin);
	fd = mml_pin_open_map(dirname(dir), basename(name), sizeof(__u32), sizeof(__u64));

	if (fd < 0)
		return fd;
	for (__u32 i = 0; i < 4; i++)
		bpf_map_lookup_elem(fd, &i, &v[i]);
	printf("%llu %llu %llu %llu\n", (unsigned long long)v[0], (unsigned long long)v[1],
	       (unsigned long long)v[2], (unsigned long long)v[3]);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int err = -EINVAL;

	mml_log_open("ep-tools", false, MML_LOG_INFO);
	mml_log_libbpf();
	if (argc == 5 && !strcmp(argv[1], "tamper"))
		err = tamper(argv[2], (unsigned int)strtoul(argv[3], NULL, 0), argv[4]);
	else if (argc == 3 && !strcmp(argv[1], "tamper-stats"))
		err = tamper_stats(argv[2]);
	else
		fprintf(stderr, "usage: see tests/netns/ep-tools.c\n");
	return err ? 1 : 0;
}
