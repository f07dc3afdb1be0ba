/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/ncap-text.c: control characters from a node are
 * escaped, printable UTF-8 is kept, long text is cut with a count. */
#include <glib.h>
#include <string.h>

#include "ncap-text.h"

static void
check(const char *in, gssize len, gsize max, const char *want)
{
  g_autofree char *out = ncap_text_clean(in, len, max);
  g_assert_cmpstr(out, ==, want);
  for (const char *p = out; *p; p++)
    g_assert_true((guchar)*p >= 0x20 && (guchar)*p != 0x7f);
}

static void
test_escapes(void)
{
  check("plain text", -1, 0, "plain text");
  check("\x1b]0;TITLE\x07", -1, 0, "\\x1b]0;TITLE\\x07");
  check("\x1b[2J\x1b[31mred", -1, 0, "\\x1b[2J\\x1b[31mred");
  check("a\rb\nc\td", -1, 0, "a\\x0db\\x0ac\\x09d");
  check("del\x7f", -1, 0, "del\\x7f");
  /* C1 CSI as UTF-8 (U+009B) and a lone 0x9b byte. */
  check("c1 \xc2\x9b" "2J", -1, 0, "c1 \\xc2\\x9b2J");
  check("lone \x9b", -1, 0, "lone \\x9b");
  /* Printable UTF-8 stays; a truncated sequence does not. */
  check("caf\xc3\xa9 \xe2\x82\xac", -1, 0, "caf\xc3\xa9 \xe2\x82\xac");
  check("cut \xe2\x82", -1, 0, "cut \\xe2\\x82");
  /* Embedded NUL with an explicit length. */
  check("a\0b", 3, 0, "a\\x00b");
  check(NULL, -1, 0, "");
}

static void
test_cut(void)
{
  g_autofree char *big = g_strnfill(10 * 1024 * 1024, 'x');
  g_autofree char *out = ncap_text_clean(big, -1, NCAP_TEXT_LINE_MAX);
  g_autofree char *want_tail = g_strdup_printf("... (%d bytes more)",
                                               10 * 1024 * 1024 - 1024);
  g_assert_true(g_str_has_suffix(out, want_tail));
  g_assert_cmpuint(strlen(out), ==, 1024 + strlen(want_tail));
  /* Exactly max: no cut. */
  g_autofree char *k = g_strnfill(1024, 'y');
  g_autofree char *k2 = ncap_text_clean(k, -1, 1024);
  g_assert_cmpstr(k, ==, k2);
  /* Never inside a UTF-8 character. */
  check("ab\xc3\xa9", -1, 3, "ab... (2 bytes more)");
  g_assert_true(ncap_text_is_clean("fine", -1, 10));
  g_assert_false(ncap_text_is_clean("esc\x1b", -1, 10));
  g_assert_false(ncap_text_is_clean("too long", -1, 3));
}

static void
test_lines(void)
{
  g_autofree char *a = ncap_text_clean_lines("one\x1b[2J\ntwo\n", 0);
  g_assert_cmpstr(a, ==, "one\\x1b[2J\ntwo\n");
  g_autofree char *b = ncap_text_clean_lines("abcdef\nxy", 3);
  g_assert_cmpstr(b, ==, "abc... (3 bytes more)\nxy");
  g_autofree char *c = ncap_text_clean_lines(NULL, 3);
  g_assert_cmpstr(c, ==, "");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ncap-text/escapes", test_escapes);
  g_test_add_func("/ncap-text/cut", test_cut);
  g_test_add_func("/ncap-text/lines", test_lines);
  return g_test_run();
}
