/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Job records: JSON encoding, atomic save, id checks. See job.h. */
#include "job.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "ncap-error.h"

#define NCAP_JOB_RECORD_VERSION 1
/* A record is small; anything larger was not written by us. */
#define NCAP_JOB_MAX_RECORD (4u * 1024u * 1024u)

static const char *const status_names[] = {"pending", "running", "success",
                                           "failure"};

const char *
ncap_job_status_name(NcapJobStatus status)
{
  if ((unsigned)status < G_N_ELEMENTS(status_names))
    return status_names[status];
  return "unknown";
}

gboolean
ncap_job_status_from_name(const char *name, NcapJobStatus *out)
{
  for (unsigned i = 0; name && i < G_N_ELEMENTS(status_names); i++)
    if (strcmp(name, status_names[i]) == 0) {
      *out = (NcapJobStatus)i;
      return TRUE;
    }
  return FALSE;
}

gboolean
ncap_job_id_valid(const char *id, GError **error)
{
  gsize n = 0;
  if (id != NULL)
    for (; id[n] != '\0' && n <= NCAP_JOB_ID_LEN; n++)
      if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
        break;
  if (id != NULL && n == NCAP_JOB_ID_LEN && id[n] == '\0')
    return TRUE;
  /* Quote at most a short, printable piece of what was given: the id may be
   * hostile and the message ends up on a terminal and in the audit log. */
  g_autofree char *shown = g_strndup(id ? id : "", 40);
  for (char *p = shown; *p; p++)
    if (!g_ascii_isprint(*p))
      *p = '?';
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "\"%s\" is not a job id (32 lowercase hex digits)", shown);
  return FALSE;
}

char *
ncap_job_now_iso8601(void)
{
  gint64 us = g_get_real_time();
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autofree char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%06dZ", s, (int)(us % G_USEC_PER_SEC));
}

NcapJob *
ncap_job_new(const char *owner, const char *node)
{
  NcapJob *job = g_new0(NcapJob, 1);
  guint8 raw[NCAP_JOB_ID_LEN / 2];
  gsize got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    /* getrandom on Linux >= 3.17 does not fail for 16 bytes once the pool
     * is ready; it blocks until then. Anything else is a broken system. */
    g_assert(n > 0);
    got += (gsize)n;
  }
  for (gsize i = 0; i < sizeof raw; i++)
    snprintf(job->id + 2 * i, 3, "%02x", raw[i]);
  job->owner = g_strdup(owner);
  job->node = g_strdup(node);
  job->submitted = ncap_job_now_iso8601();
  job->status = NCAP_JOB_PENDING;
  job->files = g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_file_free);
  return job;
}

NcapJobFile *
ncap_job_file_new(const char *name)
{
  NcapJobFile *f = g_new0(NcapJobFile, 1);
  f->name = g_strdup(name);
  return f;
}

void
ncap_job_file_free(NcapJobFile *f)
{
  if (f == NULL)
    return;
  g_free(f->name);
  g_free(f->sha256);
  g_free(f);
}

void
ncap_job_free(NcapJob *job)
{
  if (job == NULL)
    return;
  g_free(job->owner);
  g_free(job->node);
  g_free(job->submitted);
  g_free(job->started);
  g_free(job->ended);
  if (job->request)
    json_node_unref(job->request);
  g_free(job->reason);
  if (job->files)
    g_ptr_array_unref(job->files);
  g_free(job);
}

void
ncap_job_finish(NcapJob *job, NcapJobStatus status, const char *reason)
{
  job->status = status;
  g_free(job->reason);
  job->reason = g_strdup(reason);
  g_free(job->ended);
  job->ended = ncap_job_now_iso8601();
  /* A wall clock stepped back during the job must not make it end before
   * it started (same fixed format: the strings compare as times). */
  if (job->started && strcmp(job->ended, job->started) < 0) {
    g_free(job->ended);
    job->ended = g_strdup(job->started);
  }
}

