/* SPDX-License-Identifier: GPL-2.0-or-later */
/* remote/policy.c: the grant/deny decision, file checks, group lookup. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "ncap-error.h"
#include "policy.h"

static const char *const ops[] = {"netops", "users", NULL};
static const char *const none[] = {NULL};

static NcapPolicy *
parse(const char *text)
{
  g_autoptr(GError) error = NULL;
  NcapPolicy *p = ncap_policy_new_from_data(text, "test.conf", &error);
  g_assert_no_error(error);
  g_assert_nonnull(p);
  return p;
}

static void
test_grant_user_and_group(void)
{
  g_autoptr(NcapPolicy) p = parse("[grant]\n"
                                  "capture.stream = alice; @netops\n"
                                  "captures.read = bob\n");
  const char *why = NULL;
  g_assert_true(ncap_policy_allows(p, "alice", none, "capture.stream", &why));
  g_assert_cmpstr(why, ==, "granted");
  g_assert_true(ncap_policy_allows(p, "carol", ops, "capture.stream", NULL));
  g_assert_false(ncap_policy_allows(p, "carol", none, "capture.stream", &why));
  g_assert_cmpstr(why, ==, "not granted");
  /* A permission is granted only as itself. */
  g_assert_false(ncap_policy_allows(p, "alice", none, "captures.read", NULL));
  g_assert_true(ncap_policy_allows(p, "bob", none, "captures.read", NULL));
  /* A user named like a group is not the group. */
  g_assert_false(ncap_policy_allows(p, "netops", none, "capture.stream", NULL));
}

static void
test_deny_overrides(void)
{
  g_autoptr(NcapPolicy) p = parse("[grant]\n"
                                  "capture.stream = alice;@netops;vendor\n"
                                  "[deny]\n"
                                  "capture.stream = vendor;@users\n");
  const char *why = NULL;
  g_assert_false(ncap_policy_allows(p, "vendor", none, "capture.stream", &why));
  g_assert_cmpstr(why, ==, "denied by [deny]");
  /* Member of a granted group and of a denied group: denied. */
  g_assert_false(ncap_policy_allows(p, "dave", ops, "capture.stream", NULL));
  /* Granted by name, denied by group: denied. */
  g_assert_false(ncap_policy_allows(p, "alice", ops, "capture.stream", NULL));
  g_assert_true(ncap_policy_allows(p, "alice", none, "capture.stream", NULL));
}

static void
test_nobody_by_default(void)
{
  g_autoptr(NcapPolicy) p = parse("");
  for (const char *const *perm = ncap_policy_permissions(); *perm; perm++) {
    g_assert_false(ncap_policy_allows(p, "root", none, *perm, NULL));
    g_assert_false(ncap_policy_allows(p, "alice", ops, *perm, NULL));
  }
  g_autoptr(NcapPolicy) q = parse("[grant]\ncapture.stream = alice\n");
  g_assert_false(ncap_policy_allows(q, "root", none, "capture.stream", NULL));
  /* Unknown permission: never allowed. */
  g_assert_false(ncap_policy_allows(q, "alice", none, "capture.everything", NULL));
}

static void
test_bad_files(void)
{
  const char *bad[] = {
    "[grant]\ncapture.steam = alice\n",       /* typo: unknown permission */
    "[deny]\ncaptures.delet = vendor\n",
    "[grants]\ncapture.stream = alice\n",     /* unknown section */
    "[grant]\ncapture.stream = al ice\n",     /* blank in a name */
    "[grant]\ncapture.stream = @\n",
    "[grant]\ncapture.stream = alice,bob\n",  /* ',' is not the separator */
    "not a key file\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(NcapPolicy) p = ncap_policy_new_from_data(bad[i], "x.conf", &error);
    g_assert_null(p);
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
    g_assert_true(g_str_has_prefix(error->message, "x.conf"));
  }
}

static char *
write_policy(const char *dir, const char *name, const char *text, int mode)
{
  char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_assert_cmpint(chmod(path, mode), ==, 0);
  return path;
}

