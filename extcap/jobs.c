/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saved jobs, without the CLI: see jobs.h. */
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"
#include "node.h"
#include "port.h"

#define FETCH_CHUNK (256 * 1024)
/* fetch: no byte for this long means the path or the node is gone. */
#define FETCH_STALL_US (60 * G_USEC_PER_SEC)

/* ---- talking to the helper -------------------------------------------- */

/* The SSH options as the user gave them (ncap_cli_ssh_hint_options), set
 * once before any node thread starts; NULL from the extcap. */
static char *hint_options;

void
ncap_jobs_set_hint_options(const char *options)
{
  g_free(hint_options);
  hint_options = g_strdup(options);
}

/* A command the user can run as printed: "nodecap VERB HOST<options>
 * ARGS". Transfer full. */
char *
ncap_jobs_hint(const char *verb, const char *host, const char *args)
{
  g_autofree char *qh = g_shell_quote(host);
  bool plain = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789@.:-_[]") == strlen(host);
  return g_strdup_printf("nodecap %s %s%s%s%s", verb, plain ? host : qh,
                         hint_options ? hint_options : "", *args ? " " : "",
                         args);
}

/* The helper words its hints for itself, "(stop ID)": make that the
 * whole command for this host. Transfer full. */
static char *
expand_helper_hint(const char *host, const char *line)
{
  static const char *verbs[] = {"stop", "status", "list", "fetch", "delete"};
  const char *open = strrchr(line, '(');
  if (open == NULL || line[strlen(line) - 1] != ')') /* open: line not empty */
    return g_strdup(line);
  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
    gsize n = strlen(verbs[i]);
    if (strncmp(open + 1, verbs[i], n) != 0 ||
        (open[1 + n] != ' ' && open[1 + n] != ')'))
      continue;
    g_autofree char *args =
        g_strndup(open + 1 + n + (open[1 + n] == ' '),
                  strlen(open + 1 + n + (open[1 + n] == ' ')) - 1);
    g_autofree char *cmd = ncap_jobs_hint(verbs[i], host, args);
    return g_strdup_printf("%.*s(%s)", (int)(open - line), line, cmd);
  }
  return g_strdup(line);
}

/* A saved job needs the helper: capture without it is live only
 * (docs/agentless.md). */
void
ncap_jobs_helper_error(GError **error, const char *host, const char *helper,
                  int status, const char *err)
{
  g_autofree char *raw = ncap_ssh_last_line(err);
  g_autofree char *line = expand_helper_hint(host, raw);
  ncap_node_set_helper_error(error, host, helper, status, line);
  if (status == 127 && error != NULL && *error != NULL) {
    char *m = g_strdup_printf("%s; saved captures need nodecap-helper (live "
                              "captures work without it)",
                              (*error)->message);
    g_free((*error)->message);
    (*error)->message = m;
  }
}

/* Run one helper command to its end; its stdout is appended to out. */
gboolean
ncap_jobs_run_helper(NcapSsh *ssh, const char *host, const char *helper,
           const char *verb, const char *const *args, int timeout_ms,
           GString *out, GError **error)
{
  g_autofree char *cmd = ncap_node_helper_command(helper, verb, args);
  g_autoptr(GString) err = g_string_new(NULL);
  int status = -1;

  if (!ncap_ssh_run(ssh, cmd, timeout_ms, out, err, &status, error))
    return FALSE;
  if (status != 0) {
    ncap_jobs_helper_error(error, host, helper, status, err->str);
    return FALSE;
  }
  return TRUE;
}

JsonNode *
ncap_jobs_parse_json(const char *host, const char *text, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_data(parser, text, -1, &local) ||
      json_parser_get_root(parser) == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: the helper's answer is not JSON: %s", host,
                local ? local->message : "empty");
    return NULL;
  }
  return json_node_copy(json_parser_get_root(parser));
}

/* `<helper> list --json` on the host: the job records as a JSON array
 * (transfer full; the JsonArray inside is transfer none), or NULL with
 * error. out receives the helper's raw answer. */
