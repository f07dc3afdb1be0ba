/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libssh on OpenSSL: nothing to quieten (crypto-log.h). */
#include "crypto-log.h"

void
ncap_crypto_log_quiet(void)
{
}
