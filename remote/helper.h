/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every verb of nodecap-helper gets: who called (real uid at exec,
 * read before anything else), the paths in force (compiled-in, or test
 * overrides when not AT_SECURE), the limits from nodecap.conf, and output
 * mode. main.c fills it; verbs live one per file (verb-<name>.c). */
#ifndef NCAP_HELPER_H
#define NCAP_HELPER_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "options.h"

/* security.c's record of the request (policy, audit, --as, stream slot). */
typedef struct NcapSecurity NcapSecurity;

typedef struct {
  uid_t caller_uid;          /* getuid() at the very start of main */
  gid_t caller_gid;
  char *caller_name;         /* user name of caller_uid, or --as when honoured */
  bool secure;               /* getauxval(AT_SECURE): overrides ignored */
  bool forced_command;       /* running as `--ssh` (SSH_ORIGINAL_COMMAND) */
  bool json;                 /* --json */
  char *node;                /* node name for if_name and file names */
  /* paths (transfer full, owned by the struct) */
  char *sysconfdir;          /* /etc/nodecap: policy.conf, nodecap.conf */
  char *statedir;            /* /var/lib/nodecap: jobs/, spool/, rate/ */
  char *capturesdir;         /* /var/lib/nodecap/captures */
  char *auditlog;            /* /var/log/nodecap/audit.log */
  NcapLimits limits;
  GKeyFile *config;          /* nodecap.conf as loaded (may be empty) */
  gint64 clock_shift_ns;     /* NCAP_TEST_CLOCK_OFFSET_NS, honoured only when !secure */
  NcapSecurity *security;    /* made by security.c, freed by ncap_security_finish */
} NcapHelper;

/* Each verb: argc/argv start at the verb name. Returns TRUE on success;
 * on failure sets error (main prints it and maps it to the exit status). */
typedef gboolean (*NcapVerbFunc)(NcapHelper *h, int argc, char **argv,
                                 GError **error);

gboolean ncap_verb_interfaces(NcapHelper *h, int argc, char **argv, GError **error);
/* Parse a job verb's `[--json] [ID]` (--json sets h->json); *id is NULL
 * when none was given, else a valid job id (transfer none: points into
 * argv). Errors name the verb. */
gboolean ncap_verb_optional_id(NcapHelper *h, const char *verb, const char *summary,
                               int argc, char **argv, const char **id, GError **error);
gboolean ncap_verb_clock(NcapHelper *h, int argc, char **argv, GError **error);
gboolean ncap_verb_stream(NcapHelper *h, int argc, char **argv, GError **error);
/* Saved jobs (verb-start.c ... verb-fetch.c, docs/jobs.md). */
gboolean ncap_verb_start(NcapHelper *h, int argc, char **argv, GError **error);
gboolean ncap_verb_stop(NcapHelper *h, int argc, char **argv, GError **error);
gboolean ncap_verb_status(NcapHelper *h, int argc, char **argv, GError **error);
gboolean ncap_verb_list(NcapHelper *h, int argc, char **argv, GError **error);
gboolean ncap_verb_delete(NcapHelper *h, int argc, char **argv, GError **error);
gboolean ncap_verb_fetch(NcapHelper *h, int argc, char **argv, GError **error);

#endif
