#include "keyd/ike/ike_wire.h"

#include <string.h>

#include "lib/bytes.h"

const char *ike_perr_name(int perr)
{
	static const char *const names[] = {
		[IKE_PERR_OK] = "ok",
		[IKE_PERR_TRUNCATED] = "truncated",
		[IKE_PERR_SYNTAX] = "invalid syntax",
		[IKE_PERR_VERSION] = "unsupported major version",
		[IKE_PERR_CRITICAL] = "unknown critical payload",
		[IKE_PERR_TOO_MANY] = "too many payloads",
		[IKE_PERR_UNSUPPORTED] = "unsupported",
	};

	if (perr < 0 || (size_t)perr >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[perr];
}

int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	if (len < IKE_HDR_LEN)
		return IKE_PERR_TRUNCATED;
	if (len > IKE_MSG_MAX)
		return IKE_PERR_TOO_MANY;
	memcpy(h->spi_i, buf, IKE_SPI_LEN);
	memcpy(h->spi_r, buf + 8, IKE_SPI_LEN);
	h->next_payload = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msg_id = get_be32(buf + 20);
	h->length = get_be32(buf + 24);
	/* RFC 7296 3.1: a major version above 2 gets INVALID_MAJOR_VERSION;
	 * minor versions are ignored. */
	if ((h->version >> 4) != 2)
		return IKE_PERR_VERSION;
	if (h->length != len)
		return h->length > len ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	return IKE_PERR_OK;
}

bool ike_payload_known(uint8_t type)
{
	switch (type) {
	case IKE_PL_SA:
	case IKE_PL_KE:
	case IKE_PL_IDI:
	case IKE_PL_IDR:
	case IKE_PL_CERT:
	case IKE_PL_CERTREQ:
	case IKE_PL_AUTH:
	case IKE_PL_NONCE:
	case IKE_PL_NOTIFY:
	case IKE_PL_DELETE:
	case IKE_PL_VENDOR:
	case IKE_PL_TSI:
	case IKE_PL_TSR:
	case IKE_PL_SK:
	case IKE_PL_CP:
	case IKE_PL_EAP:
	case MLIKE_PL_ZONEMAP:
	case MLIKE_PL_SECRET:
	case MLIKE_PL_CSA_PROPOSAL:
	case DKM_PL_MH:
	case MLIKE_PL_NEIGHBORS:
		return true;
	default:
		return false;
	}
}

int ike_chain_parse(uint8_t first, const uint8_t *p, size_t len, struct ike_chain *c,
		    uint8_t *bad_type)
{
	uint8_t type = first;
	size_t off = 0;

	c->n = 0;
	while (type != IKE_PL_NONE) {
		uint16_t pl_len;
		uint8_t next;
		bool critical;

		if (len - off < IKE_GEN_HDR_LEN)
			return IKE_PERR_TRUNCATED;
		next = p[off];
		critical = p[off + 1] & IKE_CRITICAL;
		pl_len = get_be16(p + off + 2);
		if (pl_len < IKE_GEN_HDR_LEN)
			return IKE_PERR_SYNTAX;
		if (pl_len > len - off)
			return IKE_PERR_TRUNCATED;
		if (!ike_payload_known(type)) {
			/* RFC 7296 2.5: skip non-critical unknown payloads. */
			if (critical) {
				*bad_type = type;
				return IKE_PERR_CRITICAL;
			}
		} else {
			if (c->n == IKE_CHAIN_MAX)
				return IKE_PERR_TOO_MANY;
			c->pl[c->n++] = (struct ike_pl){
				.type = type,
				.critical = critical,
				.len = pl_len - IKE_GEN_HDR_LEN,
				.body = p + off + IKE_GEN_HDR_LEN,
			};
		}
		off += pl_len;
		/* RFC 7296 3.14: SK is the last payload; its next-payload field
		 * names the first payload inside, so the walk stops here. */
		if (type == IKE_PL_SK)
			return off == len ? IKE_PERR_OK : IKE_PERR_SYNTAX;
		type = next;
	}
	return off == len ? IKE_PERR_OK : IKE_PERR_SYNTAX;
}

