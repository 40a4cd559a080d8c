/* What the ike module installs on its node: CSA pairs in mml_csa, their
 * SPIs in the bindings (the MH's own binding retried until the Mobile IP
 * role has written it), the mml_flow bypass for IKE's own packets, and per
 * IKE SA the CSAs it brought, removed with it. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyd/ike/keyd_ike.h"
#include "lib/args.h"
#include "lib/log.h"
#include "lib/node_maps.h"
#include "maps/ep.h"

#define SPI_RETRY_NS (20 * NS_PER_MS)
#define SPI_RETRIES 500

/* IKE's own packets between MH and HA travel in plaintext (inside the
 * Mobile IP tunnel), never under the CSAs they manage: an exact mml_flow
 * entry for UDP 500 <-> 500 (and 4500 with NAT traversal) takes precedence
 * over the binding's strongest mode, like the IKE bypass policy of an
 * IPsec stack. */
void ike_mod_bypass(struct ike_mod *m, uint32_t home, uint32_t peer, bool add)
{
	static const uint16_t ports[] = { IKE_PORT, 4500 };
	struct mml_flow flow = { .mode = MML_MODE_PLAIN };

	if (m->flow_fd < 0)
		m->flow_fd = mml_pin_open_map(m->pin.path, MML_MAP_FLOW,
					      sizeof(struct mml_flow_key), sizeof(struct mml_flow));
	if (m->flow_fd < 0)
		return; /* no endpoint data plane on this node (yet) */
	for (unsigned int i = 0; i < (m->ecfg.nat_detection ? 2u : 1u); i++) {
		struct mml_flow_key key = { .home_addr = home,
					    .peer_addr = peer,
					    .home_port = ports[i],
					    .peer_port = ports[i],
					    .proto = 17 };

		if (add) /* exact: no wildcard shape to note in mml_flow_shapes */
			mml_flow_put(m->flow_fd, -1, &key, &flow);
		else
			bpf_map_delete_elem(m->flow_fd, &key);
	}
	mip_maps_gen_bump(&m->maps);
}

bool ike_mod_rekey_pending(struct ike_mod *m)
{
	uint32_t key;

	if (m->rekey_fd < 0)
		m->rekey_fd = mml_pin_open_map(m->pin.path, MML_MAP_REKEY, sizeof(uint32_t),
					       sizeof(struct mml_rekey));
	return m->rekey_fd >= 0 && !bpf_map_get_next_key(m->rekey_fd, NULL, &key);
}

bool ike_mod_rekey_wanted(struct ike_mod *m, uint32_t spi)
{
	struct mml_rekey r;

	if (m->rekey_fd < 0)
		m->rekey_fd = mml_pin_open_map(m->pin.path, MML_MAP_REKEY, sizeof(uint32_t),
					       sizeof(struct mml_rekey));
	if (m->rekey_fd < 0 || !spi || bpf_map_lookup_elem(m->rekey_fd, &spi, &r))
		return false;
	bpf_map_delete_elem(m->rekey_fd, &spi);
	return true;
}

int ike_mod_install_csa(struct ike_mod *m, const struct mml_csa *c)
{
	int err = csa_map_put(&m->store, c);

	if (!err)
		m->csas_installed++;
	else if (err == -EPERM)
		m->csas_refused_owner++;
	else if (err == -E2BIG) {
		/* The exchange that brought it is answered with a refusal. */
		m->csas_refused_full++;
		log_err("mml_csa is full: CSA 0x%08x refused; size it with `mmlctl ha|fa|mh attach "
			"... csa-max N` (docs/operations.md, \"Map sizing\")",
			c->spi);
	}
	return err;
}

int ike_mod_remove_csa(struct ike_mod *m, uint32_t spi, uint32_t owner)
{
	int err = spi ? csa_map_del(&m->store, spi, owner) : 0;

	if (err == -EPERM) {
		m->csas_refused_owner++;
		return err; /* another's: nothing of it changes here */
	}
	if (spi && !err)
		m->csas_removed++;
	/* FA: the previous FA of a DKM handoff still answers for a while. */
	if (spi && m->role == ROLE_FA) {
		ike_dkm_depart(m, spi);
		ike_z1_removed(m, spi);
	}
	return err;
}

