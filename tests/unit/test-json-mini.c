/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packaging/windows/json-mini (the Windows build's stand-in for json-glib)
 * against the real json-glib: json-probe built with each (test-json-mini.
 * cmake) parses the same inputs and must print the same tree, compact and
 * pretty output; malformed input is refused with a JSON_PARSER_ERROR;
 * json-mini is stricter than json-glib where json-glib is lenient, and
 * bounds the nesting depth. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static char *tmpdir;

/* Runs PROBE parse on LEN bytes of DATA; its stdout (transfer full). */
static char *
probe_parse(const char *probe, const char *data, gssize len)
{
  g_autofree char *file = g_build_filename(tmpdir, "in.json", NULL);
  g_assert_true(g_file_set_contents(file, data, len, NULL));
  const char *argv[] = {probe, "parse", file, NULL};
  char *out = NULL;
  int status = -1;
  g_autoptr(GError) err = NULL;
  /* json-glib 1.6 itself leaks its scanner's buffers on some malformed
   * input: under the sanitizer pass the real json-glib is only the oracle,
   * so LeakSanitizer looks at json-mini alone. */
  g_auto(GStrv) env = g_get_environ();
  if (strcmp(probe, JSON_PROBE_GLIB) == 0) {
    const char *asan = g_environ_getenv(env, "ASAN_OPTIONS");
    g_autofree char *opts =
        g_strconcat(asan ? asan : "", asan ? ":" : "", "detect_leaks=0", NULL);
    env = g_environ_setenv(env, "ASAN_OPTIONS", opts, TRUE);
  }
  g_assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                             &status, &err));
  g_assert_no_error(err);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  return out;
}

static char *
both_same(const char *data, gssize len)
{
  g_autofree char *real = probe_parse(JSON_PROBE_GLIB, data, len);
  char *mini = probe_parse(JSON_PROBE_MINI, data, len);
  if (strcmp(real, mini) != 0)
    g_test_message("input: %s\njson-glib:\n%s\njson-mini:\n%s", data, real, mini);
  g_assert_cmpstr(mini, ==, real);
  return mini;
}

static void
accepted(const char *data)
{
  g_autofree char *out = both_same(data, -1);
  g_assert_true(g_str_has_prefix(out, "OK\n"));
  g_assert_true(strstr(out, "round trip same\n") != NULL);
}

/* What the helper sends, and every kind of value. */
static void
test_valid(void)
{
  accepted("[{\"id\":\"0123456789abcdef0123456789abcdef\",\"status\":\"success\","
           "\"reason\":\"stopped\",\"started\":\"2026-12-05T23:00:00Z\",\"packets\":4000,"
           "\"discarded_packets\":0,\"bytes\":18446744073709551,"
           "\"files\":[{\"name\":\"ring_00001.pcapng\",\"size\":1048576,\"packets\":1700,"
           "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}],"
           "\"options\":{\"interface\":\"lo\",\"filter\":\"udp dst port 4000\",\"snaplen\":null},"
           "\"destination\":null,\"upload\":false,\"running\":true}]");
  accepted("[\n  {\"name\": \"lo\", \"description\": \"\", \"addresses\": [\"127.0.0.1\", \"::1\"],"
           " \"up\": true},\r\n\t{\"name\":\"eth0\",\"description\":\"Intel \\\"e1000\\\"\","
           "\"addresses\":[],\"up\":false}\n]\n");
  /* \u escapes: BMP, surrogate pairs (U+1F600, U+10FFFF), escaped controls */
  accepted("[\"caf\\u00e9 \\u4e2d\\u6587\", \"\\ud83d\\ude00\", \"\\uDBFF\\uDFFF\", \"\\u0001\\u001e\\u007f\","
           " \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\", \"raw UTF-8: \xc3\xa9 \xf0\x9f\x98\x80\"]");
  /* integers to 64 bits, booleans, null, numbers with fractions */
  accepted("[0, -0, 1, -1, 9223372036854775807, -9223372036854775808, 4294967296, true, false,"
           " null, 1.5, -0.25, 1e2, 2.5E-3]");
  accepted("{\"a\":{\"b\":{\"c\":[[],{},[{}],{\"d\":[1,[2,[3]]]}]}},\"\":\"empty name\","
           "\"dup\":1,\"x\":2,\"dup\":\"last wins, first place\"}");
  accepted("\"a top-level string\"");
  accepted("  42  ");
  accepted("null");
  accepted("{}");
  accepted("[]");
  /* no JSON at all: no root, no error (cli-jobs.c checks for the root) */
  g_autofree char *empty = both_same("", -1);
  g_assert_cmpstr(empty, ==, "OK no root\n");
  g_autofree char *blank = both_same(" \n\t ", -1);
  g_assert_cmpstr(blank, ==, "OK no root\n");
}