const struct ike_pl *ike_chain_find(const struct ike_chain *c, uint8_t type, unsigned int *count)
{
	const struct ike_pl *found = NULL;
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->n; i++) {
		if (c->pl[i].type != type)
			continue;
		if (!found)
			found = &c->pl[i];
		n++;
	}
	if (count)
		*count = n;
	return found;
}

/* One transform substructure at p (len bytes left in the proposal). */
static int transform_parse(const uint8_t *p, size_t len, struct ike_transform *t, size_t *used,
			   bool *last)
{
	uint16_t t_len;
	size_t off;

	if (len < 8)
		return IKE_PERR_TRUNCATED;
	if (p[0] != 0 && p[0] != 3)
		return IKE_PERR_SYNTAX;
	t_len = get_be16(p + 2);
	if (t_len < 8)
		return IKE_PERR_SYNTAX;
	if (t_len > len)
		return IKE_PERR_TRUNCATED;
	*last = p[0] == 0;
	memset(t, 0, sizeof(*t));
	t->type = p[4];
	t->id = get_be16(p + 6);
	for (off = 8; off < t_len;) {
		uint16_t a_type, a_len;

		if (t_len - off < 4)
			return IKE_PERR_TRUNCATED;
		a_type = get_be16(p + off);
		if (a_type & IKE_ATTR_TV) {
			if ((a_type & ~IKE_ATTR_TV) == IKE_ATTR_KEY_LENGTH)
				t->key_len = get_be16(p + off + 2);
			else
				t->unknown_attr = true;
			off += 4;
			continue;
		}
		/* TLV attributes: none defined that we use. */
		a_len = get_be16(p + off + 2);
		if (a_len > t_len - off - 4)
			return IKE_PERR_TRUNCATED;
		t->unknown_attr = true;
		off += 4 + (size_t)a_len;
	}
	*used = t_len;
	return IKE_PERR_OK;
}

static int proposal_parse(const uint8_t *p, size_t len, struct ike_proposal *pr, size_t *used,
			  bool *last)
{
	uint16_t p_len;
	size_t off;
	uint8_t n_trans;
	int err;

	if (len < 8)
		return IKE_PERR_TRUNCATED;
	if (p[0] != 0 && p[0] != 2)
		return IKE_PERR_SYNTAX;
	p_len = get_be16(p + 2);
	if (p_len < 8)
		return IKE_PERR_SYNTAX;
	if (p_len > len)
		return IKE_PERR_TRUNCATED;
	*last = p[0] == 0;
	pr->num = p[4];
	pr->proto = p[5];
	pr->spi_len = p[6];
	n_trans = p[7];
	if (pr->spi_len != 0 && pr->spi_len != 4 && pr->spi_len != 8)
		return IKE_PERR_SYNTAX;
	if ((size_t)8 + pr->spi_len > p_len)
		return IKE_PERR_TRUNCATED;
	memset(pr->spi, 0, sizeof(pr->spi));
	memcpy(pr->spi, p + 8, pr->spi_len);
	if (n_trans > IKE_TRANS_MAX)
		return IKE_PERR_TOO_MANY;
	pr->n_trans = 0;
	off = 8 + (size_t)pr->spi_len;
	for (unsigned int i = 0; i < n_trans; i++) {
		size_t t_used;
		bool t_last;

		err = transform_parse(p + off, p_len - off, &pr->t[i], &t_used, &t_last);
		if (err)
			return err;
		off += t_used;
		pr->n_trans++;
		/* The "last" flag and the count must agree (RFC 7296 3.3.2). */
		if (t_last != (i + 1 == n_trans))
			return IKE_PERR_SYNTAX;
	}
	if (off != p_len)
		return IKE_PERR_SYNTAX;
	*used = p_len;
	return IKE_PERR_OK;
}

