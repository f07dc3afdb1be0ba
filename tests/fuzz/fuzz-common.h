/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the libFuzzer harnesses: a failed invariant is a crash (so
 * libFuzzer saves the input), and GLib criticals/warnings are crashes too —
 * a g_return_if_fail() hit on hostile input is a bug in our code. */
#ifndef NCAP_FUZZ_COMMON_H
#define NCAP_FUZZ_COMMON_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,  \
              #cond);                                                       \
      abort();                                                              \
    }                                                                       \
  } while (0)

static inline void
fuzz_glib_fatal(void)
{
  g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                         G_LOG_LEVEL_ERROR);
}

#endif
