/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What nodecap writes into pcapng beyond the spec's own fields, shared by
 * the writer (remote/) and the reader (plugin/): docs/design.md "The stream
 * format". Header-only, no GLib, so the plugin can include it. */
#ifndef NCAP_FORMAT_H
#define NCAP_FORMAT_H

/* The opt_comment of the first packet of every saved (ring) file starts a
 * line with this, then the packet's sequence number in decimal, then
 * ": first packet of file F of job ID". The IDB is then the same in every
 * file of a job, so mergecap keeps one interface across them, and the
 * plugin still numbers the packets of a file read alone or merged. */
#define NCAP_SEQ_COMMENT "nodecap seq="

#endif