int ike_sa_parse(const uint8_t *body, size_t len, struct ike_sa_pl *sa)
{
	size_t off = 0;
	bool last = false;
	int err;

	sa->n_props = 0;
	while (off < len) {
		size_t used;

		if (sa->n_props == IKE_PROP_MAX)
			return IKE_PERR_TOO_MANY;
		err = proposal_parse(body + off, len - off, &sa->p[sa->n_props], &used, &last);
		if (err)
			return err;
		sa->n_props++;
		/* In a list of proposals the numbers start at 1 and grow by one
		 * (RFC 7296 3.3.1); a lone accepted proposal keeps its number. */
		if (sa->n_props > 1 &&
		    (sa->p[0].num != 1 || sa->p[sa->n_props - 1].num != sa->n_props))
			return IKE_PERR_SYNTAX;
		off += used;
		if (last)
			break;
	}
	if (!last || off != len || sa->n_props == 0)
		return IKE_PERR_SYNTAX;
	return IKE_PERR_OK;
}

int ike_ke_parse(const uint8_t *body, size_t len, struct ike_ke_pl *ke)
{
	if (len < 4)
		return IKE_PERR_TRUNCATED;
	ke->group = get_be16(body);
	ke->len = (uint16_t)(len - 4);
	ke->data = body + 4;
	return IKE_PERR_OK;
}

int ike_nonce_parse(const uint8_t *body, size_t len)
{
	(void)body;
	return len >= IKE_NONCE_MIN && len <= IKE_NONCE_MAX ? IKE_PERR_OK : IKE_PERR_SYNTAX;
}

int ike_notify_parse(const uint8_t *body, size_t len, struct ike_notify_pl *n)
{
	if (len < 4)
		return IKE_PERR_TRUNCATED;
	n->proto = body[0];
	n->spi_len = body[1];
	n->type = get_be16(body + 2);
	if (n->spi_len != 0 && n->spi_len != 4 && n->spi_len != 8)
		return IKE_PERR_SYNTAX;
	if (len < (size_t)4 + n->spi_len)
		return IKE_PERR_TRUNCATED;
	memset(n->spi, 0, sizeof(n->spi));
	memcpy(n->spi, body + 4, n->spi_len);
	n->data = body + 4 + n->spi_len;
	n->data_len = (uint16_t)(len - 4 - n->spi_len);
	return IKE_PERR_OK;
}

int ike_id_parse(const uint8_t *body, size_t len, struct ike_id_pl *id)
{
	if (len < 5)
		return len < 4 ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	id->type = body[0];
	id->data = body + 4;
	id->len = (uint16_t)(len - 4);
	if (id->type == IKE_ID_IPV4_ADDR && id->len != 4)
		return IKE_PERR_SYNTAX;
	return IKE_PERR_OK;
}

int ike_auth_parse(const uint8_t *body, size_t len, struct ike_auth_pl *auth)
{
	if (len < 5)
		return len < 4 ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	auth->method = body[0];
	auth->data = body + 4;
	auth->len = (uint16_t)(len - 4);
	return IKE_PERR_OK;
}

int ike_ts_parse(const uint8_t *body, size_t len, struct ike_ts_pl *ts)
{
	uint8_t count;
	size_t off = 4;

	if (len < 4)
		return IKE_PERR_TRUNCATED;
	count = body[0];
	if (count == 0)
		return IKE_PERR_SYNTAX;
	ts->n = ts->n_skipped = 0;
	for (unsigned int i = 0; i < count; i++) {
		uint16_t s_len;

		if (len - off < 4)
			return IKE_PERR_TRUNCATED;
		s_len = get_be16(body + off + 2);
		if (s_len < 8)
			return IKE_PERR_SYNTAX;
		if (s_len > len - off)
			return IKE_PERR_TRUNCATED;
		if (body[off] == IKE_TS_IPV4_ADDR_RANGE) {
			struct ike_ts *t;

			if (s_len != 16)
				return IKE_PERR_SYNTAX;
			if (ts->n == IKE_TS_MAX)
				return IKE_PERR_TOO_MANY;
			t = &ts->ts[ts->n++];
			t->proto = body[off + 1];
			t->port_lo = get_be16(body + off + 4);
			t->port_hi = get_be16(body + off + 6);
			t->addr_lo = get_be32(body + off + 8);
			t->addr_hi = get_be32(body + off + 12);
			if (t->port_lo > t->port_hi || t->addr_lo > t->addr_hi)
				return IKE_PERR_SYNTAX;
		} else {
			ts->n_skipped++;
		}
		off += s_len;
	}
	return off == len ? IKE_PERR_OK : IKE_PERR_SYNTAX;
}

