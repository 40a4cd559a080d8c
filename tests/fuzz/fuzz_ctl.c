/* libFuzzer harness for mmlkeyd's control socket (keyd/ctl.c): one request
 * per connection, read from a real Unix stream socket by the connection's
 * own event handler, dispatched to the "mip" module (keyd/mip.c) running
 * one of the three roles, and answered on the socket. The roles are their
 * real cores without sockets: the home agent with a binding, the foreign
 * agent with a pending visitor, the mobile node registered through a
 * foreign agent (keyd/mip_mh.c compiled in, its sends and routes recorded,
 * as tests/mip/test_mip_mh.c does). The "ike" module is listed but not
 * running, as in a daemon configured without it.
 *
 * Input: byte 0: bits 0-1 the role (0 HA, 1 FA, 2 MH), bit 2: the request
 * is padded in front with spaces to the request size limit, so that the
 * server answers a full buffer. The rest is the request as a client writes
 * it before shutting its side down.
 *
 * What must hold: every request gets exactly one reply, a JSON object
 * {"ok": true, "result": ...} or {"ok": false, "error": "<non-empty>"}. */
#define mip_udp_send fuzz_udp_send
#define mip_icmp_send fuzz_icmp_send
#define nl_route_replace fuzz_route_replace
#define nl_route_del fuzz_route_del
#include "keyd/mip_mh.c"
#undef mip_udp_send
#undef mip_icmp_send
#undef nl_route_replace
#undef nl_route_del

#include "keyd/ctl.c"
#include "keyd/mip.c"

#include <sys/socket.h>

#include "keyd/mip_fa.h"
#include "keyd/mip_ha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int fuzz_udp_send(int fd, uint32_t dst, uint16_t port, const void *buf, size_t len)
{
	return 0;
}

int fuzz_icmp_send(int fd, uint32_t dst, const void *buf, size_t len)
{
	return 0;
}

int fuzz_route_replace(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, uint32_t oif,
		       uint32_t table, uint32_t prefsrc, bool onlink, uint32_t mtu)
{
	return 0;
}

int fuzz_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t oif, uint32_t table)
{
	return 0;
}

static int fa_to_mh(void *ctx, const struct mip_fa_link *l, const uint8_t *msg, size_t len)
{
	return 0;
}

static int fa_to_ha(void *ctx, uint32_t ha, const uint8_t *msg, size_t len)
{
	return 0;
}

static int fa_icmp(void *ctx, const uint8_t mac[6], uint32_t dst, const uint8_t *msg, size_t len)
{
	return 0;
}