int ike_mod_install_pair(struct ike_mod *m, const struct mlike_csa *csa, uint32_t owner)
{
	struct mml_csa out, in;
	int err, err_in;

	/* Half a pair is no use, and the refused half is someone else's. */
	err = csa_map_may(&m->store, (uint32_t[2]){ csa->spi_out, csa->spi_in }, 2, owner);
	if (err == -EPERM)
		m->csas_refused_owner++;
	if (err)
		return err;
	mlike_csa_to_map(csa, owner, loop_now(), &out, &in);
	err = ike_mod_install_csa(m, &out);
	err_in = ike_mod_install_csa(m, &in);
	/* Both or none: a full map took one of them only. */
	if (!err && err_in)
		ike_mod_remove_csa(m, csa->spi_out, owner);
	if (err && !err_in)
		ike_mod_remove_csa(m, csa->spi_in, owner);
	if (!err)
		err = err_in;
	OPENSSL_cleanse(&out, sizeof(out));
	OPENSSL_cleanse(&in, sizeof(in));
	mip_maps_gen_bump(&m->maps);
	return err;
}

/* CSAs a binding names that are no longer ours to keep: a previous daemon
 * instance's (the maps outlive it) or the pair being replaced; only the
 * peer's own go (a static pair the operator put there stays). */
static void drop_stale(struct ike_mod *m, uint32_t home, uint32_t out, uint32_t in, uint32_t owner)
{
	uint32_t old_out = 0, old_in = 0;

	if (mip_maps_binding_get_spis(&m->maps, home, MML_MODE_MLESP, &old_out, &old_in))
		return;
	if (old_out && old_out != out && old_out != in)
		ike_mod_remove_csa(m, old_out, owner);
	/* MH: a rekey's old inbound CSA stays for its grace period. */
	if (m->role == ROLE_MH && m->mh_rk.state == RK_DRAINING && old_in == m->mh_rk.old_in)
		return;
	if (old_in && old_in != out && old_in != in)
		ike_mod_remove_csa(m, old_in, owner);
}

void ike_mod_binding_spis(struct ike_mod *m, uint32_t home, uint32_t out, uint32_t in,
			  uint32_t owner)
{
	char a[16];
	int err;

	drop_stale(m, home, out, in, owner);
	err = mip_maps_binding_spis(&m->maps, home, MML_MODE_MLESP, out, in);

	if (err && err != -ENOENT)
		log_warn("mml_binding %s: CSA SPIs not recorded: %s", mml_ipv4_str(home, a),
			 strerror(-err));
}

void ike_mod_on_spi_timer(void *arg)
{
	struct ike_mod *m = arg;
	int err;

	drop_stale(m, m->home, m->pending_out, m->pending_in, m->pending_owner);
	err = mip_maps_binding_spis(&m->maps, m->home, MML_MODE_MLESP, m->pending_out,
				    m->pending_in);
	if (!err)
		err = mip_maps_binding_spis(&m->maps, m->home, MML_MODE_ESP, m->pending_esp_out,
					    m->pending_esp_in);

	/* Nothing to clear in a binding that is gone. */
	if (err == -ENOENT && !m->pending_out && !m->pending_in && !m->pending_esp_out &&
	    !m->pending_esp_in)
		return;
	if (err == -ENOENT && ++m->spi_tries < SPI_RETRIES) {
		loop_timer_in(m->loop, &m->spi_timer, SPI_RETRY_NS);
		return;
	}
	if (err)
		log_warn("own binding: CSA SPIs not recorded: %s", strerror(-err));
}

/* MH: our binding may not be written yet; keep trying for a while. */
static void own_binding_retry(struct ike_mod *m)
{
	m->spi_tries = 0;
	loop_timer_cancel(m->loop, &m->spi_timer);
	ike_mod_on_spi_timer(m);
}

void ike_mod_own_binding_spis(struct ike_mod *m, uint32_t out, uint32_t in, uint32_t owner)
{
	m->pending_out = out;
	m->pending_in = in;
	m->pending_owner = owner;
	own_binding_retry(m);
}

void ike_mod_own_binding_esp(struct ike_mod *m, uint32_t out, uint32_t in)
{
	m->pending_esp_out = out;
	m->pending_esp_in = in;
	own_binding_retry(m);
}
