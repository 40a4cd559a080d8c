/* The SA layer's table of IKE SAs: creation, lookup, the end of an SA
 * (events, wiping, freeing), the Delete that ends it by agreement, and the
 * state of our CREATE_CHILD_SA (sa->cc) that ike_create.c and ike_rekey.c
 * share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyd/ike/ike_sa.h"
#include "lib/log.h"

uint32_t ike_new_spi32(void)
{
	uint32_t spi = 0;

	/* 0..255 are reserved (RFC 4303 2.1). */
	while (spi < 256)
		if (ike_random(&spi, sizeof(spi)))
			return 0;
	return spi;
}

static unsigned int spi_bucket(const uint8_t *spi)
{
	uint32_t h;

	memcpy(&h, spi, sizeof(h)); /* random: any four bytes spread */
	return h % IKE_SA_BUCKETS;
}

struct ike_sa *ike_sa_new(struct ike_engine *eng, const struct ike_peer_cfg *cfg, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	uint8_t *own_spi;

	if (!sa)
		return NULL;
	sa->eng = eng;
	sa->cfg = cfg;
	sa->initiator = initiator;
	own_spi = initiator ? sa->spi_i : sa->spi_r;
	do {
		if (ike_random(own_spi, IKE_SPI_LEN)) {
			free(sa);
			return NULL;
		}
	} while (!memcmp(own_spi, (uint8_t[IKE_SPI_LEN]){ 0 }, IKE_SPI_LEN));
	if (cfg->derived)
		((struct ike_peer_cfg *)cfg)->refs++; /* the embedder's, counted for it */
	sa->next = eng->sas;
	eng->sas = sa;
	sa->hnext = eng->by_spi[spi_bucket(own_spi)];
	eng->by_spi[spi_bucket(own_spi)] = sa;
	return sa;
}