int ike_delete_parse(const uint8_t *body, size_t len, struct ike_delete_pl *d)
{
	if (len < 4)
		return IKE_PERR_TRUNCATED;
	d->proto = body[0];
	d->spi_len = body[1];
	d->n_spis = get_be16(body + 2);
	if (d->proto == IKE_PROTO_IKE) {
		/* RFC 7296 3.11: the IKE SA is named by the header, no SPIs. */
		if (d->spi_len != 0 || d->n_spis != 0 || len != 4)
			return IKE_PERR_SYNTAX;
		return IKE_PERR_OK;
	}
	if (d->spi_len != 4)
		return IKE_PERR_SYNTAX;
	if (len != 4 + (size_t)d->n_spis * 4)
		return len < 4 + (size_t)d->n_spis * 4 ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	if (d->n_spis > IKE_DELETE_MAX)
		return IKE_PERR_TOO_MANY;
	for (unsigned int i = 0; i < d->n_spis; i++)
		d->spi[i] = get_be32(body + 4 + 4 * i);
	return IKE_PERR_OK;
}

int mlike_zonemap_parse(const uint8_t *body, size_t len, struct mlike_zonemap_pl *zm)
{
	if (len < 4)
		return IKE_PERR_TRUNCATED;
	zm->n_zones = body[0];
	zm->format = body[1];
	if (get_be16(body + 2) != 0)
		return IKE_PERR_SYNTAX;
	if (zm->n_zones == 0)
		return IKE_PERR_SYNTAX;
	if (zm->n_zones > MLIKE_ZONES_MAX)
		return IKE_PERR_TOO_MANY;
	if (len != 4 + (size_t)zm->n_zones * 4)
		return len < 4 + (size_t)zm->n_zones * 4 ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	for (unsigned int i = 0; i < zm->n_zones; i++) {
		zm->start[i] = get_be16(body + 4 + 4 * i);
		zm->end[i] = get_be16(body + 6 + 4 * i);
		/* Zones tile the payload: each starts where the previous ended,
		 * the first at 0, and only the last runs to the end. */
		if (zm->start[i] != (i ? zm->end[i - 1] : 0))
			return IKE_PERR_SYNTAX;
		if (zm->end[i] == MLIKE_ZONE_END ? i + 1 != zm->n_zones :
						   zm->end[i] <= zm->start[i])
			return IKE_PERR_SYNTAX;
	}
	if (zm->end[zm->n_zones - 1] != MLIKE_ZONE_END)
		return IKE_PERR_SYNTAX;
	return IKE_PERR_OK;
}

int mlike_secret_parse(const uint8_t *body, size_t len, struct mlike_secret_pl *s)
{
	uint8_t key_len, salt_len;

	if (len < MLIKE_SECRET_FIXED)
		return IKE_PERR_TRUNCATED;
	s->spi = get_be32(body);
	s->zone = body[4];
	s->dir = body[5];
	s->transform = get_be16(body + 6);
	key_len = body[8];
	salt_len = body[9];
	if (get_be16(body + 10) != 0)
		return IKE_PERR_SYNTAX;
	s->soft_lifetime_s = get_be32(body + 12);
	s->hard_lifetime_s = get_be32(body + 16);
	if (len != (size_t)MLIKE_SECRET_FIXED + key_len + salt_len)
		return len < (size_t)MLIKE_SECRET_FIXED + key_len + salt_len ? IKE_PERR_TRUNCATED :
									       IKE_PERR_SYNTAX;
	if (s->zone == 0 || s->zone > MLIKE_ZONES_MAX)
		return IKE_PERR_SYNTAX;
	if (s->dir != MLIKE_DIR_TO_MH && s->dir != MLIKE_DIR_TO_HA)
		return IKE_PERR_SYNTAX;
	memset(s->key, 0, sizeof(s->key));
	memset(s->salt, 0, sizeof(s->salt));
	if (s->transform == 0) {
		/* The null SA: the receiver may not read this zone. */
		if (key_len || salt_len)
			return IKE_PERR_SYNTAX;
		return IKE_PERR_OK;
	}
	if (s->transform != IKE_ENCR_CHACHA20_POLY1305 && s->transform != IKE_ENCR_AES_GCM_16)
		return IKE_PERR_UNSUPPORTED;
	if (key_len != IKE_AEAD_KEY_LEN || salt_len != IKE_AEAD_SALT_LEN)
		return IKE_PERR_SYNTAX;
	memcpy(s->key, body + MLIKE_SECRET_FIXED, IKE_AEAD_KEY_LEN);
	memcpy(s->salt, body + MLIKE_SECRET_FIXED + IKE_AEAD_KEY_LEN, IKE_AEAD_SALT_LEN);
	return IKE_PERR_OK;
}

