/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saved jobs from the analyst's side: see cli-jobs.h and docs/cli.md. */
#include "cli-jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <json-glib/json-glib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-ssh.h"
#include "ncap-error.h"
#include "goption.h"
#include "jobs.h"
#include "ncap-text.h"
#include "report.h"
#include "port.h"

#define PROGRESS_INTERVAL_US (200 * 1000)

typedef enum {
  VERB_START,
  VERB_STOP,
  VERB_STATUS,
  VERB_LIST,
  VERB_DELETE,
  VERB_FETCH,
} JobVerb;

/* What the user asked, the same for every node. */
typedef struct {
  JobVerb verb;
  const char *name; /* the verb as typed */
  const char *helper;
  bool json;
  char **start_argv; /* start: the capture options for the helper */
  const char *node_name; /* start --node */
  const char *destination; /* start --destination; NULL = none */
  bool upload_delete;      /* start --upload-delete */
  const char *id;        /* stop/status/delete/fetch; NULL = default */
  char **files;          /* fetch: names to fetch; NULL = all */
  bool all;              /* delete --all / fetch --all */
  const char *outdir;    /* fetch */
} JobRequest;

/* One node's share of the work; filled by its own thread. */
typedef struct {
  const JobRequest *req;
  NcapSshConfig cfg;
  char *label;    /* the host as typed: prefixes its output */
  char *id;       /* req->id, a prefix resolved on this node; or NULL */
  GString *out;   /* for stdout */
  GString *notes; /* for stderr (skipped jobs, files already here) */
  GError *error;
  JsonArray *fetched; /* fetch: one object per file */
  GPtrArray *rows;    /* list: GStrv rows, NODE ID STATUS STARTED ... */
  /* fetch progress, read by the main thread */
  _Atomic guint64 bytes_total, bytes_done;
  _Atomic guint files_total, files_done;
  _Atomic bool finished;
} HostTask;

static void
host_task_free(HostTask *t)
{
  ncap_ssh_config_clear(&t->cfg);
  g_free(t->label);
  g_free(t->id);
  g_string_free(t->out, TRUE);
  g_string_free(t->notes, TRUE);
  g_clear_error(&t->error);
  g_clear_pointer(&t->fetched, json_array_unref);
  g_clear_pointer(&t->rows, g_ptr_array_unref);
  g_free(t);
}

static void
add_fetched(HostTask *t, const char *id, const NcapJobFile *f, const char *path,
            const char *result)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "host", t->label);
  json_object_set_string_member(o, "job", id);
  json_object_set_string_member(o, "file", f->name);
  json_object_set_string_member(o, "path", path);
  json_object_set_int_member(o, "size", (gint64)f->size);
  json_object_set_int_member(o, "packets", (gint64)f->packets);
  json_object_set_string_member(o, "sha256", f->sha256);
  json_object_set_string_member(o, "result", result);
  json_array_add_object_element(t->fetched, o);
  g_string_append_printf(t->out, "%s  %" G_GUINT64_FORMAT " bytes  %" G_GUINT64_FORMAT
                         " packets  sha256 ok%s\n",
                         path, f->size, f->packets,
                         strcmp(result, "present") == 0 ? " (already here)" : "");
}


/* ---- fetch: interruption ------------------------------------------------ */

/* SIGINT/SIGTERM during a fetch: each node's download stops at its next
 * read (at most 500 ms), removes its .part file and says which files were
 * completed and verified; nodecap exits 130/143. A re-run keeps those and
 * fetches the rest (docs/cli.md "fetch"). */
static volatile sig_atomic_t fetch_signal;

static void
on_fetch_signal(int sig)
{
  fetch_signal = sig;
}

static void
fetch_install_signals(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    ncap_port_on_interrupt(on_fetch_signal);
    g_once_init_leave(&once, 1);
  }
}

/* The error of an interrupted fetch on this node (done: files completed
 * and verified so far, listed on stdout; part: the partial file removed,
 * or NULL). */
static void
fetch_interrupted(HostTask *t, const char *part, GError **error)
{
  int sig = fetch_signal;
  guint done = (guint)json_array_get_length(t->fetched);
  guint total = atomic_load(&t->files_total);
  g_set_error(error, NCAP_ERROR,
              sig == SIGTERM ? NCAP_ERROR_SIGTERM : NCAP_ERROR_SIGINT,
              "%s: fetch interrupted (%s): %u of %u files completed and "
              "verified%s%s%s; run the same fetch again for the rest",
              t->label, sig == SIGTERM ? "SIGTERM" : "SIGINT", done, total,
              done ? " (listed on stdout)" : "",
              part ? ", partial file removed: " : "", part ? part : "");
}

