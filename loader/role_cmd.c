/* What the role commands share (`mmlctl fa|ha|mh attach|detach`): load the
 * role's programs into the node directory, attach them to the interfaces
 * of a list, and detach, the pins going with the last program of the node
 * (lib/role_loader.h, docs/fa.md, docs/endpoints.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/args.h"
#include "lib/log.h"
#include "loader/ctl.h"

#define IFLIST_MAX 8

int ctl_role_attach(struct ctl *ctl, enum mml_role_id id, const void *cfg, char **lists, bool skb,
		    ctl_role_setup setup, void *arg)
{
	const struct mml_role *role = mml_role_get(id);
	uint32_t ifindex[MML_ROLE_PROGS_MAX][IFLIST_MAX];
	int n[MML_ROLE_PROGS_MAX] = { 0 }, err = 0;
	struct mml_role_obj *o = NULL;
	char ctx[16];

	/* Every interface named exists before anything is loaded or pinned. */
	snprintf(ctx, sizeof(ctx), "%s attach", role->name);
	for (int p = 0; role->progs[p]; p++) {
		n[p] = ctl_split_ifaces(ctx, lists[p], ifindex[p], IFLIST_MAX);
		if (n[p] < 0)
			return n[p];
	}
	if (ctl->sizes.csa > MML_MAP_SIZE_MAX || ctl->sizes.binding > MML_MAP_SIZE_MAX ||
	    ctl->sizes.visitor > MML_MAP_SIZE_MAX || ctl->sizes.flow > MML_MAP_SIZE_MAX) {
		log_err("%s: a map size is at most %u entries", ctx, MML_MAP_SIZE_MAX);
		return -EINVAL;
	}
	err = ctl_prepare_node(ctl);
	if (!err)
		err = mml_role_load_sized(id, cfg, ctl->dir.path, &ctl->sizes, &o);
	if (!err && setup)
		err = setup(o, arg);
	for (int p = 0; role->progs[p] && !err; p++)
		for (int i = 0; i < n[p] && !err; i++)
			err = mml_role_attach(o, (unsigned int)p, (int)ifindex[p][i], skb);
	mml_role_unload(o);
	return err;
}

/* detach [dev IF[,IF]]: the role's programs of the node off the named
 * interfaces (anything else there is refused) or off every interface of
 * this namespace; once no program of the node is loaded anywhere, its
 * pinned maps and directory go too. */
int ctl_role_detach(struct ctl *ctl, enum mml_role_id id, int argc, char **argv)
{
	char ctx[16], *dev = NULL;
	struct mml_opt opts[] = { { "dev", MML_OPT_STR, &dev, NULL, false, false } };
	uint32_t ifindex[IFLIST_MAX];
	int err, n = 0, live;

	snprintf(ctx, sizeof(ctx), "%s detach", mml_role_get(id)->name);
	err = mml_opts_parse(ctx, argc, argv, opts, 1);
	if (err)
		return err;
	err = mml_pin_dir_lock(&ctl->dir, true);
	if (err) {
		log_err("%s: %s: %s", ctx, ctl->dir.path,
			err == -ENOENT ? "no such node directory (nothing attached)" :
					 strerror(-err));
		return err;
	}
	if (dev) {
		n = ctl_split_ifaces(ctx, dev, ifindex, IFLIST_MAX);
		if (n < 0)
			return n;
	}
	live = mml_role_detach(ctl->dir.path, id, ifindex, n);
	if (live < 0)
		return live;
	if (!live)
		return mml_pin_dir_remove_if_empty(&ctl->dir);
	if (!dev)
		log_info("%s: %d program(s) of the node still attached elsewhere (another network "
			 "namespace?): its maps stay pinned",
			 ctx, live);
	return 0;
}