/* --- writer --- */

void ike_wb_init(struct ike_wbuf *wb, uint8_t *buf, size_t cap)
{
	wb->buf = buf;
	wb->cap = cap;
	wb->len = 0;
	wb->np_off = SIZE_MAX;
	wb->first_type = IKE_PL_NONE;
	wb->overflow = false;
}

static uint8_t *wb_room(struct ike_wbuf *wb, size_t n)
{
	uint8_t *p;

	if (wb->overflow || n > wb->cap - wb->len) {
		wb->overflow = true;
		return NULL;
	}
	p = wb->buf + wb->len;
	wb->len += n;
	return p;
}

void ike_wb_put8(struct ike_wbuf *wb, uint8_t v)
{
	uint8_t *p = wb_room(wb, 1);

	if (p)
		*p = v;
}

void ike_wb_put16(struct ike_wbuf *wb, uint16_t v)
{
	uint8_t *p = wb_room(wb, 2);

	if (p)
		put_be16(p, v);
}

void ike_wb_put32(struct ike_wbuf *wb, uint32_t v)
{
	uint8_t *p = wb_room(wb, 4);

	if (p)
		put_be32(p, v);
}

void ike_wb_put(struct ike_wbuf *wb, const void *src, size_t n)
{
	uint8_t *p = wb_room(wb, n);

	if (p && n)
		memcpy(p, src, n);
}

void ike_wb_hdr(struct ike_wbuf *wb, const struct ike_hdr *h)
{
	ike_wb_put(wb, h->spi_i, IKE_SPI_LEN);
	ike_wb_put(wb, h->spi_r, IKE_SPI_LEN);
	wb->np_off = wb->len;
	ike_wb_put8(wb, IKE_PL_NONE);
	ike_wb_put8(wb, IKE_VERSION);
	ike_wb_put8(wb, h->exchange);
	ike_wb_put8(wb, h->flags);
	ike_wb_put32(wb, h->msg_id);
	ike_wb_put32(wb, 0);
}

int ike_wb_finish_msg(struct ike_wbuf *wb)
{
	if (wb->overflow || wb->len < IKE_HDR_LEN)
		return -1;
	put_be32(wb->buf + 24, (uint32_t)wb->len);
	return 0;
}

size_t ike_wb_pl_begin(struct ike_wbuf *wb, uint8_t type, bool critical)
{
	size_t start = wb->len;

	if (!wb->overflow && wb->np_off != SIZE_MAX)
		wb->buf[wb->np_off] = type;
	else if (wb->len == 0)
		wb->first_type = type;
	wb->np_off = wb->len;
	ike_wb_put8(wb, IKE_PL_NONE);
	ike_wb_put8(wb, critical ? IKE_CRITICAL : 0);
	ike_wb_put16(wb, 0);
	if (wb->overflow)
		wb->np_off = SIZE_MAX;
	return start;
}

void ike_wb_pl_end(struct ike_wbuf *wb, size_t start)
{
	if (wb->overflow)
		return;
	if (wb->len - start > UINT16_MAX) {
		wb->overflow = true;
		return;
	}
	put_be16(wb->buf + start + 2, (uint16_t)(wb->len - start));
}

