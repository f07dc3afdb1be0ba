/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/jump.c without a network: the --proxyjump lists a user types,
 * and the jump list taken back from the ProxyCommand libssh 0.10 makes of
 * an ssh_config ProxyJump line. The jump itself is covered by
 * tests/integration/test-jump-host.sh in the namespace lab. */
#include <glib.h>
#include <string.h>

#include "jump.h"
#include "ncap-error.h"

static void
test_spec_check(void)
{
  static const char *good[] = {"bastion", "alice@bastion:2222",
                               "a@j1,j2:2200,[fd00::1]:22", "none", ""};
  static const char *bad[] = {"a@", "j1,,j2", "host:0", "[fd00::1", "h h"};
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) e = NULL;
    g_assert_true(ncap_jump_check_spec(good[i], &e));
    g_assert_no_error(e);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    g_assert_false(ncap_jump_check_spec(bad[i], &e));
    g_assert_error(e, NCAP_ERROR, NCAP_ERROR_INVALID);
    g_assert_nonnull(strstr(e->message, "--proxyjump"));
  }
}

static void
test_from_proxycommand(void)
{
  static const struct {
    const char *cmd, *spec;
  } cases[] = {
      /* what libssh 0.10's ssh_config_parse_proxy_jump writes */
      {"ssh -W '[%h]:%p' bastion", "bastion"},
      {"ssh -l alice -p 2222 -W '[%h]:%p' bastion", "alice@bastion:2222"},
      {"ssh -l alice -J j2:22,bob@j3 -W '[%h]:%p' j1", "alice@j1,j2:22,bob@j3"},
      {"ssh -W '[%h]:%p' fd00::1", "[fd00::1]"},
      /* any other ProxyCommand is left to libssh */
      {"nc -X connect -x proxy:3128 %h %p", NULL},
      {"ssh -W %h:%p bastion", NULL},
      {"ssh -o Foo=bar -W '[%h]:%p' bastion", NULL},
      {"ssh -W '[%h]:%p'", NULL},
      {"'unterminated", NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *spec = ncap_jump_spec_from_proxycommand(cases[i].cmd);
    g_assert_cmpstr(spec, ==, cases[i].spec);
  }
  g_assert_null(ncap_jump_spec_from_proxycommand(NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/jump/spec-check", test_spec_check);
  g_test_add_func("/jump/from-proxycommand", test_from_proxycommand);
  return g_test_run();
}
