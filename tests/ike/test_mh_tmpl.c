/* Mobile hosts by template (keyd/ike/mh_tmpl.c, docs/protocol.md): the
 * derived PSK against an independent RFC 5869 computation, the prefix
 * match, the references an SA holds on a derived configuration, and two
 * engines on an in-memory wire: the HA with one mobile's derived
 * configuration, the mobile host with its own identity and PSK
 * (established), with another mobile's identity and PSK (refused by the
 * HA and counted: a mobile host cannot be another), with a PSK from
 * another master (refused). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/ike.h"
#include "keyd/ike/mh_tmpl.h"

#define HA "10.18.9.1"
#define MH "10.200.0.5"
#define PORT 500
/* python3: hmac HKDF-SHA-256, ikm MASTER, salt "mmlipsec mobile host psk
 * v1", info "ipv4:10.200.0.5", 32 bytes (RFC 5869 2.2 and 2.3 by hand). */
#define MASTER "0123456789abcdef0123456789abcdef"
#define KAT "d8c1dd15ce4b94c4282b1ed690c8d1e68a49ff7d9e40da990403ecf4ae33e981"

static uint32_t addr(const char *a)
{
	uint32_t v;

	inet_pton(AF_INET, a, &v);
	return v;
}

static void psk_kat(void **state)
{
	char psk[MH_PSK_HEX_LEN + 1];

	assert_int_equal(mh_tmpl_psk((const uint8_t *)MASTER, strlen(MASTER), addr(MH), psk), 0);
	assert_string_equal(psk, KAT);
	assert_int_equal(
		mh_tmpl_psk((const uint8_t *)MASTER, strlen(MASTER), addr("10.200.0.6"), psk), 0);
	assert_string_not_equal(psk, KAT); /* each mobile its own */
}

static struct ike_peer_cfg tmpl(const char *net, uint32_t host_mask)
{
	struct ike_peer_cfg t = { .tmpl = true, .ike_encr = IKE_ENCR_AES_GCM_16 };

	t.tmpl_net = addr(net);
	t.tmpl_mask = htonl(host_mask);
	strcpy(t.name, "mobiles");
	t.local_id = (struct ike_identity){ .type = IKE_ID_FQDN, .len = 7 };
	memcpy(t.local_id.data, "ha.test", 7);
	t.psk_len = strlen(MASTER);
	memcpy(t.psk, MASTER, t.psk_len);
	return t;
}

/* The first template holding the address; a configured peer is never
 * one, whatever its address. */
static void match(void **state)
{
	struct ike_peer_cfg p[3] = { { .addr = addr("10.200.1.1") },
				     tmpl("10.200.0.0", 0xffff0000),
				     tmpl("10.201.0.0", 0xffffff00) };

	assert_ptr_equal(mh_tmpl_match(p, 3, addr("10.200.1.1")), &p[1]);
	assert_ptr_equal(mh_tmpl_match(p, 3, addr("10.200.255.7")), &p[1]);
	assert_ptr_equal(mh_tmpl_match(p, 3, addr("10.201.0.9")), &p[2]);
	assert_null(mh_tmpl_match(p, 3, addr("10.201.1.9")));
	assert_null(mh_tmpl_match(p, 3, addr("10.202.0.1")));
	assert_null(mh_tmpl_match(p, 1, addr("10.200.1.1")));
}

static void derive(void **state)
{
	struct ike_peer_cfg t = tmpl("10.200.0.0", 0xffff0000);
	struct ike_peer_cfg *c = mh_tmpl_derive(&t, addr(MH));

	assert_non_null(c);
	assert_true(c->derived);
	assert_false(c->tmpl);
	assert_int_equal(c->refs, 1);
	assert_int_equal(c->addr, addr(MH));
	assert_string_equal(c->name, "mh-" MH);
	assert_int_equal(c->peer_id.type, IKE_ID_IPV4_ADDR);
	assert_int_equal(c->peer_id.len, 4);
	assert_memory_equal(c->peer_id.data, &c->addr, 4);
	assert_int_equal(c->psk_len, MH_PSK_HEX_LEN);
	assert_memory_equal(c->psk, KAT, MH_PSK_HEX_LEN);
	assert_memory_equal(&c->local_id, &t.local_id, sizeof(t.local_id));
	c->refs++;
	mh_tmpl_put(c);
	assert_int_equal(c->refs, 1);
	mh_tmpl_put(c); /* freed: ASan would see a leak otherwise */
}

/* --- two engines on an in-memory wire --- */

struct pkt {
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
	uint32_t from, to;
};
static struct pkt q[16];
static unsigned int nq;

struct node {
	struct ike_engine *eng;
	struct ike_engine_cfg cfg;
	struct ike_peer_cfg peer;
	struct ike_transport tp;
	unsigned int n_up, n_put;
};

