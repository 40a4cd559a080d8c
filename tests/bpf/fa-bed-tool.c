/* The helper of tests/bpf/fa-bed.sh (FA1's data plane on the shared test
 * bed), run inside the bed's nodes:
 *
 *   fa-bed-tool plan down|up KEYDIR DST-MAC SRC-MAC MANIFEST
 *       the frames of one direction (fa-bed-plan.c) into MANIFEST
 *   fa-bed-tool send DEV MANIFEST
 *       every frame of MANIFEST out of DEV (AF_PACKET), in order
 *   fa-bed-tool recv down|up DEV MANIFEST CAPTURE READY [TIMEOUT-MS]
 *       every IPv4 frame arriving at DEV into CAPTURE (hex, one a line);
 *       creates READY once listening; stops GRACE_MS after the last packet
 *       MANIFEST expects has arrived, or at the timeout (default 10 s)
 *   fa-bed-tool check down|up MANIFEST CAPTURE BEFORE AFTER DST-MAC SRC-MAC
 *       PASS/FAIL lines (fa-bed-check.c); exit status 1 on any FAIL
 *
 * AF_PACKET on both ends: the frames leave and arrive exactly as built and
 * received, and a forged or truncated frame is not repaired by a stack. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "tests/bpf/fa-bed.h"

#define GRACE_MS 500	/* after the last expected packet: room for strays */
#define SEND_GAP_US 200 /* between frames: no burst for the veth rings */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_dir(const char *s, enum bed_dir *dir)
{
	if (!strcmp(s, "down"))
		*dir = BED_DOWN;
	else if (!strcmp(s, "up"))
		*dir = BED_UP;
	else
		return -EINVAL;
	return 0;
}

static int parse_link(const char *dst, const char *src, struct bed_link *link)
{
	if (bed_parse_mac(dst, link->dst) || bed_parse_mac(src, link->src)) {
		fprintf(stderr, "fa-bed-tool: bad MAC address \"%s\" or \"%s\"\n", dst, src);
		return -EINVAL;
	}
	return 0;
}

/* An AF_PACKET socket bound to dev; protocol ETH_P_ALL to receive, 0 to
 * only send. Bound before it takes any protocol, so that it never queues a
 * frame of another interface. */
static int packet_socket(const char *dev, uint16_t proto)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(proto) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = sll.sll_ifindex ? -errno : -ENODEV;

		close(fd);
		fprintf(stderr, "fa-bed-tool: %s: %s\n", dev, strerror(-err));
		return err;
	}
	return fd;
}

static int cmd_plan(char **argv)
{
	struct bed_plan p = { 0 };
	struct bed_link link;
	enum bed_dir dir;
	int err;

	err = parse_dir(argv[0], &dir);
	if (!err)
		err = parse_link(argv[2], argv[3], &link);
	if (!err)
		err = bed_plan_build(&p, dir, argv[1], &link);
	if (!err)
		err = bed_manifest_write(&p, argv[4]);
	if (err)
		fprintf(stderr, "fa-bed-tool plan: %s\n", strerror(-err));
	else
		printf("%zu frames\n", p.n);
	bed_plan_free(&p);
	return err;
}

static int cmd_send(char **argv)
{
	struct bed_plan p = { 0 };
	int fd = -1, err;

	err = bed_manifest_read(&p, argv[1]);
	if (err)
		goto out;
	fd = packet_socket(argv[0], 0);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (send(fd, p.pkt[i].frame, p.pkt[i].frame_len, 0) !=
		    (ssize_t)p.pkt[i].frame_len) {
			err = -errno;
			fprintf(stderr, "fa-bed-tool send: frame id 0x%04x: %s\n", p.pkt[i].id,
				strerror(errno));
			goto out;
		}
		usleep(SEND_GAP_US);
	}
	printf("%zu frames sent\n", p.n);
out:
	if (fd >= 0)
		close(fd);
	bed_plan_free(&p);
	return err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does the frame carry one of the packets the plan expects, not seen yet?
 * (Only to know when to stop; `check` judges.) */
