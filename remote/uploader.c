/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The uploader process of a saved job: see uploader.h. */
#include "uploader.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"
#include "ncap-error.h"
#include "privs.h"

/* ---- record ------------------------------------------------------------- */

static void
upload_file_free(NcapUploadFile *f)
{
  if (!f)
    return;
  g_free(f->name);
  g_free(f->key);
  g_free(f->reason);
  g_free(f->sha256);
  g_free(f->etag);
  g_free(f->updated);
  g_free(f);
}

NcapUploadRecord *
ncap_upload_record_new(const char *job_id, const char *destination, bool delete_after)
{
  NcapUploadRecord *r = g_new0(NcapUploadRecord, 1);
  r->job_id = g_strdup(job_id);
  r->destination = g_strdup(destination);
  r->delete_after = delete_after;
  r->files = g_ptr_array_new_with_free_func((GDestroyNotify)upload_file_free);
  return r;
}

void
ncap_upload_record_free(NcapUploadRecord *r)
{
  if (!r)
    return;
  g_free(r->job_id);
  g_free(r->destination);
  g_ptr_array_unref(r->files);
  g_free(r);
}

static const char *
state_name(NcapUploadState s)
{
  switch (s) {
  case NCAP_UPLOAD_UPLOADED: return "uploaded";
  case NCAP_UPLOAD_FAILED: return "failed";
  default: return "pending";
  }
}

char *
ncap_upload_file_state_string(const NcapUploadFile *f)
{
  if (f->state == NCAP_UPLOAD_FAILED)
    return g_strdup_printf("failed: %s", f->reason ? f->reason : "unknown");
  return g_strdup(state_name(f->state));
}

NcapUploadFile *
ncap_upload_record_find(const NcapUploadRecord *r, const char *name)
{
  for (guint i = 0; i < r->files->len; i++) {
    NcapUploadFile *f = g_ptr_array_index(r->files, i);
    if (strcmp(f->name, name) == 0)
      return f;
  }
  return NULL;
}

