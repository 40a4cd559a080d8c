/* mml-xfer: a file transfer over one TCP connection with a SHA-256 of what was
 * sent and what was received, for tests, experiments and the demo.
 *
 *   mml-xfer recv [-b ADDR] [-p PORT] [-o FILE] [-t IDLE_S] [-W RCVBUF] [-g GAPLOG]
 *   mml-xfer send -c ADDR [-p PORT] (-n BYTES [-s SEED] | -f FILE) [-w SNDBUF]
 *                 [-C CC] [-R RETRY_S] [-t IDLE_S]
 *
 * The receiver accepts one connection, reads to EOF and prints
 *   bytes=N seconds=S goodput_bps=G sha256=HEX
 * where seconds runs from accept to EOF (the paper's FTP throughput: file
 * size over transfer time). The sender sends BYTES of a pseudo-random stream
 * (SEED) or a FILE, half-closes, waits for the receiver to close (so that
 * every byte was delivered) and prints bytes=N seconds=S sha256=HEX. Both
 * exit 1 on any error, including an idle timeout. The sender retries the
 * connect for RETRY_S seconds, so it may start before the receiver.
 * GAPLOG gets a line "TIME BYTES GAP" for the first read and for each read
 * more than GAP_MIN_S after the one before it: the wall-clock time (the
 * test bed's event log uses the same clock, so a gap can be set against a
 * handoff), the bytes received before this read, and the silence in seconds. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/log.h"

#define CHUNK 65536
#define GAP_MIN_S 0.002

struct opts {
	const char *addr;
	unsigned int port;
	const char *file, *gaplog;
	unsigned long long bytes;
	unsigned long long seed;
	int sndbuf, rcvbuf;
	const char *cc;
	int idle_s, retry_s;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hex(const unsigned char *in, unsigned int len, char *out)
{
	for (unsigned int i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

/* xorshift64*: a reproducible stream, so the receiver's hash can be checked
 * against the sender's without a file on either side. */
static void fill_stream(unsigned char *buf, size_t len, uint64_t *state)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = *state;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*state = x;
		x *= 0x2545f4914f6cdd1dULL;
		memcpy(buf + i, &x, len - i < 8 ? len - i : 8);
	}
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line of the gap log per silence longer than GAP_MIN_S (see above). */
static void gap_note(FILE *f, double *last, unsigned long long total)
{
	double t = wall_s();

	if (f && (!*last || t - *last > GAP_MIN_S))
		fprintf(f, "%.6f %llu %.6f\n", t, total, *last ? t - *last : 0);
	*last = t;
}

/* Wait until fd is ready or idle_s passes; -ETIMEDOUT on silence. */
static int wait_fd(int fd, short events, int idle_s)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, idle_s * 1000);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int set_bufs(int fd, const struct opts *o)
{
	if (o->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof(o->sndbuf)))
		return -errno;
	if (o->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof(o->rcvbuf)))
		return -errno;
	if (o->cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc, (socklen_t)strlen(o->cc)))
		return -errno;
	return 0;
}

static int parse_addr(const char *addr, unsigned int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		log_err("xfer: \"%s\" is not an IPv4 address", addr);
		return -EINVAL;
	}
	return 0;
}

static int accept_one(const struct opts *o)
{
	struct sockaddr_in sa;
	int one = 1, lfd, fd = -1, err;

	err = parse_addr(o->addr ? o->addr : "0.0.0.0", o->port, &sa);
	if (err)
		return err;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Set before listen so the window scale offered in the SYN-ACK fits. */
	err = set_bufs(lfd, o);
	if (!err && (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)))
		err = -errno;
	if (!err)
		err = wait_fd(lfd, POLLIN, o->idle_s);
	if (!err) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			err = -errno;
	}
	close(lfd);
	if (err)
		log_err("xfer: cannot accept on port %u: %s", o->port, strerror(-err));
	return err ? err : fd;
}

static int do_recv(const struct opts *o)
{
	unsigned char *buf = malloc(CHUNK), md[EVP_MAX_MD_SIZE];
	char md_hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned long long total = 0;
	unsigned int md_len = 0;
	FILE *out = NULL, *gaps = NULL;
	int fd = -1, err = 0;
	double start, last = 0;

	if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err = -ENOMEM;
		goto out;
	}
	if (o->file && !(out = fopen(o->file, "wb"))) {
		err = -errno;
		log_err("xfer: cannot write %s: %s", o->file, strerror(-err));
		goto out;
	}
	if (o->gaplog && !(gaps = fopen(o->gaplog, "w"))) {
		err = -errno;
		log_err("xfer: cannot write %s: %s", o->gaplog, strerror(-err));
		goto out;
	}
	fd = accept_one(o);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	start = now_s();
	for (;;) {
		ssize_t n;

		err = wait_fd(fd, POLLIN, o->idle_s);
		if (err)
			break;
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		gap_note(gaps, &last, total);
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		if (out && fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			err = -EIO;
			break;
		}
		total += (unsigned long long)n;
	}
	if (err) {
		log_err("xfer: receive failed after %llu bytes: %s", total, strerror(-err));
		goto out;
	}
	double secs = now_s() - start;

	EVP_DigestFinal_ex(ctx, md, &md_len);
	hex(md, md_len, md_hex);
	printf("bytes=%llu seconds=%.6f goodput_bps=%.0f sha256=%s\n", total, secs,
	       secs > 0 ? (double)total * 8 / secs : 0, md_hex);
