/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private keys and secrets typed at a terminal, for ssh.c: a key file
 * loaded with an error that names the actual cause (missing, unreadable,
 * not a key, encrypted without a passphrase, wrong passphrase), and a
 * passphrase or password asked on the controlling terminal without echo,
 * as ssh does — only when the caller allows it (the CLI with stdin on a
 * terminal; the extcap never). docs/cli.md "Keys and passwords". */
#ifndef NCAP_SSHKEY_H
#define NCAP_SSHKEY_H

#include <glib.h>
#include <libssh/libssh.h>
#include <stdbool.h>

/* Load the private key at path. passphrase: NULL or "" when none was
 * given; then an encrypted key is asked for on the terminal when
 * may_prompt (three tries; a passphrase typed once is kept for the other
 * nodes of this run), else it is an error saying what to give. Errors
 * are NCAP_ERROR_AUTH. Returns the key (transfer full). */
ssh_key ncap_sshkey_load(const char *path, const char *passphrase,
                         bool may_prompt, GError **error);

/* Ask on the controlling terminal with echo off ("PROMPT" as given);
 * NULL when there is no terminal or the user gave up (Ctrl-D). One
 * prompt at a time across threads. Transfer full; the caller wipes it. */
char *ncap_sshkey_ask(const char *prompt);

/* True when this process may ask: stdin is a terminal. */
bool ncap_sshkey_can_prompt(void);

#endif
