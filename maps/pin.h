/* Where the data plane's maps live in bpffs and what they are called: the
 * names are the public interface of DESIGN.md section 3 (bpftool map dump
 * pinned <root>/<node>/<name> prints them with their BTF types). */
#ifndef MML_MAPS_PIN_H
#define MML_MAPS_PIN_H

/* <root>/<node>/<map>; the node directory is created mode 0700 (maps hold
 * keys). */
#define MML_PIN_ROOT_DEFAULT "/sys/fs/bpf/mmlipsec"

#define MML_MAP_CSA	"mml_csa"     /* hash: SPI -> struct mml_csa (maps/csa.h) */
#define MML_MAP_VISITOR "mml_visitor" /* hash: home address -> struct mml_visitor */
#define MML_MAP_STATS	"mml_stats"   /* per-CPU array: enum mml_stat -> __u64 */
#define MML_MAP_PORTS	"mml_ports"   /* devmap hash: ifindex -> redirect target */

/* FA-internal, not pinned: last inner header seen per CPU (maps/fa.h). */
#define MML_MAP_FA_SEEN "mml_fa_seen"

#endif
