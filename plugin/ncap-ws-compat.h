/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Wireshark API differences the plugin meets between the releases it
 * is built for (4.0, 4.4, 4.6), in one place, keyed on the version of the
 * Wireshark headers it is compiled against. The dissector and plugin.c use
 * only the names below and contain no version test of their own.
 *
 * What changed after 4.0 (checked against the 4.4.19 and 4.6 headers):
 * - epan_get_interface_name/_description take the pcapng section number
 *   (pinfo->rec->section_number) as a third argument;
 * - prefs_register_bool_preference stores into a bool, not a gboolean;
 * - wsutil/plugins.h is shipped and the loader asks the optional
 *   plugin_describe() what kind of plugin this is (a dissector). */
#ifndef NCAP_WS_COMPAT_H
#define NCAP_WS_COMPAT_H

#include <stdbool.h>
#include <glib.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/epan.h>
#include <wiretap/wtap.h>

#define NCAP_WS_AT_LEAST(maj, min) \
  (WIRESHARK_VERSION_MAJOR > (maj) || \
   (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

#if !NCAP_WS_AT_LEAST(4, 0)
#error "nodecap's plugin needs Wireshark 4.0 or later"
#endif

/* The release the plugin is built for: the loader refuses any other. */
#define NCAP_WS_WANT_MAJOR WIRESHARK_VERSION_MAJOR
#define NCAP_WS_WANT_MINOR WIRESHARK_VERSION_MINOR

/* 4.1-4.3 were development or short-lived series and are not tested: the
 * split below is where 4.0 and 4.4 are known to differ. */
#if NCAP_WS_AT_LEAST(4, 4)
#include <wsutil/plugins.h>

/* The variable a boolean preference writes to. */
typedef bool ncap_ws_bool_pref;

static inline const char *
ncap_ws_interface_name(packet_info *pinfo, guint32 ifid)
{
  return epan_get_interface_name(pinfo->epan, ifid, pinfo->rec->section_number);
}

static inline const char *
ncap_ws_interface_description(packet_info *pinfo, guint32 ifid)
{
  return epan_get_interface_description(pinfo->epan, ifid, pinfo->rec->section_number);
}

/* Defines plugin_describe(), which the loader calls when it exists. */
#define NCAP_WS_PLUGIN_DESCRIBE()                          \
  WS_DLL_PUBLIC uint32_t plugin_describe(void);            \
  uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }

#else /* 4.0 */

typedef gboolean ncap_ws_bool_pref;

static inline const char *
ncap_ws_interface_name(packet_info *pinfo, guint32 ifid)
{
  return epan_get_interface_name(pinfo->epan, ifid);
}

static inline const char *
ncap_ws_interface_description(packet_info *pinfo, guint32 ifid)
{
  return epan_get_interface_description(pinfo->epan, ifid);
}

/* 4.0's loader has no plugin_describe(). */
#define NCAP_WS_PLUGIN_DESCRIBE()

#endif

#endif
