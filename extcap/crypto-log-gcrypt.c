/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libgcrypt keeps its errors only: see crypto-log.h. */
#include "crypto-log.h"

#include <gcrypt.h>
#include <stdio.h>

static void
on_gcrypt_log(void *opaque, int level, const char *fmt, va_list ap)
{
  (void)opaque;
  if (level >= GCRY_LOG_ERROR)
    vfprintf(stderr, fmt, ap);
}

void
ncap_crypto_log_quiet(void)
{
  gcry_set_log_handler(on_gcrypt_log, NULL);
}
