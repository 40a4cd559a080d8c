/* What the FA's counters must say about any frame its programs ran on, for
 * the random-packet mode of bpf-fa and bpf-snoop (docs/fa.md, "Verdicts and
 * counters"). */
#ifndef MML_TESTS_BPF_FA_ACCOUNT_H
#define MML_TESTS_BPF_FA_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

/* delta[MML_STAT_MAX]: how much each counter went up for one frame through
 * the downlink (down) or uplink program, which answered verdict. Either the
 * frame was not the FA's (no counter at all, XDP_PASS), or its rx counter
 * and exactly one outcome counter went up by one, the outcome's class
 * (forwarded: redirect; drop_*, fa_csa_inactive, snoop_stale_ack: drop;
 * pass_*: pass) matching the verdict, a frame SNOOP gave its worker
 * (snoop_data, snoop_dupack) being redirected; z1_short only beside
 * fwd_mlesp; SNOOP's other counters at most once; nothing else moves.
 * NULL, or what is wrong. */
const char *fa_accounting(bool down, int verdict, const uint64_t *delta);

#endif
