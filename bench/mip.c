/* bench-mip: a synthetic Mobile IPv4 client that measures how many
 * registrations per second a home agent (mmlkeyd) processes. It keeps a
 * window of requests in flight for N mobile nodes, each request properly
 * authenticated (HMAC-MD5) with a fresh Identification and alternating
 * care-of addresses (so every registration moves a binding in
 * mml_binding), and counts the accepted replies.
 *
 *   bench-mip [-a HA_ADDR] [-n MOBILES] [-w WINDOW] [-t SECONDS] [-c CONFIG_OUT]
 *
 * -c writes the home agent's configuration for the same mobile nodes and
 * exits (bench/mip.sh does both). */
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

#include "bench/mip_mobiles.h"

struct mobile {
	uint32_t home;
	struct mip_key key;
	uint64_t ident;
	unsigned int round;
	uint64_t sent_ns;
};

static int send_request(int fd, const struct sockaddr_in *ha, struct mobile *m)
{
	uint8_t coa_bytes[2][4] = { { 10, 0, 2, 2 }, { 10, 0, 3, 2 } };
	struct mip_reg_request req = {
		.flags = MIP_REQ_T,
		.lifetime = 300,
		.home_addr = m->home,
		.ha_addr = ha->sin_addr.s_addr,
	};
	uint8_t buf[128];
	int len;

	memcpy(&req.coa, coa_bytes[m->round++ & 1], 4);
	len = bench_mip_sign_request(&m->key, &m->ident, &req, buf, sizeof(buf));
	if (len < 0)
		return len;
	m->sent_ns = bench_now_ns(CLOCK_MONOTONIC);
	return sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)ha, sizeof(*ha)) < 0 ?
		       -errno :
		       0;
}

struct bench_opts {
	const char *ha_str, *config_out;
	unsigned int n, window, secs;
	struct sockaddr_in ha;
};

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	int opt;

	while ((opt = getopt(argc, argv, "a:n:w:t:c:")) != -1) {
		switch (opt) {
		case 'a':
			o->ha_str = optarg;
			break;
		case 'n':
			o->n = (unsigned int)atoi(optarg);
			break;
		case 'w':
			o->window = (unsigned int)atoi(optarg);
			break;
		case 't':
			o->secs = (unsigned int)atoi(optarg);
			break;
		case 'c':
			o->config_out = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: bench-mip [-a HA] [-n MOBILES] [-w WINDOW] [-t SECONDS] "
				"[-c CONFIG_OUT]\n");
			return -EINVAL;
		}
	}
	if (!o->n || o->n > 60000 || !o->window || o->window > o->n ||
	    inet_pton(AF_INET, o->ha_str, &o->ha.sin_addr) != 1) {
		fprintf(stderr, "bench-mip: bad arguments\n");
		return -EINVAL;
	}
	return 0;
}

static struct mobile *mobiles_new(unsigned int n)
{
	struct mobile *mobiles = calloc(n, sizeof(*mobiles));

	for (unsigned int i = 0; mobiles && i < n; i++) {
		mobiles[i].home = bench_mip_home(i);
		if (bench_mip_key(i, &mobiles[i].key)) {
			free(mobiles);
			return NULL;
		}
	}
	return mobiles;
}

struct tally {
	unsigned int accepted, other, bad;
	uint64_t *lat;
	size_t n_lat, lat_cap;
};

/* One reply: counted, its round trip kept; returns the mobile's index or
 * -1 for a reply that is not one of ours. */
static int take_reply(int fd, struct mobile *mobiles, unsigned int n, struct tally *t)
{
	struct mip_reg_reply rep;
	struct mip_err err;
	uint8_t buf[256];
	ssize_t len;
	uint32_t idx;

	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0 || mip_parse_reply(buf, (size_t)len, &rep, &err)) {
		t->bad++;
		return -1;
	}
	idx = ntohl(rep.home_addr) - 0x0ac80001u;
	if (idx >= n || !rep.has_mh_auth ||
	    !mip_auth_verify(&mobiles[idx].key, buf, (size_t)len, &rep.mh_auth)) {
		t->bad++;
		return -1;
	}
	if (mip_code_accepted(rep.code))
		t->accepted++;
	else
		t->other++;
	if (t->n_lat < t->lat_cap)
		t->lat[t->n_lat++] = bench_now_ns(CLOCK_MONOTONIC) - mobiles[idx].sent_ns;
	return (int)idx;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .ha_str = "127.0.0.1",
				.n = 1000,
				.window = 32,
				.secs = 3,
				.ha = { .sin_family = AF_INET, .sin_port = htons(MIP_PORT) } };
	struct tally t = { .lat_cap = 1u << 22 };
	struct mobile *mobiles;
	uint64_t start, end;
	unsigned int next;
	int fd;

	if (parse_args(argc, argv, &o))
		return 2;
	if (o.config_out)
		return bench_mip_write_config(o.config_out, o.ha_str, o.n) ? 1 : 0;
	mobiles = mobiles_new(o.n);
	t.lat = malloc(t.lat_cap * sizeof(*t.lat));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!mobiles || !t.lat || fd < 0)
		return 1;
	/* Window: mobile i is in flight until its reply comes back. */
	for (unsigned int i = 0; i < o.window; i++)
		send_request(fd, &o.ha, &mobiles[i]);
	next = o.window % o.n;
	start = bench_now_ns(CLOCK_MONOTONIC);
	end = start + (uint64_t)o.secs * 1000000000ULL;
	while (bench_now_ns(CLOCK_MONOTONIC) < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 1000) <= 0) {
			fprintf(stderr, "bench-mip: no reply for 1 s (is mmlkeyd up?)\n");
			return 1;
		}
		if (take_reply(fd, mobiles, o.n, &t) < 0)
			continue;
		send_request(fd, &o.ha, &mobiles[next]);
		next = (next + 1) % o.n;
	}
	end = bench_now_ns(CLOCK_MONOTONIC);
	qsort(t.lat, t.n_lat, sizeof(*t.lat), bench_cmp_u64);
	printf("mobiles=%u window=%u seconds=%.2f accepted=%u denied=%u bad=%u "
	       "registrations_per_s=%.0f rtt_median_us=%.1f rtt_p99_us=%.1f\n",
	       o.n, o.window, (double)(end - start) / 1e9, t.accepted, t.other, t.bad,
	       t.accepted / ((double)(end - start) / 1e9),
	       t.n_lat ? (double)t.lat[t.n_lat / 2] / 1e3 : 0.0,
	       t.n_lat ? (double)t.lat[t.n_lat * 99 / 100] / 1e3 : 0.0);
	for (unsigned int i = 0; i < o.n; i++)
		mip_key_free(&mobiles[i].key);
	free(mobiles);
	free(t.lat);
	close(fd);
	return t.other || t.bad || !t.accepted ? 1 : 0;
}