static gboolean
fetch_check(gpointer data, const char *part, GError **error)
{
  if (!fetch_signal)
    return FALSE;
  fetch_interrupted(data, part, error);
  return TRUE;
}

/* One file of a job into -o DIR (jobs.h), listed on stdout. */
static gboolean
fetch_file(HostTask *t, NcapSsh *ssh, const char *id, const NcapJobFile *f,
           GError **error)
{
  const NcapJobsFetch fx = {
      .label = t->label,
      .helper = t->req->helper,
      .outdir = t->req->outdir,
      .bytes_done = &t->bytes_done,
      .interrupted = fetch_check,
      .data = t,
  };
  g_autofree char *path = NULL;
  bool present = false;

  if (!ncap_jobs_fetch_file(&fx, ssh, id, f, &path, &present, error))
    return FALSE;
  add_fetched(t, id, f, path, present ? "present" : "fetched");
  return TRUE;
}

/* The jobs to fetch from this node, each with its files. */
typedef struct {
  char *id;
  GPtrArray *files; /* NcapJobFile */
} FetchJob;

static void
fetch_job_free(FetchJob *j)
{
  g_free(j->id);
  g_ptr_array_unref(j->files);
  g_free(j);
}

static gboolean
fetch_plan_add(HostTask *t, GPtrArray *plan, JsonObject *job, GError **error)
{
  const char *id = ncap_jobs_jstr(job, "id");
  g_autoptr(GPtrArray) files = ncap_jobs_record_files(t->label, job, error);
  if (files == NULL)
    return FALSE;
  if (id == NULL || strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: a job record without a valid id", t->label);
    return FALSE;
  }
  if (t->req->files != NULL) {
    /* Only the named files, each of which must be in the record. */
    g_autoptr(GPtrArray) chosen =
        g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_file_free);
    for (char **w = t->req->files; *w; w++) {
      guint i;
      for (i = 0; i < files->len; i++)
        if (strcmp(((NcapJobFile *)g_ptr_array_index(files, i))->name, *w) == 0)
          break;
      if (i == files->len) {
        g_autofree char *cmd = ncap_jobs_hint("status", t->label, id);
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND,
                    "%s: job %s has no file \"%s\" (see %s)", t->label, id,
                    *w, cmd);
        return FALSE;
      }
      g_ptr_array_add(chosen, g_ptr_array_steal_index(files, i));
    }
    g_ptr_array_unref(files);
    files = g_steal_pointer(&chosen);
  }
  FetchJob *fj = g_new0(FetchJob, 1);
  fj->id = g_strdup(id);
  fj->files = g_steal_pointer(&files);
  for (guint i = 0; i < fj->files->len; i++) {
    NcapJobFile *f = g_ptr_array_index(fj->files, i);
    atomic_fetch_add(&t->bytes_total, f->size);
    atomic_fetch_add(&t->files_total, 1);
  }
  g_ptr_array_add(plan, fj);
  return TRUE;
}

