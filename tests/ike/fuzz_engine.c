/* libFuzzer harness for the IKE engine's message processing, beyond the
 * integrity check: two engines on loopback establish an IKE SA once; each
 * input is then either a raw datagram for the responder (first byte even),
 * or an inner payload chain that the harness encrypts with the initiator's
 * real keys under the next message ID (first byte 1 mod 4: the second byte
 * picks the exchange type, the third the first payload type), so that every
 * exchange handler sees authenticated garbage; or (first byte 3 mod 4) the
 * initiator starts a CREATE_CHILD_SA (second byte: bit 0 an IKE SA rekey,
 * bit 1 PFS), or with bit 2 a DKM_CSA_REQUEST for 10.0.0.2, and the chain
 * (third byte its first payload type) comes back as its answer under the
 * responder's keys. The responder runs PKD's and DKM's callbacks (the
 * initiator is its neighbour FA; it holds zone-1 keys for any MH asked
 * for), so NEIGHBOR_NOTIFY and DKM_CSA_REQUEST get past their checks. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_sa.h"
#include "keyd/ike/ike_xchg.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_engine *init_eng, *resp_eng;
static struct ike_peer_cfg peers[2];
static struct ike_sa *init_sa;
static uint16_t port;

static void ev_up(void *ctx, struct ike_sa *sa)
{
	if (ike_sa_is_initiator(sa))
		init_sa = sa;
}

static void ev_down(void *ctx, struct ike_sa *sa, enum ike_down_reason why)
{
	if (sa == init_sa)
		init_sa = NULL;
}

static int ev_fa_keys(void *ctx, struct ike_sa *sa, const struct mlike_fa_keys *k)
{
	return 0;
}

static int ev_neighbors(void *ctx, struct ike_sa *sa, const uint32_t *addrs, unsigned int n)
{
	return 0;
}

/* As a previous FA that served every MH: fixed zone-1 keys for it. */
static uint16_t ev_dkm_lookup(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *req,
			      struct mlike_fa_keys *keys)
{
	struct mlike_csa csa = { .spi_out = 0x1111,
				 .spi_in = 0x2222,
				 .z1_len = 40,
				 .n_zones = 2,
				 .zone_encr = { IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_GCM_16 } };

	mlike_fa_keys_from_csa(&csa, true, req->mh_home, req->ha_addr, keys);
	return 0;
}

static uint16_t ev_dkm_installed(void *ctx, struct ike_sa *sa, const struct dkm_mh_pl *rep)
{
	return rep->n_spis == 2 ? 0 : DKM_N_UNKNOWN_CSA;
}

/* The new FA: whatever the answer, keys that reach us hold zone 1 only. */
static void ev_dkm_answer(void *ctx, struct ike_sa *sa, uint32_t mh_home,
			  const struct mlike_fa_keys *keys, uint16_t notify)
{
	if (keys && !mlike_fa_keys_zone1_only(keys))
		abort();
	log_debug("DKM answer for %08x: %s (notify %u)", ntohl(mh_home), keys ? "keys" : "none",
		  notify);
}

static const struct ike_events events = {
	.ike_up = ev_up,
	.ike_down = ev_down,
	.fa_keys = ev_fa_keys,
	.neighbors = ev_neighbors,
	.dkm_lookup = ev_dkm_lookup,
	.dkm_answer = ev_dkm_answer,
	.dkm_installed = ev_dkm_installed,
};

static void peer(struct ike_peer_cfg *p, const char *addr, const char *me, const char *them)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->name, them);
	inet_pton(AF_INET, addr, &p->addr);
	p->port = port;
	p->local_id = (struct ike_identity){ .type = IKE_ID_FQDN, .len = (uint8_t)strlen(me) };
	memcpy(p->local_id.data, me, strlen(me));
	p->psk_len = 4;
	memcpy(p->psk, "fuzz", 4);
	p->ike_encr = IKE_ENCR_CHACHA20_POLY1305;
	p->zone2_encr = IKE_ENCR_AES_GCM_16;
	p->z1_len = 40;
	p->child = true;
	p->ts_local.n = p->ts_remote.n = 1;
	p->ts_local.ts[0] = (struct ike_ts){ 0, 0, 0xffff, 0, 0xffffffff };
	p->ts_remote.ts[0] = p->ts_local.ts[0];
	p->neighbor = true;
}

static void pump(void)
{
	for (int i = 0; i < 400 && !init_sa; i++) {
		struct pollfd pfd[2] = { { .fd = ike_engine_fd(init_eng), .events = POLLIN },
					 { .fd = ike_engine_fd(resp_eng), .events = POLLIN } };

		poll(pfd, 2, 5);
		ike_engine_input(init_eng);
		ike_engine_input(resp_eng);
		ike_engine_tick(init_eng);
		ike_engine_tick(resp_eng);
	}
}

static void setup(void)
{
	struct ike_engine_cfg ci = {
		.port = 0, .cookie_threshold = 64, .retransmit_base_ms = 20, .retransmit_tries = 2
	};
	struct ike_engine_cfg cr = ci;

	port = (uint16_t)(40000 + getpid() % 20000);
	mml_log_open("fuzz", false, getenv("FUZZ_IKE_VERBOSE") ? MML_LOG_DEBUG : MML_LOG_ERR);
	peer(&peers[0], "127.0.0.12", "i.fuzz", "r");
	peer(&peers[1], "127.0.0.11", "r.fuzz", "i");
	inet_pton(AF_INET, "127.0.0.11", &ci.local_addr);
	inet_pton(AF_INET, "127.0.0.12", &cr.local_addr);
	ci.port = cr.port = port;
	ci.peers = &peers[0];
	cr.peers = &peers[1];
	ci.n_peers = cr.n_peers = 1;
	init_eng = ike_engine_new(&ci, &events, NULL);
	resp_eng = ike_engine_new(&cr, &events, NULL);
	if (!init_eng || !resp_eng)
		abort();
}

