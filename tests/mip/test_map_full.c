/* Issue 20, map sizing: the operator's capacities reach the pinned maps
 * (lib/role_loader.c, mmlctl's csa-max / binding-max / visitor-max), and a
 * full map is refused when something is installed, with a counter and an
 * answer to the requester, never accepted and dropped later: the home
 * agent denies a new binding with 130 (insufficient resources) when
 * mml_binding is full, and still renews the bindings it holds; mml_csa
 * answers a CSA beyond its capacity with E2BIG, which the ike module turns
 * into a refused exchange (keyd/ike/ike_install.c). Tiny maps (1 binding,
 * 3 CSAs) on a real node directory. Root and bpffs, else skipped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "keyd/mip_ha.h"
#include "lib/csa_store.h"
#include "lib/pin.h"
#include "lib/role_loader.h"
#include "maps/ep.h"
#include "maps/pin.h"

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t bytes[4] = { a, b, c, d };
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static const uint8_t secret[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

struct fixture {
	struct mml_pin_dir dir;
	struct mml_role_obj *ha_obj;
	struct loop *loop;
	struct mip_maps maps;
	struct mip_stats st;
	struct mip_ha *ha;
	struct mip_key key;
	uint64_t ntp, ident;
	uint32_t ha_addr, coa;
};

static int setup(void **state)
{
	static struct fixture f;
	struct mml_map_sizes sizes = { .csa = 3, .binding = 1, .flow = 8 };
	struct mml_ep_cfg ep = { .ha_addr = addr(10, 1, 0, 1) };
	char name[64];

	memset(&f, 0, sizeof(f));
	snprintf(name, sizeof(name), "mmlt-full-%d", (int)getpid());
	if (geteuid() || mml_pin_dir_setup(&f.dir, MML_PIN_ROOT_DEFAULT, name) ||
	    mml_pin_mkdir(f.dir.path))
		return 0; /* the tests skip */
	if (mml_role_load_sized(MML_ROLE_HA, &ep, f.dir.path, &sizes, &f.ha_obj)) {
		rmdir(f.dir.path);
		return 0;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	mml_role_unload(f->ha_obj);
	/* Nothing is attached: this only unpins the maps and the directory. */
	mml_role_detach(f->dir.path, MML_ROLE_HA, NULL, 0);
	rmdir(f->dir.path);
	return 0;
}

static uint32_t max_entries(const struct fixture *f, const char *name)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), n;
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir.path, name);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	n = info.max_entries;
	close(fd);
	return n;
}

static void sizes_reach_the_pins(void **state)
{
	struct fixture *f = *state;

	if (!f)
		skip();
	assert_int_equal(max_entries(f, MML_MAP_BINDING), 1);
	assert_int_equal(max_entries(f, MML_MAP_CSA), 3);
	assert_int_equal(max_entries(f, MML_MAP_SEQ_HWM), 3);
	assert_int_equal(max_entries(f, MML_MAP_FLOW), 8);
	/* Two counter slots per flow entry (lib/flow_ctr.h). */
	assert_int_equal(max_entries(f, MML_MAP_FLOW_CTR), 16);
	/* The default where nothing was asked for. */
	assert_int_equal(max_entries(f, MML_MAP_GEN), 1);
}

/* mml_rx_mark holds a replay mark per inbound key: sized with csa-max
 * above its default, never below it (a worker restart must not start the
 * window of a key without a mark at 0). */
static void rx_marks_follow_csa_max(void **state)
{
	struct mml_map_sizes sizes = { .csa = 3 * MML_RX_MARKS };
	struct mml_ep_cfg ep = { .home_addr = addr(10, 1, 0, 10) };
	struct mml_role_obj *o = NULL;
	struct fixture big;
	char name[64];

	if (!*state)
		skip();
	/* The fixture's HA, csa-max 3: the default. */
	assert_int_equal(max_entries(*state, MML_MAP_RX_MARK), MML_RX_MARK_ENTRIES);
	memset(&big, 0, sizeof(big));
	snprintf(name, sizeof(name), "mmlt-marks-%d", (int)getpid());
	assert_int_equal(mml_pin_dir_setup(&big.dir, MML_PIN_ROOT_DEFAULT, name), 0);
	assert_int_equal(mml_pin_mkdir(big.dir.path), 0);
	assert_int_equal(mml_role_load_sized(MML_ROLE_MH, &ep, big.dir.path, &sizes, &o), 0);
	assert_int_equal(max_entries(&big, MML_MAP_RX_MARK),
			 3 * MML_RX_MARKS * sizeof(struct mml_rx_mark) / 8);
	mml_role_unload(o);
	mml_role_detach(big.dir.path, MML_ROLE_MH, NULL, 0);
	rmdir(big.dir.path);
}

static void reload_with_other_size_fails(void **state)
{
	struct fixture *f = *state;
	struct mml_map_sizes sizes = { .binding = 2 };
	struct mml_ep_cfg ep = { .ha_addr = addr(10, 1, 0, 1) };
	struct mml_role_obj *o = NULL;

	if (!f)
		skip();
	/* A pinned map keeps its size: another one is refused, not ignored. */
	assert_true(mml_role_load_sized(MML_ROLE_HA, &ep, f->dir.path, &sizes, &o) < 0);
	assert_null(o);
}

