/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/node.c: the command line sent to the node. Every word is quoted,
 * and g_shell_parse_argv (what a forced-command helper uses) gives back
 * exactly the argv of ncap_capture_opts_to_argv, hostile text included.
 * And the one mapping of the helper's exit status to an error. */
#include <glib.h>

#include "ncap-error.h"
#include "node.h"
#include "options.h"

static char **
parse_back(const char *cmd)
{
  char **argv = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &error));
  g_assert_no_error(error);
  return argv;
}

static void
check_round_trip(const char *helper, const char *node, const char *iface,
                 const char *bpf)
{
  NcapCaptureArgs args = {0};
  NcapCaptureOpts opts = {0};
  NcapLimits limits;
  g_autoptr(GError) error = NULL;

  ncap_limits_init_default(&limits);
  args.iface = g_strdup(iface);
  args.bpf = g_strdup(bpf);
  args.packet_limit = g_strdup("25");
  g_assert_true(ncap_capture_opts_from_args(&args, &limits, &opts, &error));
  g_assert_no_error(error);

  g_autofree char *cmd = ncap_node_stream_command(helper, node, &opts);
  g_auto(GStrv) got = parse_back(cmd);
  g_auto(GStrv) want_opts = ncap_capture_opts_to_argv(&opts, false);
  guint n = g_strv_length(want_opts);

  g_assert_cmpuint(g_strv_length(got), ==, 4 + n + 1);
  g_assert_cmpstr(got[0], ==, helper ? helper : NCAP_DEFAULT_HELPER);
  g_assert_cmpstr(got[1], ==, "stream");
  g_assert_cmpstr(got[2], ==, "--node");
  g_assert_cmpstr(got[3], ==, node);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr(got[4 + i], ==, want_opts[i]);
  /* The client acknowledges on stdin (extcap/relay.h). */
  g_assert_cmpstr(got[4 + n], ==, "--client-acks");
  ncap_capture_args_clear(&args);
  ncap_capture_opts_clear(&opts);
}

static void
test_plain(void)
{
  check_round_trip(NULL, "127.0.0.1", "lo", "udp port 53");
  check_round_trip("/opt/nodecap/bin/nodecap-helper", "node1", "eth0", NULL);
}

static void
test_hostile_text_stays_one_word(void)
{
  /* Shell metacharacters, quotes and a comment sign survive as text in
   * one word each; nothing is split off or dropped. */
  check_round_trip("nodecap-helper", "n1", "lo",
                   "udp port 53 and not host 1.2.3.4; rm -rf / # x");
  check_round_trip("nodecap-helper", "n1", "lo", "tcp and '$(id)' `id` \"q\"");
  check_round_trip("/path with space/helper", "node-2", "lo", "ip");
}

static void
test_every_word_quoted(void)
{
  NcapCaptureArgs args = {0};
  NcapCaptureOpts opts = {0};
  NcapLimits limits;
  ncap_limits_init_default(&limits);
  args.iface = g_strdup("lo");
  g_assert_true(ncap_capture_opts_from_args(&args, &limits, &opts, NULL));
  g_autofree char *cmd = ncap_node_stream_command(NULL, "node1", &opts);
  g_assert_true(g_str_has_prefix(cmd, "'nodecap-helper' 'stream' '--node' 'node1' "));
  ncap_capture_args_clear(&args);
  ncap_capture_opts_clear(&opts);
}

/* A job verb's command line: every word quoted, parsed back unchanged. */
static void
test_helper_command(void)
{
  const char *args[] = {"--json", "it's; rm -rf /", "$(id)", NULL};
  g_autofree char *cmd = ncap_node_helper_command("/opt/nodecap-helper", "status", args);
  g_auto(GStrv) back = parse_back(cmd);
  g_assert_cmpuint(g_strv_length(back), ==, 5);
  g_assert_cmpstr(back[0], ==, "/opt/nodecap-helper");
  g_assert_cmpstr(back[1], ==, "status");
  g_assert_cmpstr(back[2], ==, "--json");
  g_assert_cmpstr(back[3], ==, "it's; rm -rf /");
  g_assert_cmpstr(back[4], ==, "$(id)");
  g_autofree char *bare = ncap_node_helper_command("h", "list", NULL);
  g_assert_cmpstr(bare, ==, "'h' 'list'");
}

/* One mapping for every caller (relay, multi-node, CLI jobs, interfaces):
 * 127, 126, no status, and the helper's own code with "(exit N)". */
static void
test_helper_failure(void)
{
  static const struct {
    int status;
    const char *err;
    const char *text;
    int code;
  } cases[] = {
      {127, "sh: 1: /x/h: not found\n", "helper /x/h not found on the node (exit 127): sh: 1: /x/h: not found",
       NCAP_ERROR_REMOTE},
      {127, "", "helper /x/h not found on the node (exit 127)", NCAP_ERROR_REMOTE},
      {126, "sh: 1: /x/h: Permission denied", "helper /x/h cannot be run on the node (exit 126): sh: 1: /x/h: Permission denied",
       NCAP_ERROR_REMOTE},
      {-1, NULL, "helper /x/h ended without an exit status", NCAP_ERROR_REMOTE},
      {-1, "killed\n\n", "helper /x/h ended without an exit status: killed", NCAP_ERROR_REMOTE},
      {NCAP_ERROR_PERMISSION, "first\nnodecap-helper: permission denied: capture.stream\n",
       "nodecap-helper: permission denied: capture.stream (exit 3)", NCAP_ERROR_PERMISSION},
      {NCAP_ERROR_BUSY, "", "helper /x/h failed without a message (exit 4)", NCAP_ERROR_BUSY},
      {99, "odd", "odd (exit 99)", NCAP_ERROR_REMOTE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    int code = 0;
    g_autofree char *text = ncap_node_helper_failure("/x/h", cases[i].status, cases[i].err, &code);
    g_assert_cmpstr(text, ==, cases[i].text);
    g_assert_cmpint(code, ==, cases[i].code);
  }
  g_autoptr(GError) error = NULL;
  ncap_node_set_helper_error(&error, "node1", "/x/h", NCAP_ERROR_BUSY, "busy: job 3f\n");
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_BUSY);
  g_assert_cmpstr(error->message, ==, "node1: busy: job 3f (exit 4)");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/node/command/plain", test_plain);
  g_test_add_func("/node/command/hostile", test_hostile_text_stays_one_word);
  g_test_add_func("/node/command/quoted", test_every_word_quoted);
  g_test_add_func("/node/helper-failure", test_helper_failure);
  g_test_add_func("/node/command/job-verb", test_helper_command);
  return g_test_run();
}
