/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libssh's crypto library must not write on stderr, the extcap's one-line
 * error channel. On Windows libssh uses libgcrypt, whose entropy gatherer
 * logs notes there ("you should run 'diskperf -y'"); elsewhere libssh uses
 * OpenSSL, which does not. */
#ifndef NCAP_CRYPTO_LOG_H
#define NCAP_CRYPTO_LOG_H

/* Once, at the start of main, before libssh is used. */
void ncap_crypto_log_quiet(void);

#endif