/* A registration of home through coa, answered by the HA. */
static uint8_t reg(struct fixture *f, uint32_t home, uint16_t lifetime)
{
	struct mip_reg_request req = {
		.flags = MIP_REQ_T,
		.lifetime = lifetime,
		.home_addr = home,
		.ha_addr = f->ha_addr,
		.coa = f->coa,
		.ident = f->ident += 0x1000,
	};
	uint8_t buf[256], out[256];
	struct mip_reg_reply rep;
	struct mip_err err;
	int len = mip_build_request(&req, buf, sizeof(buf)), n;

	len = mip_auth_append(&f->key, MIP_EXT_MH_AUTH, buf, sizeof(buf), (size_t)len);
	assert_true(len > 0);
	n = mip_ha_process(f->ha, buf, (size_t)len, false, f->coa, loop_now(), f->ntp, out,
			   sizeof(out));
	assert_true(n > 0);
	assert_int_equal(mip_parse_reply(out, (size_t)n, &rep, &err), 0);
	return rep.code;
}

static unsigned int bindings_pinned(const struct fixture *f)
{
	char path[512];
	uint32_t key, next, *prev = NULL;
	unsigned int n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir.path, MML_MAP_BINDING);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	close(fd);
	return n;
}

static void full_binding_map_denies(void **state)
{
	struct fixture *f = *state;
	struct mip_ha_cfg cfg = { .max_lifetime = 600,
				  .replay_window = 7,
				  .reverse = MIP_RT_OPTIONAL,
				  .max_bindings = 100 };
	uint32_t home1 = addr(10, 1, 0, 10), home2 = addr(10, 1, 0, 11);
	struct mip_key k;

	if (!f)
		skip();
	f->ha_addr = cfg.addr = addr(10, 1, 0, 1);
	f->coa = addr(10, 0, 2, 2);
	f->ntp = (uint64_t)3970000000U << 32;
	f->ident = f->ntp;
	assert_int_equal(loop_new(&f->loop), 0);
	mip_maps_init(&f->maps, &f->dir);
	assert_int_equal(mip_ha_core_new(f->loop, &f->maps, &cfg, &f->st, &f->ha), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mip_key_init(&k, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);
		assert_int_equal(mip_ha_add_mobile(f->ha, i ? home2 : home1, &k, 1), 0);
	}
	assert_int_equal(mip_key_init(&f->key, 300, MIP_ALG_HMAC_MD5, secret, 16), 0);

	assert_int_equal(reg(f, home1, 300), MIP_ACCEPTED);
	assert_int_equal(f->st.ctr[MIP_C_MAP_FULL], 0);
	/* The map has room for one: the second mobile is denied at once. */
	assert_int_equal(reg(f, home2, 300), MIP_HA_RESOURCES);
	assert_int_equal(f->st.ctr[MIP_C_MAP_FULL], 1);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_ADD], 1);
	assert_int_equal(mip_ha_binding(f->ha, home2, &(uint32_t){ 0 }, &(uint64_t){ 0 }), -ENOENT);
	assert_int_equal(bindings_pinned(f), 1);
	/* What is bound renews (its key exists), and still nothing else fits. */
	assert_int_equal(reg(f, home1, 300), MIP_ACCEPTED);
	assert_int_equal(f->st.ctr[MIP_C_BINDING_RENEW], 1);
	assert_int_equal(reg(f, home2, 300), MIP_HA_RESOURCES);
	assert_int_equal(f->st.ctr[MIP_C_MAP_FULL], 2);
	/* Room again after a deregistration. */
	assert_int_equal(reg(f, home1, 0), MIP_ACCEPTED);
	assert_int_equal(reg(f, home2, 300), MIP_ACCEPTED);
	assert_int_equal(bindings_pinned(f), 1);

	mip_ha_core_free(f->ha);
	mip_maps_close(&f->maps);
	mip_key_free(&f->key);
	loop_free(f->loop);
}

static void full_csa_map_is_e2big(void **state)
{
	struct fixture *f = *state;
	struct mml_csa_store st;
	struct mml_csa c;
	char why[128];
	int err = 0;

	if (!f)
		skip();
	mml_csa_store_init(&st, &f->dir);
	for (uint32_t spi = 0x100; spi < 0x104 && !err; spi++) {
		memset(&c, 0, sizeof(c));
		c.spi = spi;
		c.format = MML_FMT_MLESP;
		c.dir = MML_DIR_FWD;
		c.z1_len = 40;
		c.zone[0].alg = MML_ALG_CHACHA20_POLY1305;
		memset(c.zone[0].key, (int)spi, sizeof(c.zone[0].key));
		c.zone[1].alg = MML_ALG_NULL;
		err = mml_csa_store_put(&st, &c, BPF_ANY, why, sizeof(why));
		if (spi < 0x103 && err)
			fail_msg("CSA %u: %s (%s)", spi, strerror(-err), why);
	}
	/* The fourth of three: the error the daemon reports and refuses on. */
	assert_int_equal(err, -E2BIG);
	mml_csa_store_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_reach_the_pins),
		cmocka_unit_test(rx_marks_follow_csa_max),
		cmocka_unit_test(reload_with_other_size_fails),
		cmocka_unit_test(full_binding_map_denies),
		cmocka_unit_test(full_csa_map_is_e2big),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
