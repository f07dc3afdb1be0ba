/* SPDX-License-Identifier: GPL-2.0-or-later */
/* S3 delivery of capture files: destination, settings, credentials and
 * libcurl-signed uploads. See s3.h for the contract. */
#include "s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ncap-error.h"

/* ---- destination -------------------------------------------------------- */

void
ncap_s3_dest_clear(NcapS3Dest *dest)
{
  g_clear_pointer(&dest->bucket, g_free);
  g_clear_pointer(&dest->prefix, g_free);
}

static gboolean
bucket_invalid(GError **error, const char *name, const char *why)
{
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "bucket \"%s\": %s", name, why);
  return FALSE;
}

static bool
looks_like_ipv4(const char *s)
{
  int parts = 0;
  const char *p = s;
  while (*p) {
    int digits = 0;
    while (g_ascii_isdigit(*p)) {
      p++;
      digits++;
    }
    if (digits == 0 || digits > 3)
      return false;
    parts++;
    if (*p == '.')
      p++;
    else if (*p)
      return false;
  }
  return parts == 4;
}

gboolean
ncap_s3_bucket_valid(const char *name, GError **error)
{
  static const char *const bad_prefix[] = { "xn--", "sthree-", "amzn-s3-demo-" };
  static const char *const bad_suffix[] = { "-s3alias", "--ol-s3", ".mrap", "--x-s3" };
  gsize len = strlen(name);
  if (len < 3 || len > 63)
    return bucket_invalid(error, name, "must be 3 to 63 characters long");
  for (const char *p = name; *p; p++) {
    if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '.' || *p == '-'))
      return bucket_invalid(error, name,
                            "may contain only lowercase letters, digits, '.' and '-'");
  }
  if (!g_ascii_isalnum(name[0]) || !g_ascii_isalnum(name[len - 1]))
    return bucket_invalid(error, name, "must begin and end with a letter or digit");
  if (strstr(name, ".."))
    return bucket_invalid(error, name, "must not contain \"..\"");
  if (looks_like_ipv4(name))
    return bucket_invalid(error, name, "must not be an IP address");
  for (gsize i = 0; i < G_N_ELEMENTS(bad_prefix); i++)
    if (g_str_has_prefix(name, bad_prefix[i]))
      return bucket_invalid(error, name, "uses a prefix reserved by AWS");
  for (gsize i = 0; i < G_N_ELEMENTS(bad_suffix); i++)
    if (g_str_has_suffix(name, bad_suffix[i]))
      return bucket_invalid(error, name, "uses a suffix reserved by AWS");
  return TRUE;
}

/* The prefix becomes part of every key and of the signed URL path: keep it
 * to characters that need no escaping so what we sign is what we send. */
static gboolean
prefix_valid(const char *prefix, GError **error)
{
  if (strlen(prefix) > 512) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "destination prefix longer than 512 characters");
    return FALSE;
  }
  g_auto(GStrv) segs = g_strsplit(prefix, "/", -1);
  for (char **s = segs; *s; s++) {
    if (**s == '\0' || strcmp(*s, ".") == 0 || strcmp(*s, "..") == 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "destination prefix \"%s\": empty, \".\" or \"..\" segment", prefix);
      return FALSE;
    }
    for (const char *p = *s; *p; p++) {
      if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '_' || *p == '-')) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                    "destination prefix \"%s\": only letters, digits, '.', '_', '-' "
                    "and '/' are allowed", prefix);
        return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean
ncap_s3_dest_parse(const char *uri, NcapS3Dest *out, GError **error)
{
  memset(out, 0, sizeof *out);
  const char *colon = strstr(uri, "://");
  if (!colon) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "destination \"%s\": expected s3://BUCKET/PREFIX", uri);
    return FALSE;
  }
  if ((gsize)(colon - uri) != 2 || g_ascii_strncasecmp(uri, "s3", 2) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "destination \"%s\": unknown scheme \"%.*s\" (only s3:// is supported)",
                uri, (int)(colon - uri), uri);
    return FALSE;
  }
  const char *rest = colon + 3;
  const char *slash = strchr(rest, '/');
  g_autofree char *bucket = slash ? g_strndup(rest, slash - rest) : g_strdup(rest);
  if (!ncap_s3_bucket_valid(bucket, error))
    return FALSE;
  g_autofree char *prefix = g_strdup(slash ? slash + 1 : "");
  /* One trailing '/' is what people type ("s3://b/captures/"). */
  gsize plen = strlen(prefix);
  if (plen > 0 && prefix[plen - 1] == '/')
    prefix[plen - 1] = '\0';
  if (*prefix && !prefix_valid(prefix, error))
    return FALSE;
  out->bucket = g_steal_pointer(&bucket);
  out->prefix = g_steal_pointer(&prefix);
  return TRUE;
}

