/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The only module that talks libssh: one session to one node, strict
 * known_hosts checking against a file the user chose, agent/key/password
 * authentication with hard time-outs (never a prompt), and exec channels.
 * libssh's own log goes to the log file only: a stray line on stderr would
 * replace the one error line tshark shows. */
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
} NcapSshConfig;

void ncap_ssh_config_clear(NcapSshConfig *cfg);
/* Deep copy of src into dst (uninitialised); clear dst after use. */
void ncap_ssh_config_copy(NcapSshConfig *dst, const NcapSshConfig *src);
/* The numeric options the CLI and the extcap share, as typed (NULL: keep
 * cfg's): --remote-port 1-65535, --connect-timeout 1-120 s. */
gboolean ncap_ssh_config_set_numbers(NcapSshConfig *cfg, const char *port,
                                     const char *connect_timeout,
                                     GError **error);

/* Split "user@host:port" / "user@[v6]:port" into cfg->user/host/port; a
 * part given here overrides what cfg holds. */
gboolean ncap_ssh_config_set_target(NcapSshConfig *cfg, const char *target,
                                    GError **error);

/* Route libssh's log to path (NULL: discard). level: "error", "warning",
 * "info", "debug" (debug includes libssh's protocol log). Call once. */
gboolean ncap_ssh_log_init(const char *level, const char *path, GError **error);
/* Our own log lines go to the same file (never stderr). */
void ncap_ssh_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

typedef struct NcapSsh NcapSsh;

/* Cheap; copies cfg. Transfer full. */
NcapSsh *ncap_ssh_new(const NcapSshConfig *cfg);
void ncap_ssh_free(NcapSsh *ssh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapSsh, ncap_ssh_free)

/* Connect, verify the host key, authenticate. Errors: NCAP_ERROR_SSH,
 * NCAP_ERROR_HOSTKEY (message names host and SHA256 fingerprint),
 * NCAP_ERROR_AUTH. */
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

/* Transfer none. */
ssh_session ncap_ssh_session(NcapSsh *ssh);
const char *ncap_ssh_host(NcapSsh *ssh);

/* Send an SSH_MSG_IGNORE so a dead path shows up (TCP_USER_TIMEOUT). */
void ncap_ssh_keepalive(NcapSsh *ssh);

/* The last line of text that is not empty (the helper's message), or the
 * whole text flattened; transfer full. */
char *ncap_ssh_last_line(const char *text);

/* Map a helper's exit status to our error code. */
int ncap_ssh_remote_error_code(int exit_status);

#endif
