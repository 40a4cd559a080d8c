/* The mobility event hooks between mmlkeyd's modules (keyd/keyd.h). One
 * subscriber each is all this needs: the ML-IKE module of the same process. */
#include "keyd/keyd.h"

static keyd_binding_fn binding_fn;
static void *binding_arg;
static keyd_binding_walk_fn binding_walk;
static void *binding_walk_arg;

void keyd_binding_subscribe(keyd_binding_fn fn, void *arg)
{
	binding_fn = fn;
	binding_arg = arg;
	if (fn && binding_walk)
		binding_walk(binding_walk_arg);
}

void keyd_binding_source(keyd_binding_walk_fn walk, void *arg)
{
	binding_walk = walk;
	binding_walk_arg = arg;
}

void keyd_binding_changed(uint32_t home, uint32_t coa)
{
	if (binding_fn)
		binding_fn(binding_arg, home, coa);
}

static keyd_prev_fa_fn prev_fa_fn;
static void *prev_fa_arg;

void keyd_prev_fa_subscribe(keyd_prev_fa_fn fn, void *arg)
{
	prev_fa_fn = fn;
	prev_fa_arg = arg;
}

void keyd_prev_fa(uint32_t home, uint32_t ha, uint32_t prev_fa)
{
	if (prev_fa_fn)
		prev_fa_fn(prev_fa_arg, home, ha, prev_fa);
}

static keyd_visitor_fn visitor_fn;
static void *visitor_arg;

void keyd_visitor_subscribe(keyd_visitor_fn fn, void *arg)
{
	visitor_fn = fn;
	visitor_arg = arg;
}

void keyd_visitor_changed(uint32_t home, bool registered)
{
	if (visitor_fn)
		visitor_fn(visitor_arg, home, registered);
}
