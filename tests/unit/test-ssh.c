/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/ssh.c without a network: the node target forms a user types
 * (user@host:port, [v6]:port, bare IPv6), the refusals, and the helper
 * message picked from its stderr. Connections are covered by
 * tests/integration/test-extcap-ssh.sh against a real sshd. */
#include <glib.h>

#include "ncap-error.h"
#include "ssh.h"

typedef struct {
  const char *target, *host, *user;
  int port;
} Target;

static void
test_target_forms(void)
{
  static const Target cases[] = {
      {"node1", "node1", NULL, 0},
      {"alice@node1", "node1", "alice", 0},
      {"alice@node1:2222", "node1", "alice", 2222},
      {"127.0.0.1:22", "127.0.0.1", NULL, 22},
      {"[::1]:2200", "::1", NULL, 2200},
      {"bob@[fd00::2]", "fd00::2", "bob", 0},
      {"fd00::2", "fd00::2", NULL, 0},
      {"a.b@host.example.org:65535", "host.example.org", "a.b", 65535},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    NcapSshConfig cfg = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(ncap_ssh_config_set_target(&cfg, cases[i].target, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(cfg.host, ==, cases[i].host);
    g_assert_cmpstr(cfg.user, ==, cases[i].user);
    g_assert_cmpint(cfg.port, ==, cases[i].port);
    ncap_ssh_config_clear(&cfg);
  }
}

static void
test_target_keeps_separate_fields(void)
{
  NcapSshConfig cfg = {.port = 2022};
  cfg.user = g_strdup("carol");
  g_assert_true(ncap_ssh_config_set_target(&cfg, "node1", NULL));
  g_assert_cmpstr(cfg.user, ==, "carol");
  g_assert_cmpint(cfg.port, ==, 2022);
  /* A user or port in the target wins. */
  g_assert_true(ncap_ssh_config_set_target(&cfg, "dave@node1:23", NULL));
  g_assert_cmpstr(cfg.user, ==, "dave");
  g_assert_cmpint(cfg.port, ==, 23);
  ncap_ssh_config_clear(&cfg);
}

static void
test_target_refused(void)
{
  static const char *bad[] = {
      "", "@node", "alice@", "node:0", "node:65536", "node:22x", "node:",
      "[::1", "[::1]x", "no de", "a,b", "node/../x", "'node'",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    NcapSshConfig cfg = {0};
    g_autoptr(GError) error = NULL;
    g_assert_false(ncap_ssh_config_set_target(&cfg, bad[i], &error));
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
    ncap_ssh_config_clear(&cfg);
  }
  g_assert_false(ncap_ssh_config_set_target(&(NcapSshConfig){0}, NULL, NULL));
}

static void
test_last_line(void)
{
  g_autofree char *a = ncap_ssh_last_line("nodecap-helper: bad\n");
  g_autofree char *b = ncap_ssh_last_line("motd\n\nnodecap-helper: x  \n\n");
  g_autofree char *c = ncap_ssh_last_line("");
  g_autofree char *d = ncap_ssh_last_line(NULL);
  g_assert_cmpstr(a, ==, "nodecap-helper: bad");
  g_assert_cmpstr(b, ==, "nodecap-helper: x");
  g_assert_cmpstr(c, ==, "");
  g_assert_cmpstr(d, ==, "");
}

static void
test_remote_codes(void)
{
  g_assert_cmpint(ncap_ssh_remote_error_code(NCAP_ERROR_INVALID), ==, NCAP_ERROR_INVALID);
  g_assert_cmpint(ncap_ssh_remote_error_code(NCAP_ERROR_NOT_FOUND), ==, NCAP_ERROR_NOT_FOUND);
  g_assert_cmpint(ncap_ssh_remote_error_code(1), ==, NCAP_ERROR_REMOTE);
  g_assert_cmpint(ncap_ssh_remote_error_code(NCAP_ERROR_AUTH), ==, NCAP_ERROR_REMOTE);
  g_assert_cmpint(ncap_ssh_remote_error_code(127), ==, NCAP_ERROR_REMOTE);
  g_assert_cmpint(ncap_ssh_remote_error_code(-1), ==, NCAP_ERROR_REMOTE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ssh/target/forms", test_target_forms);
  g_test_add_func("/ssh/target/separate-fields", test_target_keeps_separate_fields);
  g_test_add_func("/ssh/target/refused", test_target_refused);
  g_test_add_func("/ssh/last-line", test_last_line);
  g_test_add_func("/ssh/remote-codes", test_remote_codes);
  return g_test_run();
}