static gboolean
host_fetch(HostTask *t, NcapSsh *ssh, GError **error)
{
  const JobRequest *req = t->req;
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) plan =
      g_ptr_array_new_with_free_func((GDestroyNotify)fetch_job_free);

  fetch_install_signals();
  if (req->all) {
    if ((root = ncap_jobs_list(ssh, t->label, req->helper, out, error)) == NULL)
      return FALSE;
    JsonArray *arr = json_node_get_array(root);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      JsonNode *n = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_OBJECT(n))
        continue;
      JsonObject *job = json_node_get_object(n);
      if (!ncap_jobs_record_finished(job)) {
        g_string_append_printf(t->notes,
                               "nodecap: %s: job %s is still %s: not fetched\n",
                               t->label, ncap_jobs_jstr(job, "id") ? ncap_jobs_jstr(job, "id") : "?",
                               ncap_jobs_jstr(job, "status") ? ncap_jobs_jstr(job, "status") : "?");
        continue;
      }
      if (!fetch_plan_add(t, plan, job, error))
        return FALSE;
    }
  } else {
    const char *args[] = {t->id, "--json", NULL};
    if (!ncap_jobs_run_helper(ssh, t->label, req->helper, "status", args,
                    NCAP_JOBS_SHORT_TIMEOUT_MS, out, error) ||
        (root = ncap_jobs_parse_json(t->label, out->str, error)) == NULL)
      return FALSE;
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                  "%s: the helper's job record is not a JSON object", t->label);
      return FALSE;
    }
    JsonObject *job = json_node_get_object(root);
    if (!ncap_jobs_record_finished(job)) {
      g_autofree char *cmd = ncap_jobs_hint("stop", t->label, t->id);
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_BUSY,
                  "%s: job %s is still %s; stop it first (%s)", t->label,
                  t->id, ncap_jobs_jstr(job, "status") ? ncap_jobs_jstr(job, "status") : "?",
                  cmd);
      return FALSE;
    }
    if (!fetch_plan_add(t, plan, job, error))
      return FALSE;
  }
  /* Go on after a bad file: the others are still worth having; the first
   * error is reported. */
  gboolean ok = TRUE;
  for (guint i = 0; i < plan->len; i++) {
    FetchJob *fj = g_ptr_array_index(plan, i);
    for (guint k = 0; k < fj->files->len; k++) {
      g_autoptr(GError) local = NULL;
      NcapJobFile *f = g_ptr_array_index(fj->files, k);
      if (fetch_signal)
        fetch_interrupted(t, NULL, &local);
      if (local != NULL || !fetch_file(t, ssh, fj->id, f, &local)) {
        if (local->code == NCAP_ERROR_SIGINT || local->code == NCAP_ERROR_SIGTERM) {
          /* The interruption is what the exit status says. */
          if (!ok && error && *error)
            g_string_append_printf(t->notes, "nodecap: %s\n", (*error)->message);
          g_clear_error(error);
          g_propagate_error(error, g_steal_pointer(&local));
          return FALSE;
        }
        if (local->code == NCAP_ERROR_SSH || local->code == NCAP_ERROR_DISK_FULL) {
          g_propagate_error(error, g_steal_pointer(&local));
          return FALSE;
        }
        if (ok)
          g_propagate_error(error, g_steal_pointer(&local));
        else
          g_string_append_printf(t->notes, "nodecap: %s\n", local->message);
        ok = FALSE;
      }
      atomic_fetch_add(&t->files_done, 1);
    }
  }
  return ok;
}

/* ---- list ---------------------------------------------------------------- */

static gboolean
host_list(HostTask *t, NcapSsh *ssh, GError **error)
{
  g_autoptr(JsonNode) root = ncap_jobs_list(ssh, t->label, t->req->helper, t->out, error);

  if (root == NULL)
    return FALSE;
  JsonArray *arr = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(n))
      continue;
    JsonObject *j = json_node_get_object(n);
    /* A job that never started has no start time (not its submission). */
    const char *started = ncap_jobs_jstr(j, "started");
    guint nfiles = 0;
    guint64 packets = ncap_jobs_juint(j, "packets");
    if (json_object_has_member(j, "files") &&
        JSON_NODE_HOLDS_ARRAY(json_object_get_member(j, "files"))) {
      JsonArray *files = json_object_get_array_member(j, "files");
      nfiles = json_array_get_length(files);
      /* What the files still hold: a ring overwrote the rest. */
      if (nfiles > 0) {
        packets = 0;
        for (guint k = 0; k < nfiles; k++) {
          JsonNode *fn = json_array_get_element(files, k);
          if (JSON_NODE_HOLDS_OBJECT(fn))
            packets += ncap_jobs_juint(json_node_get_object(fn), "packets");
        }
      }
    }
    /* The record is the node's text: each cell escaped, one bounded
     * line (ncap_text_clean). */
    char **row = g_new0(char *, 8);
    guint c = 0;
    row[c++] = g_strdup(t->label);
    row[c++] = ncap_text_clean(ncap_jobs_jstr(j, "id") ? ncap_jobs_jstr(j, "id") : "?", -1,
                               NCAP_TEXT_LINE_MAX);
    row[c++] = ncap_text_clean(ncap_jobs_jstr(j, "status") ? ncap_jobs_jstr(j, "status") : "?",
                               -1, NCAP_TEXT_LINE_MAX);
    /* UTC to the second, with its Z. */
    g_autofree char *when =
        started && strlen(started) >= 19 ? g_strdup_printf("%.19sZ", started)
                                         : g_strdup("-");
    row[c++] = ncap_text_clean(when, -1, NCAP_TEXT_LINE_MAX);
    row[c++] = g_strdup_printf("%" G_GUINT64_FORMAT, packets);
    row[c++] = g_strdup_printf("%u", nfiles);
    row[c++] = ncap_text_clean(ncap_jobs_jstr(j, "reason") ? ncap_jobs_jstr(j, "reason") : "",
                               -1, NCAP_TEXT_LINE_MAX);
    g_ptr_array_add(t->rows, row);
  }
  return TRUE;
}

