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

/* For a session whose host and ssh_config are set: the jump list to use
 * (--proxyjump, else ssh_config's ProxyJump, which libssh 0.10 turned
 * into an "ssh -W" ProxyCommand that we take back and do ourselves), or
 * NULL to connect directly. Any other ProxyCommand is left to libssh
 * (POSIX only: it runs it with /bin/sh). Transfer full. */
char *ncap_jump_spec_for_session(ssh_session s, const NcapSshConfig *cfg);

/* Open the path to the session's host and port as ssh_config resolved
 * them (HostName, Port: the last jump host looks the name up, as with
 * OpenSSH's ProxyJump) and give its socket to s (SSH_OPTIONS_FD).
 * Transfer full. */
NcapJump *ncap_jump_attach(ssh_session s, const NcapSshConfig *cfg,
                           const char *spec, GError **error);

/* Stop the pump and close the jump sessions (after the node's session is
 * freed). */
void ncap_jump_free(NcapJump *jump);

#endif
