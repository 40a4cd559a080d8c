#include "bench/ep_setup.h"

#include <arpa/inet.h>
#include <string.h>

#include "lib/bytes.h"
#include "worker/pkt.h"

struct mml_csa bench_csa(uint8_t format, uint8_t alg, uint8_t dir, uint32_t spi)
{
	struct mml_csa c;

	memset(&c, 0, sizeof(c));
	c.spi = spi;
	c.format = format;
	c.dir = dir;
	c.replay_window = 4096;
	c.add_time_ns = 1;
	if (format == MML_FMT_MLESP) {
		c.z1_len = 40;
		c.zone[0].alg = MML_ALG_CHACHA20_POLY1305;
		memset(c.zone[0].key, 0x11, MML_KEY_LEN);
		memset(c.zone[0].salt, 0x22, MML_SALT_LEN);
		c.zone[1].alg = alg;
		memset(c.zone[1].key, 0x33, MML_KEY_LEN);
		memset(c.zone[1].salt, 0x44, MML_SALT_LEN);
	} else {
		c.zone[0].alg = alg;
		memset(c.zone[0].key, 0x55, MML_KEY_LEN);
		memset(c.zone[0].salt, 0x66, MML_SALT_LEN);
	}
	return c;
}

void bench_side_init(struct bench_side *s, const struct mml_csa *c, uint8_t mode, uint32_t home)
{
	struct mml_binding b = { .ha_addr = htonl(0x0a010001), .coa = htonl(0x0a000202) };
	struct mml_flow_key k = { 0 };
	struct mml_flow f = { .mode = mode };

	memset(s, 0, sizeof(*s));
	ep_seqstore_init(&s->store, -1, NULL, 0);
	ep_sacache_init(&s->t.sas, &s->store);
	if (c)
		ep_sacache_load(&s->t.sas, c, 1);
	b.spi_out[mode] = c ? c->spi : 0;
	b.spi_in[mode] = c ? c->spi : 0;
	ep_bindtab_load(&s->t.binds, &home, &b, 1);
	ep_flowtab_load(&s->t.flows, &k, &f, 1);
}

void bench_side_free(struct bench_side *s)
{
	ep_sacache_free(&s->t.sas);
	ep_flowtab_free(&s->t.flows);
	ep_bindtab_free(&s->t.binds);
	ep_seqstore_free(&s->store);
}

void bench_inner_packet(uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
	memset(p, 0xa5, len);
	inet_ip4_write(p, src, dst, EP_PROTO_TCP, (uint16_t)len, 0, 1, true, EP_TTL);
	put_be16(p + 20, 5001);
	put_be16(p + 22, 40000);
}
