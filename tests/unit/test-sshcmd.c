/* SPDX-License-Identifier: GPL-2.0-or-later */
/* remote/sshcmd.c: forced-command splitting and the allow-list. */
#include <glib.h>
#include <string.h>

#include "ncap-error.h"
#include "options.h"
#include "sshcmd.h"

static void
accept(const char *cmd, const char *const *want, int want_verb)
{
  g_autoptr(GError) error = NULL;
  int vi = -2;
  g_auto(GStrv) argv = ncap_sshcmd_parse(cmd, &vi, &error);
  if (error)
    g_error("refused %s: %s", cmd, error->message);
  g_assert_nonnull(argv);
  g_assert_cmpuint(g_strv_length(argv), ==, g_strv_length((char **)want));
  for (guint i = 0; want[i]; i++)
    g_assert_cmpstr(argv[i], ==, want[i]);
  g_assert_cmpint(vi, ==, want_verb);
}

static void
test_allowed(void)
{
  accept("nodecap-helper interfaces --json",
         (const char *[]){"nodecap-helper", "interfaces", "--json", NULL}, 1);
  accept("/usr/bin/nodecap-helper stream -i lo -f 'udp and port 53' --type simple",
         (const char *[]){"nodecap-helper", "stream", "-i", "lo", "-f",
                          "udp and port 53", "--type", "simple", NULL}, 1);
  /* What the extcap sends: quoted words, values after '=' */
  accept("nodecap-helper --json --node n1 stream -i 'eth0' --src-host=192.0.2.1 "
         "--dst-port 443 --proto tcp --snaplen 128 --sample 4 --sample-by hash "
         "--time-limit 10 --packet-limit 100 --byte-limit 1000 --stall-timeout 5",
         (const char *[]){"nodecap-helper", "--json", "--node", "n1", "stream",
                          "-i", "eth0", "--src-host=192.0.2.1", "--dst-port",
                          "443", "--proto", "tcp", "--snaplen", "128",
                          "--sample", "4", "--sample-by", "hash",
                          "--time-limit", "10", "--packet-limit", "100",
                          "--byte-limit", "1000", "--stall-timeout", "5", NULL},
         4);
  /* '|', '&', '!' and '<' inside quotes are filter text, not shell syntax. */
  accept("nodecap-helper stream -i lo -f \"udp[8] & 0x0f != 3 || (tcp && len < 100)\"",
         (const char *[]){"nodecap-helper", "stream", "-i", "lo", "-f",
                          "udp[8] & 0x0f != 3 || (tcp && len < 100)", NULL}, 1);
  accept("nodecap-helper start -i lo --max-size 20 --file-size 5 --delete-on-start",
         (const char *[]){"nodecap-helper", "start", "-i", "lo", "--max-size",
                          "20", "--file-size", "5", "--delete-on-start", NULL}, 1);
  accept("nodecap-helper stream --interface=lo --filter 'tcp port 22' --no-exclude-ssh",
         (const char *[]){"nodecap-helper", "stream", "--interface=lo", "--filter",
                          "tcp port 22", "--no-exclude-ssh", NULL}, 1);
  accept("nodecap-helper --version", (const char *[]){"nodecap-helper", "--version", NULL}, -1);
  accept("nodecap-helper stop", (const char *[]){"nodecap-helper", "stop", NULL}, 1);
  accept("nodecap-helper status 0123456789abcdef0123456789abcdef --json",
         (const char *[]){"nodecap-helper", "status",
                          "0123456789abcdef0123456789abcdef", "--json", NULL}, 1);
  accept("nodecap-helper list", (const char *[]){"nodecap-helper", "list", NULL}, 1);
  accept("nodecap-helper delete --all",
         (const char *[]){"nodecap-helper", "delete", "--all", NULL}, 1);
  accept("nodecap-helper fetch 0123456789abcdef0123456789abcdef "
         "n1_0123456789abcdef0123456789abcdef_20240101T000000Z_0001.pcapng",
         (const char *[]){"nodecap-helper", "fetch",
                          "0123456789abcdef0123456789abcdef",
                          "n1_0123456789abcdef0123456789abcdef_20240101T000000Z_0001.pcapng",
                          NULL}, 1);
}

static void
refuse(const char *cmd, const char *why)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = ncap_sshcmd_parse(cmd, NULL, &error);
  g_autofree char *shown = cmd ? g_strescape(cmd, NULL) : g_strdup("(null)");
  if (argv)
    g_error("accepted hostile command \"%s\"", shown);
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_assert_true(g_str_has_prefix(error->message, "forced command: "));
  g_assert_null(strchr(error->message, '\n'));
  if (why && !strstr(error->message, why))
    g_error("\"%s\": message \"%s\" lacks \"%s\"", shown, error->message, why);
  if (g_test_verbose())
    g_printerr("%-60s -> %s\n", shown, error->message);
}