static int tx(void *ctx, const uint8_t *buf, size_t len, uint32_t to, uint16_t to_port)
{
	const struct node *n = ctx;

	assert_true(nq < 16);
	memcpy(q[nq].buf, buf, len);
	q[nq].len = len;
	q[nq].from = n->cfg.local_addr;
	q[nq++].to = to;
	return 0;
}

static void ev_up(void *ctx, struct ike_sa *sa)
{
	((struct node *)ctx)->n_up++;
}

static void ev_put(void *ctx, const struct ike_peer_cfg *cfg)
{
	((struct node *)ctx)->n_put++;
	mh_tmpl_put(cfg);
}

static const struct ike_events events = { .ike_up = ev_up, .cfg_put = ev_put };

static void start(struct node *n, const char *me)
{
	n->cfg.local_addr = addr(me);
	n->cfg.cookie_threshold = 16;
	n->tp = (struct ike_transport){ .send = tx, .ctx = n };
	n->cfg.transport = &n->tp;
	n->eng = ike_engine_new(&n->cfg, &events, n);
	assert_non_null(n->eng);
}

static void run(struct node *ha, struct node *mh)
{
	while (nq) {
		struct pkt p = q[0];

		memmove(q, q + 1, (--nq) * sizeof(q[0]));
		ike_engine_process(p.to == ha->cfg.local_addr ? ha->eng : mh->eng, p.buf, p.len,
				   p.from, PORT);
	}
}

/* The HA initiates with MH's derived configuration; the mobile host at
 * MH's address claims identity `as` with PSK psk. */
static void init_with(const char *as, const char *psk, bool ok)
{
	struct ike_peer_cfg t = tmpl("10.200.0.0", 0xffff0000);
	struct ike_peer_cfg *c = mh_tmpl_derive(&t, addr(MH));
	struct node ha = { 0 }, mh = { 0 };

	nq = 0;
	mh.peer = (struct ike_peer_cfg){ .addr = addr(HA), .ike_encr = IKE_ENCR_AES_GCM_16 };
	strcpy(mh.peer.name, "ha");
	mh.peer.local_id = (struct ike_identity){ .type = IKE_ID_IPV4_ADDR, .len = 4 };
	assert_int_equal(inet_pton(AF_INET, as + strlen("ipv4:"), mh.peer.local_id.data), 1);
	mh.peer.psk_len = strlen(psk);
	memcpy(mh.peer.psk, psk, mh.peer.psk_len);
	mh.cfg.peers = &mh.peer;
	mh.cfg.n_peers = 1;
	start(&ha, HA);
	start(&mh, MH);
	assert_non_null(c);
	assert_non_null(ike_initiate(ha.eng, c));
	assert_int_equal(c->refs, 2); /* ours, the SA's */
	/* The hint (no walk) is never later than the walk's answer. */
	assert_in_range(ike_engine_timeout_hint_ms(ha.eng), 0, ike_engine_timeout_ms(ha.eng) + 1);
	run(&ha, &mh);
	ike_engine_tick(ha.eng);
	assert_int_equal(ike_engine_timeout_hint_ms(ha.eng), ike_engine_timeout_ms(ha.eng));
	assert_int_equal(ha.n_up, ok ? 1 : 0);
	assert_int_equal(ike_engine_counter(ha.eng, IKE_C_AUTH_FAILED), ok ? 0 : 1);
	ike_engine_free(ha.eng);
	ike_engine_free(mh.eng);
	assert_int_equal(ha.n_put, 1); /* the SA's reference back */
	assert_int_equal(c->refs, 1);
	mh_tmpl_put(c);
}

static void mh_own_identity(void **state)
{
	init_with("ipv4:" MH, KAT, true);
}

/* Another mobile's identity and its genuine PSK: the HA expects MH's. */
static void mh_other_identity_refused(void **state)
{
	char other[MH_PSK_HEX_LEN + 1];

	assert_int_equal(
		mh_tmpl_psk((const uint8_t *)MASTER, strlen(MASTER), addr("10.200.0.6"), other), 0);
	init_with("ipv4:10.200.0.6", other, false);
	init_with("ipv4:" MH, other, false); /* MH's name, another's key */
	/* Its own key, another's name: the HA's identity check refuses it. */
	init_with("ipv4:10.200.0.6", KAT, false);
}

static void mh_other_master_refused(void **state)
{
	char psk[MH_PSK_HEX_LEN + 1];

	assert_int_equal(mh_tmpl_psk((const uint8_t *)"another master key 0123", 23, addr(MH), psk),
			 0);
	init_with("ipv4:" MH, psk, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(psk_kat),
		cmocka_unit_test(match),
		cmocka_unit_test(derive),
		cmocka_unit_test(mh_own_identity),
		cmocka_unit_test(mh_other_identity_refused),
		cmocka_unit_test(mh_other_master_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