/* ---- one node ------------------------------------------------------------ */

/* A job id may be shortened to any unique prefix of at least 6 hex
 * digits, as git does: looked up in this node's job list, and the match
 * said on stderr. A whole id, or anything else, goes to the node as
 * typed (the node is the authority on ids). */
static gboolean
resolve_id(HostTask *t, NcapSsh *ssh, GError **error)
{
  const char *want = t->req->id;
  gsize n = strlen(want);
  if (n < 6 || n >= 32 || strspn(want, "0123456789abcdef") != n) {
    t->id = g_strdup(want);
    return TRUE;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(JsonNode) root = ncap_jobs_list(ssh, t->label, t->req->helper, out, error);
  if (root == NULL)
    return FALSE;
  g_autoptr(GPtrArray) hits = g_ptr_array_new();
  JsonArray *arr = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *e = json_array_get_element(arr, i);
    const char *id =
        JSON_NODE_HOLDS_OBJECT(e) ? ncap_jobs_jstr(json_node_get_object(e), "id") : NULL;
    if (id != NULL && strncmp(id, want, n) == 0)
      g_ptr_array_add(hits, (char *)id);
  }
  if (hits->len == 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND,
                "%s: no job id starts with %s", t->label, want);
    return FALSE;
  }
  if (hits->len > 1) {
    g_ptr_array_add(hits, NULL);
    g_autofree char *all = g_strjoinv(", ", (char **)hits->pdata);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "%s: job id prefix %s is ambiguous: %s", t->label, want, all);
    return FALSE;
  }
  t->id = g_strdup(g_ptr_array_index(hits, 0));
  g_string_append_printf(t->notes, "nodecap: %s: job %s is %s\n", t->label,
                         want, t->id);
  return TRUE;
}

static gboolean
host_run(HostTask *t, GError **error)
{
  const JobRequest *req = t->req;
  g_autoptr(NcapSsh) ssh = ncap_ssh_new(&t->cfg);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  const char *verb = req->name;
  int timeout = NCAP_JOBS_SHORT_TIMEOUT_MS;

  if (!ncap_ssh_connect(ssh, error))
    return FALSE;
  if (req->id != NULL && !resolve_id(t, ssh, error))
    return FALSE;
  switch (req->verb) {
  case VERB_FETCH:
    return host_fetch(t, ssh, error);
  case VERB_LIST:
    return host_list(t, ssh, error);
  case VERB_START:
    for (char **a = req->start_argv; a && *a; a++)
      g_ptr_array_add(args, *a);
    /* One naming rule, live and saved (docs/cli.md "Node names"): the
     * node is named as typed, without user@ and :port. */
    g_ptr_array_add(args, "--node");
    g_ptr_array_add(args, req->node_name ? (char *)req->node_name : t->cfg.host);
    ncap_jobs_add_upload_args(args, req->destination, req->upload_delete);
    break;
  case VERB_STOP:
    timeout = NCAP_JOBS_STOP_TIMEOUT_MS;
    /* fall through */
  case VERB_STATUS:
  case VERB_DELETE:
    if (t->id)
      g_ptr_array_add(args, t->id);
    if (req->all)
      g_ptr_array_add(args, "--all");
    break;
  }
  if (req->json)
    g_ptr_array_add(args, "--json");
  g_ptr_array_add(args, NULL);
  return ncap_jobs_run_helper(ssh, t->label, req->helper, verb,
                    (const char *const *)args->pdata, timeout, t->out, error);
}

static gpointer
host_thread(gpointer data)
{
  HostTask *t = data;
  host_run(t, &t->error);
  atomic_store(&t->finished, true);
  return NULL;
}

