/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Filter syntax check with libpcap: see filter-check.h. The only use of
 * libpcap in extcap/. */
#include "filter-check.h"

#include <pcap/pcap.h>

#include "ncap-error.h"

gboolean
ncap_filter_check_syntax(const char *filter, GError **error)
{
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
  struct bpf_program prog;

  if (p == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "pcap_open_dead failed");
    return FALSE;
  }
  if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "filter \"%s\": %s",
                filter, pcap_geterr(p));
    pcap_close(p);
    return FALSE;
  }
  pcap_freecode(&prog);
  pcap_close(p);
  return TRUE;
}