char *
ncap_s3_dest_to_string(const NcapS3Dest *dest)
{
  return *dest->prefix ? g_strdup_printf("s3://%s/%s", dest->bucket, dest->prefix)
                       : g_strdup_printf("s3://%s", dest->bucket);
}

char *
ncap_s3_object_key(const NcapS3Dest *dest, const char *job_id, const char *node,
                   guint seq)
{
  g_autofree char *safe = g_strdup(node && *node ? node : "node");
  for (char *p = safe; *p; p++)
    if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
      *p = '_';
  return g_strdup_printf("%s%spcap_%s_%s_%05u.pcapng", dest->prefix,
                         *dest->prefix ? "/" : "", job_id, safe, seq);
}

/* ---- settings ----------------------------------------------------------- */

void
ncap_s3_settings_init_default(NcapS3Settings *s)
{
  memset(s, 0, sizeof *s);
  s->multipart_threshold = NCAP_S3_DEFAULT_MULTIPART_THRESHOLD;
  s->part_size = NCAP_S3_DEFAULT_PART_SIZE;
  s->retry_seconds = NCAP_S3_DEFAULT_RETRY_SECONDS;
  s->retry_initial_ms = NCAP_S3_DEFAULT_RETRY_INITIAL_MS;
  s->retry_max_ms = NCAP_S3_DEFAULT_RETRY_MAX_MS;
  s->timeout = NCAP_S3_DEFAULT_TIMEOUT;
}

void
ncap_s3_settings_clear(NcapS3Settings *s)
{
  g_clear_pointer(&s->credentials, g_free);
}

static gboolean
parse_size(const char *text, guint64 *out)
{
  char *end = NULL;
  g_autofree char *t = g_strstrip(g_strdup(text));
  if (!g_ascii_isdigit(t[0]))
    return FALSE;
  errno = 0;
  guint64 v = g_ascii_strtoull(t, &end, 10);
  if (errno)
    return FALSE;
  guint64 mult = 1;
  switch (g_ascii_toupper(*end)) {
  case '\0': break;
  case 'K': mult = 1024; end++; break;
  case 'M': mult = 1024 * 1024; end++; break;
  case 'G': mult = 1024 * 1024 * 1024; end++; break;
  default: return FALSE;
  }
  if (*end || v == 0 || v > G_MAXUINT64 / mult)
    return FALSE;
  *out = v * mult;
  return TRUE;
}

gboolean
ncap_s3_settings_load(NcapS3Settings *s, GKeyFile *conf, const char *conf_path,
                      GError **error)
{
  static const char *const group = "upload";
  if (!conf || !g_key_file_has_group(conf, group))
    return TRUE;
  g_auto(GStrv) keys = g_key_file_get_keys(conf, group, NULL, NULL);
  for (char **k = keys; k && *k; k++) {
    g_autofree char *v = g_key_file_get_value(conf, group, *k, NULL);
    guint64 n = 0;
    gboolean ok = TRUE;
    if (strcmp(*k, "credentials") == 0) {
      g_free(s->credentials);
      s->credentials = g_strstrip(g_strdup(v));
      ok = g_path_is_absolute(s->credentials);
    } else if (strcmp(*k, "multipart_threshold") == 0) {
      ok = parse_size(v, &s->multipart_threshold);
    } else if (strcmp(*k, "part_size") == 0) {
      ok = parse_size(v, &s->part_size);
    } else if (strcmp(*k, "retry_seconds") == 0 || strcmp(*k, "retry_initial_ms") == 0 ||
               strcmp(*k, "retry_max_ms") == 0 || strcmp(*k, "timeout") == 0) {
      g_autofree char *t = g_strstrip(g_strdup(v));
      /* Plain numbers; 0 is allowed (retry_seconds = 0: one attempt). */
      ok = g_ascii_string_to_unsigned(t, 10, 0, 24 * 3600 * 1000u, &n, NULL) &&
           (n > 0 || strcmp(*k, "timeout") != 0);
      guint *dst = strcmp(*k, "retry_seconds") == 0      ? &s->retry_seconds
                   : strcmp(*k, "retry_initial_ms") == 0 ? &s->retry_initial_ms
                   : strcmp(*k, "retry_max_ms") == 0     ? &s->retry_max_ms
                                                         : &s->timeout;
      if (ok)
        *dst = (guint)n;
    } else {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                  "%s: [upload] unknown key \"%s\"", conf_path, *k);
      return FALSE;
    }
    if (!ok) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                  "%s: [upload] %s = \"%s\": not a valid value", conf_path, *k, v);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- credentials -------------------------------------------------------- */