/* ---- progress ------------------------------------------------------------ */

static void
human_bytes(char *buf, gsize len, guint64 b)
{
  if (b >= 1000000000)
    g_snprintf(buf, len, "%.2f GB", b / 1e9);
  else if (b >= 1000000)
    g_snprintf(buf, len, "%.1f MB", b / 1e6);
  else
    g_snprintf(buf, len, "%.0f kB", b / 1e3);
}

/* One line on stderr, redrawn in place. */
static void
draw_progress(GPtrArray *tasks, gint64 t0, bool final)
{
  guint64 total = 0, done = 0;
  guint ftotal = 0, fdone = 0;
  char a[32], b[32], r[32];
  for (guint i = 0; i < tasks->len; i++) {
    HostTask *t = g_ptr_array_index(tasks, i);
    total += atomic_load(&t->bytes_total);
    done += atomic_load(&t->bytes_done);
    ftotal += atomic_load(&t->files_total);
    fdone += atomic_load(&t->files_done);
  }
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  human_bytes(a, sizeof a, done);
  human_bytes(b, sizeof b, total);
  human_bytes(r, sizeof r, secs > 0.1 ? (guint64)(done / secs) : 0);
  fprintf(stderr, "\r\033[Kfetch: %u/%u files  %s of %s  %3d%%  %s/s", fdone,
          ftotal, a, b, total ? (int)(done * 100 / total) : (final ? 100 : 0),
          r);
  if (final)
    fputc('\n', stderr);
  fflush(stderr);
}

/* ---- output ---------------------------------------------------------------- */

static void
print_prefixed(const char *label, const char *raw, bool prefix, bool json)
{
  /* The node's answer: control characters escaped; a text line is cut at
   * NCAP_TEXT_LINE_MAX, JSON (one long line) only by the answer's bound. */
  g_autofree char *text =
      ncap_text_clean_lines(raw, json ? 0 : NCAP_TEXT_LINE_MAX);
  if (!prefix) {
    fputs(text, stdout);
    if (*text && text[strlen(text) - 1] != '\n')
      putchar('\n');
    return;
  }
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l)
      printf("%s: %s\n", label, *l);
}

static void
print_json(JsonNode *root)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_root(gen, root);
  g_autofree char *text = json_generator_to_data(gen, NULL);
  printf("%s\n", text);
}

static void
print_results(const JobRequest *req, GPtrArray *tasks)
{
  bool many = tasks->len > 1;

  if (req->verb == VERB_FETCH && req->json) {
    g_autoptr(JsonArray) all = json_array_new();
    for (guint i = 0; i < tasks->len; i++) {
      HostTask *t = g_ptr_array_index(tasks, i);
      for (guint k = 0; k < json_array_get_length(t->fetched); k++)
        json_array_add_element(all, json_node_copy(json_array_get_element(t->fetched, k)));
    }
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
    json_node_set_array(root, all);
    print_json(root);
  } else if (req->verb == VERB_FETCH) {
    for (guint i = 0; i < tasks->len; i++) {
      HostTask *t = g_ptr_array_index(tasks, i);
      fputs(t->out->str, stdout);
    }
  } else if (req->verb == VERB_LIST && !req->json) {
    /* docs/cli.md "list": NODE only with several nodes; no header when
     * every node failed (their errors are the whole output). */
    static const char *const header[] = {"NODE",    "ID",    "STATUS",
                                         "STARTED", "PACKETS", "FILES",
                                         "REASON",  NULL};
    g_autoptr(GPtrArray) rows = g_ptr_array_new();
    bool any_ok = false;
    for (guint i = 0; i < tasks->len; i++) {
      HostTask *t = g_ptr_array_index(tasks, i);
      any_ok = any_ok || t->error == NULL;
      for (guint k = 0; k < t->rows->len; k++) {
        char **row = g_ptr_array_index(t->rows, k);
        g_ptr_array_add(rows, many ? row : row + 1);
      }
    }
    if (any_ok)
      ncap_report_table(stdout, many ? header : header + 1, rows, true);
  } else if (req->json && many) {
    /* One object: host -> the node's JSON, or its error. */
    g_autoptr(JsonObject) obj = json_object_new();
    for (guint i = 0; i < tasks->len; i++) {
      HostTask *t = g_ptr_array_index(tasks, i);
      JsonNode *n = t->error ? NULL : ncap_jobs_parse_json(t->label, t->out->str, NULL);
      if (n == NULL) {
        JsonObject *e = json_object_new();
        json_object_set_string_member(e, "error", t->error ? t->error->message : "no JSON");
        json_object_set_int_member(e, "exit_status", ncap_error_exit_status(t->error));
        n = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(n, e);
      }
      json_object_set_member(obj, t->label, n);
    }
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(root, obj);
    print_json(root);
  } else {
    for (guint i = 0; i < tasks->len; i++) {
      HostTask *t = g_ptr_array_index(tasks, i);
      print_prefixed(t->label, t->out->str, many, req->json);
    }
  }
  fflush(stdout);
  for (guint i = 0; i < tasks->len; i++) {
    HostTask *t = g_ptr_array_index(tasks, i);
    g_autofree char *notes = ncap_text_clean_lines(t->notes->str, NCAP_TEXT_LINE_MAX);
    fputs(notes, stderr);
  }
}

