/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper status [ID]`: one saved job's record (default: the
 * latest). Salvages jobs of dead workers first, so a killed worker shows
 * as failure "worker died" with its files kept. */
#include <stdio.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "upload-status.h"
#include "security.h"

gboolean
ncap_verb_status(NcapHelper *h, int argc, char **argv, GError **error)
{
  const char *id = NULL;
  if (!ncap_verb_optional_id(h, "status", "[ID] - show a saved job (default: the latest)", argc, argv, &id, error))
    return FALSE;
  if (!ncap_policy_require(h, "captures.read", error))
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
