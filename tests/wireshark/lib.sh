# shellcheck shell=bash
# Shared by the wireshark suites: tshark with the plugin loaded. Wireshark
# ignores the personal plugin directory of root (and WIRESHARK_PLUGIN_DIR
# under privileges), so tshark runs as nobody with a HOME of its own holding
# build/wireshark/mmlipsec.so; captures it reads must be world-readable.
# Callers set BUILD and WS_HOME (a fresh directory, removed by the caller).

ws_setup() {
	local dir
	dir=$WS_HOME/.local/lib/wireshark/plugins/$(pkg-config --modversion wireshark | cut -d. -f1,2)/epan
	mkdir -p "$dir" || return 1
	cp "$BUILD/wireshark/mmlipsec.so" "$dir/" || return 1
	chmod -R a+rX "$WS_HOME"
}

# ws ARGS...: tshark as nobody with the plugin.
ws() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$WS_HOME" \
		tshark "$@" 2>/dev/null
}

# expect DESCRIPTION FILE ERE: PASS when a line of FILE matches; on FAIL the
# file is shown.
expect() {
	if grep -qE -- "$3" "$2"; then
		ok "$1"
	else
		bad "$1"
		sed 's/^/    /' "$2" | head -20
	fi
}
