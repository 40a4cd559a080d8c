/* bench-scale-mip -C: the synthetic mobiles come and go (make soak, issue
 * 20). Each mobile in turn registers through one FA (the two alternate from
 * one cycle to the next), holds its binding for about HOLD_MS, deregisters
 * (lifetime 0) through the same FA, and waits about GAP_MS; hold and gap
 * vary from one half to three halves of their means, so that the mobiles
 * drift apart. A request unanswered for 1 s is sent again (a new
 * Identification). At the end (SECONDS, or SIGTERM/SIGINT) every bound
 * mobile deregisters and the tally is printed: registrations and
 * deregistrations accepted, denied (a refusal from FA or HA), bad (a reply
 * that does not parse or whose authenticator fails), stale (an authentic
 * reply to a request sent again meanwhile), resent, and "bound" and
 * "waiting", the mobiles registered and those with a request unanswered
 * (both 0 at the end when all went well). A progress line every REPORT_S
 * seconds shows the same. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench/scale_mip.h"

#define MS 1000000ULL
#define STOP_GRACE_NS (30 * 1000 * MS)

enum phase { IDLE, REG_WAIT, BOUND, DEREG_WAIT };

struct churner {
	uint64_t due_ns; /* IDLE: next registration; BOUND: deregistration */
	uint32_t rng;
	uint8_t fa;
};

struct churn_tally {
	unsigned int reg, dereg, denied, bad, stale, resent, bound, in_flight;
};

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* Uniform in [mean/2, 3 mean/2) ms, as nanoseconds (xorshift32 per mobile). */
static uint64_t vary_ns(struct churner *c, unsigned int mean_ms)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 17;
	c->rng ^= c->rng << 5;
	return ((uint64_t)mean_ms / 2 + (mean_ms ? c->rng % mean_ms : 0)) * MS;
}

static void send_phase(int fd, const struct opts *o, struct mobile *m, struct churner *c,
		       unsigned int i, struct churn_tally *t, enum phase ph)
{
	int err = scale_send_request(fd, o, m, i, c->fa, ph == REG_WAIT ? o->lifetime : 0);

	if (err && t->bad++ < 5)
		fprintf(stderr, "bench-scale-mip: mobile %u: request not sent: %s\n", i,
			strerror(-err));
	if (m->state != ph)
		t->in_flight++;
	m->state = ph;
}

/* Timers: registrations due, deregistrations due, requests to send again.
 * While stopping, nothing new registers and every binding goes. */
static void churn_timers(int fd, const struct opts *o, struct mobile *mobiles, struct churner *ch,
			 struct churn_tally *t, uint64_t now, int stopping)
{
	for (unsigned int i = 0; i < o->n; i++) {
		struct mobile *m = &mobiles[i];
		struct churner *c = &ch[i];

		if ((m->state == REG_WAIT || m->state == DEREG_WAIT) &&
		    now - m->sent_ns > SCALE_RESEND_NS) {
			t->resent++;
			send_phase(fd, o, m, c, i, t, m->state);
		} else if (t->in_flight >= o->window) {
			continue;
		} else if (m->state == IDLE && !stopping && now >= c->due_ns) {
			send_phase(fd, o, m, c, i, t, REG_WAIT);
		} else if (m->state == BOUND && (stopping || now >= c->due_ns)) {
			send_phase(fd, o, m, c, i, t, DEREG_WAIT);
		}
	}
}

/* One reply, if one is waiting: 0, or -EAGAIN when none is. */
static int churn_reply(int fd, const struct opts *o, struct mobile *mobiles, struct churner *ch,
		       struct churn_tally *t, uint64_t now)
{
	struct mip_reg_reply rep;
	struct mip_err err;
	struct mobile *m;
	uint8_t buf[256];
	ssize_t len;
	uint32_t idx;

