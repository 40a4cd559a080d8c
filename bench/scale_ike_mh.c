/* bench-scale-ike-mh (issue 20, bench/scale.sh): N synthetic mobile hosts
 * answering the real HA's ML-IKE (mmlkeyd) from one process in the
 * mobiles' namespace, which holds every home address. One UDP socket on
 * port 500 takes what the HA sends to any of them (IP_PKTINFO says which
 * home it was for) and hands it to that mobile's engine, the product's
 * (keyd/ike/), created at its first message; the engine's answers leave
 * from that home address. Each mobile authenticates as ipv4:<home> with
 * the PSK the HA's template derives for it (keyd/ike/mh_tmpl.c), from the
 * master key file given. Engines stay (37 KB and an IKE SA of 12.5 KB
 * each) so that the HA's later exchanges are answered.
 *
 * Prints a line when every mobile has its CSA pair (MLIKE_AUTH_SA), and
 * another when the time is up; answers the HA (liveness checks at
 * renewals) until then or until it is killed.
 *
 *   bench-scale-ike-mh -n N -a HA -k MASTER_KEY_FILE [-i HA_ID] [-T SECONDS] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/mip_mobiles.h"
#include "keyd/ike/ike.h"
#include "keyd/ike/mh_tmpl.h"
#include "lib/log.h"

struct mh {
	struct ike_engine *eng;
	struct ike_transport tp;
	struct ike_engine_cfg cfg;
	struct ike_peer_cfg peer;
	uint32_t home;
	bool csa, down;
};

static int sock = -1;
static struct mh **mhs;
static unsigned int n_mh, n_csa, n_down, n_engines, n_stray, n_send_err;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* From the mobile's home address, whatever the route would pick. */
static int send_from(void *ctx, const uint8_t *buf, size_t len, uint32_t addr, uint16_t port)
{
	const struct mh *m = ctx;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port ? port : IKE_PORT),
				  .sin_addr.s_addr = addr };
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} c = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_name = &to,
			      .msg_namelen = sizeof(to),
			      .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = c.b,
			      .msg_controllen = sizeof(c.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	((struct in_pktinfo *)CMSG_DATA(cm))->ipi_spec_dst.s_addr = m->home;
	if (sendmsg(sock, &msg, 0) < 0) {
		n_send_err++;
		return -errno;
	}
	return 0;
}

static void ev_csa_up(void *ctx, struct ike_sa *sa, const struct mlike_csa *csa)
{
	struct mh *m = ctx;

	(void)sa;
	(void)csa;
	if (!m->csa)
		n_csa++;
	m->csa = true;
}

static void ev_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	struct mh *m = ctx;

	(void)sa;
	(void)why;
	m->down = true;
	n_down++;
}

static const struct ike_events mh_ev = { .csa_up = ev_csa_up, .ike_down = ev_down };

static struct mh *mh_new(uint32_t home, uint32_t ha, const uint8_t *master, size_t master_len,
			 const char *ha_id)
{
	struct mh *m = calloc(1, sizeof(*m));
	struct ike_peer_cfg *p;
	char psk[MH_PSK_HEX_LEN + 1];

	if (!m)
		return NULL;
	p = &m->peer;
	m->home = home;
	strcpy(p->name, "ha");
	p->addr = ha;
	p->local_id = (struct ike_identity){ .type = IKE_ID_IPV4_ADDR, .len = 4 };
	memcpy(p->local_id.data, &home, 4);
	p->peer_id = (struct ike_identity){ .type = IKE_ID_FQDN, .len = (uint8_t)strlen(ha_id) };
	memcpy(p->peer_id.data, ha_id, p->peer_id.len);
	if (mh_tmpl_psk(master, master_len, home, psk)) {
		free(m);
		return NULL;
	}
	memcpy(p->psk, psk, MH_PSK_HEX_LEN);
	p->psk_len = MH_PSK_HEX_LEN;
	/* What mmlkeyd's peer defaults are (keyd/ike/ike_conf.c). */
	p->ike_encr = p->esp_encr = IKE_ENCR_AES_GCM_16;
	p->zone2_encr = IKE_ENCR_CHACHA20_POLY1305;
	p->z1_len = MML_Z1_DEFAULT;
	m->tp = (struct ike_transport){ .send = send_from, .ctx = m };
	m->cfg = (struct ike_engine_cfg){ .local_addr = home,
					  .cookie_threshold = 16,
					  .peers = &m->peer,
					  .n_peers = 1,
					  .transport = &m->tp };
	m->eng = ike_engine_new(&m->cfg, &mh_ev, m);
	if (!m->eng) {
		free(m);
		return NULL;
	}
	n_engines++;
	return m;
}