NcapJobFile *
ncap_job_find_file(const NcapJob *job, const char *name)
{
  for (guint i = 0; name && i < job->files->len; i++) {
    NcapJobFile *f = g_ptr_array_index(job->files, i);
    if (strcmp(f->name, name) == 0)
      return f;
  }
  return NULL;
}

JsonNode *
ncap_job_request_from_opts(const NcapCaptureOpts *opts)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
#define STR(key, val)                          \
  do {                                         \
    if ((val) != NULL) {                       \
      json_builder_set_member_name(b, key);    \
      json_builder_add_string_value(b, (val)); \
    }                                          \
  } while (0)
#define INT(key, val)                                \
  do {                                               \
    json_builder_set_member_name(b, key);            \
    json_builder_add_int_value(b, (gint64)(val));    \
  } while (0)
  STR("iface", opts->iface);
  STR("bpf", opts->bpf);
  g_autofree char *filter = ncap_capture_opts_filter(opts);
  STR("filter", filter);
  STR("src_host", opts->src_host);
  STR("dst_host", opts->dst_host);
  if (opts->src_port >= 0)
    INT("src_port", opts->src_port);
  if (opts->dst_port >= 0)
    INT("dst_port", opts->dst_port);
  if (opts->proto >= 0)
    INT("proto", opts->proto);
  STR("type", opts->type == NCAP_CAPTURE_SIMPLE ? "simple" : "full");
  INT("snaplen", opts->snaplen);
  INT("sample", opts->sample);
  STR("sample_by", opts->sample_by_hash ? "hash" : "count");
  INT("time_limit", opts->time_limit);
  INT("packet_limit", opts->packet_limit);
  INT("byte_limit", opts->byte_limit);
  INT("max_size_mb", opts->max_size_mb);
  INT("file_size_mb", opts->file_size_mb);
  json_builder_set_member_name(b, "delete_on_start");
  json_builder_add_boolean_value(b, opts->delete_on_start);
  /* The argv form too: what a client would send to repeat this request. */
  g_auto(GStrv) argv = ncap_capture_opts_to_argv(opts, true);
  json_builder_set_member_name(b, "argv");
  json_builder_begin_array(b);
  for (char **a = argv; a && *a; a++)
    json_builder_add_string_value(b, *a);
  json_builder_end_array(b);
#undef STR
#undef INT
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static void
add_str(JsonBuilder *b, const char *key, const char *val)
{
  json_builder_set_member_name(b, key);
  if (val)
    json_builder_add_string_value(b, val);
  else
    json_builder_add_null_value(b);
}

static void
add_u64(JsonBuilder *b, const char *key, guint64 val)
{
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, (gint64)val);
}

JsonNode *
ncap_job_to_json(const NcapJob *job)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_u64(b, "version", NCAP_JOB_RECORD_VERSION);
  add_str(b, "id", job->id);
  add_str(b, "owner", job->owner);
  add_str(b, "node", job->node);
  add_str(b, "submitted", job->submitted);
  add_str(b, "started", job->started);
  add_str(b, "ended", job->ended);
  json_builder_set_member_name(b, "request");
  if (job->request)
    json_builder_add_value(b, json_node_copy(job->request));
  else
    json_builder_add_null_value(b);
  add_str(b, "status", ncap_job_status_name(job->status));
  add_str(b, "reason", job->reason);
  add_u64(b, "packets", job->packets);
  add_u64(b, "bytes", job->bytes);
  add_u64(b, "kernel_drops", job->kernel_drops);
  add_u64(b, "discarded_packets", job->discarded_packets);
  add_u64(b, "discarded_bytes", job->discarded_bytes);
  add_u64(b, "discarded_files", job->discarded_files);
  add_u64(b, "worker_pid", (guint64)job->worker_pid);
  json_builder_set_member_name(b, "files");
  json_builder_begin_array(b);
  for (guint i = 0; i < job->files->len; i++) {
    NcapJobFile *f = g_ptr_array_index(job->files, i);
    json_builder_begin_object(b);
    add_str(b, "name", f->name);
    add_u64(b, "size", f->size);
    add_str(b, "sha256", f->sha256);
    add_u64(b, "first_seq", f->first_seq);
    add_u64(b, "packets", f->packets);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

char *
ncap_job_to_string(const NcapJob *job, bool pretty)
{
  g_autoptr(JsonNode) root = ncap_job_to_json(job);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, pretty);
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}

