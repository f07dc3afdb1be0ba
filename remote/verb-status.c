/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper status [ID]`: one saved job's record (default: the
 * latest). Salvages jobs of dead workers first, so a killed worker shows
 * as failure "worker died" with its files kept. */
#include <stdio.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "uploader.h"
#include "jobs-compat.h"

gboolean
ncap_verb_status(NcapHelper *h, int argc, char **argv, GError **error)
{
  gboolean json = FALSE;
  g_autoptr(GError) local = NULL;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the job record as JSON", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("[ID] - show a saved job (default: the latest)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "status: %s", local->message);
    return FALSE;
  }
  h->json = h->json || json;
  if (argc > 2) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "status: too many arguments");
    return FALSE;
  }
  const char *id = argc == 2 ? argv[1] : NULL;
  if (id && !ncap_job_id_valid(id, error))
    return FALSE;
  if (!ncap_jobs_require(h, "captures.read", error))
    return FALSE;
  g_autoptr(NcapJobStore) store = ncap_jobstore_open(h->statedir, h->capturesdir, error);
  if (store == NULL || !ncap_jobstore_refresh(store, error))
    return FALSE;
  g_autoptr(NcapJob) job =
      id ? ncap_jobstore_load(store, id, error) : ncap_jobstore_latest(store, error);
  if (job == NULL)
    return FALSE;
  ncap_job_uploads_print(h, job, h->json);
  return TRUE;
}
