/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The symbols Wireshark's plugin loader looks for (4.0, 4.4, 4.6). Wireshark
 * generates this file with make-plugin-reg.py; we write it by hand because
 * wireshark-dev ships no plugin helpers (docs/wireshark-facts.md). */
#define WS_BUILD_DLL
#include <ws_symbol_export.h>

#include <glib.h>
#include <epan/proto.h>

#include "packet-nodecap.h"
#include "ncap-ws-compat.h"

#ifndef NCAP_PLUGIN_VERSION
#define NCAP_PLUGIN_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = NCAP_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = NCAP_WS_WANT_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = NCAP_WS_WANT_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

NCAP_WS_PLUGIN_DESCRIBE()

void
plugin_register(void)
{
  static proto_plugin plug;

  plug.register_protoinfo = ncap_proto_register_nodecap;
  plug.register_handoff = ncap_proto_reg_handoff_nodecap;
  proto_register_plugin(&plug);
}