void
ncap_s3_credentials_free(NcapS3Credentials *cred)
{
  if (!cred)
    return;
  g_free(cred->endpoint);
  g_free(cred->region);
  g_free(cred->access_key);
  if (cred->secret_key) {
    explicit_bzero(cred->secret_key, strlen(cred->secret_key));
    g_free(cred->secret_key);
  }
  g_free(cred);
}

static char *
cred_string(GKeyFile *kf, const char *name, const char *key, GError **error)
{
  g_autofree char *v = g_key_file_get_string(kf, "s3", key, NULL);
  if (v)
    g_strstrip(v);
  if (!v || !*v) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: [s3] %s is missing",
                name, key);
    return NULL;
  }
  /* A key with a newline or ':' would break the header libcurl builds. */
  if (strpbrk(v, "\r\n") || (strcmp(key, "access_key") == 0 && strchr(v, ':'))) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: [s3] %s: bad characters",
                name, key);
    return NULL;
  }
  return g_steal_pointer(&v);
}

NcapS3Credentials *
ncap_s3_credentials_from_data(const char *data, const char *name, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", name, local->message);
    return NULL;
  }
  static const char *const known[] = { "endpoint", "region", "access_key",
                                       "secret_key", "path_style", NULL };
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    if (strcmp(*g, "s3") != 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: unknown group [%s]",
                  name, *g);
      return NULL;
    }
  }
  g_auto(GStrv) keys = g_key_file_get_keys(kf, "s3", NULL, NULL);
  if (!keys) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: no [s3] group", name);
    return NULL;
  }
  for (char **k = keys; *k; k++) {
    if (!g_strv_contains(known, *k)) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: [s3] unknown key \"%s\"",
                  name, *k);
      return NULL;
    }
  }
  g_autoptr(NcapS3Credentials) c = g_new0(NcapS3Credentials, 1);
  if (!(c->endpoint = cred_string(kf, name, "endpoint", error)) ||
      !(c->region = cred_string(kf, name, "region", error)) ||
      !(c->access_key = cred_string(kf, name, "access_key", error)) ||
      !(c->secret_key = cred_string(kf, name, "secret_key", error)))
    return NULL;
  /* The endpoint is a scheme and an authority, nothing else: the bucket
   * and key are ours to add. */
  g_autoptr(GUri) uri = g_uri_parse(c->endpoint, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;
  const char *path = uri ? g_uri_get_path(uri) : NULL;
  if (!uri || !scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
      !g_uri_get_host(uri) || (path && *path && strcmp(path, "/") != 0) ||
      g_uri_get_query(uri) || g_uri_get_userinfo(uri)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "%s: [s3] endpoint \"%s\": expected http(s)://HOST[:PORT]", name,
                c->endpoint);
    return NULL;
  }
  gsize el = strlen(c->endpoint);
  if (c->endpoint[el - 1] == '/')
    c->endpoint[el - 1] = '\0';
  for (const char *p = c->region; *p; p++) {
    if (!(g_ascii_isalnum(*p) || *p == '-')) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: [s3] region \"%s\": bad characters",
                  name, c->region);
      return NULL;
    }
  }
  if (g_key_file_has_key(kf, "s3", "path_style", NULL)) {
    g_autoptr(GError) berr = NULL;
    c->path_style = g_key_file_get_boolean(kf, "s3", "path_style", &berr);
    if (berr) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                  "%s: [s3] path_style: expected true or false", name);
      return NULL;
    }
  }
  return g_steal_pointer(&c);
}

NcapS3Credentials *
ncap_s3_credentials_load(const char *path, uid_t trusted_uid, gid_t reader_gid,
                         GError **error)
{
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "credentials file %s: %s", path,
                errno == ELOOP ? "refused: is a symbolic link"
                : errno == ENOENT ? "no such file"
                                  : g_strerror(errno));
    return NULL;
  }
  struct stat st;
  const char *refused = NULL;
  if (fstat(fd, &st) != 0)
    refused = g_strerror(errno);
  else if (!S_ISREG(st.st_mode))
    refused = "refused: not a regular file";
  else if (st.st_uid != 0 && st.st_uid != trusted_uid)
    refused = "refused: must be owned by root";
  else if (st.st_mode & (S_IWGRP | S_IWOTH))
    refused = "refused: writable by group or others";
  else if (st.st_mode & S_IROTH)
    refused = "refused: readable by others (it holds a secret key)";
  else if ((st.st_mode & S_IRGRP) && (reader_gid == (gid_t)-1 || st.st_gid != reader_gid))
    refused = "refused: readable by a group other than the service group";
  if (refused) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "credentials file %s: %s", path,
                refused);
    close(fd);
    return NULL;
  }
  GString *text = g_string_new(NULL);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && text->len < 64 * 1024)
      g_string_append_len(text, buf, n);
  int e = errno;
  close(fd);
  if (n < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "credentials file %s: %s", path,
                g_strerror(e));
    g_string_free(text, TRUE);
    return NULL;
  }
  NcapS3Credentials *c = ncap_s3_credentials_from_data(text->str, path, error);
  explicit_bzero(text->str, text->len);
  g_string_free(text, TRUE);
  return c;
}