static bool expected_arrival(const struct bed_plan *p, bool *seen, enum bed_dir dir,
			     const uint8_t *f, size_t len)
{
	size_t off = ETH_LEN;

	if (dir == BED_UP) {
		if (len < ETH_LEN + IP_LEN || f[ETH_LEN + 9] != 4)
			return false;
		off += (size_t)(f[ETH_LEN] & 0xf) * 4;
	}
	for (size_t i = 0; i < p->n && len >= off; i++) {
		const struct bed_pkt *k = &p->pkt[i];

		if (k->expect == BED_DELIVER && !seen[i] && k->arrive_len == len - off &&
		    !memcmp(k->arrive, f + off, k->arrive_len)) {
			seen[i] = true;
			return true;
		}
	}
	return false;
}

static int capture(int fd, FILE *out, const struct bed_plan *p, enum bed_dir dir,
		   long long timeout_ms)
{
	size_t want = 0, got = 0, frames = 0;
	long long start = now_ms(), end = start + timeout_ms;
	uint8_t buf[FRAME_MAX];
	char hex[2 * FRAME_MAX + 1];
	bool *seen = calloc(p->n ? p->n : 1, sizeof(*seen));

	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		want += p->pkt[i].expect == BED_DELIVER;
	while (!stop && now_ms() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 0 || from.sll_pkttype == PACKET_OUTGOING || (size_t)n > sizeof(buf) ||
		    n < ETH_LEN || get_be16(buf + 12) != ETH_P_IP)
			continue;
		bed_hex(buf, (size_t)n, hex);
		fprintf(out, "%s\n", hex);
		fflush(out);
		frames++;
		if (expected_arrival(p, seen, dir, buf, (size_t)n) && ++got == want)
			end = now_ms() + GRACE_MS;
	}
	fprintf(stderr, "fa-bed-tool recv: %zu IPv4 frames, %zu/%zu expected packets, %.1f s\n",
		frames, got, want, (double)(now_ms() - start) / 1000);
	free(seen);
	return 0;
}

static int cmd_recv(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long long timeout_ms = argc > 5 ? atoll(argv[5]) : 10000;
	struct bed_plan p = { 0 };
	enum bed_dir dir;
	FILE *out = NULL;
	int fd = -1, err, ready;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	err = parse_dir(argv[0], &dir);
	if (!err)
		err = bed_manifest_read(&p, argv[2]);
	if (err)
		goto out;
	out = fopen(argv[3], "we");
	fd = packet_socket(argv[1], ETH_P_ALL);
	if (!out || fd < 0) {
		err = fd < 0 ? fd : -errno;
		goto out;
	}
	ready = open(argv[4], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (ready < 0) {
		err = -errno;
		goto out;
	}
	close(ready);
	err = capture(fd, out, &p, dir, timeout_ms);
out:
	if (err)
		fprintf(stderr, "fa-bed-tool recv: %s\n", strerror(-err));
	if (fd >= 0)
		close(fd);
	if (out)
		fclose(out);
	bed_plan_free(&p);
	return err;
}

static int cmd_check(char **argv)
{
	struct bed_plan p = { 0 };
	struct bed_link want;
	enum bed_dir dir;
	int err;

	err = parse_dir(argv[0], &dir);
	if (!err)
		err = parse_link(argv[5], argv[6], &want);
	if (!err)
		err = bed_manifest_read(&p, argv[1]);
	if (err) {
		fprintf(stderr, "fa-bed-tool check: %s\n", strerror(-err));
		bed_plan_free(&p);
		return err;
	}
	err = bed_check(dir, &p, argv[2], argv[3], argv[4], &want);
	bed_plan_free(&p);
	return err ? -EPROTO : 0;
}

int main(int argc, char **argv)
{
	int err = -EINVAL;

	mml_log_open("fa-bed-tool", false, MML_LOG_INFO);
	if (argc == 7 && !strcmp(argv[1], "plan"))
		err = cmd_plan(argv + 2);
	else if (argc == 4 && !strcmp(argv[1], "send"))
		err = cmd_send(argv + 2);
	else if ((argc == 7 || argc == 8) && !strcmp(argv[1], "recv"))
		err = cmd_recv(argc - 2, argv + 2);
	else if (argc == 9 && !strcmp(argv[1], "check"))
		err = cmd_check(argv + 2);
	else
		fprintf(stderr, "usage: see tests/bpf/fa-bed-tool.c\n");
	return err ? 1 : 0;
}
