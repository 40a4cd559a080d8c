/* Issue 18 items 1, 3 and 4 at the one writer of mml_csa
 * (lib/csa_store.c), on a real map pinned in a node directory of its own,
 * through the install path of IKE-derived keys (keyd/ike/csa_map.c: an
 * ML-IKE CSA pair, an FA's zone-1 CSAs and a plain CHILD_SA pair as
 * mmlkeyd installs them): zone keys that are equal whatever the salts, and
 * a key reused in the other direction or in another key set, are refused
 * and nothing is written (1, 4); a CSA is replaced or deleted only by the
 * IKE peer that installed it, static and IKE-installed CSAs keep apart
 * unless the operator forces it (3). Skipped without root or bpffs. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <openssl/crypto.h>

#include "keyd/ike/csa_map.h"
#include "keyd/ike/ike_const.h"
#include "lib/csa_store.h"
#include "lib/log.h"

/* IKE peers as owners (network-order addresses). */
#define PEER_A htonl(0x0a000001) /* 10.0.0.1 */
#define PEER_B htonl(0x0a000002) /* 10.0.0.2 */

struct node {
	struct mml_pin_dir dir;
	struct mml_csa_store st;
	int fd;
};

static int node_up(void **state)
{
	static struct node n;
	char name[64], path[300];

	snprintf(name, sizeof(name), "mmlt-store-%d", (int)getpid());
	if (mml_pin_dir_setup(&n.dir, MML_PIN_ROOT_DEFAULT, name) || mml_pin_mkdir(n.dir.path))
		return 0; /* the tests skip */
	n.fd = bpf_map_create(BPF_MAP_TYPE_HASH, MML_MAP_CSA, sizeof(uint32_t),
			      sizeof(struct mml_csa), 64, NULL);
	snprintf(path, sizeof(path), "%s/%s", n.dir.path, MML_MAP_CSA);
	if (n.fd < 0 || bpf_obj_pin(n.fd, path))
		return 0;
	mml_csa_store_init(&n.st, &n.dir);
	*state = &n;
	return 0;
}

static int node_down(void **state)
{
	struct node *n = *state;
	char path[300];

	if (!n)
		return 0;
	mml_csa_store_close(&n->st);
	snprintf(path, sizeof(path), "%s/%s", n->dir.path, MML_MAP_CSA);
	unlink(path);
	rmdir(n->dir.path);
	close(n->fd);
	return 0;
}

static void keymat(uint8_t *k, uint8_t fill)
{
	memset(k, fill, IKE_AEAD_KEY_LEN);
	memset(k + IKE_AEAD_KEY_LEN, fill ^ 0x5a, IKE_AEAD_SALT_LEN);
}