static char *
now_iso8601(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

JsonNode *
ncap_upload_record_to_json(const NcapUploadRecord *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "job");
  json_builder_add_string_value(b, r->job_id);
  json_builder_set_member_name(b, "destination");
  json_builder_add_string_value(b, r->destination);
  json_builder_set_member_name(b, "delete_after_upload");
  json_builder_add_boolean_value(b, r->delete_after);
  json_builder_set_member_name(b, "files");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->files->len; i++) {
    NcapUploadFile *f = g_ptr_array_index(r->files, i);
    g_autofree char *state = ncap_upload_file_state_string(f);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, f->name);
    json_builder_set_member_name(b, "seq");
    json_builder_add_int_value(b, f->seq);
    json_builder_set_member_name(b, "key");
    json_builder_add_string_value(b, f->key);
    json_builder_set_member_name(b, "upload");
    json_builder_add_string_value(b, state);
    if (f->reason) {
      json_builder_set_member_name(b, "reason");
      json_builder_add_string_value(b, f->reason);
    }
    if (f->sha256) {
      json_builder_set_member_name(b, "sha256");
      json_builder_add_string_value(b, f->sha256);
    }
    if (f->etag) {
      json_builder_set_member_name(b, "etag");
      json_builder_add_string_value(b, f->etag);
    }
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, (gint64)f->size);
    json_builder_set_member_name(b, "attempts");
    json_builder_add_int_value(b, f->attempts);
    json_builder_set_member_name(b, "parts");
    json_builder_add_int_value(b, f->parts);
    json_builder_set_member_name(b, "deleted");
    json_builder_add_boolean_value(b, f->deleted);
    if (f->updated) {
      json_builder_set_member_name(b, "updated");
      json_builder_add_string_value(b, f->updated);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static const char *
obj_str(JsonObject *o, const char *m)
{
  JsonNode *n = json_object_get_member(o, m);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

NcapUploadRecord *
ncap_upload_record_from_json(JsonNode *node, GError **error)
{
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
  const char *job = o ? obj_str(o, "job") : NULL;
  const char *dest = o ? obj_str(o, "destination") : NULL;
  JsonNode *fn = o ? json_object_get_member(o, "files") : NULL;
  if (!job || !dest || !fn || !JSON_NODE_HOLDS_ARRAY(fn)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "upload record: not an upload record");
    return NULL;
  }
  g_autoptr(NcapUploadRecord) r = ncap_upload_record_new(
      job, dest, json_object_get_boolean_member_with_default(o, "delete_after_upload", FALSE));
  JsonArray *a = json_node_get_array(fn);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonObject *fo = json_array_get_object_element(a, i);
    const char *name = fo ? obj_str(fo, "name") : NULL;
    const char *key = fo ? obj_str(fo, "key") : NULL;
    const char *up = fo ? obj_str(fo, "upload") : NULL;
    if (!name || !key || !up) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "upload record: file %u is incomplete", i);
      return NULL;
    }
    NcapUploadFile *f = g_new0(NcapUploadFile, 1);
    f->name = g_strdup(name);
    f->key = g_strdup(key);
    f->seq = (guint)json_object_get_int_member_with_default(fo, "seq", 0);
    f->state = g_str_has_prefix(up, "uploaded") ? NCAP_UPLOAD_UPLOADED
               : g_str_has_prefix(up, "failed") ? NCAP_UPLOAD_FAILED
                                                : NCAP_UPLOAD_PENDING;
    f->reason = g_strdup(obj_str(fo, "reason"));
    f->sha256 = g_strdup(obj_str(fo, "sha256"));
    f->etag = g_strdup(obj_str(fo, "etag"));
    f->updated = g_strdup(obj_str(fo, "updated"));
    f->size = (guint64)json_object_get_int_member_with_default(fo, "size", 0);
    f->attempts = (guint)json_object_get_int_member_with_default(fo, "attempts", 0);
    f->parts = (guint)json_object_get_int_member_with_default(fo, "parts", 0);
    f->deleted = json_object_get_boolean_member_with_default(fo, "deleted", FALSE);
    g_ptr_array_add(r->files, f);
  }
  return g_steal_pointer(&r);
}

static char *
record_name(const char *job_id)
{
  return g_strdup_printf("%s.upload.json", job_id);
}

NcapUploadRecord *
ncap_upload_record_load(int dirfd, const char *job_id, GError **error)
{
  g_autofree char *name = record_name(job_id);
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    g_set_error(error, NCAP_ERROR, errno == ENOENT ? NCAP_ERROR_NOT_FOUND : NCAP_ERROR_IO,
                "upload record of job %s: %s", job_id, g_strerror(errno));
    return NULL;
  }
  GString *text = g_string_new(NULL);
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len(text, buf, n);
  close(fd);
  g_autoptr(JsonParser) p = json_parser_new();
  g_autoptr(GError) local = NULL;
  gboolean ok = json_parser_load_from_data(p, text->str, text->len, &local);
  g_string_free(text, TRUE);
  if (!ok) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "upload record of job %s: %s", job_id,
                local->message);
    return NULL;
  }
  return ncap_upload_record_from_json(json_parser_get_root(p), error);
}

gboolean
ncap_upload_record_save(const NcapUploadRecord *r, int dirfd, GError **error)
{
  g_autofree char *name = record_name(r->job_id);
  g_autofree char *tmp = g_strdup_printf(".%s.tmp", name);
  g_autoptr(JsonNode) node = ncap_upload_record_to_json(r);
  g_autofree char *text = json_to_string(node, TRUE);
  unlinkat(dirfd, tmp, 0);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0)
    goto fail;
  gsize len = strlen(text), off = 0;
  while (off < len) {
    ssize_t n = write(fd, text + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      unlinkat(dirfd, tmp, 0);
      errno = e;
      goto fail;
    }
    off += (gsize)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0 || renameat(dirfd, tmp, dirfd, name) != 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    errno = e;
    goto fail;
  }
  fsync(dirfd);
  return TRUE;
