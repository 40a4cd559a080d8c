/* Issue 18 items 1 and 4 at the one writer of mml_csa (lib/csa_store.c), on
 * a real map pinned in a node directory of its own, through the install
 * path of IKE-derived keys (keyd/ike/csa_map.c: an ML-IKE CSA pair and a
 * plain CHILD_SA pair as mmlkeyd installs them): zone keys that are equal
 * whatever the salts, and a key reused in the other direction or in another
 * key set, are refused and nothing is written. Skipped without root or
 * bpffs. */
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

#include "keyd/ike/csa_map.h"
#include "keyd/ike/ike_const.h"
#include "lib/csa_store.h"
#include "lib/log.h"

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
	mlike_csa_to_map(&c, 1, &out, &in);
	assert_int_equal(csa_map_put(&n->st, &out), -EINVAL);
	assert_int_equal(entries(n->fd), 0);
	c.key_out[1][0] ^= 1; /* a key of its own: accepted */
	mlike_csa_to_map(&c, 1, &out, &in);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	assert_int_equal(csa_map_put(&n->st, &in), 0);
	assert_int_equal(csa_map_del(&n->st, 0x5000), 0);
	assert_int_equal(csa_map_del(&n->st, 0x5001), 0);
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
	assert_int_equal(ike_child_to_map(&a, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	assert_int_equal(csa_map_put(&n->st, &in), 0);
	/* Another pair whose outbound key is a's inbound key: both ends would
	 * number packets from 1 under it. */
	b.spi_in = 0x6003;
	b.spi_out = 0x6002;
	keymat(b.key_out, 0x55);
	keymat(b.key_in, 0x66);
	assert_int_equal(ike_child_to_map(&b, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), -EINVAL);
	/* The same key set and direction under another SPI: one counter. */
	keymat(b.key_out, 0x44);
	assert_int_equal(ike_child_to_map(&b, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
	/* The same key, another AEAD: another key set. */
	b.encr = IKE_ENCR_CHACHA20_POLY1305;
	b.spi_out = 0x6004;
	assert_int_equal(ike_child_to_map(&b, 1, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), -EINVAL);
	assert_int_equal(entries(n->fd), 3);
	/* Replacing an SPI with its own keys is no conflict. */
	assert_int_equal(ike_child_to_map(&a, 2, &out, &in), 0);
	assert_int_equal(csa_map_put(&n->st, &out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ike_equal_zone_keys_refused),
		cmocka_unit_test(ike_key_reuse_refused),
	};

	mml_log_open("test_csa_store", false, MML_LOG_ERR);
	return cmocka_run_group_tests_name("csa store", tests, node_up, node_down);
}