JsonNode *
ncap_jobs_list(NcapSsh *ssh, const char *label, const char *helper, GString *out,
          GError **error)
{
  const char *args[] = {"--json", NULL};
  JsonNode *root;
  if (!ncap_jobs_run_helper(ssh, label, helper, "list", args, NCAP_JOBS_SHORT_TIMEOUT_MS, out,
                  error) ||
      (root = ncap_jobs_parse_json(label, out->str, error)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY(root)) {
    json_node_unref(root);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: the helper's job list is not a JSON array", label);
    return NULL;
  }
  return root;
}

/* ---- the job record ------------------------------------------------- */

void
ncap_job_file_free(NcapJobFile *f)
{
  g_free(f->name);
  g_free(f->sha256);
  g_free(f);
}

const char *
ncap_jobs_jstr(JsonObject *o, const char *member)
{
  if (o == NULL || !json_object_has_member(o, member))
    return NULL;
  JsonNode *n = json_object_get_member(o, member);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

guint64
ncap_jobs_juint(JsonObject *o, const char *member)
{
  if (o == NULL || !json_object_has_member(o, member))
    return 0;
  JsonNode *n = json_object_get_member(o, member);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return 0;
  gint64 v = json_node_get_int(n);
  return v < 0 ? 0 : (guint64)v;
}

/* A file name from the node becomes a local file name: only a plain name,
 * never a path, a hidden file or something odd a terminal would render. */
static gboolean
safe_file_name(const char *host, const char *name, GError **error)
{
  gsize len = name ? strlen(name) : 0;
  bool ok = len > 0 && len <= 200 && name[0] != '.' && strchr(name, '/') == NULL;
  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isalnum(name[i]) || strchr("._-:+@", name[i]) != NULL;
  if (!ok) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: the job record names a file that is not a plain file "
                "name; refusing it",
                host);
    return FALSE;
  }
  return TRUE;
}

bool
ncap_jobs_sha256_valid(const char *s)
{
  if (s == NULL || strlen(s) != 64)
    return false;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit(*p))
      return false;
  return true;
}

/* The files of a finished record; transfer full (GPtrArray of NcapJobFile). */
GPtrArray *
ncap_jobs_record_files(const char *host, JsonObject *job, GError **error)
{
  g_autoptr(GPtrArray) files =
      g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_file_free);
  if (!json_object_has_member(job, "files") ||
      !JSON_NODE_HOLDS_ARRAY(json_object_get_member(job, "files")))
    return g_steal_pointer(&files);
  JsonArray *arr = json_object_get_array_member(job, "files");
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *n = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(n))
      continue;
    JsonObject *o = json_node_get_object(n);
    const char *name = ncap_jobs_jstr(o, "name");
    if (!safe_file_name(host, name, error))
      return NULL;
    NcapJobFile *f = g_new0(NcapJobFile, 1);
    f->name = g_strdup(name);
    f->sha256 = g_ascii_strdown(ncap_jobs_jstr(o, "sha256") ? ncap_jobs_jstr(o, "sha256") : "", -1);
    f->size = ncap_jobs_juint(o, "size");
    f->packets = ncap_jobs_juint(o, "packets");
    g_ptr_array_add(files, f);
  }
  return g_steal_pointer(&files);
}

bool
ncap_jobs_record_finished(JsonObject *job)
{
  const char *st = ncap_jobs_jstr(job, "status");
  return g_strcmp0(st, "success") == 0 || g_strcmp0(st, "failure") == 0;
}

/* ---- fetch -------------------------------------------------------------- */

static gboolean
write_all(int fd, const char *p, gsize len, const char *path, GError **error)
{
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      g_set_error(error, NCAP_ERROR,
                  e == ENOSPC ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
                  "writing %s: %s", path, g_strerror(e));
      return FALSE;
    }
    p += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* sha256 of a local file, or NULL if it cannot be read. Transfer full. */
char *
ncap_jobs_file_sha256(const char *path, guint64 *size)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree char *buf = g_malloc(FETCH_CHUNK);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  *size = 0;
  if (fd < 0)
    return NULL;
  for (;;) {
    ssize_t n = read(fd, buf, FETCH_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      close(fd);
      return NULL;
    }
    if (n == 0)
      break;
    g_checksum_update(sum, (const guchar *)buf, n);
    *size += (guint64)n;
  }
  close(fd);
  return g_strdup(g_checksum_get_string(sum));
}

char *
ncap_jobs_part_path(const char *outdir, const char *name)
{
  g_autofree char *part_name = g_strdup_printf(".%s.part", name);
  return g_build_filename(outdir, part_name, NULL);
}

int
ncap_jobs_part_lock(const char *part, GError **error)
{
  /* The .part file is locked while we write it: another nodecap (or
   * another host of this one, naming the same node twice) fetching the
   * same file into the same directory waits, then finds it here. */
  for (;;) {
    int fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s: %s", part,
                  g_strerror(errno));
      return -1;
    }
    ncap_port_lock(fd);
    /* The holder may have renamed it to its final name meanwhile. */
    if (ncap_port_fd_is_path(fd, part))
      return fd;
    close(fd);
  }
}

bool
ncap_jobs_file_present(const char *path, const NcapJobFile *f)
{
  guint64 have_size = 0;
  g_autofree char *have = ncap_jobs_file_sha256(path, &have_size);
  return have != NULL && have_size == f->size && strcmp(have, f->sha256) == 0;
}