out:
	if (fd >= 0)
		close(fd);
	if (out && fclose(out) && !err)
		err = -EIO;
	if (gaps && fclose(gaps) && !err)
		err = -EIO;
	EVP_MD_CTX_free(ctx);
	free(buf);
	return err;
}

static int connect_retry(const struct opts *o)
{
	double deadline = now_s() + o->retry_s;
	struct sockaddr_in sa;
	int fd, err = parse_addr(o->addr, o->port, &sa);

	if (err)
		return err;
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		err = set_bufs(fd, o);
		if (!err && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		err = err ? err : -errno;
		close(fd);
		if ((err != -ECONNREFUSED && err != -ENETUNREACH) || now_s() > deadline)
			break;
		usleep(50000);
	}
	log_err("xfer: cannot connect to %s port %u: %s", o->addr, o->port, strerror(-err));
	return err;
}

static int write_all(int fd, const unsigned char *buf, size_t len, int idle_s)
{
	while (len) {
		ssize_t n;
		int err = wait_fd(fd, POLLOUT, idle_s);

		if (err)
			return err;
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* After the half-close, the receiver closes once it has read everything. */
static int wait_peer_close(int fd, int idle_s)
{
	char c;

	for (;;) {
		int err = wait_fd(fd, POLLIN, idle_s);
		ssize_t n;

		if (err)
			return err;
		n = read(fd, &c, 1);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int do_send(const struct opts *o)
{
	unsigned char *buf = malloc(CHUNK), md[EVP_MAX_MD_SIZE];
	char md_hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned long long total = 0;
	uint64_t state = o->seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned int md_len = 0;
	FILE *in = NULL;
	int fd = -1, err = 0;
	double start;

	if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err = -ENOMEM;
		goto out;
	}
	if (o->file && !(in = fopen(o->file, "rb"))) {
		err = -errno;
		log_err("xfer: cannot read %s: %s", o->file, strerror(-err));
		goto out;
	}
	fd = connect_retry(o);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	start = now_s();
	for (;;) {
		size_t n = CHUNK;

		if (in) {
			n = fread(buf, 1, CHUNK, in);
		} else {
			if (total + n > o->bytes)
				n = (size_t)(o->bytes - total);
			fill_stream(buf, n, &state);
		}
		if (!n)
			break;
		EVP_DigestUpdate(ctx, buf, n);
		err = write_all(fd, buf, n, o->idle_s);
		if (err)
			break;
		total += n;
	}
	if (!err && shutdown(fd, SHUT_WR))
		err = -errno;
	if (!err)
		err = wait_peer_close(fd, o->idle_s);
	if (err) {
		log_err("xfer: send failed after %llu bytes: %s", total, strerror(-err));
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &md_len);
	hex(md, md_len, md_hex);
	printf("bytes=%llu seconds=%.6f sha256=%s\n", total, now_s() - start, md_hex);
out:
	if (fd >= 0)
		close(fd);
	if (in)
		fclose(in);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return err;
}

static int parse_num(const char *text, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(text, &end, 10);
	if (errno || end == text || *end || *v > max) {
		log_err("xfer: \"%s\": expected a number up to %llu", text, max);
		return -EINVAL;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mml-xfer recv [-b ADDR] [-p PORT] [-o FILE] [-t IDLE_S] [-W RCVBUF] "
		   "[-g GAPLOG]\n"
		   "       mml-xfer send -c ADDR [-p PORT] (-n BYTES [-s SEED] | -f FILE) "
		   "[-w SNDBUF] [-C CC] [-R RETRY_S] [-t IDLE_S]\n");
}

static int parse_opts(int argc, char **argv, bool sending, struct opts *o)
{
	unsigned long long v;
	int opt;

	while ((opt = getopt(argc, argv, sending ? "c:p:n:s:f:w:C:R:t:" : "b:p:o:t:W:g:")) != -1) {
		int err = 0;

		switch (opt) {
		case 'b':
		case 'c':
			o->addr = optarg;
			break;
		case 'o':
		case 'f':
			o->file = optarg;
			break;
		case 'g':
			o->gaplog = optarg;
			break;
		case 'C':
			o->cc = optarg;
			break;
		case 'p':
			err = parse_num(optarg, 65535, &v);
			o->port = (unsigned int)v;
			break;
		case 'n':
			err = parse_num(optarg, 1ULL << 40, &o->bytes);
			break;
		case 's':
			err = parse_num(optarg, UINT64_MAX, &o->seed);
			break;
		case 'w':
		case 'W':
			err = parse_num(optarg, 1 << 28, &v);
			*(opt == 'w' ? &o->sndbuf : &o->rcvbuf) = (int)v;
			break;
		case 'R':
		case 't':
			err = parse_num(optarg, 86400, &v);
			*(opt == 'R' ? &o->retry_s : &o->idle_s) = (int)v;
			break;
		default:
			err = -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind != argc || (sending && (!o->addr || (!o->file == !o->bytes)))) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = 5001, .idle_s = 60, .retry_s = 5 };
	bool sending;

	if (argc < 2 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv"))) {
		usage(stderr);
		return 2;
	}
	sending = !strcmp(argv[1], "send");
	if (parse_opts(argc - 1, argv + 1, sending, &o))
		return 2;
	return (sending ? do_send(&o) : do_recv(&o)) ? 1 : 0;
}
