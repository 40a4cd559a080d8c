#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include "mml_ws.h"
void proto_register_mlike(void)
{
}
void proto_reg_handoff_mlike(void)
{
}
