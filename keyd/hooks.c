/* The mobility event hook between mmlkeyd's modules (keyd/keyd.h). One
 * subscriber is all this needs: the ML-IKE module of the same process. */
#include "keyd/keyd.h"

static keyd_binding_fn binding_fn;
static void *binding_arg;

void keyd_binding_subscribe(keyd_binding_fn fn, void *arg)
{
	binding_fn = fn;
	binding_arg = arg;
}

void keyd_binding_changed(uint32_t home, uint32_t coa)
{
	if (binding_fn)
		binding_fn(binding_arg, home, coa);
}