/* ---- client ------------------------------------------------------------- */

struct NcapS3Client {
  NcapS3Credentials cred;
  NcapS3Settings settings;
  char *sigv4;     /* "aws:amz:REGION:s3" */
  char *userpwd;   /* "ACCESS:SECRET" */
  CURL *curl;
};

NcapS3Client *
ncap_s3_client_new(const NcapS3Credentials *cred, const NcapS3Settings *settings)
{
  static gsize curl_ready = 0;
  if (g_once_init_enter(&curl_ready)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&curl_ready, 1);
  }
  NcapS3Client *c = g_new0(NcapS3Client, 1);
  c->cred.endpoint = g_strdup(cred->endpoint);
  c->cred.region = g_strdup(cred->region);
  c->cred.access_key = g_strdup(cred->access_key);
  c->cred.secret_key = g_strdup(cred->secret_key);
  c->cred.path_style = cred->path_style;
  c->settings = *settings;
  c->settings.credentials = g_strdup(settings->credentials);
  if (c->settings.part_size == 0)
    c->settings.part_size = NCAP_S3_DEFAULT_PART_SIZE;
  c->sigv4 = g_strdup_printf("aws:amz:%s:s3", cred->region);
  c->userpwd = g_strdup_printf("%s:%s", cred->access_key, cred->secret_key);
  return c;
}

void
ncap_s3_client_free(NcapS3Client *c)
{
  if (!c)
    return;
  if (c->curl)
    curl_easy_cleanup(c->curl);
  g_free(c->cred.endpoint);
  g_free(c->cred.region);
  g_free(c->cred.access_key);
  explicit_bzero(c->cred.secret_key, strlen(c->cred.secret_key));
  g_free(c->cred.secret_key);
  explicit_bzero(c->userpwd, strlen(c->userpwd));
  g_free(c->userpwd);
  g_free(c->sigv4);
  ncap_s3_settings_clear(&c->settings);
  g_free(c);
}

void
ncap_s3_client_set_retry_seconds(NcapS3Client *c, guint seconds)
{
  c->settings.retry_seconds = seconds;
}

char *
ncap_s3_object_url(const NcapS3Client *c, const char *bucket, const char *key)
{
  /* Keys are made of unreserved characters and '/' (s3.h), so the path we
   * sign is the path we send with no escaping at all. */
  g_autofree char *ekey = g_uri_escape_string(key, "/", FALSE);
  if (c->cred.path_style)
    return g_strdup_printf("%s/%s/%s", c->cred.endpoint, bucket, ekey);
  const char *sep = strstr(c->cred.endpoint, "://");
  return g_strdup_printf("%.*s://%s.%s/%s", (int)(sep - c->cred.endpoint),
                         c->cred.endpoint, bucket, sep + 3, ekey);
}

/* ---- one request -------------------------------------------------------- */

typedef struct {
  long status;
  GString *body;        /* capped */
  char *etag;           /* quotes removed */
  char *meta_sha256;
  gint64 length;        /* Content-Length of a HEAD, -1 if absent */
} S3Resp;

static void
resp_clear(S3Resp *r)
{
  if (r->body)
    g_string_free(r->body, TRUE);
  g_free(r->etag);
  g_free(r->meta_sha256);
  memset(r, 0, sizeof *r);
}

typedef struct {
  int fd;
  guint64 off, left;
  const guint8 *mem;
  gsize mem_len, mem_pos;
} S3Body;

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *user)
{
  S3Body *b = user;
  size_t want = size * nitems;
  if (b->mem) {
    size_t n = MIN(want, b->mem_len - b->mem_pos);
    memcpy(buf, b->mem + b->mem_pos, n);
    b->mem_pos += n;
    return n;
  }
  if (b->left == 0)
    return 0;
  if (want > b->left)
    want = (size_t)b->left;
  ssize_t n;
  do
    n = pread(b->fd, buf, want, (off_t)b->off);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return CURL_READFUNC_ABORT; /* the file shrank: never send a short body */
  b->off += (guint64)n;
  b->left -= (guint64)n;
  return (size_t)n;
}