/* ---- the verbs ------------------------------------------------------------ */

static gboolean
run_on_hosts(const JobRequest *req, const NcapCliSsh *ssh_args,
             const char *hosts, bool progress, GError **error)
{
  g_auto(GStrv) list = g_strsplit(hosts, ",", -1);
  g_autoptr(GPtrArray) tasks =
      g_ptr_array_new_with_free_func((GDestroyNotify)host_task_free);
  g_autoptr(GPtrArray) threads = g_ptr_array_new();

  for (char **h = list; *h; h++) {
    g_strstrip(*h);
    if (**h == '\0') {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "%s: empty node name in \"%s\"", req->name, hosts);
      return FALSE;
    }
    HostTask *t = g_new0(HostTask, 1);
    t->req = req;
    t->label = g_strdup(*h);
    t->out = g_string_new(NULL);
    t->notes = g_string_new(NULL);
    t->fetched = json_array_new();
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_ptr_array_add(tasks, t);
    /* Logging is set up by the first call; later calls only reopen the
     * same log file (append). */
    if (!ncap_cli_ssh_config(ssh_args, *h, &t->cfg, error))
      return FALSE;
  }
  /* One thread (and one SSH session) per node: a slow node does not hold
   * up the others. */
  for (guint i = 0; i < tasks->len; i++)
    g_ptr_array_add(threads, g_thread_new("node", host_thread,
                                          g_ptr_array_index(tasks, i)));
  gint64 t0 = g_get_monotonic_time();
  for (;;) {
    bool all_done = true;
    for (guint i = 0; i < tasks->len; i++)
      all_done = all_done &&
                 atomic_load(&((HostTask *)g_ptr_array_index(tasks, i))->finished);
    if (all_done)
      break;
    if (progress)
      draw_progress(tasks, t0, false);
    g_usleep(PROGRESS_INTERVAL_US);
  }
  for (guint i = 0; i < threads->len; i++)
    g_thread_join(g_ptr_array_index(threads, i));
  if (progress)
    draw_progress(tasks, t0, true);

  print_results(req, tasks);

  /* Every failed node gets its line; the exit status is the first's. */
  guint failed = 0;
  HostTask *first = NULL;
  for (guint i = 0; i < tasks->len; i++) {
    HostTask *t = g_ptr_array_index(tasks, i);
    if (t->error == NULL)
      continue;
    if (first == NULL)
      first = t;
    failed++;
  }
  if (failed == 0)
    return TRUE;
  if (tasks->len == 1) {
    g_propagate_error(error, g_steal_pointer(&first->error));
    return FALSE;
  }
  for (guint i = 0; i < tasks->len; i++) {
    HostTask *t = g_ptr_array_index(tasks, i);
    if (t->error)
      ncap_error_print("nodecap", t->error);
  }
  g_set_error(error, NCAP_ERROR, first->error->code,
              "%s: %u of %u nodes failed", req->name, failed, tasks->len);
  return FALSE;
}