static const uint8_t secret[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
#define SPI 300

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static struct keyd kd;
static struct ctl_server srv;
static struct mip_state roles[3];
/* mmlkeyd's table (mmlkeyd.c) with the "ike" section not configured: its
 * state stays NULL, so its functions are never called. */
static const struct keyd_module ike_not_running = { .name = "ike" };
static const struct keyd_module *mods[2] = { &mip_module, &ike_not_running };
static void *states[2];

static void trap_if(bool bad)
{
	if (bad)
		__builtin_trap();
}

/* A request as the mobile node would send it, authenticated. */
static size_t request(uint8_t *buf, size_t size, uint32_t home, uint32_t ha, uint32_t coa,
		      uint8_t flags)
{
	struct mip_reg_request req = {
		.flags = flags,
		.lifetime = 200,
		.home_addr = home,
		.ha_addr = ha,
		.coa = coa,
		.ident = mip_ntp_from_ns(loop_realtime()),
	};
	struct mip_key key;
	int len = mip_build_request(&req, buf, size);

	trap_if(len < 0 || mip_key_init(&key, SPI, MIP_ALG_HMAC_MD5, secret, 16));
	len = mip_auth_append(&key, MIP_EXT_MH_AUTH, buf, size, (size_t)len);
	mip_key_free(&key);
	trap_if(len < 0);
	return (size_t)len;
}

static void ha_role(struct mip_state *m)
{
	struct mip_ha_cfg cfg = { .addr = ip(10, 1, 0, 1),
				  .max_lifetime = 300,
				  .replay_window = 7,
				  .reverse = MIP_RT_OPTIONAL,
				  .max_bindings = 16 };
	uint32_t home = ip(10, 1, 0, 10), coa = ip(10, 0, 2, 2);
	uint8_t msg[256], out[256];
	struct mip_key key;
	size_t len;

	m->role = MIP_ROLE_HA;
	trap_if(mip_ha_core_new(kd.loop, NULL, &cfg, &m->stats, &m->ha) ||
		mip_key_init(&key, SPI, MIP_ALG_HMAC_MD5, secret, 16) ||
		mip_ha_add_mobile(m->ha, home, &key, 1));
	len = request(msg, sizeof(msg), home, cfg.addr, coa, MIP_REQ_T);
	mip_ha_process(m->ha, msg, len, false, coa, loop_now(), mip_ntp_from_ns(loop_realtime()),
		       out, sizeof(out));
	trap_if(mip_ha_binding(m->ha, home, &coa, &(uint64_t){ 0 }) != 0);
}

static void fa_role(struct mip_state *m)
{
	struct mip_fa_cfg cfg = { .coa = ip(10, 0, 2, 2),
				  .addr = ip(10, 2, 1, 1),
				  .prefix_len = 24,
				  .ifindex = 1,
				  .max_lifetime = 300,
				  .advert_interval_ms = 1000,
				  .reverse = MIP_RT_REQUIRED,
				  .pending_timeout_ms = 3000,
				  .max_visitors = 4 };
	struct mip_fa_io io = { .to_mh = fa_to_mh, .to_ha = fa_to_ha, .icmp = fa_icmp };
	struct mip_fa_link link = { .ifindex = 1, .ip = ip(10, 1, 0, 10), .port = 434 };
	uint8_t msg[256];
	size_t len;

	m->role = MIP_ROLE_FA;
	trap_if(mip_fa_core_new(kd.loop, NULL, &cfg, &m->stats, &io, &m->fa));
	len = request(msg, sizeof(msg), link.ip, ip(10, 1, 0, 1), cfg.coa, MIP_REQ_T);
	mip_fa_from_mh(m->fa, msg, len, false, &link);
	trap_if(mip_fa_visitor_state(m->fa, link.ip) != 2);
}

/* What mip_mh_start() sets up, without sockets, netlink or maps, then an
 * advertisement heard: registering through that agent. */
static void mh_role(struct mip_state *m)
{
	struct mip_mh *mh = calloc(1, sizeof(*mh));
	struct mip_advert adv = { .icmp_lifetime = 30,
				  .reg_lifetime = 600,
				  .flags = MIP_MAA_R | MIP_MAA_F | MIP_MAA_T,
				  .n_coas = 1,
				  .coas = { ip(10, 0, 2, 2) } };
	struct mip_rx rx = { .src = ip(10, 2, 1, 1), .ttl = 1 };

	trap_if(!mh);
	m->role = MIP_ROLE_MH;
	mh->loop = kd.loop;
	mh->st = &m->stats;
	mh->udp_fd = mh->icmp_fd = -1;
	mip_maps_init(&mh->maps, NULL);
	loop_timer_init(&mh->agent_timer, agent_lost, mh);
	loop_timer_init(&mh->retransmit, retransmit, mh);
	loop_timer_init(&mh->renew, renew, mh);
	loop_timer_init(&mh->solicit_timer, solicit_tick, mh);
	mh->cfg = (struct mh_cfg){ .home = ip(10, 1, 0, 10),
				   .ha = ip(10, 1, 0, 1),
				   .ifindex = 1,
				   .lifetime = 300,
				   .reverse = true,
				   .prev_fa_ext = true,
				   .default_route = true,
				   .table = 254,
				   .retransmit_ms = 500,
				   .retransmit_max_ms = 8000,
				   .solicit_ms = 100 };
	trap_if(mip_key_init(&mh->keys[0], SPI, MIP_ALG_HMAC_MD5, secret, 16));
	mh->n_keys = 1;
	mh->link_up = true;
	on_advert(mh, &adv, &rx);
	m->mh = mh;
}

static void init(void)
{
	/* Every refused request logs a line: formatted, then thrown away. */
	FILE *null = fopen("/dev/null", "w");

	mml_log_open("fuzz", false, getenv("FUZZ_VERBOSE") ? MML_LOG_DEBUG : MML_LOG_ERR);
	if (null && !getenv("FUZZ_VERBOSE"))
		stderr = null;
	trap_if(loop_new(&kd.loop) != 0);
	kd.node = "fuzz";
	srv.kd = &kd;
	srv.fd = -1;
	srv.mods = mods;
	srv.states = states;
	srv.n_mods = 2;
	ha_role(&roles[0]);
	fa_role(&roles[1]);
	mh_role(&roles[2]);
}

/* The reply is one JSON object saying ok, with a result or an error. */
static void check_reply(const char *text, size_t len)
{
	json_object *r, *ok, *v;

	trap_if(len == 0 || strlen(text) != len);
	r = json_tokener_parse(text);
	trap_if(!r || !json_object_is_type(r, json_type_object));
	trap_if(!json_object_object_get_ex(r, "ok", &ok) ||
		!json_object_is_type(ok, json_type_boolean));
	if (json_object_get_boolean(ok))
		trap_if(!json_object_object_get_ex(r, "result", &v) || !v);
	else
		trap_if(!json_object_object_get_ex(r, "error", &v) ||
			!json_object_is_type(v, json_type_string) ||
			!json_object_get_string_len(v));
	json_object_put(r);
}

static void stop_loop(void *arg)
{
	loop_stop(arg);
}

/* One turn of the event loop, as the daemon takes after every event: it
 * frees the records of the connection that closed (loop.c buries them
 * only there; without it every input would leave one behind). */
static void turn_loop(void)
{
	struct loop_timer t;

	loop_timer_init(&t, stop_loop, kd.loop);
	trap_if(loop_timer_in(kd.loop, &t, 0) != 0);
	trap_if(loop_run(kd.loop) != 0);
	loop_timer_cancel(kd.loop, &t);
}

/* As accept_event() does for a connection, on one end of a socket pair. */
static struct ctl_conn *conn_open(int fd)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));

	trap_if(!c);
	c->buf = malloc(MML_KEYD_REQUEST_MAX + 1);
	trap_if(!c->buf);
	c->srv = &srv;
	c->fd = fd;
	trap_if(loop_add_fd(kd.loop, fd, EPOLLIN, conn_event, c) != 0);
	return c;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		trap_if(n <= 0);
		p += n;
		len -= (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char pad[MML_KEYD_REQUEST_MAX];
	static char reply[MML_KEYD_REQUEST_MAX * 2];
	struct ctl_conn *c;
	size_t got = 0;
	int sv[2], rounds;
	ssize_t n;

	if (!kd.loop)
		init();
	if (size < 1 || size > 65536 || data[0] % 4 == 3)
		return 0;
	states[0] = &roles[data[0] % 4];
	trap_if(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0);
	n = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &n, sizeof(int));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &n, sizeof(int));
	c = conn_open(sv[1]);
	if (data[0] & 4) {
		memset(pad, ' ', sizeof(pad));
		send_all(sv[0], pad, sizeof(pad) - (size - 1 < sizeof(pad) ? size - 1 : 0));
	}
	send_all(sv[0], data + 1, size - 1);
	shutdown(sv[0], SHUT_WR);
	/* Reading until the request ends, then writing the reply: the
	 * connection closes itself once the reply is out. */
	for (rounds = 0; !c->replying && rounds < 64; rounds++)
		conn_event(c, EPOLLIN);
	trap_if(!c->replying);
	while ((n = recv(sv[0], reply + got, sizeof(reply) - 1 - got, 0)) != 0) {
		if (n < 0 && errno == EAGAIN) {
			conn_event(c, EPOLLOUT);
			continue;
		}
		trap_if(n < 0 || got + (size_t)n >= sizeof(reply) - 1);
		got += (size_t)n;
	}
	reply[got] = '\0';
	close(sv[0]);
	check_reply(reply, got);
	turn_loop();
	return 0;
}