/* libcurl rewinds when it must resend (a redirect, 100-continue refused). */
static int
seek_cb(void *user, curl_off_t offset, int origin)
{
  S3Body *b = user;
  (void)origin; /* always SEEK_SET from libcurl */
  if (b->mem) {
    if ((gsize)offset > b->mem_len)
      return CURL_SEEKFUNC_FAIL;
    b->mem_pos = (gsize)offset;
    return CURL_SEEKFUNC_OK;
  }
  return CURL_SEEKFUNC_CANTSEEK; /* file ranges are only sent once */
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *user)
{
  GString *body = user;
  size_t n = size * nmemb;
  if (body->len < 64 * 1024)
    g_string_append_len(body, data, MIN(n, 64 * 1024 - body->len));
  return n;
}

static size_t
header_cb(char *data, size_t size, size_t nitems, void *user)
{
  S3Resp *r = user;
  size_t n = size * nitems;
  g_autofree char *line = g_strndup(data, n);
  g_strstrip(line);
  char *colon = strchr(line, ':');
  if (g_str_has_prefix(line, "HTTP/")) {
    /* A new response (after 100 Continue): forget the last one's headers. */
    g_clear_pointer(&r->etag, g_free);
    g_clear_pointer(&r->meta_sha256, g_free);
    r->length = -1;
  }
  if (!colon)
    return n;
  *colon = '\0';
  char *value = g_strstrip(colon + 1);
  if (g_ascii_strcasecmp(line, "ETag") == 0) {
    g_free(r->etag);
    GString *e = g_string_new(NULL);
    for (const char *p = value; *p; p++)
      if (*p != '"')
        g_string_append_c(e, *p);
    r->etag = g_string_free(e, FALSE);
  } else if (g_ascii_strcasecmp(line, "x-amz-meta-sha256") == 0) {
    g_free(r->meta_sha256);
    r->meta_sha256 = g_ascii_strdown(value, -1);
  } else if (g_ascii_strcasecmp(line, "Content-Length") == 0) {
    r->length = g_ascii_strtoll(value, NULL, 10);
  }
  return n;
}

/* Text of an XML element in an S3 reply (<Code>, <UploadId>): the replies
 * are small and flat, and we only need a token. Transfer full. */
static char *
xml_element(const char *xml, const char *name)
{
  g_autofree char *open = g_strdup_printf("<%s>", name);
  g_autofree char *close = g_strdup_printf("</%s>", name);
  const char *a = xml ? strstr(xml, open) : NULL;
  if (!a)
    return NULL;
  a += strlen(open);
  const char *b = strstr(a, close);
  if (!b)
    return NULL;
  return g_strndup(a, b - a);
}

static bool
status_transient(long status, const char *code)
{
  return status == 408 || status == 429 || status >= 500 ||
         (code && (strcmp(code, "RequestTimeout") == 0 ||
                   strcmp(code, "SlowDown") == 0 ||
                   strcmp(code, "InternalError") == 0));
}

static bool
curl_transient(CURLcode rc)
{
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

/* One signed request. body: a file range (fd >= 0) or memory (mem). The
 * payload's sha256 goes in x-amz-content-sha256, which libcurl's SigV4
 * signs as the payload hash, and md5 (base64, may be NULL) in Content-MD5.
 * On any failure other than an HTTP status in ok_404 mode, error holds the
 * reason and *transient says whether to retry. */
static gboolean
s3_request(NcapS3Client *c, const char *method, const char *bucket, const char *key,
           const char *query, S3Body *body, guint64 body_len, const char *sha256_hex,
           const char *md5_b64, const char *const *extra, S3Resp *resp,
           gboolean *transient, GError **error)
{
  if (!c->curl && !(c->curl = curl_easy_init())) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_FAILED, "curl_easy_init failed");
    *transient = FALSE;
    return FALSE;
  }
  CURL *h = c->curl;
  curl_easy_reset(h);
  g_autofree char *base = ncap_s3_object_url(c, bucket, key);
  g_autofree char *url = query ? g_strdup_printf("%s?%s", base, query) : g_strdup(base);
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdrs = NULL;
  g_autofree char *h_sha = g_strdup_printf("x-amz-content-sha256: %s", sha256_hex);
  g_autofree char *h_md5 = md5_b64 ? g_strdup_printf("Content-MD5: %s", md5_b64) : NULL;
  hdrs = curl_slist_append(hdrs, h_sha);
  if (h_md5)
    hdrs = curl_slist_append(hdrs, h_md5);
  for (const char *const *e = extra; e && *e; e++)
    hdrs = curl_slist_append(hdrs, *e);

  resp->status = 0;
  resp->length = -1;
  if (!resp->body)
    resp->body = g_string_new(NULL);
  g_string_truncate(resp->body, 0);

  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
  curl_easy_setopt(h, CURLOPT_USERPWD, c->userpwd);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->settings.timeout);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)c->settings.timeout);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, resp->body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
  if (strcmp(method, "PUT") == 0) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, body);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, body);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
  } else if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body->mem : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body->mem_len : 0));
  } else if (strcmp(method, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  }

  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(hdrs);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
  if (rc != CURLE_OK) {
    *transient = curl_transient(rc);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s %s: %s", method, base,
                *errbuf ? errbuf : curl_easy_strerror(rc));
    return FALSE;
  }
  if (resp->status >= 300) {
    g_autofree char *code = xml_element(resp->body->str, "Code");
    g_autofree char *msg = xml_element(resp->body->str, "Message");
    *transient = status_transient(resp->status, code);
    g_set_error(error, NCAP_ERROR, resp->status == 403 ? NCAP_ERROR_PERMISSION : NCAP_ERROR_IO,
                "%s %s: HTTP %ld%s%s%s%s", method, base, resp->status,
                code ? " " : "", code ? code : "", msg ? ": " : "", msg ? msg : "");
    return FALSE;
  }
  /* CompleteMultipartUpload may answer 200 and put the error in the body. */
  if (strcmp(method, "POST") == 0 && strstr(resp->body->str, "<Error>")) {
    g_autofree char *code = xml_element(resp->body->str, "Code");
    *transient = status_transient(500, code);
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "%s %s: %s", method, base,
                code ? code : "error in reply");
    return FALSE;
  }
  return TRUE;
}