/* json-glib parses 1e999 as infinity but writes it back as "inf.0", which
 * it cannot parse: a record holding one would become unreadable the next
 * time it is saved. Found by tests/fuzz/fuzz-job.c. */
static gboolean
json_all_finite(JsonNode *n)
{
  if (JSON_NODE_HOLDS_OBJECT(n)) {
    g_autoptr(GList) members = json_object_get_values(json_node_get_object(n));
    for (GList *l = members; l; l = l->next)
      if (!json_all_finite(l->data))
        return FALSE;
  } else if (JSON_NODE_HOLDS_ARRAY(n)) {
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++)
      if (!json_all_finite(json_array_get_element(a, i)))
        return FALSE;
  } else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_DOUBLE) {
    return isfinite(json_node_get_double(n));
  }
  return TRUE;
}

/* Typed member access that reports what is wrong with the record. */
static gboolean
get_str(JsonObject *o, const char *key, bool nullable, char **out,
        GError **error)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n != NULL && JSON_NODE_HOLDS_NULL(n) && nullable) {
    *out = NULL;
    return TRUE;
  }
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) ||
      json_node_get_value_type(n) != G_TYPE_STRING) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "job record: \"%s\" missing or not a string", key);
    return FALSE;
  }
  *out = g_strdup(json_node_get_string(n));
  return TRUE;
}

static gboolean
get_u64(JsonObject *o, const char *key, guint64 *out, GError **error)
{
  JsonNode *n = json_object_get_member(o, key);
  if (n == NULL) { /* added later than version 1 records: 0 */
    *out = 0;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
      json_node_get_int(n) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "job record: \"%s\" is not a non-negative integer", key);
    return FALSE;
  }
  *out = (guint64)json_node_get_int(n);
  return TRUE;
}

NcapJob *
ncap_job_from_json(JsonNode *root, GError **error)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: not a JSON object");
    return NULL;
  }
  JsonObject *o = json_node_get_object(root);
  g_autoptr(NcapJob) job = g_new0(NcapJob, 1);
  job->files = g_ptr_array_new_with_free_func((GDestroyNotify)ncap_job_file_free);
  g_autofree char *id = NULL, *status = NULL;
  guint64 pid = 0;
  if (!get_str(o, "id", false, &id, error))
    return NULL;
  if (!ncap_job_id_valid(id, NULL)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: bad id");
    return NULL;
  }
  memcpy(job->id, id, NCAP_JOB_ID_LEN + 1);
  if (!get_str(o, "owner", true, &job->owner, error) ||
      !get_str(o, "node", true, &job->node, error) ||
      !get_str(o, "submitted", false, &job->submitted, error) ||
      !get_str(o, "started", true, &job->started, error) ||
      !get_str(o, "ended", true, &job->ended, error) ||
      !get_str(o, "status", false, &status, error) ||
      !get_str(o, "reason", true, &job->reason, error) ||
      !get_u64(o, "packets", &job->packets, error) ||
      !get_u64(o, "bytes", &job->bytes, error) ||
      !get_u64(o, "kernel_drops", &job->kernel_drops, error) ||
      !get_u64(o, "discarded_packets", &job->discarded_packets, error) ||
      !get_u64(o, "discarded_bytes", &job->discarded_bytes, error) ||
      !get_u64(o, "discarded_files", &job->discarded_files, error) ||
      !get_u64(o, "worker_pid", &pid, error))
    return NULL;
  if (!ncap_job_status_from_name(status, &job->status)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "job record: unknown status \"%s\"", status);
    return NULL;
  }
  if (pid > G_MAXINT32) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: bad worker_pid");
    return NULL;
  }
  job->worker_pid = (pid_t)pid;
  JsonNode *req = json_object_get_member(o, "request");
  if (req && JSON_NODE_HOLDS_OBJECT(req)) {
    if (!json_all_finite(req)) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: a number in \"request\" is out of range");
      return NULL;
    }
    job->request = json_node_copy(req);
  }
  JsonNode *files = json_object_get_member(o, "files");
  if (files == NULL || !JSON_NODE_HOLDS_ARRAY(files)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: \"files\" is not an array");
    return NULL;
  }
  JsonArray *arr = json_node_get_array(files);
  for (guint i = 0; i < json_array_get_length(arr); i++) {
    JsonNode *fn = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(fn)) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: a file entry is not an object");
      return NULL;
    }
    JsonObject *fo = json_node_get_object(fn);
    NcapJobFile *f = g_new0(NcapJobFile, 1);
    g_ptr_array_add(job->files, f);
    if (!get_str(fo, "name", false, &f->name, error) ||
        !get_u64(fo, "size", &f->size, error) ||
        !get_str(fo, "sha256", true, &f->sha256, error) ||
        !get_u64(fo, "first_seq", &f->first_seq, error) ||
        !get_u64(fo, "packets", &f->packets, error))
      return NULL;
    /* Names become openat() arguments later: a record naming a path is
     * not ours. */
    if (f->name[0] == '\0' || f->name[0] == '.' || strchr(f->name, '/')) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                  "job record: bad file name \"%s\"", f->name);
      return NULL;
    }
  }
  return g_steal_pointer(&job);
}

