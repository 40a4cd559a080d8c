/* Where the data plane's maps live in bpffs and what they are called: the
 * names are the public interface of DESIGN.md section 3 (bpftool map dump
 * pinned <root>/<node>/<name> prints them with their BTF types). */
#ifndef MML_MAPS_PIN_H
#define MML_MAPS_PIN_H

/* <root>/<node>/<map>; the node directory is created mode 0700 (maps hold
 * keys). */
#define MML_PIN_ROOT_DEFAULT "/sys/fs/bpf/mmlipsec"

#define MML_MAP_CSA "mml_csa"	      /* hash: SPI -> struct mml_csa (maps/csa.h) */
#define MML_MAP_VISITOR "mml_visitor" /* hash: home address -> struct mml_visitor */
#define MML_MAP_STATS "mml_stats"     /* per-CPU array: enum mml_stat -> __u64 */
#define MML_MAP_PORTS "mml_ports"     /* devmap hash: ifindex -> redirect target */

/* Endpoints (HA, MH): maps/ep.h */
#define MML_MAP_BINDING "mml_binding"	/* hash: home address -> struct mml_binding */
#define MML_MAP_FLOW "mml_flow"		/* LRU hash: struct mml_flow_key -> struct mml_flow */
#define MML_MAP_XSKS "mml_xsks"		/* xskmap: port slot * queues + queue -> AF_XDP socket */
#define MML_MAP_XSK_SLOT "mml_xsk_slot" /* hash: ifindex -> port slot of mml_xsks */
#define MML_MAP_GEN "mml_gen"		/* mmapable array[1]: configuration generation */
#define MML_MAP_WSTATS "mml_wstats"	/* mmapable array: worker counters, a row per thread */
#define MML_MAP_SEQ_HWM "mml_seq_hwm"	/* hash: struct mml_key_fp -> struct mml_seq_hwm */
#define MML_MAP_RX_MARK "mml_rx_mark"	/* mmapable array: struct mml_rx_mark slots */
#define MML_MAP_REKEY "mml_rekey"	/* hash: outbound SPI -> struct mml_rekey */
/* mmapable array[1]: struct mml_flow_shapes */
#define MML_MAP_FLOW_SHAPES "mml_flow_shapes"
#define MML_MAP_FLOW_CTR "mml_flow_ctr" /* mmapable array: struct mml_flow_ctr slots */
/* array[MML_FLOW_DSCPS]: DSCP -> struct mml_flow (maps/ep.h) */
#define MML_MAP_FLOW_DSCP "mml_flow_dscp"

/* FA, SNOOP: maps/snoop.h (the FA worker also uses mml_xsks, mml_xsk_slot) */
#define MML_MAP_SNOOP "mml_snoop" /* LRU hash: struct mml_snoop_key -> struct mml_snoop_conn */
#define MML_MAP_SNOOP_ACK "mml_snoop_ack" /* hash: struct mml_snoop_key -> struct mml_snoop_ack */
#define MML_MAP_SNOOP_CFG "mml_snoop_cfg" /* array[1]: struct mml_snoop_cfg */
#define MML_MAP_SNOOP_STATS "mml_snoop_stats"	/* mmapable array: enum mml_snoop_stat -> __u64 */
#define MML_MAP_SNOOP_EVENTS "mml_snoop_events" /* ring buffer: struct mml_snoop_event */
/* FA capture: maps/capture.h */
#define MML_MAP_CAPTURE_CFG "mml_capture_cfg" /* array[1]: struct mml_capture_cfg */
#define MML_MAP_CAPTURE "mml_capture"	      /* perf event array: mml_capture_rec + frame */

/* FA-internal, not pinned: last inner header seen per CPU (maps/fa.h). */
#define MML_MAP_FA_SEEN "mml_fa_seen"

#endif