fail:
  g_set_error(error, NCAP_ERROR, errno == ENOSPC ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
              "upload record of job %s: %s", r->job_id, g_strerror(errno));
  return FALSE;
}

/* ---- checks ------------------------------------------------------------- */

gboolean
ncap_uploader_check(const NcapS3Settings *settings, const char *destination,
                    uid_t trusted_uid, gid_t reader_gid, GError **error)
{
  NcapS3Dest dest;
  if (!ncap_s3_dest_parse(destination, &dest, error))
    return FALSE;
  ncap_s3_dest_clear(&dest);
  if (!settings->credentials) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "uploads are not configured on this node (nodecap.conf [upload] credentials)");
    return FALSE;
  }
  g_autoptr(NcapS3Credentials) c =
      ncap_s3_credentials_load(settings->credentials, trusted_uid, reader_gid, error);
  return c != NULL;
}

/* ---- isolation ---------------------------------------------------------- */

static gboolean
isolate_fail(GError **error, const char *what)
{
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "uploader: %s: %s", what,
              g_strerror(errno));
  return FALSE;
}

gboolean
ncap_uploader_isolate(const int *keep, int n_keep, GError **error)
{
  /* stdio to /dev/null: nothing of the caller's terminal or SSH channel. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return isolate_fail(error, "/dev/null");
  for (int fd = 0; fd < 3; fd++)
    if (fd != null && dup2(null, fd) < 0)
      return isolate_fail(error, "dup2");
  /* Every other descriptor goes: whatever the parent had open (a capture
   * handle, the run lock, the audit log) is none of our business. */
  if (!ncap_fd_close_all_except(keep, n_keep))
    return isolate_fail(error, "close descriptors");
  /* No capability, now or ever: the helper's one drop, checked by it. */
  return ncap_privs_drop_caps(error);
}

/* ---- running ------------------------------------------------------------ */

typedef struct {
  const NcapUploaderConfig *cfg;
  NcapUploadRecord *rec;
  NcapUploadFile *cur;
} RunCtx;

static void
save_or_warn(RunCtx *ctx)
{
  g_autoptr(GError) err = NULL;
  if (!ncap_upload_record_save(ctx->rec, ctx->cfg->record_dirfd, &err))
    g_printerr("nodecap-helper: uploader: %s\n", err->message);
}

static void
on_retry(const char *reason, guint wait_ms, void *user)
{
  RunCtx *ctx = user;
  NcapUploadFile *f = ctx->cur;
  g_free(f->reason);
  f->reason = g_strdup_printf("retrying in %.1f s: %s", wait_ms / 1000.0, reason);
  f->attempts++;
  g_free(f->updated);
  f->updated = now_iso8601();
  save_or_warn(ctx);
}

static int
find_dir(const NcapUploaderConfig *cfg, const char *name)
{
  for (int i = 0; i < cfg->n_file_dirfds; i++) {
    struct stat st;
    if (fstatat(cfg->file_dirfds[i], name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      return cfg->file_dirfds[i];
  }
  return -1;
}

/* A name from the feed becomes a path component: only a plain file name. */
static bool
name_ok(const char *name)
{
  if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strlen(name) > 255)
    return false;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '_' || *p == '-'))
      return false;
  return true;
}

