/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper delete ID|--all`: remove finished saved jobs (their files
 * in the captures directory and their records). A running job is never
 * deleted: stop it first. Takes job ids only, never names or paths. */
#include <stdio.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "goption.h"
#include "uploader.h"
#include "security.h"

gboolean
ncap_verb_delete(NcapHelper *h, int argc, char **argv, GError **error)
{
  gboolean json = FALSE, all = FALSE;
  const GOptionEntry entries[] = {
      {"all", 0, 0, G_OPTION_ARG_NONE, &all, "Delete every finished job", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the deleted ids as JSON", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("ID|--all - delete finished saved jobs and their files");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!ncap_goption_parse(ctx, "delete", &argc, &argv, error))
    return FALSE;
  h->json = h->json || json;
  if ((all && argc != 1) || (!all && argc != 2)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "delete: give one job id, or --all");
    return FALSE;
  }
  if (!all && !ncap_job_id_valid(argv[1], error))
    return FALSE;
  if (!ncap_policy_require(h, "captures.delete", error))
    return FALSE;
  g_autoptr(NcapJobStore) store = ncap_jobstore_open(h->statedir, h->capturesdir, error);
  if (store == NULL || !ncap_jobstore_refresh(store, error))
    return FALSE;
  g_autoptr(GPtrArray) jobs = NULL;
  if (all) {
    jobs = ncap_jobstore_list(store, error);
    if (jobs == NULL)
      return FALSE;
  } else {
    NcapJob *job = ncap_jobstore_load(store, argv[1], error);
    if (job == NULL)
      return FALSE;
    jobs = g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_free);
    g_ptr_array_add(jobs, job);
  }
  g_autoptr(GPtrArray) deleted = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < jobs->len; i++) {
    NcapJob *job = g_ptr_array_index(jobs, i);
    if (all && !ncap_job_finished(job))
      continue; /* --all never touches the running job */
    if (!ncap_jobstore_delete(store, job, error))
      return FALSE;
    ncap_job_uploads_forget(h, job->id);
    g_ptr_array_add(deleted, g_strdup(job->id));
  }
  if (h->json) {
    printf("{\"deleted\": [");
    for (guint i = 0; i < deleted->len; i++)
      printf("%s\"%s\"", i ? ", " : "", (char *)g_ptr_array_index(deleted, i));
    printf("]}\n");
  } else {
    for (guint i = 0; i < deleted->len; i++)
      printf("deleted %s\n", (char *)g_ptr_array_index(deleted, i));
  }
  fflush(stdout);
  return TRUE;
}
