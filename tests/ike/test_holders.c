/* The HA's per-CSA holder set (keyd/ike/holders.c): add, update, activate,
 * remove, iterate, the limit, and its JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keyd/ike/holders.h"

static void set_find_activate_remove(void **state)
{
	struct csa_holders hs = { 0 };
	uint32_t fa1 = htonl(0x0a000003), fa2 = htonl(0x0a000004);
	struct csa_holder *it;
	unsigned int seen = 0;

	assert_null(holders_find(&hs, fa1));
	assert_non_null(holders_set(&hs, fa1, HOLDER_HELD, true));
	assert_non_null(holders_set(&hs, fa2, HOLDER_SENDING, false));
	assert_null(holders_set(&hs, 0, HOLDER_HELD, true)); /* no FA at 0.0.0.0 */
	assert_int_equal(hs.n, 2);
	/* Setting again updates, never duplicates. */
	assert_ptr_equal(holders_set(&hs, fa2, HOLDER_HELD, false), holders_find(&hs, fa2));
	assert_int_equal(hs.n, 2);
	assert_int_equal(holders_find(&hs, fa2)->state, HOLDER_HELD);
	assert_int_equal(holders_activate(&hs, fa2, true), 0);
	assert_true(holders_find(&hs, fa2)->active);
	assert_int_equal(holders_activate(&hs, htonl(0x0a000009), true), -ENOENT);
	holders_for_each(&hs, it) seen |= it->fa == fa1 ? 1 : it->fa == fa2 ? 2 : 4;
	assert_int_equal(seen, 3);
	assert_int_equal(holders_remove(&hs, fa1), 0);
	assert_int_equal(holders_remove(&hs, fa1), -ENOENT);
	assert_int_equal(hs.n, 1);
	assert_ptr_equal(holders_find(&hs, fa2), &hs.h[0]);
	holders_clear(&hs);
	assert_int_equal(hs.n, 0);
}

static void full_and_json(void **state)
{
	struct csa_holders hs = { 0 };
	json_object *j;

	for (uint32_t i = 1; i <= HOLDERS_MAX; i++)
		assert_non_null(holders_set(&hs, htonl(0x0a000000 + i), HOLDER_HELD, i == 1));
	assert_null(holders_set(&hs, htonl(0x0a0000ff), HOLDER_HELD, false));
	assert_int_equal(hs.n, HOLDERS_MAX);
	j = holders_json(&hs);
	assert_int_equal(json_object_array_length(j), HOLDERS_MAX);
	assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(j, 0),
							   JSON_C_TO_STRING_PLAIN),
			    "{\"fa\":\"10.0.0.1\",\"state\":\"held\",\"active\":true}");
	json_object_put(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_find_activate_remove),
		cmocka_unit_test(full_and_json),
	};

	return cmocka_run_group_tests_name("ike-holders", tests, NULL, NULL);
}