NcapJobsVerdict
ncap_jobs_verdict(const NcapJobFile *f, guint64 got, const char *sha256,
                  int status)
{
  bool match = got == f->size && strcmp(sha256, f->sha256) == 0;
  /* All the bytes came, and they are not the recorded file: corrupt on the
   * node or on the way. */
  if (!match && (status == 0 || got == f->size))
    return NCAP_JOBS_CORRUPT;
  if (status != 0)
    return NCAP_JOBS_HELPER_FAILED;
  return NCAP_JOBS_OK;
}

/* Stream the helper's `fetch ID NAME` into fd, summing it; err receives
 * the helper's stderr. Returns the channel's exit status, or -2 with
 * error set. */
static int
fetch_stream(const NcapJobsFetch *fx, NcapSsh *ssh, const char *cmd,
             const char *name, const char *part, int fd, GChecksum *sum,
             guint64 *got, GString *err, GError **error)
{
  g_autofree char *buf = g_malloc(FETCH_CHUNK);
  ssh_channel ch = ncap_ssh_exec(ssh, cmd, error);
  if (ch == NULL)
    return -2;
  ssh_channel_send_eof(ch);
  gint64 last = g_get_monotonic_time();
  for (;;) {
    if (fx->interrupted != NULL && fx->interrupted(fx->data, part, error)) {
      ssh_channel_close(ch);
      return -2;
    }
    int n = ssh_channel_read_timeout(ch, buf, FETCH_CHUNK, 0, 500);
    int e;
    if (n == SSH_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH, "%s: fetch %s: %s",
                  fx->label, name, ssh_get_error(ncap_ssh_session(ssh)));
      return -2;
    }
    if (n > 0) {
      if (!write_all(fd, buf, (gsize)n, part, error))
        return -2;
      g_checksum_update(sum, (const guchar *)buf, n);
      *got += (guint64)n;
      if (fx->bytes_done != NULL)
        atomic_fetch_add(fx->bytes_done, (guint64)n);
      last = g_get_monotonic_time();
    }
    while ((e = ssh_channel_read_timeout(ch, buf, FETCH_CHUNK, 1, 0)) > 0)
      if (err->len < 65536)
        g_string_append_len(err, buf, e);
    if (n == 0 && ssh_channel_is_eof(ch))
      break;
    if (g_get_monotonic_time() - last > FETCH_STALL_US) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_SSH,
                  "%s: fetch %s: no data for %d s", fx->label, name,
                  (int)(FETCH_STALL_US / G_USEC_PER_SEC));
      return -2;
    }
  }
  return ncap_ssh_exit_status(ch);
}

gboolean
ncap_jobs_fetch_file(const NcapJobsFetch *fx, NcapSsh *ssh, const char *id,
                     const NcapJobFile *f, char **path_out, bool *present,
                     GError **error)
{
  g_autofree char *path = g_build_filename(fx->outdir, f->name, NULL);
  g_autofree char *part = ncap_jobs_part_path(fx->outdir, f->name);
  g_autofree char *bad = g_strdup_printf("%s.bad", path);
  const char *args[] = {id, f->name, NULL};
  g_autofree char *cmd = ncap_node_helper_command(fx->helper, "fetch", args);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autoptr(GString) err = g_string_new(NULL);
  guint64 got = 0;
  int status, fd;

  *present = false;
  if (!ncap_jobs_sha256_valid(f->sha256)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: job %s: the record has no sha256 for %s; cannot verify it",
                fx->label, id, f->name);
    return FALSE;
  }
  if ((fd = ncap_jobs_part_lock(part, error)) < 0)
    return FALSE;
  /* Already here and right (an earlier run): nothing to fetch. A file
   * that differs is replaced (written beside it, then renamed over it). */
  if (ncap_jobs_file_present(path, f)) {
    unlink(part);
    close(fd);
    if (fx->bytes_done != NULL)
      atomic_fetch_add(fx->bytes_done, f->size);
    *present = true;
    *path_out = g_steal_pointer(&path);
    return TRUE;
  }
  /* A partial download of an earlier run is replaced, never appended to:
   * the helper sends whole files only. */
  if (ftruncate(fd, 0) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s: %s", part,
                g_strerror(errno));
    goto fail;
  }
  status = fetch_stream(fx, ssh, cmd, f->name, part, fd, sum, &got, err, error);
  if (status == -2)
    goto fail;
  if (ncap_port_fsync(fd) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s: %s", part,
                g_strerror(errno));
    goto fail;
  }

  const char *hash = g_checksum_get_string(sum);
  switch (ncap_jobs_verdict(f, got, hash, status)) {
  case NCAP_JOBS_CORRUPT: {
    /* Kept for a look, out of the *.pcapng glob. */
    g_autofree char *line = ncap_ssh_last_line(err->str);
    if (ncap_port_rename_and_close(fd, part, bad) != 0)
      unlink(part);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "%s: integrity check failed for %s: received %" G_GUINT64_FORMAT
                " bytes with sha256 %s, the job record says %" G_GUINT64_FORMAT
                " bytes with sha256 %s; kept as %s%s%s",
                fx->label, f->name, got, hash, f->size, f->sha256, bad,
                *line ? "; the node says: " : "", line);
    return FALSE;
  }
  case NCAP_JOBS_HELPER_FAILED:
    ncap_jobs_helper_error(error, fx->label, fx->helper, status, err->str);
    goto fail;
  case NCAP_JOBS_OK:
    break;
  }
  /* The lock goes with the close, after the rename (before it on
   * Windows, which cannot rename an open file). */
  int renamed = ncap_port_rename_and_close(fd, part, path);
  fd = -1;
  if (renamed != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "rename %s to %s: %s", part,
                path, g_strerror(errno));
    goto fail;
  }
  *path_out = g_steal_pointer(&path);
  return TRUE;