static void
upload_one(RunCtx *ctx, NcapS3Client *client, const NcapS3Dest *dest, NcapUploadFile *f,
           const char *expected_sha)
{
  const NcapUploaderConfig *cfg = ctx->cfg;
  ctx->cur = f;
  g_autoptr(GError) err = NULL;
  NcapS3Result res = { 0 };
  gboolean transient = FALSE;
  int dfd = find_dir(cfg, f->name);
  gboolean ok = FALSE;
  if (dfd < 0)
    g_set_error(&err, NCAP_ERROR, NCAP_ERROR_NOT_FOUND, "%s: no such file", f->name);
  else
    ok = ncap_s3_upload_file(client, dest, f->key, dfd, f->name, expected_sha, on_retry, ctx,
                             &res, &transient, &err);
  if (ok || res.sha256[0]) {
    g_free(f->sha256);
    f->sha256 = g_strdup(res.sha256);
    f->size = res.size;
  }
  f->attempts = dfd < 0 ? f->attempts : res.attempts;
  g_clear_pointer(&f->reason, g_free);
  g_free(f->updated);
  f->updated = now_iso8601();
  if (!ok) {
    f->state = NCAP_UPLOAD_FAILED;
    f->reason = g_strdup(err->message);
    /* The bucket is unreachable: the files after this one get one try
     * each, so the job's uploads end within a bounded time. */
    if (transient)
      ncap_s3_client_set_retry_seconds(client, 0);
    save_or_warn(ctx);
    return;
  }
  f->state = NCAP_UPLOAD_UPLOADED;
  f->etag = g_strdup(res.etag);
  f->parts = res.parts;
  /* Removed only now: size, ETag and sha256 of the object were confirmed
   * by ncap_s3_upload_file. Record first, so a crash between the two
   * leaves an uploaded file on disk rather than a lost one. */
  save_or_warn(ctx);
  if (cfg->delete_after) {
    for (int i = 0; i < cfg->n_file_dirfds; i++) {
      if (unlinkat(cfg->file_dirfds[i], f->name, 0) == 0) {
        f->deleted = true;
        break;
      }
    }
    save_or_warn(ctx);
  }
}

gboolean
ncap_uploader_run(const NcapUploaderConfig *cfg, int feed_fd, GError **error)
{
  NcapS3Dest dest;
  if (!ncap_s3_dest_parse(cfg->destination, &dest, error))
    return FALSE;
  g_autoptr(NcapUploadRecord) rec = NULL;
  g_autoptr(GError) lerr = NULL;
  rec = ncap_upload_record_load(cfg->record_dirfd, cfg->job_id, &lerr);
  if (!rec)
    rec = ncap_upload_record_new(cfg->job_id, cfg->destination, cfg->delete_after);
  RunCtx ctx = { .cfg = cfg, .rec = rec };

  g_autoptr(NcapS3Credentials) cred = NULL;
  g_autoptr(GError) cerr = NULL;
  if (cfg->settings.credentials)
    cred = ncap_s3_credentials_load(cfg->settings.credentials, cfg->trusted_uid,
                                    cfg->reader_gid, &cerr);
  else
    g_set_error(&cerr, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "uploads are not configured on this node (nodecap.conf [upload] credentials)");
  g_autoptr(NcapS3Client) client = cred ? ncap_s3_client_new(cred, &cfg->settings) : NULL;

  FILE *feed = fdopen(feed_fd, "r");
  if (!feed) {
    ncap_s3_dest_clear(&dest);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "uploader feed: %s", g_strerror(errno));
    return FALSE;
  }
  char line[1024];
  while (fgets(line, sizeof line, feed)) {
    g_strstrip(line);
    g_auto(GStrv) w = g_strsplit_set(line, " ", 3);
    guint64 seq = 0;
    if (!w[0] || !w[1] || !g_ascii_string_to_unsigned(w[0], 10, 0, G_MAXUINT, &seq, NULL) ||
        !name_ok(w[1]) || (w[2] && strlen(w[2]) != 64))
      continue; /* the feed comes from our own worker; ignore what is not ours */
    NcapUploadFile *f = ncap_upload_record_find(rec, w[1]);
    if (f && f->state == NCAP_UPLOAD_UPLOADED)
      continue; /* never twice */
    if (!f) {
      f = g_new0(NcapUploadFile, 1);
      f->name = g_strdup(w[1]);
      g_ptr_array_add(rec->files, f);
    }
    f->seq = (guint)seq;
    g_free(f->key);
    f->key = ncap_s3_object_key(&dest, cfg->job_id, cfg->node, (guint)seq);
    f->state = NCAP_UPLOAD_PENDING;
    g_clear_pointer(&f->reason, g_free);
    g_free(f->updated);
    f->updated = now_iso8601();
    save_or_warn(&ctx);
    if (!client) {
      f->state = NCAP_UPLOAD_FAILED;
      f->reason = g_strdup(cerr->message);
      save_or_warn(&ctx);
      continue;
    }
    upload_one(&ctx, client, &dest, f, w[2]);
  }
  fclose(feed);
  ncap_s3_dest_clear(&dest);
  return TRUE;
}

