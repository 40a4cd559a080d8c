/* mip-probe: a constant-rate UDP stream for measuring handoff outages.
 *
 *   mip-probe send -c ADDR -p PORT [-r PPS] [-t SECONDS]
 *   mip-probe recv -p PORT [-t SECONDS] [-g GAP_US]
 *
 * recv prints one line per outage, a pause longer than GAP_US (default 3x
 * the sender's interval is what the caller should pass):
 *   gap last_ns=<arrival before> next_ns=<arrival after> lost=<seq missing>
 * and at the end "packets=N". Times are CLOCK_BOOTTIME, the clock of
 * mmlkeyd's link-up timestamps, so the two can be compared. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int do_send(const char *addr, int port, unsigned int pps, unsigned int secs)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint64_t interval = 1000000000ULL / pps, next, end;
	struct timespec ts;
	uint8_t buf[64];
	uint64_t seq = 0;
	int fd;

	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	memset(buf, 0, sizeof(buf));
	next = now_ns();
	end = next + (uint64_t)secs * 1000000000ULL;
	while (next < end) {
		memcpy(buf, &seq, sizeof(seq));
		seq++;
		/* Losses during an outage are the point: ignore send errors. */
		sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to));
		next += interval;
		ts.tv_sec = (time_t)(next / 1000000000ULL);
		ts.tv_nsec = (long)(next % 1000000000ULL);
		clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL);
	}
	printf("sent=%llu\n", (unsigned long long)seq);
	close(fd);
	return 0;
}

static int do_recv(int port, unsigned int secs, uint64_t gap_ns)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint64_t last = 0, last_seq = 0, packets = 0, end, seq, t;
	uint8_t buf[64];
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return 1;
	end = now_ns() + (uint64_t)secs * 1000000000ULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (now_ns() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (recv(fd, buf, sizeof(buf), 0) < (ssize_t)sizeof(seq))
			continue;
		t = now_ns();
		memcpy(&seq, buf, sizeof(seq));
		if (packets && t - last > gap_ns)
			printf("gap last_ns=%llu next_ns=%llu lost=%lld\n",
			       (unsigned long long)last, (unsigned long long)t,
			       (long long)(seq - last_seq) - 1);
		last = t;
		last_seq = seq;
		packets++;
	}
	printf("packets=%llu\n", (unsigned long long)packets);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	unsigned int pps = 2000, secs = 10, gap_us = 2000;
	int port = 0, opt;

	if (argc < 2)
		goto usage;
	optind = 2;
	while ((opt = getopt(argc, argv, "c:p:r:t:g:")) != -1) {
		switch (opt) {
		case 'c':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'r':
			pps = (unsigned int)atoi(optarg);
			break;
		case 't':
			secs = (unsigned int)atoi(optarg);
			break;
		case 'g':
			gap_us = (unsigned int)atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || port > 65535 || !pps || pps > 1000000)
		goto usage;
	if (!strcmp(argv[1], "send") && addr)
		return do_send(addr, port, pps, secs);
	if (!strcmp(argv[1], "recv"))
		return do_recv(port, secs, (uint64_t)gap_us * 1000);
usage:
	fprintf(stderr, "usage: mip-probe send -c ADDR -p PORT [-r PPS] [-t SECONDS]\n"
			"       mip-probe recv -p PORT [-t SECONDS] [-g GAP_US]\n");
	return 2;
}
