/* bench-scale-mip: N synthetic mobile hosts registering at one home agent
 * through two foreign agents, all three the real mmlkeyd (bench/scale.sh).
 * Mobile i registers through FA (i % 2) as a mobile host does: a request
 * from its home address (the client's namespace holds the whole home
 * prefix as a local route, so one UDP socket on port 434 sends from and
 * receives for every home address), to the FA's wireless address, with
 * the Mobile-Home authenticator; the FA relays it to the HA, binds the
 * visitor in mml_visitor when the HA's reply comes, and relays the reply
 * back over the wireless link to the home address. A window of requests
 * is kept in flight; an unanswered request is sent again after 1 s.
 *
 *   bench-scale-mip -n N -a HA -f FA1_WL,FA2_WL [-o COA1,COA2] [-w WINDOW] [-t RENEW_S] [-b]
 *   bench-scale-mip -n N -a HA -f FA1_WL,FA2_WL -o COA1,COA2 -C SECONDS
 *                   [-H HOLD_MS] [-G GAP_MS] [-l LIFETIME] [-p REPORT_S]
 *   bench-scale-mip -n N -a HA -c CONFIG_OUT   (the HA's mobiles section)
 *
 * Prints the bring-up (every mobile registered once: time, rate, reply
 * latency), then renewals for RENEW_S seconds at the full binding table
 * (-b: the bring-up only).
 * -C: churn instead (scale_churn.c), for SECONDS (0: until SIGTERM). The
 * care-of addresses default to bench/scale.sh's. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/scale_mip.h"

#define RESEND_NS SCALE_RESEND_NS

/* From the mobile's home address (IP_PKTINFO) to its FA's wireless
 * address, naming that FA's care-of address. */
int scale_send_request(int fd, const struct opts *o, struct mobile *m, unsigned int i,
		       unsigned int fa_idx, uint16_t lifetime)
{
	struct mip_reg_request req = {
		.flags = MIP_REQ_T,
		.lifetime = lifetime,
		.home_addr = bench_mip_home(i),
		.ha_addr = o->ha,
		.coa = o->coa[fa_idx & 1],
	};
	struct sockaddr_in fa = { .sin_family = AF_INET,
				  .sin_port = htons(MIP_PORT),
				  .sin_addr.s_addr = o->fa[fa_idx & 1] };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };
	struct in_pktinfo *pi;
	uint8_t buf[128];
	struct iovec iov = { .iov_base = buf };
	struct msghdr mh = { .msg_name = &fa,
			     .msg_namelen = sizeof(fa),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int len;

	len = bench_mip_sign_request(&m->key, &m->ident, &req, buf, sizeof(buf));
	if (len < 0)
		return len;
	iov.iov_len = (size_t)len;
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)CMSG_DATA(c);
	pi->ipi_spec_dst.s_addr = req.home_addr;
	m->sent_ns = bench_now_ns(CLOCK_MONOTONIC);
	return sendmsg(fd, &mh, 0) < 0 ? -errno : 0;
}

static int send_request(int fd, const struct opts *o, struct mobile *mobiles, unsigned int i)
{
	mobiles[i].state = 1;
	return scale_send_request(fd, o, &mobiles[i], i, i & 1, 600);
}

struct tally {
	unsigned int accepted, denied, bad, resent;
	uint64_t *lat;
	size_t n_lat;
};

/* One reply: its mobile's index, -1 for one not taken, -2 when none is
 * waiting. */
static int take_reply(int fd, struct mobile *mobiles, unsigned int n, struct tally *t)
{
	struct mip_reg_reply rep;
	struct mip_err err;
	uint8_t buf[256];
	ssize_t len;
	uint32_t idx;

	len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (len < 0)
		return -2;
	if (mip_parse_reply(buf, (size_t)len, &rep, &err)) {
		t->bad++;
		return -1;
	}
	idx = ntohl(rep.home_addr) - BENCH_MIP_HOME_BASE;
	if (idx >= n || !rep.has_mh_auth || mobiles[idx].state != 1 ||
	    (uint32_t)rep.ident != (uint32_t)mobiles[idx].ident ||
	    !mip_auth_verify(&mobiles[idx].key, buf, (size_t)len, &rep.mh_auth)) {
		t->bad++;
		return -1;
	}
	mobiles[idx].state = 2;
	if (!mip_code_accepted(rep.code)) {
		if (t->denied++ < 5)
			fprintf(stderr, "bench-scale-mip: mobile %u denied, code %u\n", idx,
				rep.code);
		return (int)idx;
	}
	t->accepted++;
	t->lat[t->n_lat++] = bench_now_ns(CLOCK_MONOTONIC) - mobiles[idx].sent_ns;
	return (int)idx;
}