	len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (len < 0)
		return -EAGAIN;
	if (mip_parse_reply(buf, (size_t)len, &rep, &err)) {
		t->bad++;
		return 0;
	}
	idx = ntohl(rep.home_addr) - BENCH_MIP_HOME_BASE;
	if (idx >= o->n || !rep.has_mh_auth ||
	    !mip_auth_verify(&mobiles[idx].key, buf, (size_t)len, &rep.mh_auth)) {
		t->bad++;
		return 0;
	}
	m = &mobiles[idx];
	if ((m->state != REG_WAIT && m->state != DEREG_WAIT) ||
	    (uint32_t)rep.ident != (uint32_t)m->ident) {
		t->stale++;
		return 0;
	}
	t->in_flight--;
	if (!mip_code_accepted(rep.code)) {
		if (t->denied++ < 5)
			fprintf(stderr, "bench-scale-mip: mobile %u: %s denied, code %u\n", idx,
				m->state == REG_WAIT ? "registration" : "deregistration", rep.code);
		/* A refused deregistration leaves the binding: tried again. */
		m->state = m->state == REG_WAIT ? IDLE : BOUND;
		ch[idx].due_ns = now + SCALE_RESEND_NS;
		return 0;
	}
	if (m->state == REG_WAIT) {
		t->reg++;
		t->bound++;
		m->state = BOUND;
		ch[idx].due_ns = now + vary_ns(&ch[idx], o->hold_ms);
	} else {
		t->dereg++;
		t->bound--;
		m->state = IDLE;
		ch[idx].fa ^= 1;
		ch[idx].due_ns = now + vary_ns(&ch[idx], o->gap_ms);
	}
	return 0;
}

static void churn_print(const char *what, const struct churn_tally *t, double secs)
{
	printf("%s: seconds=%.0f registrations=%u deregistrations=%u denied=%u bad=%u stale=%u "
	       "resent=%u bound=%u waiting=%u\n",
	       what, secs, t->reg, t->dereg, t->denied, t->bad, t->stale, t->resent, t->bound,
	       t->in_flight);
	fflush(stdout);
}

int scale_churn(int fd, const struct opts *o, struct mobile *mobiles)
{
	struct sigaction sa = { .sa_handler = on_stop };
	uint64_t start = bench_now_ns(CLOCK_MONOTONIC), next_report, stop_at = 0;
	struct churn_tally t = { 0 };
	struct churner *ch = calloc(o->n, sizeof(*ch));

	if (!ch)
		return -ENOMEM;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	next_report = start + (uint64_t)o->report_s * 1000 * MS;
	/* The first registrations spread over one gap: no burst at the start. */
	for (unsigned int i = 0; i < o->n; i++) {
		mobiles[i].state = IDLE;
		ch[i] = (struct churner){ .rng = 2654435761u * (i + 1), .fa = i & 1 };
		ch[i].due_ns = start + (o->gap_ms ? ch[i].rng % (o->gap_ms * MS) : 0);
	}
	printf("churn: mobiles=%u hold_ms=%u gap_ms=%u lifetime=%u window=%u\n", o->n, o->hold_ms,
	       o->gap_ms, o->lifetime, o->window);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = bench_now_ns(CLOCK_MONOTONIC);

		if (!stop_at &&
		    (stop_asked || (o->churn_s && now - start >= o->churn_s * 1000 * MS)))
			stop_at = now;
		if (stop_at && !t.bound && !t.in_flight)
			break;
		if (stop_at && now - stop_at > STOP_GRACE_NS) {
			fprintf(stderr,
				"bench-scale-mip: %u still bound, %u unanswered after 30 s\n",
				t.bound, t.in_flight);
			break;
		}
		churn_timers(fd, o, mobiles, ch, &t, now, stop_at != 0);
		poll(&pfd, 1, 10);
		now = bench_now_ns(CLOCK_MONOTONIC);
		while (churn_reply(fd, o, mobiles, ch, &t, now) == 0)
			;
		if (now >= next_report) {
			churn_print("churn", &t, (double)(now - start) / 1e9);
			next_report += (uint64_t)o->report_s * 1000 * MS;
		}
	}
	churn_print("churn-summary", &t, (double)(bench_now_ns(CLOCK_MONOTONIC) - start) / 1e9);
	free(ch);
	return t.denied || t.bad || t.bound || t.in_flight || !t.reg;
}