/* ---- hashing ------------------------------------------------------------ */

typedef struct {
  char sha256[65];
  char md5_hex[33];
  char md5_b64[25];
  guint8 md5_bin[16];
} S3Sums;

static gboolean
hash_range(int fd, guint64 off, guint64 len, S3Sums *out, GError **error)
{
  g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
  g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
  g_autofree guint8 *buf = g_malloc(256 * 1024);
  while (len > 0) {
    size_t want = (size_t)MIN(len, (guint64)256 * 1024);
    ssize_t n = pread(fd, buf, want, (off_t)off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "read: %s",
                  n < 0 ? g_strerror(errno) : "file shrank while being read");
      return FALSE;
    }
    g_checksum_update(sha, buf, n);
    g_checksum_update(md5, buf, n);
    off += (guint64)n;
    len -= (guint64)n;
  }
  g_strlcpy(out->sha256, g_checksum_get_string(sha), sizeof out->sha256);
  g_strlcpy(out->md5_hex, g_checksum_get_string(md5), sizeof out->md5_hex);
  gsize dl = sizeof out->md5_bin;
  g_checksum_get_digest(md5, out->md5_bin, &dl);
  g_autofree char *b64 = g_base64_encode(out->md5_bin, 16);
  g_strlcpy(out->md5_b64, b64, sizeof out->md5_b64);
  return TRUE;
}

static void
hash_mem(const char *data, gsize len, S3Sums *out)
{
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
  g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
  g_checksum_update(md5, (const guchar *)data, len);
  g_strlcpy(out->sha256, sha, sizeof out->sha256);
  g_strlcpy(out->md5_hex, g_checksum_get_string(md5), sizeof out->md5_hex);
  gsize dl = sizeof out->md5_bin;
  g_checksum_get_digest(md5, out->md5_bin, &dl);
  g_autofree char *b64 = g_base64_encode(out->md5_bin, 16);
  g_strlcpy(out->md5_b64, b64, sizeof out->md5_b64);
}

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

char *
ncap_s3_multipart_etag(const GByteArray *part_md5s, guint parts)
{
  g_autofree char *md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, part_md5s->data,
                                                      part_md5s->len);
  return g_strdup_printf("%s-%u", md5, parts);
}

/* ---- one attempt -------------------------------------------------------- */

/* HEAD the object: TRUE and the response when it exists; FALSE with
 * *missing when it does not; FALSE with error on a failure. */
static gboolean
s3_head(NcapS3Client *c, const NcapS3Dest *dest, const char *key, S3Resp *resp,
        gboolean *missing, gboolean *transient, GError **error)
{
  g_autoptr(GError) local = NULL;
  *missing = FALSE;
  if (s3_request(c, "HEAD", dest->bucket, key, NULL, NULL, 0, EMPTY_SHA256, NULL, NULL,
                 resp, transient, &local))
    return TRUE;
  if (resp->status == 404) {
    *missing = TRUE;
    return FALSE;
  }
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

static gboolean
put_single(NcapS3Client *c, const NcapS3Dest *dest, const char *key, int fd,
           guint64 size, const S3Sums *sums, const char *meta, S3Resp *resp,
           gboolean *transient, GError **error)
{
  S3Body body = { .fd = fd, .off = 0, .left = size };
  const char *extra[] = { meta, "Content-Type: application/octet-stream", NULL };
  if (!s3_request(c, "PUT", dest->bucket, key, NULL, &body, size, sums->sha256,
                  sums->md5_b64, extra, resp, transient, error))
    return FALSE;
  if (resp->etag && g_ascii_strcasecmp(resp->etag, sums->md5_hex) != 0) {
    /* The server stored something else than we sent: retry. */
    *transient = TRUE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "PUT %s: ETag %s does not match the file's MD5 %s", key, resp->etag,
                sums->md5_hex);
    return FALSE;
  }
  return TRUE;
}

