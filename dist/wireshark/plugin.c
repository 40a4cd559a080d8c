/* Entry points Wireshark's plugin loader looks up (README.plugins). */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/proto.h>

#include "mml_ws.h"

#ifndef MML_VERSION
#define MML_VERSION "0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = MML_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
	static proto_plugin mlesp = {
		.register_protoinfo = proto_register_mlesp,
		.register_handoff = proto_reg_handoff_mlesp,
	};
	static proto_plugin mlike = {
		.register_protoinfo = proto_register_mlike,
		.register_handoff = proto_reg_handoff_mlike,
	};

	proto_register_plugin(&mlesp);
	proto_register_plugin(&mlike);
}
