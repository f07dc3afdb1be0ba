/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper stop [ID]`: ask the running saved job's worker to finish
 * (SIGTERM; the worker runs as the service user, as this helper does) and
 * wait until its record says it has finished, then print the record. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "security.h"

/* Finishing means an ISB, fsync and a rename per file: seconds at most. */
#define STOP_TIMEOUT_US (120 * G_USEC_PER_SEC)
#define STOP_POLL_US 100000

gboolean
ncap_verb_stop(NcapHelper *h, int argc, char **argv, GError **error)
{
  const char *id = NULL;
  if (!ncap_verb_optional_id(h, "stop", "[ID] - stop the running saved job (default: the one running)", argc, argv, &id, error))
    return FALSE;
  if (!ncap_policy_require(h, "capture.save", error))
    return FALSE;

  g_autoptr(NcapJobStore) store = ncap_jobstore_open(h->statedir, h->capturesdir, error);
  if (store == NULL || !ncap_jobstore_refresh(store, error))
    return FALSE;
  g_autoptr(NcapJob) job = NULL;
  if (id) {
    job = ncap_jobstore_load(store, id, error);
    if (job == NULL)
      return FALSE;
  } else {
    job = ncap_jobstore_find_running(store, error);
    if (job == NULL) {
      if (error && *error == NULL)
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND,
                    "no saved job is running on this node");
      return FALSE;
    }
  }
  gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_US;
  gboolean signalled = FALSE;
  while (!ncap_job_finished(job)) {
    if (!ncap_jobstore_lock_held(store)) {
      /* The worker is gone without finishing: salvage now. */
      if (!ncap_jobstore_refresh(store, error))
        return FALSE;
    } else if (!signalled && job->worker_pid > 0) {
      /* Only the lock holder can be the job's worker: the record's pid is
       * alive while the lock is held. */
      if (kill(job->worker_pid, SIGTERM) != 0 && errno != ESRCH) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "stop: signalling job %s: %s",
                    job->id, g_strerror(errno));
        return FALSE;
      }
      signalled = TRUE;
    }
    if (g_get_monotonic_time() > deadline) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED,
                  "stop: job %s did not finish within %d s", job->id,
                  (int)(STOP_TIMEOUT_US / G_USEC_PER_SEC));
      return FALSE;
    }
    g_usleep(STOP_POLL_US);
    NcapJob *again = ncap_jobstore_load(store, job->id, error);
    if (again == NULL)
      return FALSE;
    ncap_job_free(job);
    job = again;
  }
  ncap_job_print(job, h->json);
  return TRUE;
}
