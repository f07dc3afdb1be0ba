/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The project's error domain: every failure is a GError whose message is the
 * one line a user reads, and whose code picks the process exit status. */
#ifndef NCAP_ERROR_H
#define NCAP_ERROR_H

#include <glib.h>

#define NCAP_ERROR (ncap_error_quark())
GQuark ncap_error_quark(void);

typedef enum {
  NCAP_ERROR_FAILED = 1,     /* anything else                          exit 1 */
  NCAP_ERROR_INVALID,        /* bad option value, bad filter, bad id   exit 2 */
  NCAP_ERROR_PERMISSION,     /* policy said no                         exit 3 */
  NCAP_ERROR_BUSY,           /* a job is running, rate limit hit       exit 4 */
  NCAP_ERROR_NOT_FOUND,      /* unknown interface, job, file           exit 5 */
  NCAP_ERROR_IO,             /* read/write/rename failed               exit 6 */
  NCAP_ERROR_DISK_FULL,      /* ENOSPC or below the reserve            exit 7 */
  NCAP_ERROR_CAPTURE,        /* libpcap failed                         exit 8 */
  NCAP_ERROR_STALLED,        /* reader made no progress                exit 9 */
  NCAP_ERROR_SSH,            /* connect / channel / protocol           exit 10 */
  NCAP_ERROR_HOSTKEY,        /* unknown or changed host key            exit 11 */
  NCAP_ERROR_AUTH,           /* authentication failed                  exit 12 */
  NCAP_ERROR_REMOTE,         /* the node's helper failed               exit 13 */
  NCAP_ERROR_CONFIG,         /* bad policy/config file or setup        exit 14 */
  NCAP_ERROR_JUMP,           /* a jump host refused or cannot reach    exit 15 */
  NCAP_ERROR_JUMP_HOSTKEY,   /* unknown or changed jump host key       exit 16 */
  NCAP_ERROR_NO_PROGRAM,     /* no helper, dumpcap or tcpdump on node  exit 17 */
  NCAP_ERROR_PRIV,           /* sudo/doas on the node wants a password exit 18 */
  NCAP_ERROR_MALFORMED,      /* a node's stream broke the pcapng checks exit 19 */
  NCAP_ERROR_PARTIAL,        /* multi-node capture: some nodes failed,
                              * the others were captured (not with
                              * --allow-partial)                      exit 20 */
  /* Interrupted by a signal, the shell's convention 128 + signal: the
   * work done so far is kept and said (nodecap fetch). */
  NCAP_ERROR_SIGINT = 130,   /*                                        exit 130 */
  NCAP_ERROR_SIGTERM = 143,  /*                                        exit 143 */
} NcapErrorCode;

/* The highest code of the contiguous range above (130 and 143 stand apart). */
#define NCAP_ERROR_LAST NCAP_ERROR_PARTIAL

/* The process exit status for an error (1 when not ours). */
int ncap_error_exit_status(const GError *error);

/* Print "PROG: MESSAGE" as one line on stderr (newlines flattened). */
void ncap_error_print(const char *prog, const GError *error);

#endif