static void
test_file_checks(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("ncap-policy-XXXXXX", &error);
  g_assert_no_error(error);
  const char *text = "[grant]\ncapture.stream = alice\n";
  uid_t me = getuid();

  g_autofree char *ok = write_policy(dir, "ok.conf", text, 0644);
  g_autoptr(NcapPolicy) p = ncap_policy_load(ok, me, &error);
  g_assert_no_error(error);
  g_assert_true(ncap_policy_allows(p, "alice", none, "capture.stream", NULL));

  g_autofree char *ww = write_policy(dir, "ww.conf", text, 0666);
  g_assert_null(ncap_policy_load(ww, me, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "writable by group or others"));
  g_clear_error(&error);

  g_autofree char *gw = write_policy(dir, "gw.conf", text, 0664);
  g_assert_null(ncap_policy_load(gw, me, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_clear_error(&error);

  /* Not owned by root nor by the trusted uid. */
  if (getuid() == 0) {
    g_assert_cmpint(chown(ok, 65534, 65534), ==, 0);
    g_assert_null(ncap_policy_load(ok, (uid_t)-1, &error));
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
    g_assert_nonnull(strstr(error->message, "must be owned by root"));
    g_clear_error(&error);
    g_assert_cmpint(chown(ok, 0, 0), ==, 0);
  } else {
    g_assert_null(ncap_policy_load(ok, (uid_t)-1, &error));
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
    g_clear_error(&error);
  }

  /* A symbolic link is not followed. */
  g_autofree char *link = g_build_filename(dir, "link.conf", NULL);
  g_assert_cmpint(symlink(ok, link), ==, 0);
  g_assert_null(ncap_policy_load(link, me, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_assert_nonnull(strstr(error->message, "symbolic link"));
  g_clear_error(&error);

  /* A directory is not a policy. */
  g_assert_null(ncap_policy_load(dir, me, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_clear_error(&error);

  /* Missing: loads, grants nothing. */
  g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
  g_autoptr(NcapPolicy) empty = ncap_policy_load(missing, me, &error);
  g_assert_no_error(error);
  g_assert_false(ncap_policy_allows(empty, "root", none, "capture.stream", NULL));

  const char *names[] = {"ok.conf", "ww.conf", "gw.conf", "link.conf"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *f = g_build_filename(dir, names[i], NULL);
    g_unlink(f);
  }
  g_rmdir(dir);
}

static void
test_groups_and_check(void)
{
  /* root's primary group is root on every Debian system. */
  g_auto(GStrv) groups = ncap_policy_groups_of("root");
  g_assert_true(g_strv_contains((const char *const *)groups, "root"));
  g_auto(GStrv) nogroups = ncap_policy_groups_of("no-such-user-ncap");
  g_assert_cmpuint(g_strv_length(nogroups), ==, 0);

  g_autoptr(NcapPolicy) p = parse("[grant]\ncapture.stream = @root\n"
                                  "captures.read = alice\n");
  NcapHelper h = {.caller_uid = 0, .caller_name = (char *)"root",
                  .sysconfdir = (char *)"/etc/nodecap-test"};
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_policy_check(p, &h, "capture.stream", &error));
  g_assert_no_error(error);
  g_assert_false(ncap_policy_check(p, &h, "captures.read", &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_PERMISSION);
  /* Who was checked, what is missing, which file grants it. */
  g_assert_true(g_str_has_prefix(
      error->message, "permission denied: captures.read for user root "
                      "(groups: root"));
  g_assert_true(g_str_has_suffix(
      error->message, "): not granted in /etc/nodecap-test/policy.conf (the "
                      "node's admin adds \"captures.read = root\" under "
                      "[grant])"));
  g_assert_cmpint(ncap_error_exit_status(error), ==, 3);
  g_clear_error(&error);

  g_autoptr(NcapPolicy) d = parse("[grant]\ncapture.stream = root\n"
                                  "[deny]\ncapture.stream = @root\n");
  g_assert_false(ncap_policy_check(d, &h, "capture.stream", &error));
  g_assert_true(g_str_has_suffix(
      error->message,
      "): refused by the [deny] section of /etc/nodecap-test/policy.conf"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/policy/grant-user-and-group", test_grant_user_and_group);
  g_test_add_func("/policy/deny-overrides", test_deny_overrides);
  g_test_add_func("/policy/nobody-by-default", test_nobody_by_default);
  g_test_add_func("/policy/bad-files", test_bad_files);
  g_test_add_func("/policy/file-checks", test_file_checks);
  g_test_add_func("/policy/groups-and-check", test_groups_and_check);
  return g_test_run();
}