static void
abort_multipart(NcapS3Client *c, const NcapS3Dest *dest, const char *key,
                const char *upload_id)
{
  S3Resp resp = { 0 };
  gboolean tr;
  g_autofree char *q = g_strdup_printf("uploadId=%s", upload_id);
  /* Best effort: a left-over upload costs storage, not correctness. */
  s3_request(c, "DELETE", dest->bucket, key, q, NULL, 0, EMPTY_SHA256, NULL, NULL,
             &resp, &tr, NULL);
  resp_clear(&resp);
}

static gboolean
put_multipart(NcapS3Client *c, const NcapS3Dest *dest, const char *key, int fd,
              guint64 size, const char *meta, char **etag_multi, guint *nparts,
              S3Resp *resp, gboolean *transient, GError **error)
{
  g_autofree char *q = NULL;   /* declared first: a goto fail must not skip it */
  const char *extra[] = { meta, "Content-Type: application/octet-stream", NULL };
  if (!s3_request(c, "POST", dest->bucket, key, "uploads=", NULL, 0, EMPTY_SHA256, NULL,
                  extra, resp, transient, error))
    return FALSE;
  g_autofree char *upload_id = xml_element(resp->body->str, "UploadId");
  if (!upload_id || !*upload_id || strpbrk(upload_id, "&=?# \r\n")) {
    *transient = FALSE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "CreateMultipartUpload %s: no usable UploadId in the reply", key);
    return FALSE;
  }
  g_autofree char *eid = g_uri_escape_string(upload_id, NULL, FALSE);
  g_autoptr(GByteArray) md5s = g_byte_array_new();
  GString *xml = g_string_new("<CompleteMultipartUpload>");
  guint part = 0;
  for (guint64 off = 0; off < size || part == 0; off += c->settings.part_size) {
    guint64 len = MIN(c->settings.part_size, size - off);
    part++;
    S3Sums ps;
    if (!hash_range(fd, off, len, &ps, error)) {
      *transient = FALSE;
      goto fail;
    }
    /* Query parameters in canonical (sorted) order. */
    g_autofree char *q = g_strdup_printf("partNumber=%u&uploadId=%s", part, eid);
    S3Body body = { .fd = fd, .off = off, .left = len };
    if (!s3_request(c, "PUT", dest->bucket, key, q, &body, len, ps.sha256, ps.md5_b64,
                    NULL, resp, transient, error))
      goto fail;
    if (!resp->etag || g_ascii_strcasecmp(resp->etag, ps.md5_hex) != 0) {
      *transient = TRUE;
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                  "UploadPart %u of %s: ETag %s does not match the part's MD5 %s", part,
                  key, resp->etag ? resp->etag : "(none)", ps.md5_hex);
      goto fail;
    }
    g_byte_array_append(md5s, ps.md5_bin, 16);
    g_string_append_printf(xml, "<Part><PartNumber>%u</PartNumber><ETag>\"%s\"</ETag></Part>",
                           part, ps.md5_hex);
    if (len == 0)
      break;
  }
  g_string_append(xml, "</CompleteMultipartUpload>");
  S3Sums xs;
  hash_mem(xml->str, xml->len, &xs);
  S3Body xb = { .mem = (const guint8 *)xml->str, .mem_len = xml->len };
  const char *xextra[] = { "Content-Type: application/xml", NULL };
  q = g_strdup_printf("uploadId=%s", eid);
  if (!s3_request(c, "POST", dest->bucket, key, q, &xb, xml->len, xs.sha256, xs.md5_b64,
                  xextra, resp, transient, error))
    goto fail;
  g_string_free(xml, TRUE);
  *etag_multi = ncap_s3_multipart_etag(md5s, part);
  *nparts = part;
  return TRUE;
fail:
  g_string_free(xml, TRUE);
  abort_multipart(c, dest, key, upload_id);
  return FALSE;
}