pid_t
ncap_uploader_spawn(const NcapUploaderConfig *cfg, int *feed_fd, GError **error)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "uploader: pipe: %s", g_strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "uploader: fork: %s", g_strerror(errno));
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    /* Child: nothing of the parent's signal handling; a stop of the job
     * must not cut an upload half way (the record says pending then). */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the worker blocks its stop signals */
    int keep[4];
    int n = 0;
    keep[n++] = p[0];
    keep[n++] = cfg->record_dirfd;
    for (int i = 0; i < cfg->n_file_dirfds && i < 2; i++)
      keep[n++] = cfg->file_dirfds[i];
    g_autoptr(GError) err = NULL;
    if (!ncap_uploader_isolate(keep, n, &err) || !ncap_uploader_run(cfg, p[0], &err))
      _exit(1);
    _exit(0);
  }
  close(p[0]);
  *feed_fd = p[1];
  return pid;
}

/* ---- saved jobs --------------------------------------------------------- */

#include <pwd.h>
#include "ring.h"

/* The group a credentials file may be readable by: the service account's
 * own group (nodecap), never the caller's. */
static gid_t
service_gid(void)
{
  struct passwd *pw = getpwuid(geteuid());
  return pw ? pw->pw_gid : (gid_t)-1;
}

static uid_t
trusted_uid(const NcapHelper *h)
{
  /* Unprivileged test runs may use a credentials file they own. */
  return h->secure ? (uid_t)-1 : h->caller_uid;
}

static gboolean
settings_from_helper(const NcapHelper *h, NcapS3Settings *s, GError **error)
{
  g_autofree char *conf = g_build_filename(h->sysconfdir, "nodecap.conf", NULL);
  ncap_s3_settings_init_default(s);
  return ncap_s3_settings_load(s, h->config, conf, error);
}

gboolean
ncap_job_uploads_check(NcapHelper *h, const char *destination, GError **error)
{
  NcapS3Settings s;
  if (!settings_from_helper(h, &s, error))
    return FALSE;
  gboolean ok = ncap_uploader_check(&s, destination, trusted_uid(h), service_gid(), error);
  ncap_s3_settings_clear(&s);
  return ok;
}

void
ncap_job_uploads_set_request(NcapJob *job, const char *destination, bool delete_after)
{
  if (!job->request || !JSON_NODE_HOLDS_OBJECT(job->request))
    return;
  JsonObject *o = json_node_get_object(job->request);
  json_object_set_string_member(o, "destination", destination);
  json_object_set_boolean_member(o, "upload_delete", delete_after);
}

static const char *
request_destination(const NcapJob *job, bool *delete_after)
{
  if (!job->request || !JSON_NODE_HOLDS_OBJECT(job->request))
    return NULL;
  JsonObject *o = json_node_get_object(job->request);
  if (delete_after)
    *delete_after = json_object_get_boolean_member_with_default(o, "upload_delete", FALSE);
  return obj_str(o, "destination");
}