NcapJob *
ncap_job_from_data(const char *data, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_data(parser, data, (gssize)len, &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job record: %s", local->message);
    return NULL;
  }
  return ncap_job_from_json(json_parser_get_root(parser), error);
}

NcapJob *
ncap_job_load(int dirfd, const char *id, GError **error)
{
  if (!ncap_job_id_valid(id, error))
    return NULL;
  g_autofree char *name = g_strdup_printf("%s.json", id);
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, NCAP_ERROR, e == ENOENT ? NCAP_ERROR_NOT_FOUND : NCAP_ERROR_IO,
                "job %s: %s", id, e == ENOENT ? "no such job" : g_strerror(e));
    return NULL;
  }
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[8192];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job %s: read: %s", id, g_strerror(e));
      return NULL;
    }
    if (n == 0)
      break;
    g_byte_array_append(buf, chunk, (guint)n);
    if (buf->len > NCAP_JOB_MAX_RECORD) {
      close(fd);
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job %s: record too large", id);
      return NULL;
    }
  }
  close(fd);
  g_autoptr(GError) local = NULL;
  NcapJob *job = ncap_job_from_data((const char *)buf->data, buf->len, &local);
  if (job == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job %s: %s", id, local->message);
    return NULL;
  }
  if (strcmp(job->id, id) != 0) {
    ncap_job_free(job);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "job %s: record holds another id", id);
    return NULL;
  }
  return job;
}

gboolean
ncap_job_save(const NcapJob *job, int dirfd, GError **error)
{
  if (!ncap_job_id_valid(job->id, error))
    return FALSE;
  g_autofree char *data = ncap_job_to_string(job, true);
  g_autofree char *name = g_strdup_printf("%s.json", job->id);
  g_autofree char *tmp = g_strdup_printf(".%s.json.tmp", job->id);
  /* A stale temp file from a writer that died is ours to replace; unlink
   * first so O_EXCL never opens something planted there. */
  (void)unlinkat(dirfd, tmp, 0);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;
  gsize len = strlen(data);
  if (ncap_write_full(fd, data, len) != len || ncap_write_full(fd, "\n", 1) != 1 ||
      fsync(fd) != 0) {
    int e = errno;
    close(fd);
    unlinkat(dirfd, tmp, 0);
    errno = e;
    goto fail;
  }
  if (close(fd) != 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    errno = e;
    goto fail;
  }
  if (renameat(dirfd, tmp, dirfd, name) != 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    errno = e;
    goto fail;
  }
  /* The rename itself must survive a crash too. */
  if (fsync(dirfd) != 0)
    goto fail;
  return TRUE;
fail:;
  int e = errno;
  g_set_error(error, NCAP_ERROR,
              (e == ENOSPC || e == EDQUOT) ? NCAP_ERROR_DISK_FULL : NCAP_ERROR_IO,
              "job %s: saving the record: %s", job->id,
              (e == ENOSPC || e == EDQUOT) ? "disk full" : g_strerror(e));
  return FALSE;
}

