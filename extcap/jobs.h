/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saved jobs on a node, without the CLI: running `nodecap-helper <verb>`
 * for a job (the command and its exit status are node.c's), the job
 * record the helper answers with, fetching a file of it with its
 * integrity check, and the extcap's *Save on node* (start a job before
 * the live stream, stop it after). The CLI's verbs (cli-jobs.c) and the
 * extcap (extcap.c) both use it; it uses neither. The node is the
 * authority: ids, permissions and the one-job lock are checked there.
 * See docs/cli.md and docs/jobs.md. */
#ifndef NCAP_JOBS_H
#define NCAP_JOBS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "options.h"
#include "ssh.h"

/* A status/list/delete answers at once; start waits up to 30 s for the
 * worker and stop up to 120 s for the job to finish (docs/jobs.md). */
#define NCAP_JOBS_SHORT_TIMEOUT_MS (60 * 1000)
#define NCAP_JOBS_STOP_TIMEOUT_MS (150 * 1000)

/* ---- talking to the helper ---- */

/* The SSH options as the user gave them (" -p 2222 ..."), for the
 * commands printed as hints; set before any node thread starts. */
void ncap_jobs_set_hint_options(const char *options);
/* A command the user can run as printed: "nodecap VERB HOST<options>
 * ARGS". Transfer full. */
char *ncap_jobs_hint(const char *verb, const char *host, const char *args);
/* The error of a helper that exited with status (err: its stderr). */
void ncap_jobs_helper_error(GError **error, const char *host,
                            const char *helper, int status, const char *err);
/* Run one helper command to its end; its stdout is appended to out. */
gboolean ncap_jobs_run_helper(NcapSsh *ssh, const char *host,
                              const char *helper, const char *verb,
                              const char *const *args, int timeout_ms,
                              GString *out, GError **error);
/* The helper's JSON answer; transfer full. */
JsonNode *ncap_jobs_parse_json(const char *host, const char *text,
                               GError **error);
/* `<helper> list --json` on the host: the job records as a JSON array
 * (transfer full; the JsonArray inside is transfer none), or NULL with
 * error. out receives the helper's raw answer. */
JsonNode *ncap_jobs_list(NcapSsh *ssh, const char *label, const char *helper,
                         GString *out, GError **error);

/* ---- the job record ---- */

typedef struct {
  char *name, *sha256;
  guint64 size, packets;
} NcapJobFile;
void ncap_job_file_free(NcapJobFile *f);

/* A string/non-negative integer member, or NULL/0 when missing or of
 * another type; transfer none. */
const char *ncap_jobs_jstr(JsonObject *o, const char *member);
guint64 ncap_jobs_juint(JsonObject *o, const char *member);
/* 64 hex digits. */
bool ncap_jobs_sha256_valid(const char *s);
/* The files of a finished record (each name a plain file name, or an
 * error); transfer full (GPtrArray of NcapJobFile). */
GPtrArray *ncap_jobs_record_files(const char *host, JsonObject *job,
                                  GError **error);
/* Status success or failure. */
bool ncap_jobs_record_finished(JsonObject *job);

/* ---- fetch ---- */

/* sha256 of a local file (hex), or NULL if it cannot be read; size
 * receives its length. Transfer full. */
char *ncap_jobs_file_sha256(const char *path, guint64 *size);
/* DIR/.NAME.part, where NAME is downloaded before it is checked. Transfer
 * full. */
char *ncap_jobs_part_path(const char *outdir, const char *name);
/* Open (create) part and lock it, waiting for another fetch of the same
 * file; the fd, or -1 with error. */
int ncap_jobs_part_lock(const char *part, GError **error);
/* path is already here with the record's size and sha256 (an earlier
 * run): nothing to fetch. */
bool ncap_jobs_file_present(const char *path, const NcapJobFile *f);

typedef enum {
  NCAP_JOBS_OK,            /* the recorded bytes, helper exit 0 */
  NCAP_JOBS_CORRUPT,       /* all the bytes came and they differ */
  NCAP_JOBS_HELPER_FAILED, /* the helper failed before sending it all */
} NcapJobsVerdict;
/* What a download of got bytes summing to sha256, the helper exiting with
 * status, says about f. */
NcapJobsVerdict ncap_jobs_verdict(const NcapJobFile *f, guint64 got,
                                  const char *sha256, int status);

typedef struct {
  const char *label;  /* the host as typed: prefixes errors */
  const char *helper; /* the helper's path on the node */
  const char *outdir;
  _Atomic guint64 *bytes_done; /* progress; may be NULL */
  /* Called at every read (at most 500 ms apart): TRUE with error set
   * stops the download (part: the .part file about to be removed). May
   * be NULL. */
  gboolean (*interrupted)(gpointer data, const char *part, GError **error);
  gpointer data;
} NcapJobsFetch;

/* Download one file to DIR/.NAME.part, check it, rename it to DIR/NAME
 * (present: it was already there and right). A file whose bytes do not
 * match the record is kept as DIR/NAME.bad (outside the *.pcapng glob)
 * and is an error. path_out: DIR/NAME, transfer full. */
gboolean ncap_jobs_fetch_file(const NcapJobsFetch *fx, NcapSsh *ssh,
                              const char *id, const NcapJobFile *f,
                              char **path_out, bool *present, GError **error);

/* ---- upload destination and Save on node ---- */

/* A light local check of an upload destination (scheme s3://, a bucket
 * name), so a typo fails before any connection; the node's parser
 * (remote/s3.c) is the authority on bucket and prefix rules. */
gboolean ncap_jobs_check_destination(const char *destination, GError **error);
/* --destination D [--upload-delete] for the helper's start (args: char *,
 * transfer none). */
void ncap_jobs_add_upload_args(GPtrArray *args, const char *destination,
                               bool upload_delete);

/* The extcap's Save on node: run `<helper> start <opts> --json` on the
 * node (opts as for a saved job: max/file size, delete on start), with
 * `--destination D [--upload-delete]` when destination is not NULL.
 * Returns the job id; transfer full. */
char *ncap_jobs_start_saved(const NcapSshConfig *cfg, const char *helper,
                            const NcapCaptureOpts *opts,
                            const char *destination, bool upload_delete,
                            GError **error);
/* `<helper> stop ID` on the node (waits until the job has finished). */
gboolean ncap_jobs_stop_saved(const NcapSshConfig *cfg, const char *helper,
                              const char *id, GError **error);

#endif