/* Nesting up to json-mini's limit parses the same as json-glib. */
static void
test_deep_valid(void)
{
  g_autoptr(GString) s = g_string_new(NULL);
  for (int i = 0; i < 256; i++)
    g_string_append(s, i % 2 ? "{\"k\":" : "[");
  g_string_append(s, "0");
  for (int i = 255; i >= 0; i--)
    g_string_append(s, i % 2 ? "}" : "]");
  accepted(s->str);
}

static void
refused_by_both(const char *data, gssize len)
{
  g_autofree char *out = both_same(data, len);
  g_assert_cmpstr(out, ==, "ERROR json-parser\n");
}

static void
test_malformed(void)
{
  const char *bad[] = {
    "[1,]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{\"a\"}", "{1:2}", "[1 2]",
    "[", "]", "{", "}", "[1", "{\"a\":", "\"unterminated", "\"\\u12\"", "\"\\ud83d\"",
    "\"\\ude00\"", "\"\\ud83d\\u0041\"", "tru", "truex", "nul", "nulll", "-", "+1", "1e",
    "[1]x", "{\"a\":1}}", "NaN", "Infinity", "[true false]",
    "\xef\xbb", "\"\\", "[\"a\",,\"b\"]", "{,}", "[,]",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    refused_by_both(bad[i], -1);
  /* invalid UTF-8 inside a string */
  refused_by_both("[\"\xff\xfe\"]", -1);
  refused_by_both("[\"\xc3\"]", -1);
}

/* json-glib (1.6) lets these through; json-mini, stricter, refuses them. */
static void
test_strict(void)
{
  const char *bad[] = {
    "01", "[-01]", "{'a':1}", "\"\\x\"", "\"a\nb\"", "\"tab\there\"", "/*c*/1", "// c\n1",
    "\"\\u0000\"", "[1]\n/* trailing */", ".5", "1.", "[1] [2]",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *out = probe_parse(JSON_PROBE_MINI, bad[i], -1);
    g_assert_cmpstr(out, ==, "ERROR json-parser\n");
  }
  /* an embedded NUL inside the given length */
  g_autofree char *nul = probe_parse(JSON_PROBE_MINI, "[1,\0 2]", 7);
  g_assert_cmpstr(nul, ==, "ERROR json-parser\n");
  /* U+001F is escaped: json-glib 1.6 writes it raw, which is not JSON */
  g_autofree char *us = probe_parse(JSON_PROBE_MINI, "\"\\u001f\"", -1);
  g_assert_nonnull(strstr(us, "generated compact (8 bytes):\n\"\\u001f\"\n"));
  /* beyond 64 bits: a double, not a wrapped integer */
  g_autofree char *big = probe_parse(JSON_PROBE_MINI, "9223372036854775808", -1);
  g_assert_true(g_str_has_prefix(big, "OK\nvalue gdouble"));
}

/* Nesting beyond the limit is an error, at any depth, without recursing
 * further: a million brackets come back as one error, quickly. */
static void
test_deep_refused(void)
{
  for (gsize depth = 257; depth <= 1000000; depth *= 8) {
    g_autoptr(GString) s = g_string_new(NULL);
    for (gsize i = 0; i < depth; i++)
      g_string_append_c(s, '[');
    for (gsize i = 0; i < depth; i++)
      g_string_append_c(s, ']');
    g_autofree char *out = probe_parse(JSON_PROBE_MINI, s->str, (gssize)s->len);
    g_assert_cmpstr(out, ==, "ERROR json-parser\n");
  }
  g_autofree char *open = g_strnfill(1000000, '{');
  g_autofree char *out = probe_parse(JSON_PROBE_MINI, open, -1);
  g_assert_cmpstr(out, ==, "ERROR json-parser\n");
}

/* The object/array/node/builder/generator calls of extcap/cli-jobs.c and
 * extcap/node.c: the same text from both, pretty and compact. */
static void
test_build(void)
{
  char *out[2];
  const char *probes[] = {JSON_PROBE_GLIB, JSON_PROBE_MINI};
  for (int i = 0; i < 2; i++) {
    const char *argv[] = {probes[i], "build", NULL};
    int status = -1;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out[i],
                               NULL, &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
  }
  g_assert_cmpstr(out[1], ==, out[0]);
  g_assert_nonnull(strstr(out[1], "\"name\" : \"Ethernet \\\"2\\\"\\t\\\\ \xc3\xa9 \\u0001\""));
  g_assert_nonnull(strstr(out[1], "\"size\":9223372036854775807,\"packets\":-9223372036854775808"));
  g_free(out[0]);
  g_free(out[1]);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("test-json-mini-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/json-mini/valid", test_valid);
  g_test_add_func("/json-mini/deep-valid", test_deep_valid);
  g_test_add_func("/json-mini/malformed", test_malformed);
  g_test_add_func("/json-mini/strict", test_strict);
  g_test_add_func("/json-mini/deep-refused", test_deep_refused);
  g_test_add_func("/json-mini/build", test_build);
  int rc = g_test_run();
  g_autofree char *in = g_build_filename(tmpdir, "in.json", NULL);
  g_unlink(in);
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return rc;
}
