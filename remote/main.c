/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nodecap-helper: the node side. main only establishes who called and
 * which paths are in force, then dispatches to a verb (verb-<name>.c) and
 * maps its GError to one line on stderr and an exit status. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <pwd.h>

#include "helper.h"
#include "ncap-error.h"

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
  fprintf(f, "usage: nodecap-helper VERB [OPTIONS]   (nodecap-helper VERB --help)\n\nverbs:\n");
  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
    fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
}

/* Path from the environment only when the process is not privileged
 * (AT_SECURE: setuid or file capabilities): tests run unprivileged. */
static char *
path_setting(const NcapHelper *h, const char *env, const char *compiled)
{
  const char *v = h->secure ? NULL : g_getenv(env);
  return g_strdup(v && *v ? v : compiled);
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

static gboolean
load_config(NcapHelper *h, GError **error)
{
  g_autofree char *path = g_build_filename(h->sysconfdir, "nodecap.conf", NULL);
  g_autoptr(GError) local = NULL;
  h->config = g_key_file_new();
  ncap_limits_init_default(&h->limits);
  if (!g_key_file_load_from_file(h->config, path, G_KEY_FILE_NONE, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", path, local->message);
    return FALSE;
  }
  return ncap_limits_load_keyfile(&h->limits, h->config, path, error);
}

int
main(int argc, char **argv)
{
  NcapHelper h = { 0 };
  /* Identity first, before anything can change it. */
  h.caller_uid = getuid();
  h.caller_gid = getgid();
  h.secure = getauxval(AT_SECURE) != 0;

  struct passwd *pw = getpwuid(h.caller_uid);
  h.caller_name = g_strdup(pw ? pw->pw_name : "?");
  h.sysconfdir = path_setting(&h, "NCAP_SYSCONFDIR", NCAP_SYSCONFDIR);
  h.statedir = path_setting(&h, "NCAP_STATEDIR", NCAP_STATEDIR);
  h.capturesdir = path_setting(&h, "NCAP_CAPTURESDIR", NCAP_CAPTURESDIR);
  h.auditlog = path_setting(&h, "NCAP_AUDITLOG", NCAP_AUDITLOG);
  h.node = g_strdup(g_get_host_name());
  if (!h.secure && g_getenv("NCAP_TEST_CLOCK_OFFSET_NS"))
    h.clock_shift_ns = g_ascii_strtoll(g_getenv("NCAP_TEST_CLOCK_OFFSET_NS"), NULL, 10);

  g_autoptr(GError) error = NULL;
  int status = 0;

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
  helper_clear(&h);
  return status;
}
