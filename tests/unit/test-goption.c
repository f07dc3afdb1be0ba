/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/goption.c: a GOption parse error becomes NCAP_ERROR_INVALID
 * (exit 2) with GOption's message, prefixed by the verb when one is given,
 * for both the strv and the argc/argv form. */
#include <glib.h>
#include <string.h>

#include "goption.h"
#include "ncap-error.h"

static int count;
static GOptionEntry entries[] = {
    {"count", 'c', 0, G_OPTION_ARG_INT, &count, "a number", "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static void
test_strv(void)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_auto(GStrv) good = g_strsplit("prog --count 3 rest", " ", -1);
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_goption_parse_strv(ctx, NULL, &good, &error));
  g_assert_no_error(error);
  g_assert_cmpint(count, ==, 3);
  g_assert_cmpstr(good[1], ==, "rest");

  g_auto(GStrv) bad = g_strsplit("prog --nosuch", " ", -1);
  g_assert_false(ncap_goption_parse_strv(ctx, NULL, &bad, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_assert_cmpstr(error->message, ==, "Unknown option --nosuch");
  g_assert_cmpint(ncap_error_exit_status(error), ==, 2);
}

static void
test_argv_prefix(void)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_auto(GStrv) bad = g_strsplit("list --count x", " ", -1);
  int argc = (int)g_strv_length(bad);
  char **argv = bad;
  g_autoptr(GError) error = NULL;
  g_assert_false(ncap_goption_parse(ctx, "list", &argc, &argv, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_assert_true(g_str_has_prefix(error->message, "list: "));
  g_assert_nonnull(strstr(error->message, "x"));
}

int
main(int argc, char **argv)
{
  g_setenv("LC_ALL", "C", TRUE);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/goption/strv", test_strv);
  g_test_add_func("/goption/argv-prefix", test_argv_prefix);
  return g_test_run();
}