/* The job verbs: name, parameters and summary for --help. */
static const struct {
  const char *name, *params, *summary;
  JobVerb verb;
} verbs[] = {
    {"start", "HOST[,HOST...] -i IFACE",
     "Start a saved capture job on each node: a ring of pcapng files kept "
     "on the node until `nodecap stop` or a limit (1 MB = 1,000,000 bytes).",
     VERB_START},
    {"stop", "HOST[,HOST...] [ID]",
     "Stop a saved job (default: the running one) and print its record.",
     VERB_STOP},
    {"status", "HOST[,HOST...] [ID]",
     "Print a saved job's record (default: the latest job).", VERB_STATUS},
    {"list", "HOST[,HOST...]", "List the saved jobs of each node.", VERB_LIST},
    {"delete", "HOST[,HOST...] ID|--all",
     "Delete a finished job (or all finished jobs) and its files.",
     VERB_DELETE},
    {"fetch", "HOST[,HOST...] ID [FILE...] | --all",
     "Download a finished job's files into a directory under their node "
     "names, each checked against the sha256 in the job record "
     "(mergecap -w all.pcapng DIR/*.pcapng joins them).",
     VERB_FETCH},
};

/* The number of positional arguments after HOSTS fits the verb. */
static bool
positional_ok(JobVerb verb, bool all, guint npos)
{
  switch (verb) {
  case VERB_START:
  case VERB_LIST:
    return npos == 0;
  case VERB_STOP:
  case VERB_STATUS:
    return npos <= 1;
  case VERB_DELETE:
    return all ? npos == 0 : npos == 1;
  case VERB_FETCH:
  default:
    return all ? npos == 0 : npos >= 1;
  }
}

/* start's options, checked here first (a clear error before any
 * connection), and again on the node, whose nodecap.conf may set other
 * maxima. */
static gboolean
start_opts(NcapCaptureArgs *ca, NcapCaptureOpts *opts, const char *destination,
           gboolean upload_delete, GError **error)
{
  NcapLimits limits;
  ncap_limits_init_default(&limits);
  /* `capture` takes a list; a saved job records and rings one interface,
   * so say that here rather than let the node look for "eth0,eth1". */
  if (ca->iface != NULL && strchr(ca->iface, ',') != NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "start: -i %s: a saved job captures one interface (several "
                "interfaces at once: nodecap capture -i %s)",
                ca->iface, ca->iface);
    return FALSE;
  }
  if (!ncap_capture_opts_from_args(ca, &limits, opts, error))
    return FALSE;
  if (upload_delete && destination == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "start: --upload-delete needs --destination");
    return FALSE;
  }
  if (destination != NULL && !ncap_jobs_check_destination(destination, error))
    return FALSE;
  return TRUE;
}

/* fetch -o DIR: docs/cli.md "fetch": a missing DIR is made, parents
 * included (mkdir -p), and said. */
static gboolean
fetch_outdir(const char *outdir, GError **error)
{
  struct stat st;
  if (stat(outdir, &st) != 0 && errno == ENOENT) {
    if (g_mkdir_with_parents(outdir, 0755) != 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                  "fetch: cannot create %s: %s", outdir, g_strerror(errno));
      return FALSE;
    }
    fprintf(stderr, "nodecap: created directory %s\n", outdir);
  }
  if (stat(outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "fetch: %s is not a directory", outdir);
    return FALSE;
  }
  return TRUE;
}

