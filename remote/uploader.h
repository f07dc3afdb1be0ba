/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uploader of a saved job with a destination: a separate process that
 * delivers each closed ring file to the bucket (s3.h) and keeps, beside
 * the job record, an upload record saying per file `uploaded`, `pending`
 * or `failed: <reason>`.
 *
 * Why a separate process: it talks to the network and parses what a
 * remote server answers, so it must hold nothing worth stealing. Before
 * touching the network it closes every descriptor but the ones it needs
 * (never the capture handle), drops every capability for good (all sets,
 * ambient, bounding where allowed) and sets PR_SET_NO_NEW_PRIVS.
 *
 * Why its own record file (<statedir>/jobs/<id>.upload.json): the worker
 * rewrites the job record while it runs and the uploader may go on after
 * the worker ended (retries). One writer per file means no lost update;
 * status/list read both and show them together.
 *
 * A local file is removed (when the job asks: --upload-delete) only after
 * the object's size, ETag and sha256 were confirmed by a HEAD. */
#ifndef NCAP_UPLOADER_H
#define NCAP_UPLOADER_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "helper.h"
#include "job.h"
#include "s3.h"

/* ---- upload record ------------------------------------------------------ */

typedef enum {
  NCAP_UPLOAD_PENDING = 0,
  NCAP_UPLOAD_UPLOADED,
  NCAP_UPLOAD_FAILED,
} NcapUploadState;

typedef struct {
  char *name;          /* local file name (no path) */
  guint seq;           /* ring sequence number */
  char *key;           /* object key */
  NcapUploadState state;
  char *reason;        /* failed: why; pending: last retry reason or NULL */
  char *sha256;        /* of the file, once hashed */
  char *etag;          /* confirmed ETag */
  guint64 size;
  guint attempts;
  guint parts;         /* multipart parts, 0 = single PUT */
  bool deleted;        /* local file removed after confirmation */
  char *updated;       /* ISO-8601 UTC */
} NcapUploadFile;

typedef struct {
  char *job_id;
  char *destination;   /* "s3://bucket/prefix" */
  bool delete_after;
  GPtrArray *files;    /* NcapUploadFile*, in the order they were given */
} NcapUploadRecord;

NcapUploadRecord *ncap_upload_record_new(const char *job_id, const char *destination,
                                         bool delete_after);   /* transfer full */
void ncap_upload_record_free(NcapUploadRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapUploadRecord, ncap_upload_record_free)

/* "uploaded", "pending", "failed: <reason>". Transfer full. */
char *ncap_upload_file_state_string(const NcapUploadFile *f);
/* Find by file name; NULL if absent. Transfer none. */
NcapUploadFile *ncap_upload_record_find(const NcapUploadRecord *rec, const char *name);

JsonNode *ncap_upload_record_to_json(const NcapUploadRecord *rec);   /* transfer full */
NcapUploadRecord *ncap_upload_record_from_json(JsonNode *node, GError **error);
/* dirfd/<job>.upload.json; missing = NCAP_ERROR_NOT_FOUND. Transfer full. */
NcapUploadRecord *ncap_upload_record_load(int dirfd, const char *job_id, GError **error);
/* Atomic: temp file, fsync, rename, fsync directory. */
gboolean ncap_upload_record_save(const NcapUploadRecord *rec, int dirfd, GError **error);

/* ---- the uploader ------------------------------------------------------- */

typedef struct {
  NcapS3Settings settings;   /* [upload] of nodecap.conf (credentials path) */
  uid_t trusted_uid;         /* see ncap_s3_credentials_load */
  gid_t reader_gid;
  const char *destination;   /* "s3://BUCKET/PREFIX" */
  const char *job_id;
  const char *node;
  bool delete_after;         /* --upload-delete */
  /* Where a file may be: looked up in order (the spool while the job runs,
   * the captures directory after the worker moved it). Borrowed. */
  int file_dirfds[2];
  int n_file_dirfds;
  int record_dirfd;          /* where <job>.upload.json lives. Borrowed. */
} NcapUploaderConfig;

/* Check destination, settings and credentials as `start` must before
 * anything is captured (unknown scheme, invalid bucket, no [upload]
 * credentials, missing or unsafe credentials file): one-line error. */
gboolean ncap_uploader_check(const NcapS3Settings *settings, const char *destination,
                             uid_t trusted_uid, gid_t reader_gid, GError **error);

/* Close every descriptor but keep[] (and 0-2, re-pointed at /dev/null:
 * ncap_fd_close_all_except), drop every capability and set no_new_privs
 * (ncap_privs_drop_caps). Call in the uploader process before any network
 * use. */
gboolean ncap_uploader_isolate(const int *keep, int n_keep, GError **error);

/* Upload files read from feed_fd, one line each: "<seq> <name>\n" or
 * "<seq> <name> <sha256>\n", until EOF. Every file is recorded pending
 * when announced, then uploaded or failed. Returns FALSE only when the
 * uploader itself cannot go on (credentials, record); a file that could
 * not be uploaded is recorded failed and the rest go on. */
gboolean ncap_uploader_run(const NcapUploaderConfig *cfg, int feed_fd, GError **error);

/* Fork the uploader process: the child isolates itself (keeping the
 * directories and the read end of the feed), runs, and _exits 0/1. The
 * parent gets the write end of the feed in *feed_fd (O_CLOEXEC) and the
 * child's pid. */
pid_t ncap_uploader_spawn(const NcapUploaderConfig *cfg, int *feed_fd, GError **error);

/* ---- saved jobs --------------------------------------------------------- */
/* The glue the saved-job verbs and worker call. A job's request object
 * carries "destination" (and "upload_delete") when it asked for uploads;
 * upload records live in <statedir>/uploads/<id>.upload.json. */

typedef struct NcapJobUploads NcapJobUploads;

/* `start`: parse --destination/--upload-delete into the checks of
 * ncap_uploader_check (with nodecap.conf [upload] of h). */
gboolean ncap_job_uploads_check(NcapHelper *h, const char *destination, GError **error);
/* `start`: write destination and upload_delete into job->request. */
void ncap_job_uploads_set_request(NcapJob *job, const char *destination, bool delete_after);

/* Worker, after it dropped its privileges and opened the spool: spawn the
 * uploader when the job names a destination (else NULL, no error).
 * Transfer full. */
NcapJobUploads *ncap_job_uploads_start(NcapHelper *h, const NcapJob *job, int spoolfd,
                                       int capturesfd, GError **error);
/* Feed every closed file of ring_files (NcapRingFile*) not fed yet. */
void ncap_job_uploads_feed_closed(NcapJobUploads *u, GPtrArray *ring_files);
/* TRUE when the uploader may have removed name (it was fed and the job
 * asked for --upload-delete): a missing file is then no error. */
bool ncap_job_uploads_may_have_removed(const NcapJobUploads *u, const char *name);
/* Feed what is left, close the feed (the uploader ends when done) and
 * free. */
void ncap_job_uploads_finish(NcapJobUploads *u, GPtrArray *ring_files);

/* The upload record of a job that names a destination, or NULL (none, or
 * unreadable). Shown by upload-status.h. Transfer full. */
NcapUploadRecord *ncap_job_uploads_load(NcapHelper *h, const NcapJob *job);
/* `delete`: remove the job's upload record. */
void ncap_job_uploads_forget(NcapHelper *h, const char *job_id);

#endif