/* One whole attempt: skip when already there, upload, confirm by HEAD. */
static gboolean
upload_once(NcapS3Client *c, const NcapS3Dest *dest, const char *key, int fd,
            guint64 size, const S3Sums *sums, NcapS3Result *res, gboolean *transient,
            GError **error)
{
  S3Resp resp = { 0 };
  gboolean missing = FALSE, ok = FALSE;
  g_autofree char *meta = g_strdup_printf("x-amz-meta-sha256: %s", sums->sha256);
  g_autofree char *etag_multi = NULL;
  guint nparts = 0;

  /* A previous run may have uploaded it and died before recording it: the
   * object's sha256 metadata tells, and nothing is sent twice. */
  if (s3_head(c, dest, key, &resp, &missing, transient, NULL) && resp.meta_sha256 &&
      strcmp(resp.meta_sha256, sums->sha256) == 0 && resp.length == (gint64)size) {
    res->already_there = true;
  } else {
    res->already_there = false;
    if (size <= c->settings.multipart_threshold) {
      if (!put_single(c, dest, key, fd, size, sums, meta, &resp, transient, error))
        goto out;
    } else if (!put_multipart(c, dest, key, fd, size, meta, &etag_multi, &nparts, &resp,
                              transient, error)) {
      goto out;
    }
  }
  res->parts = nparts;

  /* Confirm what the bucket now holds before anyone may delete the file. */
  if (!s3_head(c, dest, key, &resp, &missing, transient, error)) {
    if (missing) {
      *transient = TRUE;
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO, "HEAD %s: object missing after upload", key);
    }
    goto out;
  }
  const char *why = NULL;
  if (resp.length != (gint64)size)
    why = "size";
  else if (!resp.etag)
    why = "ETag (none)";
  else if (g_ascii_strcasecmp(resp.etag, sums->md5_hex) != 0 &&
           !(etag_multi && g_ascii_strcasecmp(resp.etag, etag_multi) == 0) &&
           !(res->already_there && resp.meta_sha256))
    why = "ETag";
  else if (resp.meta_sha256 && strcmp(resp.meta_sha256, sums->sha256) != 0)
    why = "sha256 metadata";
  if (why) {
    *transient = TRUE;
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "HEAD %s: %s of the object does not match the file", key, why);
    goto out;
  }
  g_strlcpy(res->etag, resp.etag, sizeof res->etag);
  ok = TRUE;
out:
  resp_clear(&resp);
  return ok;
}

gboolean
ncap_s3_upload_file(NcapS3Client *c, const NcapS3Dest *dest, const char *key, int dirfd,
                    const char *name, const char *expected_sha256,
                    NcapS3RetryFunc on_retry, void *user, NcapS3Result *res,
                    gboolean *transient_out, GError **error)
{
  gboolean transient = FALSE;
  memset(res, 0, sizeof *res);
  if (transient_out)
    *transient_out = FALSE;
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    g_set_error(error, NCAP_ERROR, fd < 0 && e == ENOENT ? NCAP_ERROR_NOT_FOUND : NCAP_ERROR_IO,
                "%s: %s", name, fd >= 0 ? "not a regular file" : g_strerror(e));
    if (fd >= 0)
      close(fd);
    return FALSE;
  }
  S3Sums sums;
  if (!hash_range(fd, 0, (guint64)st.st_size, &sums, error)) {
    close(fd);
    return FALSE;
  }
  if (expected_sha256 && g_ascii_strcasecmp(expected_sha256, sums.sha256) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_IO,
                "%s: sha256 differs from the job record; not uploaded", name);
    close(fd);
    return FALSE;
  }
  g_strlcpy(res->sha256, sums.sha256, sizeof res->sha256);
  g_strlcpy(res->md5, sums.md5_hex, sizeof res->md5);
  res->size = (guint64)st.st_size;

  gint64 deadline = g_get_monotonic_time() + (gint64)c->settings.retry_seconds * G_USEC_PER_SEC;
  guint64 wait_ms = MAX(c->settings.retry_initial_ms, 1);
  for (;;) {
    g_autoptr(GError) local = NULL;
    res->attempts++;
    if (upload_once(c, dest, key, fd, res->size, &sums, res, &transient, &local)) {
      close(fd);
      return TRUE;
    }
    gint64 now = g_get_monotonic_time();
    if (!transient || now + (gint64)wait_ms * 1000 > deadline) {
      if (transient_out)
        *transient_out = transient;
      if (transient)
        g_prefix_error(&local, "gave up after %u attempts in %u s: ", res->attempts,
                       c->settings.retry_seconds);
      g_propagate_error(error, g_steal_pointer(&local));
      close(fd);
      return FALSE;
    }
    if (on_retry)
      on_retry(local->message, (guint)wait_ms, user);
    g_usleep((gulong)wait_ms * 1000);
    wait_ms = MIN(wait_ms * 2, (guint64)MAX(c->settings.retry_max_ms, 1));
  }
}