static void put_proposal(struct ike_wbuf *wb, const struct ike_proposal *pr, bool last)
{
	size_t start = wb->len;

	ike_wb_put8(wb, last ? 0 : 2);
	ike_wb_put8(wb, 0);
	ike_wb_put16(wb, 0);
	ike_wb_put8(wb, pr->num);
	ike_wb_put8(wb, pr->proto);
	ike_wb_put8(wb, pr->spi_len);
	ike_wb_put8(wb, pr->n_trans);
	ike_wb_put(wb, pr->spi, pr->spi_len);
	for (unsigned int i = 0; i < pr->n_trans; i++) {
		const struct ike_transform *t = &pr->t[i];

		ike_wb_put8(wb, i + 1 == pr->n_trans ? 0 : 3);
		ike_wb_put8(wb, 0);
		ike_wb_put16(wb, t->key_len ? 12 : 8);
		ike_wb_put8(wb, t->type);
		ike_wb_put8(wb, 0);
		ike_wb_put16(wb, t->id);
		if (t->key_len) {
			ike_wb_put16(wb, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
			ike_wb_put16(wb, t->key_len);
		}
	}
	if (!wb->overflow)
		put_be16(wb->buf + start + 2, (uint16_t)(wb->len - start));
}

void ike_put_proposals(struct ike_wbuf *wb, const struct ike_sa_pl *sa)
{
	for (unsigned int i = 0; i < sa->n_props; i++)
		put_proposal(wb, &sa->p[i], i + 1 == sa->n_props);
}

void ike_put_sa(struct ike_wbuf *wb, const struct ike_sa_pl *sa)
{
	size_t start = ike_wb_pl_begin(wb, IKE_PL_SA, false);

	ike_put_proposals(wb, sa);
	ike_wb_pl_end(wb, start);
}

void ike_put_ke(struct ike_wbuf *wb, uint16_t group, const uint8_t *data, size_t len)
{
	size_t start = ike_wb_pl_begin(wb, IKE_PL_KE, false);

	ike_wb_put16(wb, group);
	ike_wb_put16(wb, 0);
	ike_wb_put(wb, data, len);
	ike_wb_pl_end(wb, start);
}

void ike_put_nonce(struct ike_wbuf *wb, const uint8_t *nonce, size_t len)
{
	size_t start = ike_wb_pl_begin(wb, IKE_PL_NONCE, false);

	ike_wb_put(wb, nonce, len);
	ike_wb_pl_end(wb, start);
}

void ike_put_notify(struct ike_wbuf *wb, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		    uint16_t type, const uint8_t *data, size_t data_len)
{
	size_t start = ike_wb_pl_begin(wb, IKE_PL_NOTIFY, false);

	ike_wb_put8(wb, proto);
	ike_wb_put8(wb, spi_len);
	ike_wb_put16(wb, type);
	ike_wb_put(wb, spi, spi_len);
	ike_wb_put(wb, data, data_len);
	ike_wb_pl_end(wb, start);
}

void ike_put_id(struct ike_wbuf *wb, uint8_t pl_type, uint8_t id_type, const uint8_t *data,
		size_t len)
{
	size_t start = ike_wb_pl_begin(wb, pl_type, false);

	ike_wb_put8(wb, id_type);
	ike_wb_put8(wb, 0);
	ike_wb_put16(wb, 0);
	ike_wb_put(wb, data, len);
	ike_wb_pl_end(wb, start);
}

void ike_put_auth(struct ike_wbuf *wb, uint8_t method, const uint8_t *data, size_t len)
{
	size_t start = ike_wb_pl_begin(wb, IKE_PL_AUTH, false);

	ike_wb_put8(wb, method);
	ike_wb_put8(wb, 0);
	ike_wb_put16(wb, 0);
	ike_wb_put(wb, data, len);
	ike_wb_pl_end(wb, start);
}

void ike_put_ts(struct ike_wbuf *wb, uint8_t pl_type, const struct ike_ts_pl *ts)
{
	size_t start = ike_wb_pl_begin(wb, pl_type, false);

	ike_wb_put8(wb, ts->n);
	ike_wb_put8(wb, 0);
	ike_wb_put16(wb, 0);
	for (unsigned int i = 0; i < ts->n; i++) {
		ike_wb_put8(wb, IKE_TS_IPV4_ADDR_RANGE);
		ike_wb_put8(wb, ts->ts[i].proto);
		ike_wb_put16(wb, 16);
		ike_wb_put16(wb, ts->ts[i].port_lo);
		ike_wb_put16(wb, ts->ts[i].port_hi);
		ike_wb_put32(wb, ts->ts[i].addr_lo);
		ike_wb_put32(wb, ts->ts[i].addr_hi);
	}
	ike_wb_pl_end(wb, start);
}

void ike_put_delete(struct ike_wbuf *wb, uint8_t proto, const uint32_t *spis, uint16_t n)
{
	size_t start = ike_wb_pl_begin(wb, IKE_PL_DELETE, false);

	ike_wb_put8(wb, proto);
	ike_wb_put8(wb, proto == IKE_PROTO_IKE ? 0 : 4);
	ike_wb_put16(wb, n);
	for (unsigned int i = 0; i < n; i++)
		ike_wb_put32(wb, spis[i]);
	ike_wb_pl_end(wb, start);
}

void mlike_put_zonemap(struct ike_wbuf *wb, const struct mlike_zonemap_pl *zm)
{
	size_t start = ike_wb_pl_begin(wb, MLIKE_PL_ZONEMAP, true);

	ike_wb_put8(wb, zm->n_zones);
	ike_wb_put8(wb, zm->format);
	ike_wb_put16(wb, 0);
	for (unsigned int i = 0; i < zm->n_zones; i++) {
		ike_wb_put16(wb, zm->start[i]);
		ike_wb_put16(wb, zm->end[i]);
	}
	ike_wb_pl_end(wb, start);
}

void mlike_put_secret(struct ike_wbuf *wb, const struct mlike_secret_pl *s)
{
	size_t start = ike_wb_pl_begin(wb, MLIKE_PL_SECRET, true);
	bool null_sa = s->transform == 0;

	ike_wb_put32(wb, s->spi);
	ike_wb_put8(wb, s->zone);
	ike_wb_put8(wb, s->dir);
	ike_wb_put16(wb, s->transform);
	ike_wb_put8(wb, null_sa ? 0 : IKE_AEAD_KEY_LEN);
	ike_wb_put8(wb, null_sa ? 0 : IKE_AEAD_SALT_LEN);
	ike_wb_put16(wb, 0);
	ike_wb_put32(wb, s->soft_lifetime_s);
	ike_wb_put32(wb, s->hard_lifetime_s);
	if (!null_sa) {
		ike_wb_put(wb, s->key, IKE_AEAD_KEY_LEN);
		ike_wb_put(wb, s->salt, IKE_AEAD_SALT_LEN);
	}
	ike_wb_pl_end(wb, start);
}

/* Count (1), RESERVED (3), then Count IPv4 addresses (docs/protocol.md
 * "NEIGHBOR_NOTIFY"). */
int mlike_neighbors_parse(const uint8_t *body, size_t len, struct mlike_neighbors_pl *nb)
{
	if (len < 4)
		return IKE_PERR_TRUNCATED;
	nb->n = body[0];
	if (body[1] || get_be16(body + 2))
		return IKE_PERR_SYNTAX;
	if (nb->n > MLIKE_NEIGHBORS_MAX)
		return IKE_PERR_TOO_MANY;
	if (len != 4 + 4 * (size_t)nb->n)
		return len < 4 + 4 * (size_t)nb->n ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	for (unsigned int i = 0; i < nb->n; i++) {
		uint32_t host = get_be32(body + 4 + 4 * i);

		/* Unicast only: each is a peer the HA sets an IKE SA up with. */
		if (!host || host == 0xffffffffu || (host >> 28) == 0xe)
			return IKE_PERR_SYNTAX;
		memcpy(&nb->addr[i], body + 4 + 4 * i, 4);
		for (unsigned int k = 0; k < i; k++)
			if (nb->addr[k] == nb->addr[i])
				return IKE_PERR_SYNTAX;
	}
	return IKE_PERR_OK;
}

void mlike_put_neighbors(struct ike_wbuf *wb, const struct mlike_neighbors_pl *nb)
{
	size_t start = ike_wb_pl_begin(wb, MLIKE_PL_NEIGHBORS, true);

	ike_wb_put8(wb, nb->n);
	ike_wb_put8(wb, 0);
	ike_wb_put16(wb, 0);
	for (unsigned int i = 0; i < nb->n; i++)
		ike_wb_put(wb, &nb->addr[i], 4);
	ike_wb_pl_end(wb, start);
}

/* Home address (4), peer address (4), home port (2), peer port (2),
 * protocol (1), RESERVED (3), mode (1), RESERVED (1), every_n (2),
 * duration (4) (docs/protocol.md "Flow mode"). */
int mlike_flow_mode_parse(const uint8_t *data, size_t len, struct mlike_flow_mode_pl *fm)
{
	if (len != MLIKE_FLOW_MODE_LEN)
		return len < MLIKE_FLOW_MODE_LEN ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	if (data[13] || data[14] || data[15] || data[17])
		return IKE_PERR_SYNTAX;
	memcpy(&fm->home_addr, data, 4);
	memcpy(&fm->peer_addr, data + 4, 4);
	fm->home_port = get_be16(data + 8);
	fm->peer_port = get_be16(data + 10);
	fm->proto = data[12];
	fm->mode = data[16];
	fm->every_n = get_be16(data + 18);
	fm->duration_s = get_be32(data + 20);
	/* A flow of no mobile in particular is nobody's to change; every n-th
	 * packet protected needs a protected mode. */
	if (!fm->home_addr || fm->mode >= MLIKE_FLOW_MODES || (fm->every_n > 1 && fm->mode == 0))
		return IKE_PERR_SYNTAX;
	return IKE_PERR_OK;
}

void mlike_flow_mode_encode(const struct mlike_flow_mode_pl *fm, uint8_t out[MLIKE_FLOW_MODE_LEN])
{
	memset(out, 0, MLIKE_FLOW_MODE_LEN);
	memcpy(out, &fm->home_addr, 4);
	memcpy(out + 4, &fm->peer_addr, 4);
	out[8] = (uint8_t)(fm->home_port >> 8);
	out[9] = (uint8_t)fm->home_port;
	out[10] = (uint8_t)(fm->peer_port >> 8);
	out[11] = (uint8_t)fm->peer_port;
	out[12] = fm->proto;
	out[16] = fm->mode;
	out[18] = (uint8_t)(fm->every_n >> 8);
	out[19] = (uint8_t)fm->every_n;
	out[20] = (uint8_t)(fm->duration_s >> 24);
	out[21] = (uint8_t)(fm->duration_s >> 16);
	out[22] = (uint8_t)(fm->duration_s >> 8);
	out[23] = (uint8_t)fm->duration_s;
}

/* State (1), RESERVED (3), loss rate (4, ppm, at most 1e6). */
int mlike_link_state_parse(const uint8_t *data, size_t len, struct mlike_link_state_pl *ls)
{
	if (len != MLIKE_LINK_STATE_LEN)
		return len < MLIKE_LINK_STATE_LEN ? IKE_PERR_TRUNCATED : IKE_PERR_SYNTAX;
	if (data[1] || data[2] || data[3])
		return IKE_PERR_SYNTAX;
	ls->state = data[0];
	ls->loss_ppm = get_be32(data + 4);
	if (ls->state < 1 || ls->state > 2 || ls->loss_ppm > 1000000)
		return IKE_PERR_SYNTAX;
	return IKE_PERR_OK;
}

void mlike_link_state_encode(const struct mlike_link_state_pl *ls,
			     uint8_t out[MLIKE_LINK_STATE_LEN])
{
	memset(out, 0, MLIKE_LINK_STATE_LEN);
	out[0] = ls->state;
	out[4] = (uint8_t)(ls->loss_ppm >> 24);
	out[5] = (uint8_t)(ls->loss_ppm >> 16);
	out[6] = (uint8_t)(ls->loss_ppm >> 8);
	out[7] = (uint8_t)ls->loss_ppm;
}
