/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Local syntax check of a capture filter (--extcap-capture-filter gets no
 * host; the node checks for real against the interface's link type). */
#ifndef NCAP_FILTER_CHECK_H
#define NCAP_FILTER_CHECK_H

#include <glib.h>

/* With libpcap: pcap_compile on a dead Ethernet handle. Without it (the
 * Windows build): always TRUE, the node's check is the only one. */
gboolean ncap_filter_check_syntax(const char *filter, GError **error);

#endif
