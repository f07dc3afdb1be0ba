/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Job records of saved (background) captures: what was asked, by whom, how
 * it went and which files it left. One JSON file per job (json-glib),
 * written atomically so a reader never sees half a record, and a crash
 * leaves either the old or the new one. Job ids are checked here before
 * any code builds a path from them. */
#ifndef NCAP_JOB_H
#define NCAP_JOB_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "options.h"

#define NCAP_JOB_ID_LEN 32

typedef enum {
  NCAP_JOB_PENDING = 0,
  NCAP_JOB_RUNNING,
  NCAP_JOB_SUCCESS,
  NCAP_JOB_FAILURE,
} NcapJobStatus;

typedef struct {
  char *name;         /* file name only, never a path */
  guint64 size;       /* bytes */
  char *sha256;       /* lowercase hex; NULL while the job runs */
  guint64 first_seq;  /* sequence number of the file's first packet */
  guint64 packets;    /* EPBs in the file */
} NcapJobFile;

typedef struct {
  char id[NCAP_JOB_ID_LEN + 1];
  char *owner;
  char *node;
  char *submitted, *started, *ended;  /* ISO-8601 UTC, NULL = not yet */
  JsonNode *request;                  /* object: the capture options */
  NcapJobStatus status;
  char *reason;                       /* NULL while pending/running */
  guint64 packets;                    /* written to files (flushed) */
  guint64 bytes;                      /* captured bytes of those packets */
  guint64 kernel_drops;
  guint64 discarded_packets;          /* in ring files removed when full */
  guint64 discarded_bytes;
  guint64 discarded_files;
  pid_t worker_pid;                   /* 0 = none */
  GPtrArray *files;                   /* NcapJobFile*, oldest first */
} NcapJob;

/* An empty pending record with a new random id (128 bits from
 * getrandom) and submitted = now. Transfer full. */
NcapJob *ncap_job_new(const char *owner, const char *node);
void ncap_job_free(NcapJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapJob, ncap_job_free)

NcapJobFile *ncap_job_file_new(const char *name);
void ncap_job_file_free(NcapJobFile *f);

/* TRUE when id is exactly 32 lowercase hex digits: the only form ever
 * used to build a path. Otherwise NCAP_ERROR_INVALID. */
gboolean ncap_job_id_valid(const char *id, GError **error);

/* "pending", "running", "success", "failure". Transfer none. */
const char *ncap_job_status_name(NcapJobStatus status);
gboolean ncap_job_status_from_name(const char *name, NcapJobStatus *out);
static inline bool
ncap_job_finished(const NcapJob *job)
{
  return job->status == NCAP_JOB_SUCCESS || job->status == NCAP_JOB_FAILURE;
}

/* Now as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (fixed width, so strings sort by
 * time). Transfer full. */
char *ncap_job_now_iso8601(void);

/* The request object recorded for validated capture options. Transfer full. */
JsonNode *ncap_job_request_from_opts(const NcapCaptureOpts *opts);

/* Set the final status, reason and ended time. */
void ncap_job_finish(NcapJob *job, NcapJobStatus status, const char *reason);

/* JSON form (the record's file content and `--json` output). */
JsonNode *ncap_job_to_json(const NcapJob *job);               /* transfer full */
char *ncap_job_to_string(const NcapJob *job, bool pretty);    /* transfer full */
/* Parse a record; a record that is not ours is NCAP_ERROR_IO naming what
 * is wrong. Transfer full. */
NcapJob *ncap_job_from_json(JsonNode *node, GError **error);
NcapJob *ncap_job_from_data(const char *data, gsize len, GError **error);

/* Load dir/<id>.json (dirfd-relative, no symlink followed). Missing =
 * NCAP_ERROR_NOT_FOUND "job <id>: no such job". Transfer full. */
NcapJob *ncap_job_load(int dirfd, const char *id, GError **error);
/* Atomic save: write .<id>.json.tmp in the same directory, fsync, rename
 * over <id>.json, fsync the directory. */
gboolean ncap_job_save(const NcapJob *job, int dirfd, GError **error);

/* Find a file of the record by exact name; NULL if absent. Transfer none. */
NcapJobFile *ncap_job_find_file(const NcapJob *job, const char *name);

/* Human-readable forms for the verbs: several "key: value" lines, and
 * one row of the `list` table (with its header). Transfer full. */
char *ncap_job_describe(const NcapJob *job);
const char *ncap_job_table_header(void);                 /* transfer none */
char *ncap_job_table_row(const NcapJob *job);

/* Print a job (pretty JSON with json, else ncap_job_describe) to stdout. */
void ncap_job_print(const NcapJob *job, bool json);

#endif