static const char *
request_str(const NcapJob *job, const char *key)
{
  if (job->request == NULL || !JSON_NODE_HOLDS_OBJECT(job->request))
    return NULL;
  JsonObject *o = json_node_get_object(job->request);
  JsonNode *n = json_object_get_member(o, key);
  if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  return NULL;
}

char *
ncap_job_describe(const NcapJob *job)
{
  GString *s = g_string_new(NULL);
  const char *iface = request_str(job, "iface");
  const char *filter = request_str(job, "filter");
  g_string_append_printf(s, "job:          %s\n", job->id);
  if (job->reason)
    g_string_append_printf(s, "status:       %s: %s\n",
                           ncap_job_status_name(job->status), job->reason);
  else
    g_string_append_printf(s, "status:       %s\n", ncap_job_status_name(job->status));
  g_string_append_printf(s, "owner:        %s\n", job->owner ? job->owner : "-");
  g_string_append_printf(s, "node:         %s\n", job->node ? job->node : "-");
  g_string_append_printf(s, "interface:    %s\n", iface ? iface : "-");
  g_string_append_printf(s, "filter:       %s\n", filter && *filter ? filter : "-");
  g_string_append_printf(s, "submitted:    %s\n", job->submitted);
  g_string_append_printf(s, "started:      %s\n", job->started ? job->started : "-");
  g_string_append_printf(s, "ended:        %s\n", job->ended ? job->ended : "-");
  g_string_append_printf(s, "packets:      %" G_GUINT64_FORMAT "\n", job->packets);
  g_string_append_printf(s, "bytes:        %" G_GUINT64_FORMAT "\n", job->bytes);
  g_string_append_printf(s, "kernel drops: %" G_GUINT64_FORMAT "\n", job->kernel_drops);
  if (job->discarded_files)
    g_string_append_printf(s, "overwritten:  %" G_GUINT64_FORMAT " packets in %"
                           G_GUINT64_FORMAT " oldest files (ring full)\n",
                           job->discarded_packets, job->discarded_files);
  g_string_append_printf(s, "files:        %u\n", job->files->len);
  for (guint i = 0; i < job->files->len; i++) {
    NcapJobFile *f = g_ptr_array_index(job->files, i);
    g_string_append_printf(s, "  %s  %" G_GUINT64_FORMAT " bytes  %" G_GUINT64_FORMAT
                           " packets  sha256 %s\n", f->name, f->size, f->packets,
                           f->sha256 ? f->sha256 : "-");
  }
  return g_string_free(s, FALSE);
}

const char *
ncap_job_table_header(void)
{
  return "ID                                STATUS   STARTED              "
         "PACKETS    FILES  REASON";
}

char *
ncap_job_table_row(const NcapJob *job)
{
  /* Seconds are enough in a table; the record keeps microseconds. */
  const char *t = job->started ? job->started : job->submitted;
  g_autofree char *when = g_strndup(t, 19);
  return g_strdup_printf("%s  %-7s  %-19s  %-9" G_GUINT64_FORMAT "  %-5u  %s",
                         job->id, ncap_job_status_name(job->status), when,
                         job->packets, job->files->len,
                         job->reason ? job->reason : "");
}

void
ncap_job_print(const NcapJob *job, bool json)
{
  g_autofree char *text = json ? ncap_job_to_string(job, true) : ncap_job_describe(job);
  fputs(text, stdout);
  if (json)
    fputc('\n', stdout);
  fflush(stdout);
}