static const uint8_t *own_spi_of(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static void spi_unlink(struct ike_sa *sa)
{
	struct ike_sa **pp = &sa->eng->by_spi[spi_bucket(own_spi_of(sa))];

	while (*pp && *pp != sa)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = sa->hnext;
	sa->hnext = NULL;
}

void ike_sa_set_own_spi(struct ike_sa *sa, const uint8_t *spi)
{
	unsigned int b = spi_bucket(spi);

	spi_unlink(sa);
	memcpy(sa->initiator ? sa->spi_i : sa->spi_r, spi, IKE_SPI_LEN);
	sa->hnext = sa->eng->by_spi[b];
	sa->eng->by_spi[b] = sa;
}

static void sa_free(struct ike_sa *sa)
{
	if (sa->cfg && sa->cfg->derived && sa->eng->ev->cfg_put)
		sa->eng->ev->cfg_put(sa->eng->ev_ctx, sa->cfg);
	spi_unlink(sa);
	ike_dh_free(&sa->dh);
	ike_dh_free(&sa->cc.dh);
	ike_sk_free(&sa->sk);
	free(sa->init_msg_i);
	free(sa->init_msg_r);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void ike_sa_reap_all(struct ike_engine *eng)
{
	struct ike_sa **pp = &eng->sas;
	unsigned int live = 0;

	while (*pp) {
		struct ike_sa *sa = *pp;

		if (sa->state == IKE_S_DEAD) {
			*pp = sa->next;
			sa_free(sa);
		} else {
			pp = &sa->next;
			live++;
		}
	}
	eng->reap_calls = 0;
	eng->reap_every = live / 32 + 1;
}

/* Called after every message: a walk over every SA each time made a
 * message cost O(SAs) (1 ms at 10,000, docs/results.md "Scale"). */
void ike_sa_reap(struct ike_engine *eng)
{
	if (++eng->reap_calls >= eng->reap_every)
		ike_sa_reap_all(eng);
}

void ike_sa_kill(struct ike_sa *sa, enum ike_down_reason why)
{
	struct ike_engine *eng = sa->eng;
	bool was_up = sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING;

	if (sa->state == IKE_S_DEAD)
		return;
	if (sa->state == IKE_S_HALF_OPEN && eng->half_open)
		eng->half_open--;
	for (unsigned int i = 0; i < IKE_CHILD_MAX; i++) {
		if (!sa->child[i].used)
			continue;
		if (eng->ev->child_down)
			eng->ev->child_down(eng->ev_ctx, sa, &sa->child[i]);
		OPENSSL_cleanse(&sa->child[i], sizeof(sa->child[i]));
	}
	sa->state = IKE_S_DEAD;
	if (sa->rekeyed)
		was_up = false; /* its successor carries on */
	if (was_up)
		ike_count(eng, IKE_C_SA_DOWN, NULL);
	/* Every SA we started, and every one that came up, reports its end. */
	if ((was_up || (sa->initiator && !sa->rekeyed)) && eng->ev->ike_down)
		eng->ev->ike_down(eng->ev_ctx, sa, why);
	OPENSSL_cleanse(&sa->keys, sizeof(sa->keys));
	OPENSSL_cleanse(&sa->csa, sizeof(sa->csa));
	ike_cc_wipe(sa);
	ike_sk_free(&sa->sk);
	ike_dh_free(&sa->dh);
}

struct ike_sa *ike_sa_find(struct ike_engine *eng, const struct ike_hdr *h, uint32_t addr)
{
	bool from_initiator = h->flags & IKE_FLAG_INITIATOR;
	/* Our SPI in the header: the responder's if the peer initiated. */
	const uint8_t *own = from_initiator ? h->spi_r : h->spi_i;

	for (struct ike_sa *sa = eng->by_spi[spi_bucket(own)]; sa; sa = sa->hnext) {
		if (sa->state == IKE_S_DEAD || sa->initiator == from_initiator)
			continue;
		if (memcmp(sa->spi_i, h->spi_i, IKE_SPI_LEN) ||
		    memcmp(sa->spi_r, h->spi_r, IKE_SPI_LEN))
			continue;
		return sa;
	}
	return NULL;
}

struct ike_sa *ike_sa_find_init_sent(struct ike_engine *eng, const uint8_t *spi_i)
{
	for (struct ike_sa *sa = eng->by_spi[spi_bucket(spi_i)]; sa; sa = sa->hnext)
		if (sa->initiator && sa->state == IKE_S_INIT_SENT &&
		    !memcmp(sa->spi_i, spi_i, IKE_SPI_LEN))
			return sa;
	return NULL;
}

const struct ike_peer_cfg *ike_peer_by_addr(const struct ike_engine *eng, uint32_t addr)
{
	for (unsigned int i = 0; i < eng->cfg.n_peers; i++)
		if (eng->cfg.peers[i].addr == addr && !eng->cfg.peers[i].tmpl)
			return &eng->cfg.peers[i];
	return eng->ev->peer_lookup ? eng->ev->peer_lookup(eng->ev_ctx, addr) : NULL;
}

bool ike_sa_established(const struct ike_sa *sa)
{
	return sa->state == IKE_S_ESTABLISHED;
}

const struct ike_peer_cfg *ike_sa_peer(const struct ike_sa *sa)
{
	return sa->cfg;
}

bool ike_sa_is_initiator(const struct ike_sa *sa)
{
	return sa->initiator;
}

void ike_sa_spis(const struct ike_sa *sa, uint8_t spi_i[IKE_SPI_LEN], uint8_t spi_r[IKE_SPI_LEN])
{
	memcpy(spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(spi_r, sa->spi_r, IKE_SPI_LEN);
}

void ike_sa_set_user(struct ike_sa *sa, void *user)
{
	sa->user = user;
}

void *ike_sa_user(const struct ike_sa *sa)
{
	return sa->user;
}

uint64_t ike_soft_deadline(uint32_t ms)
{
	uint32_t r = 0;

	if (!ms)
		return 0;
	ike_random(&r, sizeof(r));
	return ike_now_ms() + ms - r % (ms / 10 + 1);
}

int ike_cc_ready(const struct ike_sa *sa)
{
	if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed)
		return -ENOTCONN;
	if (sa->req_kind != IKE_REQ_NONE || sa->cc.active)
		return -EBUSY;
	return 0;
}

/* Every request gets its own nonce and key pair (RFC 7296 2.10, 2.12). */
int ike_cc_fresh(struct ike_cc *cc, bool ke)
{
	ike_dh_free(&cc->dh);
	if (ike_random(cc->ni, sizeof(cc->ni)))
		return -EIO;
	return ke ? ike_dh_generate(&cc->dh) : 0;
}

void ike_cc_wipe(struct ike_sa *sa)
{
	ike_dh_free(&sa->cc.dh);
	OPENSSL_cleanse(&sa->cc, sizeof(sa->cc));
}

void ike_cc_fail(struct ike_sa *sa, uint16_t notify)
{
	bool was_active = sa->cc.active;

	log_warn("peer %s: our CREATE_CHILD_SA (%s) failed (notify %u)", sa->cfg->name,
		 sa->cc.ike	  ? "IKE SA rekey" :
		 sa->cc.rekey_spi ? "CHILD_SA rekey" :
				    "new CHILD_SA",
		 notify);
	ike_cc_wipe(sa);
	if (was_active && sa->eng->ev->create_failed)
		sa->eng->ev->create_failed(sa->eng->ev_ctx, sa, notify);
}

int ike_info_send(struct ike_sa *sa, const struct ike_wbuf *in, enum ike_req_kind kind)
{
	if (sa->state != IKE_S_ESTABLISHED)
		return -ENOTCONN;
	if (sa->req_kind != IKE_REQ_NONE)
		return -EBUSY;
	return ike_send_protected(sa, IKE_INFORMATIONAL, false, sa->next_msg_id, kind, in);
}

int ike_sa_delete(struct ike_sa *sa)
{
	uint8_t buf[64];
	struct ike_wbuf in;
	int err;

	if (sa->state == IKE_S_DELETING || sa->state == IKE_S_DEAD)
		return 0;
	if (sa->state != IKE_S_ESTABLISHED) {
		ike_sa_kill(sa, IKE_DOWN_DELETED);
		return 0;
	}
	if (sa->req_kind != IKE_REQ_NONE) {
		/* Window of one: the Delete follows the answer in flight. */
		sa->delete_pending = true;
		return 0;
	}
	ike_wb_init(&in, buf, sizeof(buf));
	ike_put_delete(&in, IKE_PROTO_IKE, NULL, 0);
	err = ike_info_send(sa, &in, IKE_REQ_DELETE);
	if (!err)
		sa->state = IKE_S_DELETING;
	return err;
}

/* The lower of an exchange's two nonces, as RFC 7296 2.8.1 compares them
 * (bytewise, a prefix lower than the longer nonce). */
void ike_nonce_low(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		   struct ike_nonce_lo *lo)
{
	size_t n = a_len < b_len ? a_len : b_len;
	int cmp = memcmp(a, b, n);
	bool a_low = cmp < 0 || (cmp == 0 && a_len <= b_len);

	lo->len = a_low ? a_len : b_len;
	memcpy(lo->b, a_low ? a : b, lo->len);
}

int ike_nonce_cmp(const struct ike_nonce_lo *a, const struct ike_nonce_lo *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int cmp = memcmp(a->b, b->b, n);

	return cmp ? cmp : (a->len > b->len) - (a->len < b->len);
}
