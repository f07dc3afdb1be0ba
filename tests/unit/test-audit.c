/* SPDX-License-Identifier: GPL-2.0-or-later */
/* remote/audit.c: the JSON line, SSH_CONNECTION parsing, the file. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "ncap-error.h"

static JsonObject *
parse_line(const char *line, JsonParser **keep)
{
  g_autoptr(GError) error = NULL;
  *keep = json_parser_new();
  g_assert_true(json_parser_load_from_data(*keep, line, -1, &error));
  g_assert_no_error(error);
  return json_node_get_object(json_parser_get_root(*keep));
}

static void
test_format(void)
{
  const char *args[] = {"-i", "lo", "-f", "udp \"quoted\"\nnewline", "\xff bad utf8", NULL};
  NcapAuditEvent ev = {
    .user = "alice", .uid = 1001, .account = "capture", .verb = "stream",
    .args = args, .result = "denied",
    .reason = "permission denied: capture.stream",
    .ssh_connection = "192.0.2.7 51234 192.0.2.1 22",
  };
  /* 2024-05-01T12:00:00.123Z */
  g_autofree char *line = ncap_audit_format(&ev, 1714564800123456);
  g_assert_null(strchr(line, '\n'));
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_line(line, &p);
  g_assert_cmpstr(json_object_get_string_member(o, "time"), ==, "2024-05-01T12:00:00.123Z");
  g_assert_cmpstr(json_object_get_string_member(o, "user"), ==, "alice");
  g_assert_cmpint(json_object_get_int_member(o, "uid"), ==, 1001);
  g_assert_cmpstr(json_object_get_string_member(o, "account"), ==, "capture");
  g_assert_cmpstr(json_object_get_string_member(o, "verb"), ==, "stream");
  g_assert_cmpstr(json_object_get_string_member(o, "result"), ==, "denied");
  g_assert_cmpstr(json_object_get_string_member(o, "reason"), ==,
                  "permission denied: capture.stream");
  g_assert_cmpstr(json_object_get_string_member(o, "peer"), ==, "192.0.2.7");
  g_assert_cmpint(json_object_get_int_member(o, "peer_port"), ==, 51234);
  g_assert_cmpint(json_object_get_int_member(o, "pid"), ==, getpid());
  JsonArray *a = json_object_get_array_member(o, "args");
  g_assert_cmpuint(json_array_get_length(a), ==, 5);
  g_assert_cmpstr(json_array_get_string_element(a, 3), ==, "udp \"quoted\"\nnewline");
  g_assert_true(g_utf8_validate(json_array_get_string_element(a, 4), -1, NULL));

  /* No SSH: peer null, no account, no reason. */
  NcapAuditEvent local = {.user = "root", .uid = 0, .verb = "list", .result = "ok"};
  g_autofree char *l2 = ncap_audit_format(&local, 0);
  g_autoptr(JsonParser) p2 = NULL;
  JsonObject *o2 = parse_line(l2, &p2);
  g_assert_true(json_object_get_null_member(o2, "peer"));
  g_assert_true(json_object_get_null_member(o2, "reason"));
  g_assert_false(json_object_has_member(o2, "account"));
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o2, "args")), ==, 0);
}

static void
test_peer(void)
{
  g_autofree char *ip = NULL;
  guint port = 0;
  g_assert_true(ncap_audit_parse_peer("2001:db8:0:0::1 40000 2001:db8::2 22", &ip, &port));
  g_assert_cmpstr(ip, ==, "2001:db8::1");
  g_assert_cmpuint(port, ==, 40000);
  const char *bad[] = {
    NULL, "", "192.0.2.7", "192.0.2.7 22 192.0.2.1", "192.0.2.777 1 192.0.2.1 22",
    "evil\"} 1 2 3", "192.0.2.7 99999 192.0.2.1 22", "192.0.2.7 -1 192.0.2.1 22",
    "192.0.2.7  1 192.0.2.1 22",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *x = NULL;
    g_assert_false(ncap_audit_parse_peer(bad[i], &x, &port));
    g_assert_null(x);
  }
}

static void
test_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("ncap-audit-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(dir, "audit.log", NULL);

  g_autoptr(NcapAudit) a = ncap_audit_open(path, &error);
  g_assert_no_error(error);
  const char *args[] = {"-i", "lo", NULL};
  NcapAuditEvent ev = {.user = "alice", .uid = 1001, .verb = "stream",
                       .args = args, .result = "allowed"};
  g_assert_true(ncap_audit_log(a, &ev, &error));
  ev.result = "ok";
  g_assert_true(ncap_audit_log(a, &ev, &error));
  g_assert_no_error(error);

  GStatBuf st;
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0600);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 3); /* two lines + "" */
  g_assert_cmpstr(lines[2], ==, "");
  g_autoptr(JsonParser) p = NULL;
  JsonObject *o = parse_line(lines[1], &p);
  g_assert_cmpstr(json_object_get_string_member(o, "result"), ==, "ok");

  /* Appends: a second open keeps the old lines. */
  g_autoptr(NcapAudit) b = ncap_audit_open(path, &error);
  g_assert_no_error(error);
  g_assert_true(ncap_audit_log(b, &ev, &error));
  g_clear_pointer(&text, g_free);
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_auto(GStrv) lines2 = g_strsplit(text, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines2), ==, 4);

  /* A planted symlink is refused, not followed. */
  g_autofree char *victim = g_build_filename(dir, "victim", NULL);
  g_autofree char *link = g_build_filename(dir, "link.log", NULL);
  g_assert_true(g_file_set_contents(victim, "", 0, NULL));
  g_assert_cmpint(symlink(victim, link), ==, 0);
  g_assert_null(ncap_audit_open(link, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "symbolic link"));
  g_clear_error(&error);

  /* A file others can read is refused (the log names users and peers). */
  g_assert_cmpint(chmod(path, 0644), ==, 0);
  g_assert_null(ncap_audit_open(path, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_clear_error(&error);

  g_unlink(link);
  g_unlink(victim);
  g_unlink(path);
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/audit/format", test_format);
  g_test_add_func("/audit/peer", test_peer);
  g_test_add_func("/audit/file", test_file);
  return g_test_run();
}
