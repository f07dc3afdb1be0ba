/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/multi.c: the host list of a multi-node capture (names, ports,
 * users, IPv6, errors). */
#include <glib.h>
#include <string.h>

#include "multi.h"
#include "ncap-error.h"

static char *
names(GPtrArray *hosts)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < hosts->len; i++) {
    NcapMultiHost *h = g_ptr_array_index(hosts, i);
    g_string_append_printf(s, "%s%s=%s", i ? " " : "", h->target, h->name);
  }
  return g_string_free(s, FALSE);
}

static void
test_list(void)
{
  static const struct {
    const char *list, *want;
  } cases[] = {
      {"nodeA", "nodeA=nodeA"},
      {"nodeA,nodeB:2222,user@nodeC",
       "nodeA=nodeA nodeB:2222=nodeB user@nodeC=nodeC"},
      {" a , b ", "a=a b=b"},
      {"[2001:db8::1]:2222,2001:db8::2",
       "[2001:db8::1]:2222=2001:db8::1 2001:db8::2=2001:db8::2"},
      /* One machine, two sshds: the names must differ. */
      {"127.0.0.1:2201,127.0.0.1:2202,other",
       "127.0.0.1:2201=127.0.0.1:2201 127.0.0.1:2202=127.0.0.1:2202 "
       "other=other"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) hosts = ncap_multi_parse_hosts(cases[i].list, &error);
    g_assert_no_error(error);
    g_autofree char *got = names(hosts);
    g_assert_cmpstr(got, ==, cases[i].want);
  }
}

static void
test_errors(void)
{
  static const struct {
    const char *list, *msg;
  } cases[] = {
      {"", "no node given"},
      {" , ", "no node given"},
      {"a,,b", "empty entry"},
      {"a,b,a", "a is listed twice"},
      {"a,b:99999", "port must be 1-65535"},
      {"a,[::1", "missing ']'"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    GPtrArray *hosts = ncap_multi_parse_hosts(cases[i].list, &error);
    g_assert_null(hosts);
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
    if (!g_str_has_suffix(error->message, cases[i].msg) &&
        strstr(error->message, cases[i].msg) == NULL)
      g_error("%s: \"%s\" lacks \"%s\"", cases[i].list, error->message,
              cases[i].msg);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/multi/hosts/list", test_list);
  g_test_add_func("/multi/hosts/errors", test_errors);
  return g_test_run();
}
