/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Jump hosts (ProxyJump) with libssh itself, no OpenSSH client: a session
 * to the last jump host (itself reached through the earlier ones), a
 * direct-tcpip channel from it to the node, and a thread that pumps that
 * channel through a socketpair whose other end the node's session uses as
 * its socket (SSH_OPTIONS_FD). Every hop's host key is checked against the
 * same known_hosts as the node's, with the same refusals; a jump host's
 * failure is its own error code (NCAP_ERROR_JUMP, NCAP_ERROR_JUMP_HOSTKEY). */
#ifndef NCAP_JUMP_H
#define NCAP_JUMP_H

#include <glib.h>

#include "ssh.h"

typedef struct NcapJump NcapJump;

/* Check "[user@]host[:port][,...]" (or "none"). */
gboolean ncap_jump_check_spec(const char *spec, GError **error);

/* The jump list behind a ProxyCommand that libssh 0.10 made from an
 * ssh_config ProxyJump line ("ssh [-l U] [-p P] [-J NEXT] -W '[%h]:%p'
 * HOST"), or NULL when cmd is another command. Transfer full. */
char *ncap_jump_spec_from_proxycommand(const char *cmd);

/* Reach host:port through the jump hosts of spec (first = first hop).
 * base gives known_hosts, keys, agent and time-outs (its password is not
 * sent to jump hosts). *fd_out: the socket for the node's session, owned
 * by that session from then on. Transfer full. */
NcapJump *ncap_jump_open(const NcapSshConfig *base, const char *spec,
                         const char *host, int port, int *fd_out,
                         GError **error);

/* Stop the pump and close the jump sessions (after the node's session is
 * freed). */
void ncap_jump_free(NcapJump *jump);

#endif
