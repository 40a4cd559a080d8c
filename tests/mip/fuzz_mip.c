/* libFuzzer harness for the Mobile IPv4 parsers and the home agent's
 * registration processing (tests/mip/fuzz.sh runs it briefly in
 * `make test`). The first byte picks the target; the rest is the message. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keyd/mip_ha.h"
#include "lib/log.h"

static struct mip_ha *ha;
static struct mip_stats stats;
static struct loop *loop;
static struct mip_key key;

static void init(void)
{
	static const uint8_t secret[16] = { 0x42 };
	struct mip_ha_cfg cfg = { .max_lifetime = 300,
				  .replay_window = 7,
				  .reverse = MIP_RT_OPTIONAL,
				  .max_bindings = 16 };
	uint8_t home[4] = { 10, 1, 0, 10 }, ha_addr[4] = { 10, 1, 0, 1 };
	struct mip_key k;
	uint32_t h;

	mml_log_open("fuzz", false, MML_LOG_ERR);
	memcpy(&cfg.addr, ha_addr, 4);
	memcpy(&h, home, 4);
	if (loop_new(&loop) || mip_ha_core_new(loop, NULL, &cfg, &stats, &ha))
		__builtin_trap();
	if (mip_key_init(&k, 300, MIP_ALG_HMAC_MD5, secret, 16) || mip_ha_add_mobile(ha, h, &k, 1))
		__builtin_trap();
	if (mip_key_init(&key, 300, MIP_ALG_HMAC_MD5, secret, 16))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mip_reg_request req;
	struct mip_reg_reply rep;
	struct mip_advert adv;
	struct mip_err err;
	uint8_t out[512], copy[1200];
	char text[200];

	if (!ha)
		init();
	if (size < 1 || size - 1 > sizeof(copy))
		return 0;
	/* A copy of exactly the message's size, so that ASan sees overreads. */
	memcpy(copy, data + 1, size - 1);
	size--;
	switch (data[0] % 5) {
	case 0:
		if (!mip_parse_request(copy, size, &req, &err) && req.has_mh_auth)
			mip_auth_verify(&key, copy, size, &req.mh_auth);
		break;
	case 1:
		if (!mip_parse_reply(copy, size, &rep, &err) && rep.has_mh_auth)
			mip_auth_verify(&key, copy, size, &rep.mh_auth);
		break;
	case 2:
		mip_parse_advert(copy, size, &adv, &err);
		break;
	case 3:
		mip_parse_solicit(copy, size, &err);
		break;
	default:
		mip_ha_process(ha, copy, size, false, 0x0202000a, loop_now(),
			       (uint64_t)3970000000U << 32, out, sizeof(out));
		break;
	}
	mip_err_str(&err, text, sizeof(text));
	return 0;
}
