#include "keyd/ike/holders.h"

#include <errno.h>
#include <string.h>

#include "lib/args.h"

struct csa_holder *holders_find(struct csa_holders *hs, uint32_t fa)
{
	struct csa_holder *it;

	holders_for_each(hs, it) if (it->fa == fa) return it;
	return NULL;
}

struct csa_holder *holders_set(struct csa_holders *hs, uint32_t fa, enum holder_state state,
			       bool active)
{
	struct csa_holder *h = holders_find(hs, fa);

	if (!h) {
		if (!fa || hs->n == HOLDERS_MAX)
			return NULL;
		h = &hs->h[hs->n++];
		h->fa = fa;
	}
	h->state = (uint8_t)state;
	h->active = active;
	return h;
}

int holders_activate(struct csa_holders *hs, uint32_t fa, bool active)
{
	struct csa_holder *h = holders_find(hs, fa);

	if (!h)
		return -ENOENT;
	h->active = active;
	return 0;
}

int holders_remove(struct csa_holders *hs, uint32_t fa)
{
	struct csa_holder *h = holders_find(hs, fa);

	if (!h)
		return -ENOENT;
	/* Order does not matter: the last one takes its place. */
	*h = hs->h[--hs->n];
	memset(&hs->h[hs->n], 0, sizeof(hs->h[0]));
	return 0;
}

void holders_clear(struct csa_holders *hs)
{
	memset(hs, 0, sizeof(*hs));
}

json_object *holders_json(const struct csa_holders *hs)
{
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < hs->n; i++) {
		json_object *e = json_object_new_object();
		char s[16];

		json_object_object_add(e, "fa",
				       json_object_new_string(mml_ipv4_str(hs->h[i].fa, s)));
		json_object_object_add(
			e, "state",
			json_object_new_string(hs->h[i].state == HOLDER_HELD ? "held" : "sending"));
		json_object_object_add(e, "active", json_object_new_boolean(hs->h[i].active));
		json_object_array_add(a, e);
	}
	return a;
}