/* Every mobile once, WINDOW in flight; lost ones again after RESEND_NS. */
static int round_all(int fd, const struct opts *o, struct mobile *mobiles, struct tally *t,
		     double *secs)
{
	unsigned int next = 0, in_flight = 0, done = 0, scan = 0;
	uint64_t start = bench_now_ns(CLOCK_MONOTONIC), last_progress = start;

	for (unsigned int i = 0; i < o->n; i++)
		mobiles[i].state = 0;
	t->n_lat = 0;
	while (done < o->n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now;
		int idx;

		while (in_flight < o->window && next < o->n) {
			if (send_request(fd, o, mobiles, next++) == 0)
				in_flight++;
		}
		poll(&pfd, 1, 100);
		while ((idx = take_reply(fd, mobiles, o->n, t)) != -2) {
			if (idx < 0)
				continue;
			in_flight--;
			done++;
			last_progress = bench_now_ns(CLOCK_MONOTONIC);
		}
		now = bench_now_ns(CLOCK_MONOTONIC);
		/* Requests (or replies) lost: sent again, a slice at a time. */
		for (unsigned int k = 0; k < 256 && next == o->n; k++, scan = (scan + 1) % o->n)
			if (mobiles[scan].state == 1 && now - mobiles[scan].sent_ns > RESEND_NS) {
				t->resent++;
				send_request(fd, o, mobiles, scan);
			}
		if (now - last_progress > 20 * RESEND_NS) {
			fprintf(stderr, "bench-scale-mip: no reply for 20 s (%u of %u answered)\n",
				done, o->n);
			return -ETIMEDOUT;
		}
	}
	*secs = (double)(bench_now_ns(CLOCK_MONOTONIC) - start) / 1e9;
	return 0;
}

static void report(const char *what, const struct opts *o, struct tally *t, double secs)
{
	qsort(t->lat, t->n_lat, sizeof(*t->lat), bench_cmp_u64);
	printf("%s: mobiles=%u window=%u seconds=%.2f accepted=%u denied=%u resent=%u bad=%u "
	       "registrations_per_s=%.0f rtt_median_ms=%.2f rtt_p99_ms=%.2f\n",
	       what, o->n, o->window, secs, t->accepted, t->denied, t->resent, t->bad,
	       t->accepted / secs, t->n_lat ? (double)t->lat[t->n_lat / 2] / 1e6 : 0.0,
	       t->n_lat ? (double)t->lat[t->n_lat * 99 / 100] / 1e6 : 0.0);
	fflush(stdout);
}

