/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nodecap-helper: the node side. main only establishes who called and
 * which paths are in force, then dispatches to a verb (verb-<name>.c) and
 * maps its GError to one line on stderr and an exit status. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "ncap-error.h"
#include "security.h"

static const struct {
  const char *name;
  NcapVerbFunc func;
  const char *summary;
} verbs[] = {
  { "interfaces", ncap_verb_interfaces, "list capturable interfaces" },
  { "stream", ncap_verb_stream, "capture now, pcapng to stdout" },
  { "clock", ncap_verb_clock, "print this node's real-time clock (ns since the epoch)" },
  { "start", ncap_verb_start, "start a saved capture job (ring of files)" },
  { "stop", ncap_verb_stop, "stop the running saved job" },
  { "status", ncap_verb_status, "show a saved job (default: the latest)" },
  { "list", ncap_verb_list, "list the saved jobs" },
  { "delete", ncap_verb_delete, "delete finished saved jobs and their files" },
  { "fetch", ncap_verb_fetch, "write a saved file to stdout" },
};

static void
usage(FILE *f)
{
  fprintf(f, "usage: nodecap-helper [--ssh [--as NAME]] VERB [OPTION...]\n\nverbs:\n");
  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
    fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
  fprintf(f,
          "\nglobal options:\n"
          "  --ssh        run as an SSH forced command (authorized_keys\n"
          "               command=\"nodecap-helper --ssh\"): the verb and its\n"
          "               options come from SSH_ORIGINAL_COMMAND, checked\n"
          "  --as NAME    with --ssh, for the shared account named in\n"
          "               nodecap.conf [ssh] shared_account: act as NAME\n"
          "  -h, --help   this text\n"
          "  --version    the version\n"
          "\nverb options (nodecap-helper VERB --help, needs no permission):\n"
          "  --json       JSON output (every verb but clock)\n"
          "  capture options (-i, -f, --snaplen, limits...): stream, start\n"
          "\n`interfaces` needs no permission; every other verb needs one from\n"
          "policy.conf (capture.stream, capture.save, captures.read,\n"
          "captures.delete). Exit status: see nodecap-helper(8).\n");
}

static void
helper_clear(NcapHelper *h)
{
  g_free(h->caller_name);
  g_free(h->node);
  g_free(h->sysconfdir);
  g_free(h->statedir);
  g_free(h->capturesdir);
  g_free(h->auditlog);
  if (h->config)
    g_key_file_unref(h->config);
}

/* nodecap.conf was opened and checked (root-owned) by ncap_security_init. */
static gboolean
load_config(NcapHelper *h, GError **error)
{
  g_autofree char *path = g_build_filename(h->sysconfdir, "nodecap.conf", NULL);
  ncap_limits_init_default(&h->limits);
  return ncap_limits_load_keyfile(&h->limits, h->config, path, error);
}

int
main(int argc, char **argv)
{
  /* Identity first, before anything can change it; keep only CAP_NET_RAW. */
  ncap_privs_init();
  NcapHelper h = { 0 };
  g_autoptr(GError) error = NULL;
  int status = 0;
  /* Caller, paths (overrides only when not AT_SECURE), nodecap.conf,
   * policy, audit; `--ssh [--as NAME]` replaces argv by the checked
   * SSH_ORIGINAL_COMMAND. */
  if (!ncap_security_init(&h, &argc, &argv, &error))
    goto fail;
  h.node = g_strdup(g_get_host_name());
  if (!h.secure && g_getenv("NCAP_TEST_CLOCK_OFFSET_NS"))
    h.clock_shift_ns = g_ascii_strtoll(g_getenv("NCAP_TEST_CLOCK_OFFSET_NS"), NULL, 10);

  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    status = argc < 2 ? 2 : 0;
    goto out;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("nodecap-helper %s\n", NCAP_VERSION);
    goto out;
  }
  if (!load_config(&h, &error))
    goto fail;

  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
    if (strcmp(argv[1], verbs[i].name) == 0) {
      /* "Usage: nodecap-helper start [OPTION…] ..." in the verb's help. */
      g_autofree char *prg = g_strdup_printf("nodecap-helper %s", verbs[i].name);
      g_set_prgname(prg);
      if (!verbs[i].func(&h, argc - 1, argv + 1, &error))
        goto fail;
      goto out;
    }
  }
  g_set_error(&error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "unknown verb \"%s\" (try nodecap-helper --help)", argv[1]);
fail:
  ncap_error_print("nodecap-helper", error);
  status = ncap_error_exit_status(error);
out:
  ncap_security_finish(&h, error); /* audits the outcome */
  helper_clear(&h);
  return status;
}
