/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libssh session of one node: strict known_hosts checking against a
 * file the user chose, agent/key/password authentication with hard
 * time-outs (never a prompt), exec channels, libssh's log. This module
 * owns the session; the modules that move a channel's bytes (relay.c,
 * multi.c, cli-jobs.c) use libssh's channel calls (ssh_channel_*, and
 * ssh_get_fd/ssh_get_error of the session) themselves; multi.c also opens
 * its channels non-blocking. No other libssh call belongs outside this
 * module (docs/design.md, Boundaries). libssh's own log goes to the log
 * file only: a stray line on stderr would replace the one error line
 * tshark shows. */
#ifndef NCAP_SSH_H
#define NCAP_SSH_H

#include <glib.h>
#include <libssh/libssh.h>
#include <stdbool.h>

typedef struct {
  char *host;            /* as typed, without user@ and :port */
  int port;              /* 0 = 22 (or ssh_config's Port) */
  char *user;            /* NULL = current user (or ssh_config's User) */
  char *password;        /* never logged */
  char *password_file;   /* first line is the password */
  char *key_file;        /* private key; NULL = agent + default keys */
  char *key_passphrase;
  char *known_hosts;     /* NULL = ~/.ssh/known_hosts */
  bool accept_new_host_key;
  bool interactive;      /* may ask a passphrase or password on the
                          * terminal (the CLI with stdin on a tty) */
  unsigned connect_timeout;  /* seconds, 0 = 10 */
  unsigned keepalive;        /* seconds of silence before a dead path is
                              * probed, 0 = 15; a path that answers no
                              * probe is given up about 2x this later */
  char *proxy_jump;          /* "[user@]host[:port][,...]" (jump.h); NULL
                              * = ssh_config's ProxyJump/ProxyCommand,
                              * "none" = connect directly */
} NcapSshConfig;

void ncap_ssh_config_clear(NcapSshConfig *cfg);
/* Deep copy of src into dst (uninitialised); clear dst after use. */
void ncap_ssh_config_copy(NcapSshConfig *dst, const NcapSshConfig *src);
/* The bounds of --remote-port and --connect-timeout (the dialog's ranges
 * and the check below). */
#define NCAP_SSH_PORT_MAX 65535
#define NCAP_SSH_CONNECT_TIMEOUT_MAX 120

/* The numeric options the CLI and the extcap share, as typed (NULL: keep
 * cfg's): --remote-port 1-65535, --connect-timeout 1-120 s. */
gboolean ncap_ssh_config_set_numbers(NcapSshConfig *cfg, const char *port,
                                     const char *connect_timeout,
                                     GError **error);

/* Split "user@host:port" / "user@[v6]:port" into cfg->user/host/port; a
 * part given here overrides what cfg holds. */
gboolean ncap_ssh_config_set_target(NcapSshConfig *cfg, const char *target,
                                    GError **error);

/* Open the program's log (log.h: ncap_log_init) and route libssh's own log
 * into it; level "debug" includes libssh's protocol log. Call once. */
gboolean ncap_ssh_log_init(const char *level, const char *path, GError **error);

typedef struct NcapSsh NcapSsh;

/* Cheap; copies cfg. Transfer full. */
NcapSsh *ncap_ssh_new(const NcapSshConfig *cfg);
void ncap_ssh_free(NcapSsh *ssh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapSsh, ncap_ssh_free)

/* Connect (through cfg's or ssh_config's jump hosts), verify the host
 * key, authenticate. ssh_config, known_hosts and default keys come from
 * $HOME/.ssh ($HOME when set, else the passwd entry's). Errors:
 * NCAP_ERROR_SSH, NCAP_ERROR_HOSTKEY (message names host and SHA256
 * fingerprint), NCAP_ERROR_AUTH; a jump host's NCAP_ERROR_JUMP,
 * NCAP_ERROR_JUMP_HOSTKEY. */
gboolean ncap_ssh_connect(NcapSsh *ssh, GError **error);

/* Open a session channel and exec command (already quoted). Transfer
 * none: the channel belongs to the NcapSsh and is freed with it. */
ssh_channel ncap_ssh_exec(NcapSsh *ssh, const char *command, GError **error);

/* Run command, collect stdout and stderr until the channel closes or
 * timeout_ms passes (then NCAP_ERROR_SSH). Returns the exit status (or -1
 * when the server sent none). */
gboolean ncap_ssh_run(NcapSsh *ssh, const char *command, int timeout_ms,
                      GString *out, GString *err, int *exit_status,
                      GError **error);

/* The exit status the remote command sent on ch, or -1 when it sent none
 * (killed by a signal, or sshd closed without one). Blocks like libssh's
 * own call until the status, EOF or close arrives. Use this, never
 * ssh_channel_get_exit_status (deprecated from libssh 0.11). */
int ncap_ssh_exit_status(ssh_channel ch);

/* Transfer none. */
ssh_session ncap_ssh_session(NcapSsh *ssh);
const char *ncap_ssh_host(NcapSsh *ssh);

/* Send an SSH_MSG_IGNORE so a dead path shows up (TCP_USER_TIMEOUT). */
void ncap_ssh_keepalive(NcapSsh *ssh);

/* The last line of text that is not empty (the helper's message), with
 * control characters escaped and cut to NCAP_TEXT_LINE_MAX (ncap-text.h);
 * transfer full. */
char *ncap_ssh_last_line(const char *text);

/* Bounds on what ncap_ssh_run() holds of a node's answer: its stdout (a
 * job list, a status record, the interface list) and the tail of its
 * stderr. */
#define NCAP_SSH_RUN_MAX_OUT (16u << 20)
#define NCAP_SSH_STDERR_KEEP 8192u

/* Map a helper's exit status to our error code. */
int ncap_ssh_remote_error_code(int exit_status);

#endif
