/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper clock`: the node's real-time clock in nanoseconds since
 * the epoch. A multi-node capture asks each node at connect and takes the
 * offset as node time minus the midpoint of its local round trip. */
#include <stdio.h>
#include <time.h>

#include "helper.h"
#include "ncap-error.h"

gboolean
ncap_verb_clock(NcapHelper *h, int argc, char **argv, GError **error)
{
  if (argc > 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "clock: unexpected argument \"%s\"", argv[1]);
    return FALSE;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  gint64 ns = (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec + h->clock_shift_ns;
  printf("%" G_GINT64_FORMAT "\n", ns);
  fflush(stdout);
  return TRUE;
}