gboolean
ncap_cli_jobs_run(int argc, char **argv, GError **error)
{
  g_autoptr(NcapCliSsh) sa = ncap_cli_ssh_new();
  g_auto(NcapCaptureArgs) ca = {0};
  g_auto(NcapCaptureOpts) opts = {0};
  g_auto(GStrv) start_argv = NULL;
  g_autofree GOptionEntry *cap_entries = NULL;
  g_autofree char *node_name = NULL, *outdir = NULL, *destination = NULL;
  gboolean json = FALSE, all = FALSE, progress = FALSE, no_progress = FALSE;
  gboolean upload_delete = FALSE;
  g_auto(GStrv) args = g_strdupv(argv);
  JobRequest req = {0};
  gsize v;

  (void)argc;
  for (v = 0; v < G_N_ELEMENTS(verbs); v++)
    if (strcmp(argv[1], verbs[v].name) == 0)
      break;
  g_return_val_if_fail(v < G_N_ELEMENTS(verbs), FALSE);
  req.verb = verbs[v].verb;
  req.name = verbs[v].name;

  /* "Usage: nodecap start [OPTION…] HOST..." (GLib puts the program
   * name and [OPTION…] in front of the parameters). */
  g_autofree char *prg = g_strdup_printf("nodecap %s", verbs[v].name);
  g_set_prgname(prg);
  g_autoptr(GOptionContext) ctx = g_option_context_new(verbs[v].params);
  g_option_context_set_summary(ctx, verbs[v].summary);
  const GOptionEntry common_entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
       "JSON output (the node's records)", NULL},
      {NULL},
  };
  const GOptionEntry start_entries[] = {
      {"node", 0, 0, G_OPTION_ARG_STRING, &node_name,
       "Node name in the file names and interface names (default: HOST as "
       "typed, without user@ and :port)",
       "NAME"},
      {"destination", 0, 0, G_OPTION_ARG_STRING, &destination,
       "Upload each finished file to this bucket (the node's nodecap.conf "
       "holds endpoint and credentials; docs/s3.md)",
       "s3://BUCKET/PREFIX"},
      {"upload-delete", 0, 0, G_OPTION_ARG_NONE, &upload_delete,
       "Remove a file on the node once its upload is confirmed", NULL},
      {NULL},
  };
  const GOptionEntry all_entries[] = {
      {"all", 0, 0, G_OPTION_ARG_NONE, &all,
       req.verb == VERB_DELETE ? "Every finished job"
                               : "Every finished job of each node",
       NULL},
      {NULL},
  };
  const GOptionEntry fetch_entries[] = {
      {"output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &outdir,
       "Directory for the files, made with its parents when missing "
       "(default: .)", "DIR"},
      {"progress", 0, 0, G_OPTION_ARG_NONE, &progress,
       "Progress on stderr (a terminal) even when stdout is not one", NULL},
      {"no-progress", 0, 0, G_OPTION_ARG_NONE, &no_progress,
       "No progress display", NULL},
      {NULL},
  };
  g_option_context_add_main_entries(ctx, common_entries, NULL);
  if (req.verb == VERB_START) {
    cap_entries = ncap_capture_option_entries(&ca, true, false);
    g_option_context_add_main_entries(ctx, cap_entries, NULL);
    g_option_context_add_main_entries(ctx, start_entries, NULL);
  }
  if (req.verb == VERB_DELETE || req.verb == VERB_FETCH)
    g_option_context_add_main_entries(ctx, all_entries, NULL);
  if (req.verb == VERB_FETCH)
    g_option_context_add_main_entries(ctx, fetch_entries, NULL);
  g_option_context_add_group(ctx, ncap_cli_ssh_group(sa));
  if (!ncap_goption_parse_strv(ctx, NULL, &args, error))
    return FALSE;

  /* args: nodecap VERB HOSTS [positional...] */
  guint n = g_strv_length(args);
  if (n < 3) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "%s: no node given (nodecap %s %s)", req.name, req.name,
                verbs[v].params);
    return FALSE;
  }
  const char *hosts = args[2];
  guint npos = n - 3;
  char **pos = args + 3;
  bool ok_count = positional_ok(req.verb, all, npos);
  if (!ok_count) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "%s: unexpected arguments (nodecap %s %s)", req.name, req.name,
                verbs[v].params);
    return FALSE;
  }
  req.id = npos > 0 ? pos[0] : NULL;
  req.files = req.verb == VERB_FETCH && npos > 1 ? pos + 1 : NULL;
  req.all = all;
  req.json = json;
  req.helper = ncap_cli_ssh_helper(sa);
  req.node_name = node_name;
  req.outdir = outdir ? outdir : ".";
  g_autofree char *hint_options = ncap_cli_ssh_hint_options(sa);
  ncap_jobs_set_hint_options(hint_options);

  if (req.verb == VERB_START) {
    if (!start_opts(&ca, &opts, destination, upload_delete, error))
      return FALSE;
    req.destination = destination;
    req.upload_delete = upload_delete;
    start_argv = ncap_capture_opts_to_argv(&opts, true);
    req.start_argv = start_argv;
  }
  if (req.verb == VERB_FETCH && !fetch_outdir(req.outdir, error))
    return FALSE;
  /* The progress line is drawn with \r and escape codes: only ever on a
   * terminal (--progress: even when stdout is not one). */
  bool show = req.verb == VERB_FETCH && !no_progress &&
              isatty(STDERR_FILENO) && (progress || isatty(STDOUT_FILENO));
  return run_on_hosts(&req, sa, hosts, show, error);
}
