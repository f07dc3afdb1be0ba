/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Wireshark extcap face of nodecap: the conversation of extcap(4)
 * (--extcap-interfaces, --extcap-dlts, --extcap-config with the interface
 * reload, --extcap-capture-filter, --capture --fifo). */
#ifndef NCAP_EXTCAP_H
#define NCAP_EXTCAP_H

#include <glib.h>
#include <stdbool.h>

#define NCAP_EXTCAP_INTERFACE "nodecap"

/* True when argv is an extcap call (any --extcap-* or --capture/--fifo). */
bool ncap_extcap_is_call(int argc, char **argv);

/* Run one extcap call; argv as given to main. */
gboolean ncap_extcap_run(int argc, char **argv, GError **error);

/* After a failed capture call, once the error line is on stderr: open and
 * close the fifo so dumpcap sees EOF and tshark ends. The line must come
 * first: tshark 4.4 and 4.6 read the extcap's stderr only until the fifo
 * ends, and show nothing when the line arrives later. No-op otherwise. */
void ncap_extcap_release_fifo(void);

#endif