static void
test_hostile_list(void)
{
  const char *data = g_getenv("NCAP_TEST_DATA");
  g_autofree char *path = g_build_filename(data ? data : "tests/data",
                                           "ssh-hostile-commands.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, &error));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  int n = 0;
  for (char **l = lines; *l; l++) {
    if (**l == '\0' || g_str_has_prefix(*l, "# "))
      continue;
    g_autofree char *cmd = g_strcompress(*l);
    refuse(cmd, NULL);
    n++;
  }
  g_assert_cmpint(n, >, 50);
}

static void
test_messages(void)
{
  refuse(NULL, "no command given");
  refuse("", "no command given");
  refuse("nodecap-helper stream -i lo ; rm -rf /", "unexpected word \";\"");
  refuse("nodecap-helper stream -i $(id)", "value \"$(id)\" of -i has characters");
  refuse("nodecap-helper stream -i -x", "may not start with");
  refuse("nodecap-helper stream -i lo $(id)", "unexpected word \"$(id)\"");
  refuse("nodecap-helper stream -i lo # x", "'#' outside quotes");
  refuse("nodecap-helper stream -i lo\nid", "control character 0x0a");
  refuse("nodecap-helper stream --exec /bin/sh", "unknown option \"--exec\" for stream");
  refuse("nodecap-helper shell", "unknown subcommand \"shell\"");
  refuse("bash -c id", "only nodecap-helper may run here");
  refuse("nodecap-helper stream -- -i lo", "\"--\" is not allowed");
  refuse("nodecap-helper stream -i", "needs a value");
  refuse("nodecap-helper fetch", "needs a job id");
  refuse("nodecap-helper 'x", "unterminated quote");
  refuse("nodecap-helper stream -i lo;id", "value \"lo;id\" of -i has characters");
  refuse("nodecap-helper stream -i lo -f 'udp; id'", "of -f has characters");
  refuse("nodecap-helper stream -i lo --time-limit 1e3", "of --time-limit has characters");
}

static void
test_long(void)
{
  /* 8 KiB is the limit; one long value inside is fine, longer is not. */
  g_autofree char *pad = g_strnfill(8000, 'a');
  g_autofree char *ok = g_strdup_printf("nodecap-helper stream -i lo -f '%s'", pad);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = ncap_sshcmd_parse(ok, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(argv[5], ==, pad);

  g_autofree char *pad2 = g_strnfill(100000, 'a');
  g_autofree char *big = g_strdup_printf("nodecap-helper stream -i %s", pad2);
  refuse(big, "command too long");

  GString *many = g_string_new("nodecap-helper --json stream");
  for (int i = 0; i < 40; i++)
    g_string_append(many, " -i lo");
  refuse(many->str, "too many words");
  g_string_free(many, TRUE);
}

static void
test_find_verb(void)
{
  char *a[] = {"nodecap-helper", "--node", "stream", "--json", "stream", "-i", "lo", NULL};
  g_assert_cmpint(ncap_sshcmd_find_verb(7, a), ==, 4);
  char *b[] = {"nodecap-helper", "list", NULL};
  g_assert_cmpint(ncap_sshcmd_find_verb(2, b), ==, 1);
  char *c[] = {"nodecap-helper", "--json", NULL};
  g_assert_cmpint(ncap_sshcmd_find_verb(2, c), ==, -1);
  g_assert_true(g_strv_contains(ncap_sshcmd_verbs(), "fetch"));
}

/* Every capture option common/options.c defines is let through for the
 * verbs that take it, and nothing else: the allow-list cannot drift. */
static void
check_entries(const char *verb, bool saved, bool stream)
{
  NcapCaptureArgs args = {0};
  g_autofree GOptionEntry *e = ncap_capture_option_entries(&args, saved, stream);
  for (GOptionEntry *o = e; o->long_name; o++) {
    g_autofree char *lng = g_strdup_printf("--%s", o->long_name);
    if (!ncap_sshcmd_allows_option(verb, lng))
      g_error("%s: %s defined in options.c but refused over SSH", verb, lng);
    if (o->short_name) {
      char sh[3] = {'-', o->short_name, 0};
      if (!ncap_sshcmd_allows_option(verb, sh))
        g_error("%s: %s defined in options.c but refused over SSH", verb, sh);
    }
  }
}

static void
test_options_in_step(void)
{
  check_entries("stream", false, true);
  check_entries("start", true, false);
  /* Saved-job options are not stream options, and the reverse. */
  g_assert_false(ncap_sshcmd_allows_option("stream", "--max-size"));
  g_assert_false(ncap_sshcmd_allows_option("start", "--stall-timeout"));
  g_assert_false(ncap_sshcmd_allows_option("stream", "--ignore-stdin"));
  g_assert_false(ncap_sshcmd_allows_option(NULL, "--ssh"));
  g_assert_false(ncap_sshcmd_allows_option(NULL, "--as"));
  g_assert_false(ncap_sshcmd_allows_option("nosuchverb", "-i"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/sshcmd/allowed", test_allowed);
  g_test_add_func("/sshcmd/hostile-list", test_hostile_list);
  g_test_add_func("/sshcmd/messages", test_messages);
  g_test_add_func("/sshcmd/long", test_long);
  g_test_add_func("/sshcmd/find-verb", test_find_verb);
  g_test_add_func("/sshcmd/options-in-step", test_options_in_step);
  return g_test_run();
}