fail:
  unlink(part);
  if (fd >= 0)
    close(fd);
  return FALSE;
}

/* ---- upload destination -------------------------------------------------- */

gboolean
ncap_jobs_check_destination(const char *destination, GError **error)
{
  const char *sep = strstr(destination, "://");
  if (sep == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "destination \"%s\": expected s3://BUCKET/PREFIX", destination);
    return FALSE;
  }
  /* The node's wording, so the message is the same wherever it fails. */
  if (sep - destination != 2 || g_ascii_strncasecmp(destination, "s3", 2) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "destination \"%s\": unknown scheme \"%.*s\" (only s3:// is "
                "supported)",
                destination, (int)(sep - destination), destination);
    return FALSE;
  }
  const char *bucket = sep + 3;
  if (*bucket == '\0' || *bucket == '/') {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "destination \"%s\": no bucket name (s3://BUCKET/PREFIX)",
                destination);
    return FALSE;
  }
  return TRUE;
}

/* --destination D [--upload-delete] for the helper's start. */
void
ncap_jobs_add_upload_args(GPtrArray *args, const char *destination, bool upload_delete)
{
  if (destination == NULL)
    return;
  g_ptr_array_add(args, "--destination");
  g_ptr_array_add(args, (char *)destination);
  if (upload_delete)
    g_ptr_array_add(args, "--upload-delete");
}

/* ---- the extcap's Save on node ------------------------------------------- */

char *
ncap_jobs_start_saved(const NcapSshConfig *cfg, const char *helper,
                      const NcapCaptureOpts *opts, const char *destination,
                      bool upload_delete, GError **error)
{
  g_autoptr(NcapSsh) ssh = ncap_ssh_new(cfg);
  g_auto(GStrv) argv = ncap_capture_opts_to_argv(opts, true);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(JsonNode) root = NULL;

  helper = helper ? helper : NCAP_DEFAULT_HELPER;
  for (char **a = argv; a && *a; a++)
    g_ptr_array_add(args, *a);
  /* Named as the live stream names it (docs/cli.md "Node names"). */
  g_ptr_array_add(args, "--node");
  g_ptr_array_add(args, cfg->host);
  ncap_jobs_add_upload_args(args, destination, upload_delete);
  g_ptr_array_add(args, "--json");
  g_ptr_array_add(args, NULL);
  if (!ncap_ssh_connect(ssh, error) ||
      !ncap_jobs_run_helper(ssh, cfg->host, helper, "start",
                  (const char *const *)args->pdata, NCAP_JOBS_SHORT_TIMEOUT_MS, out,
                  error) ||
      (root = ncap_jobs_parse_json(cfg->host, out->str, error)) == NULL)
    return NULL;
  const char *id =
      JSON_NODE_HOLDS_OBJECT(root) ? ncap_jobs_jstr(json_node_get_object(root), "id") : NULL;
  if (id == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: the helper's start answer has no job id", cfg->host);
    return NULL;
  }
  return g_strdup(id);
}

gboolean
ncap_jobs_stop_saved(const NcapSshConfig *cfg, const char *helper,
                     const char *id, GError **error)
{
  g_autoptr(NcapSsh) ssh = ncap_ssh_new(cfg);
  g_autoptr(GString) out = g_string_new(NULL);
  const char *args[] = {id, NULL};

  return ncap_ssh_connect(ssh, error) &&
         ncap_jobs_run_helper(ssh, cfg->host, helper ? helper : NCAP_DEFAULT_HELPER,
                    "stop", args, NCAP_JOBS_STOP_TIMEOUT_MS, out, error);
}
