# shellcheck shell=bash
# The `auto` policy's bed, shared by its suite (flowauto-bed.sh) and its
# benchmark (flowauto-bench.sh); sourced after tests/ike/bed-lib.sh.
#
#   flowauto_up [ike_setup options]  the bed with an ESP child beside the
#                                    ML-ESP pair, link_auto at the HA and
#                                    FAs, ESP allowed at the MH; mmlkeyd on
#                                    the MH
#   both_pairs                       the MH's binding names an ML-ESP and an
#                                    ESP pair (ML-IKE done)
#   fa1_snoop_on                     FA1's worker up, SNOOP enabled

flowauto_up() {
	IKE_HA_MH_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"0.0.0.0/0\";
    remote_ts = \"$HOME_ADDR/32\";"
	IKE_MH_HA_EXTRA="child = true; esp = \"aes256gcm16\"; local_ts = \"$HOME_ADDR/32\";
    remote_ts = \"0.0.0.0/0\";"
	IKE_HA_EXTRA='link_auto = { probe_every_s = 5; probe_s = 3; retry_s = 2; };'
	IKE_FA_EXTRA='link_auto = { sample_ms = 500; high_ppm = 20000; low_ppm = 5000;
    lossy_samples = 2; clean_samples = 3; min_segments = 50; };'
	IKE_MH_EXTRA='flow_downgrade_min = "esp";'
	ike_setup "$@" || return 1
	ike_mh_start
}

both_pairs() {
	ctl mh -j binding list | python3 -c "
import json, sys
b = [b for b in json.load(sys.stdin) if b['home'] == '$HOME_ADDR']
sys.exit(0 if b and b[0]['mlesp-out'] and b[0]['esp-out'] else 1)"
}

fa1_snoop_on() {
	bg fa1 "$BUILD/mmlworker" --role fa --node "$PREFIX-fa1" --port eth0 --port wlan0 \
		>"$TMP/worker-fa1.log" 2>&1
	sleep 0.5
	ctl fa1 snoop set enabled on >/dev/null
}