/* "A,B" into two IPv4 addresses. */
static int parse_pair(char *s, uint32_t out[2])
{
	char *comma = s ? strchr(s, ',') : NULL;

	if (!comma)
		return -EINVAL;
	*comma = '\0';
	if (inet_pton(AF_INET, s, &out[0]) != 1 || inet_pton(AF_INET, comma + 1, &out[1]) != 1)
		return -EINVAL;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	char *fas = NULL, *coas = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "n:a:f:w:t:c:o:C:H:G:l:p:b")) != -1) {
		switch (opt) {
		case 'n':
			o->n = (unsigned int)atoi(optarg);
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &o->ha) != 1)
				return -EINVAL;
			break;
		case 'f':
			fas = optarg;
			break;
		case 'w':
			o->window = (unsigned int)atoi(optarg);
			break;
		case 'b':
			o->bring_up_only = true;
			break;
		case 't':
			o->renew_s = (unsigned int)atoi(optarg);
			break;
		case 'c':
			o->config_out = optarg;
			break;
		case 'o':
			coas = optarg;
			break;
		case 'C':
			o->churn = 1;
			o->churn_s = (unsigned int)atoi(optarg);
			break;
		case 'H':
			o->hold_ms = (unsigned int)atoi(optarg);
			break;
		case 'G':
			o->gap_ms = (unsigned int)atoi(optarg);
			break;
		case 'l':
			o->lifetime = (unsigned int)atoi(optarg);
			break;
		case 'p':
			o->report_s = (unsigned int)atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (!o->n || o->n > 60000 || !o->ha || !o->window)
		return -EINVAL;
	if (o->config_out)
		return 0;
	if (!o->lifetime || o->lifetime > 65535 || !o->report_s)
		return -EINVAL;
	if (coas && parse_pair(coas, o->coa))
		return -EINVAL;
	return parse_pair(fas, o->fa);
}

int main(int argc, char **argv)
{
	/* FA1's care-of address is 10.100.1.1, FA2's 10.100.2.1 (scale.sh). */
	struct opts o = { .window = 64,
			  .renew_s = 3,
			  .hold_ms = 3000,
			  .gap_ms = 3000,
			  .lifetime = 30,
			  .report_s = 10,
			  .coa = { htonl(0x0a640101u), htonl(0x0a640201u) } };
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(MIP_PORT) };
	struct tally t = { 0 };
	struct mobile *mobiles;
	double secs;
	int fd, one = 1, rc = 1;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr,
			"usage: bench-scale-mip -n N -a HA (-f FA1,FA2 [-o COA1,COA2] [-w "
			"WINDOW] [-t RENEW_S] [-b] [-C SECONDS [-H HOLD_MS] [-G GAP_MS] [-l "
			"LIFETIME] [-p REPORT_S]] | -c CONFIG_OUT)\n");
		return 2;
	}
	if (o.config_out) {
		char ha[16];

		inet_ntop(AF_INET, &o.ha, ha, sizeof(ha));
		return bench_mip_write_config(o.config_out, ha, o.n) ? 1 : 0;
	}
	mobiles = calloc(o.n, sizeof(*mobiles));
	t.lat = calloc(o.n, sizeof(*t.lat));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!mobiles || !t.lat || fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 4 << 20 }, sizeof(int)) ||
	    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&any, sizeof(any))) {
		perror("bench-scale-mip");
		return 1;
	}
	for (unsigned int i = 0; i < o.n; i++) {
		if (bench_mip_key(i, &mobiles[i].key))
			return 1;
	}
	if (o.churn) {
		int err = scale_churn(fd, &o, mobiles);

		rc = err < 0 ? 1 : err;
		goto out;
	}
	if (round_all(fd, &o, mobiles, &t, &secs))
		goto out;
	report("bring-up", &o, &t, secs);
	if (t.accepted != o.n || o.bring_up_only) {
		rc = t.accepted != o.n;
		goto out;
	}
	/* Renewals at the full table, for about renew_s seconds. */
	{
		struct tally r = { .lat = t.lat };
		uint64_t end = bench_now_ns(CLOCK_MONOTONIC) + (uint64_t)o.renew_s * 1000000000ULL;
		double total = 0;
		unsigned int rounds = 0;

		while (bench_now_ns(CLOCK_MONOTONIC) < end || !rounds) {
			struct tally one_round = { .lat = t.lat };

			if (round_all(fd, &o, mobiles, &one_round, &secs))
				goto out;
			r.accepted += one_round.accepted;
			r.denied += one_round.denied;
			r.resent += one_round.resent;
			r.bad += one_round.bad;
			r.n_lat = one_round.n_lat;
			total += secs;
			rounds++;
		}
		report("renewals", &o, &r, total);
		rc = r.denied || r.accepted != rounds * o.n;
	}
out:
	for (unsigned int i = 0; i < o.n; i++)
		mip_key_free(&mobiles[i].key);
	free(mobiles);
	free(t.lat);
	close(fd);
	return rc;
}