static unsigned int entries(int fd)
{
	uint32_t key, next, *prev = NULL;
	unsigned int n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* Item 4: an ML-IKE pair whose zone 2 key equals zone 1's (other salt). */
static void ike_equal_zone_keys_refused(void **state)
{
	struct node *n = *state;
	struct mlike_csa c = { .spi_out = 0x5000, .spi_in = 0x5001, .z1_len = 40, .n_zones = 2 };
	struct mml_csa out, in;

	if (!n)
		skip();
	c.zone_encr[0] = IKE_ENCR_CHACHA20_POLY1305;
	c.zone_encr[1] = IKE_ENCR_AES_GCM_16;
	keymat(c.key_out[0], 0x11);
	keymat(c.key_out[1], 0x11);
	c.key_out[1][IKE_AEAD_KEY_LEN] ^= 1; /* another salt, the same key */
	keymat(c.key_in[0], 0x22);
	keymat(c.key_in[1], 0x33);
	mlike_csa_to_map(&c, PEER_A, 1, &out, &in);
	assert_int_equal(csa_map_put(&n->st, &out), -EINVAL);
	assert_int_equal(entries(n->fd), 0);
	c.key_out[1][0] ^= 1; /* a key of its own: accepted */
	mlike_csa_to_map(&c, PEER_A, 1, &out, &in);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	assert_int_equal(csa_map_put(&n->st, &in), 0);
	assert_int_equal(csa_map_del(&n->st, 0x5000, PEER_A), 0);
	assert_int_equal(csa_map_del(&n->st, 0x5001, PEER_A), 0);
}

/* Item 1: a key already in use may come back only in the same key set and
 * direction (one sequence counter per key set). */
static void ike_key_reuse_refused(void **state)
{
	struct node *n = *state;
	struct ike_child a = { .spi_in = 0x6001, .spi_out = 0x6000, .encr = IKE_ENCR_AES_GCM_16 };
	struct ike_child b = a;
	struct mml_csa out, in;

	if (!n)
		skip();
	keymat(a.key_out, 0x44);
	keymat(a.key_in, 0x55);
	assert_int_equal(ike_child_to_map(&a, PEER_A, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	assert_int_equal(csa_map_put(&n->st, &in), 0);
	/* Another pair whose outbound key is a's inbound key: both ends would
	 * number packets from 1 under it. */
	b.spi_in = 0x6003;
	b.spi_out = 0x6002;
	keymat(b.key_out, 0x55);
	keymat(b.key_in, 0x66);
	assert_int_equal(ike_child_to_map(&b, PEER_A, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), -EINVAL);
	/* The same key set and direction under another SPI: one counter. */
	keymat(b.key_out, 0x44);
	assert_int_equal(ike_child_to_map(&b, PEER_A, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	/* The same key, another AEAD: another key set. */
	b.encr = IKE_ENCR_CHACHA20_POLY1305;
	b.spi_out = 0x6004;
	assert_int_equal(ike_child_to_map(&b, PEER_A, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), -EINVAL);
	assert_int_equal(entries(n->fd), 3);
	/* Replacing an SPI with its own keys is no conflict. */
	assert_int_equal(ike_child_to_map(&a, PEER_A, 2, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
}

/* The map's bytes of spi (the whole entry), or false when absent. */
static bool entry_of(int fd, uint32_t spi, struct mml_csa *c)
{
	return !bpf_map_lookup_elem(fd, &spi, c);
}

/* An FA's zone-1 CSAs of one mobile, as KEY_DISTRIBUTE brings them. */
static void fa_keys(struct mlike_fa_keys *k, uint32_t ha, uint32_t to_mh, uint32_t to_ha,
		    uint8_t fill)
{
	memset(k, 0, sizeof(*k));
	k->mh_home = htonl(0x0a01000a);
	k->ha_addr = ha;
	k->z1_len = 40;
	k->n_secrets = 4;
	for (unsigned int i = 0; i < 4; i++) {
		struct mlike_secret_pl *s = &k->secret[i];

		s->spi = i < 2 ? to_mh : to_ha;
		s->zone = (uint8_t)(i % 2 + 1);
		s->dir = (uint8_t)(i / 2 + 1);
		if (s->zone == 1) {
			s->transform = IKE_ENCR_CHACHA20_POLY1305;
			memset(s->key, fill + i, sizeof(s->key));
			memset(s->salt, fill ^ 0x5a, sizeof(s->salt));
		}
	}
}

/* Item 3, KEY_DISTRIBUTE at a shared FA: HA A's zone-1 CSAs, then HA B
 * (another IKE peer of the FA, authenticated) sends its own keys under
 * A's SPIs and revokes them: both refused, A's entries unchanged byte for
 * byte. A replaces (rekeys) and revokes its own. */
static void ike_peer_keeps_its_csas(void **state)
{
	struct node *n = *state;
	struct mlike_fa_keys ka, kb;
	struct mml_csa a[2], b[2], before, after;
	unsigned int na = 0, nb = 0, n0;

	if (!n)
		skip();
	n0 = entries(n->fd);
	fa_keys(&ka, PEER_A, 0x7000, 0x7001, 0x10);
	fa_keys(&kb, PEER_B, 0x7000, 0x7001, 0x80);
	assert_int_equal(mlike_fa_keys_to_map(&ka, PEER_A, 1, a, &na), 0);
	assert_int_equal(mlike_fa_keys_to_map(&kb, PEER_B, 2, b, &nb), 0);
	assert_int_equal(na, 2);
	assert_int_equal(a[0].owner, PEER_A);
	assert_int_equal(csa_map_put(&n->st, &a[0]), 0);
	assert_int_equal(csa_map_put(&n->st, &a[1]), 0);
	assert_true(entry_of(n->fd, 0x7000, &before));

	/* The attack: B's keys under A's SPIs. */
	assert_int_equal(csa_map_put(&n->st, &b[0]), -EPERM);
	assert_int_equal(csa_map_may(&n->st, (uint32_t[2]){ 0x7000, 0x7001 }, 2, PEER_B), -EPERM);
	assert_int_equal(csa_map_del(&n->st, 0x7000, PEER_B), -EPERM);
	assert_true(entry_of(n->fd, 0x7000, &after));
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(entries(n->fd), n0 + 2);
	/* B's own SPI: its own to install and delete. */
	b[0].spi = 0x7100;
	assert_int_equal(csa_map_put(&n->st, &b[0]), 0);
	assert_int_equal(csa_map_del(&n->st, 0x7100, PEER_B), 0);

	/* A rekeys its SPI (new keys, the same SPI), then revokes it. */
	a[0].zone[0].key[0] ^= 0xff;
	assert_int_equal(csa_map_may(&n->st, (uint32_t[2]){ 0x7000, 0x7001 }, 2, PEER_A), 0);
	assert_int_equal(csa_map_put(&n->st, &a[0]), 0);
	assert_true(entry_of(n->fd, 0x7000, &after));
	assert_int_equal(after.zone[0].key[0], a[0].zone[0].key[0]);
	assert_int_equal(csa_map_del(&n->st, 0x7000, PEER_A), 0);
	assert_int_equal(csa_map_del(&n->st, 0x7001, PEER_A), 0);
	assert_int_equal(entries(n->fd), n0);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
}

/* Item 3, endpoint pairs: an MH (IKE peer B at the HA) that picks another
 * mobile's SPI (peer A's pair) as its own, in MLIKE_AUTH_SA or a CHILD_SA,
 * is refused; the pairs carry their peer as owner. */
static void endpoint_pair_keeps_owner(void **state)
{
	struct node *n = *state;
	struct mlike_csa c = { .spi_out = 0x7200, .spi_in = 0x7201, .z1_len = 40, .n_zones = 2 };
	struct ike_child ch = { .spi_in = 0x7301, .spi_out = 0x7200, .encr = IKE_ENCR_AES_GCM_16 };
	struct mml_csa out, in, before, after;

	if (!n)
		skip();
	c.zone_encr[0] = IKE_ENCR_CHACHA20_POLY1305;
	c.zone_encr[1] = IKE_ENCR_AES_GCM_16;
	keymat(c.key_out[0], 0x21);
	keymat(c.key_out[1], 0x22);
	keymat(c.key_in[0], 0x23);
	keymat(c.key_in[1], 0x24);
	mlike_csa_to_map(&c, PEER_A, 1, &out, &in);
	assert_int_equal(out.owner, PEER_A);
	assert_int_equal(in.owner, PEER_A);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	assert_int_equal(csa_map_put(&n->st, &in), 0);
	assert_true(entry_of(n->fd, 0x7200, &before));
	keymat(ch.key_out, 0x31);
	keymat(ch.key_in, 0x32);
	assert_int_equal(ike_child_to_map(&ch, PEER_B, 2, &out, &in), 0);
	assert_int_equal(csa_map_may(&n->st, (uint32_t[2]){ 0x7301, 0x7200 }, 2, PEER_B), -EPERM);
	assert_int_equal(csa_map_put(&n->st, &out), -EPERM);
	assert_true(entry_of(n->fd, 0x7200, &after));
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(csa_map_del(&n->st, 0x7200, PEER_A), 0);
	assert_int_equal(csa_map_del(&n->st, 0x7201, PEER_A), 0);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(&ch, sizeof(ch));
}

/* Item 3, static against IKE: mmlkeyd (any peer) neither replaces nor
 * deletes an operator's static CSA; the operator's replace and del of an
 * IKE-installed one are refused without force, and with force the CSA
 * becomes static (the peer can no longer touch it). */
static void static_and_ike_keep_apart(void **state)
{
	struct node *n = *state;
	struct mlike_fa_keys ka;
	struct mml_csa st_csa, ike[2], before, after;
	unsigned int na = 0, n0;
	char why[160];

	if (!n)
		skip();
	n0 = entries(n->fd);
	fa_keys(&ka, PEER_A, 0x7400, 0x7401, 0x40);
	assert_int_equal(mlike_fa_keys_to_map(&ka, MML_CSA_OWNER_STATIC, 1, ike, &na), 0);
	st_csa = ike[0];
	/* mmlctl csa add of 0x7400 (static). */
	assert_int_equal(mml_csa_store_put(&n->st, &st_csa, BPF_NOEXIST, why, sizeof(why)), 0);
	assert_true(entry_of(n->fd, 0x7400, &before));
	assert_int_equal(mlike_fa_keys_to_map(&ka, PEER_A, 2, ike, &na), 0);
	assert_int_equal(csa_map_put(&n->st, &ike[0]), -EPERM);
	assert_int_equal(csa_map_del(&n->st, 0x7400, PEER_A), -EPERM);
	assert_true(entry_of(n->fd, 0x7400, &after));
	assert_memory_equal(&before, &after, sizeof(before));

	/* The peer's 0x7401: the operator needs force to touch it. */
	assert_int_equal(csa_map_put(&n->st, &ike[1]), 0);
	st_csa.spi = 0x7401;
	assert_int_equal(mml_csa_store_put(&n->st, &st_csa, BPF_EXIST, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "10.0.0.1"));
	assert_int_equal(
		mml_csa_store_del(&n->st, 0x7401, MML_CSA_OWNER_STATIC, 0, why, sizeof(why)),
		-EPERM);
	assert_int_equal(mml_csa_store_put(&n->st, &st_csa, BPF_NOEXIST, why, sizeof(why)),
			 -EEXIST);
	assert_int_equal(
		mml_csa_store_put(&n->st, &st_csa, BPF_EXIST | MML_CSA_FORCE, why, sizeof(why)), 0);
	assert_true(entry_of(n->fd, 0x7401, &after));
	assert_int_equal(after.owner, MML_CSA_OWNER_STATIC);
	assert_int_equal(csa_map_del(&n->st, 0x7401, PEER_A), -EPERM);
	assert_int_equal(
		mml_csa_store_del(&n->st, 0x7401, MML_CSA_OWNER_STATIC, 0, why, sizeof(why)), 0);
	/* An IKE CSA deleted by force, and the static one by its owner. */
	assert_int_equal(csa_map_put(&n->st, &ike[1]), 0);
	assert_int_equal(mml_csa_store_del(&n->st, 0x7401, MML_CSA_OWNER_STATIC, MML_CSA_FORCE, why,
					   sizeof(why)),
			 0);
	assert_int_equal(
		mml_csa_store_del(&n->st, 0x7400, MML_CSA_OWNER_STATIC, 0, why, sizeof(why)), 0);
	assert_int_equal(entries(n->fd), n0);
	OPENSSL_cleanse(&ka, sizeof(ka));
	OPENSSL_cleanse(ike, sizeof(ike));
	OPENSSL_cleanse(&st_csa, sizeof(st_csa));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ike_equal_zone_keys_refused),
		cmocka_unit_test(ike_key_reuse_refused),
		cmocka_unit_test(ike_peer_keeps_its_csas),
		cmocka_unit_test(endpoint_pair_keeps_owner),
		cmocka_unit_test(static_and_ike_keep_apart),
	};

	mml_log_open("test_csa_store", false, MML_LOG_ERR);
	return cmocka_run_group_tests_name("csa store", tests, node_up, node_down);
}