static int open_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(IKE_PORT) };
	int one = 1, rcv = 16 << 20;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || setsockopt(sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) ||
	    bind(sock, (struct sockaddr *)&a, sizeof(a))) {
		perror("bench-scale-ike-mh: socket");
		return -errno;
	}
	return 0;
}

/* One datagram to the engine of the home it was sent to. */
static void receive(uint32_t ha, const uint8_t *master, size_t master_len, const char *ha_id)
{
	static uint8_t buf[IKE_MSG_MAX + 64];
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} c;
	struct sockaddr_in from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_name = &from,
			      .msg_namelen = sizeof(from),
			      .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = c.b,
			      .msg_controllen = sizeof(c.b) };
	ssize_t len = recvmsg(sock, &msg, MSG_DONTWAIT);
	uint32_t dst = 0, i;

	if (len <= 0)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
			dst = ((struct in_pktinfo *)CMSG_DATA(cm))->ipi_addr.s_addr;
	i = ntohl(dst) - BENCH_MIP_HOME_BASE;
	if (i >= n_mh || from.sin_addr.s_addr != ha) {
		n_stray++;
		return;
	}
	if (!mhs[i])
		mhs[i] = mh_new(dst, ha, master, master_len, ha_id);
	if (mhs[i])
		ike_engine_process(mhs[i]->eng, buf, (size_t)len, from.sin_addr.s_addr,
				   ntohs(from.sin_port));
}

static void report(double t0)
{
	printf("ike-mh: mobiles=%u engines=%u csas=%u ike_down=%u stray=%u send_errors=%u "
	       "seconds=%.2f\n",
	       n_mh, n_engines, n_csa, n_down, n_stray, n_send_err, now_s() - t0);
	fflush(stdout);
}

static int read_master(const char *path, uint8_t *key, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(key, 1, IKE_PSK_MAX, f) : 0;

	if (f)
		fclose(f);
	if (n && key[n - 1] == '\n')
		n--;
	if (n < IKE_PSK_MIN) {
		fprintf(stderr, "bench-scale-ike-mh: %s: no master key\n", path);
		return -EINVAL;
	}
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	const char *ha_text = NULL, *key_path = NULL, *ha_id = "ha.bench";
	uint8_t master[IKE_PSK_MAX];
	size_t master_len = 0;
	double t0, last_tick, limit = 600;
	bool reported = false;
	uint32_t ha;
	int opt;

	while ((opt = getopt(argc, argv, "n:a:k:i:T:")) != -1) {
		switch (opt) {
		case 'n':
			n_mh = (unsigned int)atoi(optarg);
			break;
		case 'a':
			ha_text = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'i':
			ha_id = optarg;
			break;
		case 'T':
			limit = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!n_mh || !ha_text || !key_path || inet_pton(AF_INET, ha_text, &ha) != 1)
		goto usage;
	mml_log_open("bench-scale-ike-mh", false, MML_LOG_WARN);
	mhs = calloc(n_mh, sizeof(*mhs));
	if (!mhs || read_master(key_path, master, &master_len) || open_socket())
		return 1;
	printf("ready\n");
	fflush(stdout);
	t0 = last_tick = now_s();
	while (now_s() - t0 < limit) {
		struct pollfd p = { .fd = sock, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			for (int k = 0; k < 64; k++)
				receive(ha, master, master_len, ha_id);
		/* The engines' timers, once a second: they answer, and
		 * rarely retransmit anything of their own. */
		if (n_csa == n_mh && !reported) {
			reported = true;
			report(t0);
		}
		if (now_s() - last_tick >= 1) {
			last_tick = now_s();
			for (unsigned int i = 0; i < n_mh; i++)
				if (mhs[i])
					ike_engine_tick(mhs[i]->eng);
		}
	}
	report(t0);
	for (unsigned int i = 0; i < n_mh; i++)
		if (mhs[i]) {
			ike_engine_free(mhs[i]->eng); /* its Deletes: the HA is stopped first */
			free(mhs[i]);
		}
	free(mhs);
	return n_csa == n_mh ? 0 : 1;
usage:
	fprintf(stderr, "usage: bench-scale-ike-mh -n N -a HA -k MASTER_KEY_FILE [-i HA_ID] [-T "
			"SECONDS]\n");
	return 2;
}
