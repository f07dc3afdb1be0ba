/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/multi.c: the host list of a multi-node capture (names, ports,
 * users, IPv6, errors), and the interface list that makes one source per
 * node and interface. */
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

/* Two hosts, two interfaces: four sources, host by host, each named by
 * its node (the IDB prefix) and shown as NODE:IFACE. */
static void
test_ifaces(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hosts = ncap_multi_parse_hosts("a,root@b:2222", &error);
  g_assert_no_error(error);
  g_auto(GStrv) one = ncap_multi_parse_ifaces("eth0", 2, &error);
  g_assert_no_error(error);
  ncap_multi_hosts_set_ifaces(hosts, one);
  g_assert_cmpuint(hosts->len, ==, 2);
  g_assert_null(((NcapMultiHost *)g_ptr_array_index(hosts, 0))->iface);
  g_assert_cmpstr(((NcapMultiHost *)g_ptr_array_index(hosts, 1))->source, ==,
                  "b");
  g_auto(GStrv) two = ncap_multi_parse_ifaces(" eth0 , eth1", 2, &error);
  g_assert_no_error(error);
  ncap_multi_hosts_set_ifaces(hosts, two);
  GString *got = g_string_new(NULL);
  for (guint i = 0; i < hosts->len; i++) {
    NcapMultiHost *h = g_ptr_array_index(hosts, i);
    g_string_append_printf(got, "%s%s|%s|%s|%s", i ? " " : "", h->target,
                           h->name, h->iface, h->source);
  }
  g_assert_cmpstr(got->str, ==,
                  "a|a|eth0|a:eth0 a|a|eth1|a:eth1 "
                  "root@b:2222|b|eth0|b:eth0 root@b:2222|b|eth1|b:eth1");
  g_string_free(got, TRUE);
}

static void
test_iface_errors(void)
{
  g_autofree char *many = NULL;
  {
    GString *s = g_string_new("if0");
    for (int i = 1; i < 129; i++)
      g_string_append_printf(s, ",if%d", i);
    many = g_string_free(s, FALSE);
  }
  const struct {
    const char *list;
    guint hosts;
    const char *msg;
  } cases[] = {
      {NULL, 1, "-i: an interface is required"},
      {"lo,,eth0", 1, "interface list \"lo,,eth0\": empty entry"},
      {"lo,", 1, "empty entry"},
      {"lo,eth0,lo", 1, "lo is listed twice"},
      {"any,lo", 1, "\"any\" already captures every interface"},
      {"lo,-x", 1, "not a valid interface name"},
      {"lo,a/b", 1, "not a valid interface name"},
      {many, 2, "2 node(s) x 129 interfaces is 258 sources, at most 256"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    char **v = ncap_multi_parse_ifaces(cases[i].list, cases[i].hosts, &error);
    g_assert_null(v);
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
    if (strstr(error->message, cases[i].msg) == NULL)
      g_error("%s: \"%s\" lacks \"%s\"", cases[i].list, error->message,
              cases[i].msg);
  }
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) v = ncap_multi_parse_ifaces(many, 1, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(g_strv_length(v), ==, 129);
  g_auto(GStrv) any = ncap_multi_parse_ifaces("any", 1, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(any[0], ==, "any");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/multi/hosts/list", test_list);
  g_test_add_func("/multi/hosts/errors", test_errors);
  g_test_add_func("/multi/ifaces/sources", test_ifaces);
  g_test_add_func("/multi/ifaces/errors", test_iface_errors);
  return g_test_run();
}
