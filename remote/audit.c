/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Audit trail: syslog + JSON-lines file (see audit.h). */
#include "audit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ncap-error.h"

struct NcapAudit {
  int fd;      /* -1: syslog only */
  char *path;
};

NcapAudit *
ncap_audit_open(const char *path, GError **error)
{
  g_autoptr(NcapAudit) a = g_new0(NcapAudit, 1);
  a->fd = -1;
  openlog("nodecap-helper", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
  if (!path)
    return g_steal_pointer(&a);
  a->path = g_strdup(path);
  a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
                         O_NOCTTY, 0600);
  if (a->fd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "audit log %s: %s",
                path, errno == ELOOP ? "refused: is a symbolic link"
                                     : g_strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(a->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "audit log %s: refused: not a regular file of mode 0600",
                path);
    return NULL;
  }
  return g_steal_pointer(&a);
}

void
ncap_audit_free(NcapAudit *audit)
{
  if (!audit)
    return;
  if (audit->fd >= 0)
    close(audit->fd);
  g_free(audit->path);
  g_free(audit);
}

gboolean
ncap_audit_parse_peer(const char *conn, char **ip, guint *port)
{
  if (!conn)
    return FALSE;
  g_auto(GStrv) parts = g_strsplit(conn, " ", -1);
  if (g_strv_length(parts) != 4)
    return FALSE;
  unsigned char bin[sizeof(struct in6_addr)];
  char text[INET6_ADDRSTRLEN];
  int af = strchr(parts[0], ':') ? AF_INET6 : AF_INET;
  if (inet_pton(af, parts[0], bin) != 1 ||
      !inet_ntop(af, bin, text, sizeof text))
    return FALSE;
  guint64 p = 0;
  if (!g_ascii_string_to_unsigned(parts[1], 10, 0, 65535, &p, NULL))
    return FALSE;
  *ip = g_strdup(text);
  *port = (guint)p;
  return TRUE;
}

char *
ncap_audit_format(const NcapAuditEvent *ev, gint64 when)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(when / G_USEC_PER_SEC);
  g_autofree char *base = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S")
                             : g_strdup("1970-01-01T00:00:00");
  g_autofree char *stamp = g_strdup_printf(
      "%s.%03dZ", base, (int)((when % G_USEC_PER_SEC) / 1000));

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "time");
  json_builder_add_string_value(b, stamp);
  json_builder_set_member_name(b, "user");
  if (ev->user)
    json_builder_add_string_value(b, ev->user);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "uid");
  json_builder_add_int_value(b, ev->uid);
  if (ev->account) {
    json_builder_set_member_name(b, "account");
    json_builder_add_string_value(b, ev->account);
  }
  json_builder_set_member_name(b, "verb");
  json_builder_add_string_value(b, ev->verb ? ev->verb : "");
  json_builder_set_member_name(b, "args");
  json_builder_begin_array(b);
  for (const char *const *a = ev->args; a && *a; a++) {
    /* An argument is user input: keep it valid UTF-8 for the JSON. */
    g_autofree char *v = g_utf8_make_valid(*a, -1);
    json_builder_add_string_value(b, v);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "result");
  json_builder_add_string_value(b, ev->result ? ev->result : "");
  json_builder_set_member_name(b, "reason");
  if (ev->reason) {
    g_autofree char *v = g_utf8_make_valid(ev->reason, -1);
    json_builder_add_string_value(b, v);
  } else {
    json_builder_add_null_value(b);
  }
  g_autofree char *ip = NULL;
  guint port = 0;
  json_builder_set_member_name(b, "peer");
  if (ncap_audit_parse_peer(ev->ssh_connection, &ip, &port)) {
    json_builder_add_string_value(b, ip);
    json_builder_set_member_name(b, "peer_port");
    json_builder_add_int_value(b, port);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_set_member_name(b, "pid");
  json_builder_add_int_value(b, getpid());
  json_builder_end_object(b);

  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL); /* one line: not pretty */
}

gboolean
ncap_audit_log(NcapAudit *audit, const NcapAuditEvent *ev, GError **error)
{
  g_autofree char *line = ncap_audit_format(ev, g_get_real_time());
  int prio = ev->result && (strcmp(ev->result, "denied") == 0 ||
                            strcmp(ev->result, "refused") == 0)
                 ? LOG_WARNING
                 : LOG_NOTICE;
  syslog(LOG_AUTHPRIV | prio, "%s", line);
  if (!audit || audit->fd < 0)
    return TRUE;
  g_autofree char *with_nl = g_strconcat(line, "\n", NULL);
  gsize len = strlen(with_nl);
  /* One write with O_APPEND: lines of concurrent helpers never interleave. */
  ssize_t n;
  do
    n = write(audit->fd, with_nl, len);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)len) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "audit log %s: %s",
                audit->path, n < 0 ? g_strerror(errno) : "short write");
    return FALSE;
  }
  return TRUE;
}
