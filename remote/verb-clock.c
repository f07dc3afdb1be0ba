/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper clock`: the node's real-time clock in nanoseconds since
 * the epoch. A multi-node capture asks each node at connect and takes the
 * offset as node time minus the midpoint of its local round trip.
 * `clock --repeat` prints the time again for every line read on stdin,
 * until EOF: the caller then times round trips over one open channel,
 * free of the node's process start-up (seconds with a heavy login shell),
 * which would otherwise sit inside the round trip and skew the midpoint. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "helper.h"
#include "ncap-error.h"

gboolean
ncap_verb_clock(NcapHelper *h, int argc, char **argv, GError **error)
{
  if (ncap_verb_help_requested(argc, argv)) {
    printf("Usage:\n  nodecap-helper clock [--repeat]\n\n"
           "Print this node's real-time clock in ns since the epoch; with\n"
           "--repeat, again for every line read on stdin, until EOF.\n");
    return TRUE;
  }
  gboolean repeat = argc == 2 && strcmp(argv[1], "--repeat") == 0;
  if (argc > 1 && !repeat) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "clock: unexpected argument \"%s\"", argv[1]);
    return FALSE;
  }
  for (;;) {
    struct timespec ts;
    char line[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gint64 ns = (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec + h->clock_shift_ns;
    printf("%" G_GINT64_FORMAT "\n", ns);
    fflush(stdout);
    if (!repeat || fgets(line, sizeof line, stdin) == NULL)
      return TRUE;
  }
}