static int
open_uploads_dir(const NcapHelper *h, gboolean create)
{
  g_autofree char *path = g_build_filename(h->statedir, "uploads", NULL);
  if (create && mkdir(path, 0700) != 0 && errno != EEXIST)
    return -1;
  return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

struct NcapJobUploads {
  int feed;
  bool delete_after;
  GHashTable *fed;   /* names already given to the uploader */
};

NcapJobUploads *
ncap_job_uploads_start(NcapHelper *h, const NcapJob *job, int spoolfd, int capturesfd,
                       GError **error)
{
  bool del = false;
  const char *dest = request_destination(job, &del);
  if (!dest)
    return NULL;
  NcapUploaderConfig cfg = { 0 };
  if (!settings_from_helper(h, &cfg.settings, error))
    return NULL;
  int recfd = open_uploads_dir(h, TRUE);
  if (recfd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s/uploads: %s", h->statedir,
                g_strerror(errno));
    ncap_s3_settings_clear(&cfg.settings);
    return NULL;
  }
  cfg.trusted_uid = trusted_uid(h);
  cfg.reader_gid = service_gid();
  cfg.destination = dest;
  cfg.job_id = job->id;
  cfg.node = job->node ? job->node : h->node;
  cfg.delete_after = del;
  cfg.file_dirfds[0] = spoolfd;
  cfg.file_dirfds[1] = capturesfd;
  cfg.n_file_dirfds = 2;
  cfg.record_dirfd = recfd;
  /* Announce nothing yet, but have a record at once: status shows the
   * destination from the first moment. */
  g_autoptr(NcapUploadRecord) rec = ncap_upload_record_new(job->id, dest, del);
  ncap_upload_record_save(rec, recfd, NULL);
  int feed = -1;
  pid_t pid = ncap_uploader_spawn(&cfg, &feed, error);
  close(recfd);
  ncap_s3_settings_clear(&cfg.settings);
  if (pid < 0)
    return NULL;
  NcapJobUploads *u = g_new0(NcapJobUploads, 1);
  u->feed = feed;
  u->delete_after = del;
  u->fed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return u;
}

/* The ring's sequence number is the last "_NNNNN" of the file name. */
static guint
seq_of(const char *name)
{
  const char *dot = g_strrstr(name, ".pcapng");
  const char *us = dot ? g_strrstr_len(name, dot - name, "_") : NULL;
  return us ? (guint)g_ascii_strtoull(us + 1, NULL, 10) : 0;
}

static void
feed_one(NcapJobUploads *u, const char *name, const char *sha256)
{
  if (u->feed < 0 || g_hash_table_contains(u->fed, name))
    return;
  g_autofree char *line = sha256 ? g_strdup_printf("%u %s %s\n", seq_of(name), name, sha256)
                                 : g_strdup_printf("%u %s\n", seq_of(name), name);
  gsize len = strlen(line), off = 0;
  while (off < len) {
    ssize_t n = write(u->feed, line + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      /* The uploader died: the record keeps what it knew; the files stay. */
      close(u->feed);
      u->feed = -1;
      return;
    }
    off += (gsize)n;
  }
  g_hash_table_add(u->fed, g_strdup(name));
}

void
ncap_job_uploads_feed_closed(NcapJobUploads *u, GPtrArray *ring_files)
{
  if (!u)
    return;
  for (guint i = 0; i < ring_files->len; i++) {
    NcapRingFile *rf = g_ptr_array_index(ring_files, i);
    if (rf->closed)
      feed_one(u, rf->name, rf->sha256);
  }
}

bool
ncap_job_uploads_may_have_removed(const NcapJobUploads *u, const char *name)
{
  return u && u->delete_after && g_hash_table_contains(u->fed, name);
}

void
ncap_job_uploads_finish(NcapJobUploads *u, GPtrArray *ring_files)
{
  if (!u)
    return;
  if (ring_files)
    ncap_job_uploads_feed_closed(u, ring_files);
  if (u->feed >= 0)
    close(u->feed);
  g_hash_table_unref(u->fed);
  g_free(u);
}

NcapUploadRecord *
ncap_job_uploads_load(NcapHelper *h, const NcapJob *job)
{
  if (!request_destination(job, NULL))
    return NULL;
  int fd = open_uploads_dir(h, FALSE);
  if (fd < 0)
    return NULL;
  NcapUploadRecord *r = ncap_upload_record_load(fd, job->id, NULL);
  close(fd);
  return r;
}

void
ncap_job_uploads_forget(NcapHelper *h, const char *job_id)
{
  int fd = open_uploads_dir(h, FALSE);
  if (fd < 0)
    return;
  g_autofree char *name = record_name(job_id);
  unlinkat(fd, name, 0);
  close(fd);
}
