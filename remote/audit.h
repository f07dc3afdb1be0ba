/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit trail of the node: every stream/start/stop/fetch/delete and
 * every denial goes to syslog (LOG_AUTHPRIV) and, as one JSON object per
 * line, to the audit file (default /var/log/nodecap/audit.log, mode 0600,
 * owned by the service user):
 *
 *   {"time":"2024-05-01T12:00:00.123Z","user":"alice","uid":1001,
 *    "account":"capture","verb":"stream","args":["-i","eth0"],
 *    "result":"denied","reason":"permission denied: capture.stream",
 *    "peer":"192.0.2.7","peer_port":51234,"pid":4242}
 *
 * "account" appears when the user was named by `--as` (the login account
 * is then the shared one). "peer" comes from SSH_CONNECTION and is null when
 * absent or not an IP address; it is informative, never an identity. The file
 * descriptor is opened once, before privileges are dropped, so the process
 * can still append after it no longer may open the file. */
#ifndef NCAP_AUDIT_H
#define NCAP_AUDIT_H

#include <glib.h>
#include <sys/types.h>

typedef struct NcapAudit NcapAudit;

/* Open (create 0600) path with O_WRONLY|O_APPEND|O_NOFOLLOW and openlog().
 * A symlink, a non-regular file or one others may read or write is refused
 * (NCAP_ERROR_CONFIG). path NULL: syslog only. Transfer full. */
NcapAudit *ncap_audit_open(const char *path, GError **error);
void ncap_audit_free(NcapAudit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapAudit, ncap_audit_free)

typedef struct {
  const char *user;      /* who the policy checked */
  uid_t uid;             /* real uid of the process */
  const char *account;   /* login account when user came from --as, or NULL */
  const char *verb;
  const char *const *args; /* NULL-terminated, may be NULL */
  const char *result;    /* "allowed", "denied", "ok", "error", "refused" */
  const char *reason;    /* may be NULL */
  const char *ssh_connection; /* SSH_CONNECTION as read at start, or NULL */
} NcapAuditEvent;

/* The JSON line (no newline) for an event at time `when` (µs since the
 * epoch). Transfer full. */
char *ncap_audit_format(const NcapAuditEvent *ev, gint64 when);

/* Write ev to syslog and, as one write(2), to the file. Returns FALSE with
 * NCAP_ERROR_IO when the file write failed (syslog is best effort). */
gboolean ncap_audit_log(NcapAudit *audit, const NcapAuditEvent *ev,
                        GError **error);

/* Parse "client_ip client_port server_ip server_port" with inet_pton:
 * TRUE and the client's address (normalised) and port when well formed. */
gboolean ncap_audit_parse_peer(const char *ssh_connection, char **ip,
                               guint *port);

#endif
