/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper start`: a saved (background) capture job. Checks the
 * options and the policy, takes the node's one-job lock, salvages jobs of
 * dead workers, optionally deletes older captures, writes a pending record
 * and spawns the detached worker; returns once the worker runs (or with its
 * error: bad filter, unknown interface, disk full). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "goption.h"
#include "security.h"
#include "upload-status.h"
#include "uploader.h"
#include "worker.h"

/* A status/list run holds the lock for a moment while it salvages: wait
 * that long before calling the node busy. */
#define LOCK_RETRIES 60
#define LOCK_RETRY_US 50000

static int
take_lock(NcapJobStore *store, GError **error)
{
  for (int tries = 0;; tries++) {
    gboolean busy = FALSE;
    int fd = ncap_jobstore_trylock(store, &busy, error);
    if (fd >= 0 || !busy)
      return fd;
    g_autoptr(NcapJob) running = ncap_jobstore_find_running(store, NULL);
    if (running) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
                  "job %s is already running on this node (owner %s, since %s); "
                  "one saved job at a time: stop it first (stop %s)",
                  running->id, running->owner ? running->owner : "?",
                  running->started ? running->started : running->submitted,
                  running->id);
      return -1;
    }
    if (tries >= LOCK_RETRIES) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
                  "another nodecap-helper holds the job lock of this node; try again");
      return -1;
    }
    g_usleep(LOCK_RETRY_US);
  }
}

/* --delete-on-start: this node's finished captures go first. */
static gboolean
delete_older(NcapHelper *h, NcapJobStore *store, GError **error)
{
  g_autoptr(GPtrArray) jobs = ncap_jobstore_list(store, error);
  if (jobs == NULL)
    return FALSE;
  for (guint i = 0; i < jobs->len; i++) {
    NcapJob *j = g_ptr_array_index(jobs, i);
    if (!ncap_job_finished(j) || g_strcmp0(j->node, h->node) != 0)
      continue;
    if (!ncap_jobstore_delete(store, j, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
ncap_verb_start(NcapHelper *h, int argc, char **argv, GError **error)
{
  NcapCaptureArgs args = {0};
  NcapCaptureOpts opts = {0};
  gboolean json = FALSE, ok = FALSE;
  g_autofree char *node_opt = NULL;
  g_autofree char *destination = NULL;
  gboolean upload_delete = FALSE;
  int lock_fd = -1;
  g_autoptr(NcapJobStore) store = NULL;
  g_autoptr(NcapJob) job = NULL;
  g_autofree GOptionEntry *entries = ncap_capture_option_entries(&args, true, false);
  const GOptionEntry extra[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the job record as JSON", NULL},
      {"node", 0, 0, G_OPTION_ARG_STRING, &node_opt,
       "Node name in if_name and file names; default: host name", "NAME"},
      {"destination", 0, 0, G_OPTION_ARG_STRING, &destination,
       "Upload each finished file to s3://BUCKET/PREFIX (see docs/s3.md)", "URI"},
      {"upload-delete", 0, 0, G_OPTION_ARG_NONE, &upload_delete,
       "Remove a local file once its upload is confirmed", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- start a saved capture job on this node");
  g_option_context_set_description(
      ctx,
      "The job runs detached until `stop`, a limit, or disk full. It keeps a\n"
      "ring of pcapng files: each at most --file-size MB, at most --max-size MB\n"
      "in all (ceil(max/file) files; when full the oldest file is removed).\n"
      "1 MB = 1,000,000 bytes, as tcpdump -C. Finished files are moved to the\n"
      "captures directory; see `status`, `list`, `fetch`, `delete`.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_main_entries(ctx, extra, NULL);
  if (!ncap_goption_parse(ctx, "start", &argc, &argv, error))
    goto out;
  if (argc > 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "start: unexpected argument \"%s\"",
                argv[1]);
    goto out;
  }
  h->json = h->json || json;
  if (node_opt) {
    /* It becomes part of file names: a name, never a path. */
    if (!*node_opt || strchr(node_opt, '/') || node_opt[0] == '.' || strlen(node_opt) > 64) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "start: bad --node name");
      goto out;
    }
    g_free(h->node);
    h->node = g_strdup(node_opt);
  }
  if (!ncap_capture_opts_from_args(&args, &h->limits, &opts, error))
    goto out;
  if (!ncap_policy_require(h, "capture.save", error))
    goto out;
  if (opts.delete_on_start && !ncap_policy_require(h, "captures.delete", error))
    goto out;
  if (opts.type == NCAP_CAPTURE_SIMPLE && !ncap_security_rate_simple(h, error))
    goto out;
  if (upload_delete && !destination) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "start: --upload-delete needs --destination");
    goto out;
  }
  /* A bad destination is refused before anything is captured. */
  if (destination && (!ncap_job_uploads_check(h, destination, error) ||
                      !ncap_policy_require(h, "captures.upload", error)))
    goto out;

  store = ncap_jobstore_open(h->statedir, h->capturesdir, error);
  if (store == NULL)
    goto out;
  lock_fd = take_lock(store, error);
  if (lock_fd < 0)
    goto out;
  /* We hold the lock, so no worker lives: unfinished records are dead. */
  if (ncap_jobstore_salvage_locked(store, error) < 0)
    goto out;
  if (opts.delete_on_start && !delete_older(h, store, error))
    goto out;

  job = ncap_job_new(h->caller_name, h->node);
  job->request = ncap_job_request_from_opts(&opts);
  if (destination)
    ncap_job_uploads_set_request(job, destination, upload_delete);
  if (!ncap_jobstore_save(store, job, error))
    goto out;
  if (ncap_worker_spawn(h, store, job, &opts, ncap_security_buffer_size(h),
                        lock_fd, error)) {
    /* Print what the record says now: running, with its first file. */
    g_autoptr(NcapJob) now = ncap_jobstore_load(store, job->id, NULL);
    ncap_job_uploads_print(h, now ? now : job, h->json);
    ok = TRUE;
  }
out:
  if (lock_fd >= 0)
    close(lock_fd); /* the worker keeps its own copy of the lock */
  ncap_capture_opts_clear(&opts);
  ncap_capture_args_clear(&args);
  return ok;
}