/* The responder's SA that pairs with init_sa, if both are still up. */
static struct ike_sa *responder_sa(void)
{
	if (!init_sa)
		return NULL;
	for (struct ike_sa *sa = resp_eng->sas; sa; sa = sa->next)
		if (!memcmp(sa->spi_i, init_sa->spi_i, 8) && sa->state == IKE_S_ESTABLISHED)
			return sa;
	return NULL;
}

static struct ike_sa *establish(void)
{
	struct ike_sa *sa = responder_sa();

	if (sa && init_sa->state == IKE_S_ESTABLISHED && init_sa->req_kind == IKE_REQ_NONE)
		return sa;
	/* An input deleted one side: start over with a fresh pair. */
	if (init_sa)
		ike_sa_kill(init_sa, IKE_DOWN_FAILED);
	if (sa)
		ike_sa_kill(sa, IKE_DOWN_FAILED);
	init_sa = NULL;
	ike_engine_tick(init_eng);
	ike_engine_tick(resp_eng);
	ike_initiate(init_eng, &peers[0]);
	pump();
	sa = responder_sa();
	if (!sa)
		abort(); /* two sane engines must always agree */
	return sa;
}

/* New exchanges go at the end: a seed's second byte keeps its meaning. */
static const uint8_t exchanges[] = {
	IKE_INFORMATIONAL, IKE_CREATE_CHILD_SA, MLIKE_AUTH_SA,	       MLIKE_KEY_DISTRIBUTE,
	IKE_AUTH,	   IKE_SA_INIT,		MLIKE_NEIGHBOR_NOTIFY, DKM_CSA_REQUEST
};

/* Reads whatever waits on an engine's socket without processing it. */
static void drain(struct ike_engine *eng)
{
	uint8_t buf[IKE_MSG_MAX + 8];

	while (recv(ike_engine_fd(eng), buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* The request fuzz_answer answers: a CREATE_CHILD_SA, or a DKM CSA
 * request (its answer carries KEY_DISTRIBUTE's payloads). */
static int fuzz_request(uint8_t how, uint8_t *exchange)
{
	struct dkm_mh_pl req = { .n_spis = 0 };

	*exchange = IKE_CREATE_CHILD_SA;
	if (!(how & 4))
		return how & 1 ? ike_sa_rekey(init_sa) : ike_child_create(init_sa, 0, how & 2);
	*exchange = DKM_CSA_REQUEST;
	inet_pton(AF_INET, "10.0.0.2", &req.mh_home);
	inet_pton(AF_INET, "10.0.0.1", &req.ha_addr);
	return dkm_csa_request(init_sa, &req);
}

/* Our request, answered with the input: the initiator's answer
 * handlers see authenticated garbage. Whatever SA the answer made is
 * dropped afterwards, and a pair left with anything outstanding starts
 * over in establish(). */
static void fuzz_answer(struct ike_sa *resp_sa, const uint8_t *data, size_t size)
{
	uint8_t msg[IKE_MSG_MAX];
	struct ike_wbuf wb;
	uint32_t from, msg_id;
	uint8_t exchange;
	int err;

	err = fuzz_request(data[1], &exchange);
	drain(resp_eng);
	if (err)
		return;
	msg_id = init_sa->next_msg_id - 1;
	ike_wb_init(&wb, msg, sizeof(msg));
	ike_msg_begin(resp_sa, &wb, exchange, true, msg_id);
	inet_pton(AF_INET, "127.0.0.12", &from);
	if (ike_sk_seal(&resp_sa->sk, &wb, data[2], data + 3, size - 3) == 0)
		ike_engine_process(init_eng, msg, wb.len, from, port);
	drain(resp_eng);
	for (struct ike_sa *sa = init_eng->sas; sa; sa = sa->next)
		if (sa != init_sa)
			ike_sa_kill(sa, IKE_DOWN_SHUTDOWN);
	/* CHILD_SAs the responder never made would fill the slots. */
	if (init_sa)
		OPENSSL_cleanse(init_sa->child, sizeof(init_sa->child));
	ike_engine_tick(init_eng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t msg[IKE_MSG_MAX];
	uint32_t from;
	struct ike_sa *resp_sa;

	if (!init_eng)
		setup();
	if (size < 3 || size > IKE_MSG_MAX - 64)
		return 0;
	resp_sa = establish();
	inet_pton(AF_INET, "127.0.0.11", &from);
	if ((data[0] & 3) == 3) {
		fuzz_answer(resp_sa, data, size);
		return 0;
	}
	if (!(data[0] & 1)) {
		memcpy(msg, data + 1, size - 1);
		ike_engine_process(resp_eng, msg, size - 1, from, port);
	} else {
		struct ike_wbuf wb;

		/* Under the message ID the responder expects next. */
		ike_wb_init(&wb, msg, sizeof(msg));
		ike_msg_begin(init_sa, &wb, exchanges[data[1] % sizeof(exchanges)], false,
			      resp_sa->peer_msg_id);
		if (ike_sk_seal(&init_sa->sk, &wb, data[2], data + 3, size - 3) == 0)
			ike_engine_process(resp_eng, msg, wb.len, from, port);
	}
	/* Answers go to the initiator, which has no request out: counted and
	 * dropped; reading them keeps the socket from filling. */
	ike_engine_input(init_eng);
	return 0;
}
