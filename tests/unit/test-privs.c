/* SPDX-License-Identifier: GPL-2.0-or-later */
/* remote/privs.c: after ncap_privs_drop_all nothing privileged is left.
 * (The setuid-nodecap + cap_net_raw install is covered by
 * tests/integration/test-security-privilege.sh; here the drop itself runs in
 * a child of the test, as whoever runs the tests.) */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <linux/if_ether.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"

static int
child(void)
{
  ncap_privs_init();
  if (ncap_privs_caller_uid() != getuid())
    return 10;
  guint64 eff = 0;
  if (!ncap_privs_read_status_caps("CapEff", &eff))
    return 11;
  /* init keeps at most CAP_NET_RAW (bit 13). */
  if ((eff & ~(G_GUINT64_CONSTANT(1) << 13)) != 0)
    return 12;
  GError *error = NULL;
  if (!ncap_privs_drop_all(NCAP_PRIVS_TO_CALLER, &error)) {
    g_printerr("%s\n", error->message);
    return 13;
  }
  guint64 prm = 1, inh = 1, amb = 1;
  if (!ncap_privs_read_status_caps("CapEff", &eff) || eff != 0 ||
      !ncap_privs_read_status_caps("CapPrm", &prm) || prm != 0 ||
      !ncap_privs_read_status_caps("CapInh", &inh) || inh != 0 ||
      !ncap_privs_read_status_caps("CapAmb", &amb) || amb != 0)
    return 14;
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    return 15;
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
    return 16;
  /* The point of it all: no new packet socket. */
  int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (s >= 0 || errno != EPERM)
    return 17;
  uid_t r, e, su;
  if (getresuid(&r, &e, &su) != 0 || r != e || e != su)
    return 18;
  return 0;
}

static void
test_drop_all(void)
{
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0)
    _exit(child());
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void
test_read_status(void)
{
  guint64 v = 0;
  g_assert_true(ncap_privs_read_status_caps("CapBnd", &v));
  g_assert_false(ncap_privs_read_status_caps("NoSuchKey", &v));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/privs/drop-all", test_drop_all);
  g_test_add_func("/privs/read-status", test_read_status);
  return g_test_run();
}
