/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Delivery of finished capture files to an S3-compatible bucket.
 *
 * What is checked here, before anything is captured: the destination
 * (`s3://BUCKET/PREFIX`, bucket names by the AWS rules), the upload
 * settings of nodecap.conf [upload], and the credentials file it names (a
 * root-owned GKeyFile that no other user can read). What is done here: one
 * file becomes one object, by a single PUT up to a threshold and by a
 * multipart upload above it. Every request is signed by libcurl itself
 * (CURLOPT_AWS_SIGV4); we never sign by hand. Every request carries the
 * body's SHA-256 (x-amz-content-sha256, which libcurl signs) and MD5
 * (Content-MD5), so the server refuses a body that changed on the way, and
 * a HEAD afterwards confirms size, ETag and the sha256 we stored as object
 * metadata before a caller may remove the local file. Transient failures
 * (no connection, time-outs, 5xx, 429) are retried with exponential
 * back-off for a bounded total time; anything else fails at once. */
#ifndef NCAP_S3_H
#define NCAP_S3_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* ---- destination -------------------------------------------------------- */

typedef struct {
  char *bucket;   /* valid by ncap_s3_bucket_valid() */
  char *prefix;   /* "" or segments joined by '/', no leading/trailing '/' */
} NcapS3Dest;

void ncap_s3_dest_clear(NcapS3Dest *dest);

/* TRUE when name is a valid general-purpose bucket name (AWS rules:
 * 3-63 characters of a-z 0-9 . -, starting and ending with a letter or
 * digit, no "..", not an IPv4 address, none of the reserved prefixes and
 * suffixes). Otherwise NCAP_ERROR_INVALID naming the rule broken. */
gboolean ncap_s3_bucket_valid(const char *name, GError **error);

/* Parse "s3://BUCKET[/PREFIX]". Any other scheme, an invalid bucket or a
 * prefix with characters outside [A-Za-z0-9._-], an empty, "." or ".."
 * segment is NCAP_ERROR_INVALID. */
gboolean ncap_s3_dest_parse(const char *uri, NcapS3Dest *out, GError **error);

/* "s3://bucket/prefix". Transfer full. */
char *ncap_s3_dest_to_string(const NcapS3Dest *dest);

/* Object key of one ring file: "PREFIX/pcap_<job>_<node>_<seq %05u>.pcapng"
 * (no leading '/' when the prefix is empty). Characters of node outside
 * [A-Za-z0-9.-] become '_', so keys sort and need no escaping.
 * Transfer full. */
char *ncap_s3_object_key(const NcapS3Dest *dest, const char *job_id,
                         const char *node, guint seq);

/* ---- settings (nodecap.conf [upload]) ---------------------------------- */

#define NCAP_S3_DEFAULT_MULTIPART_THRESHOLD (64u * 1024 * 1024)
#define NCAP_S3_DEFAULT_PART_SIZE (16u * 1024 * 1024)
#define NCAP_S3_DEFAULT_RETRY_SECONDS 600
#define NCAP_S3_DEFAULT_RETRY_INITIAL_MS 1000
#define NCAP_S3_DEFAULT_RETRY_MAX_MS 60000
#define NCAP_S3_DEFAULT_TIMEOUT 30

typedef struct {
  char *credentials;            /* path of the credentials file, NULL = none */
  guint64 multipart_threshold;  /* bytes: larger files go multipart */
  guint64 part_size;            /* bytes per part (S3 wants >= 5 MiB) */
  guint retry_seconds;          /* total time one file may keep retrying */
  guint retry_initial_ms;       /* first back-off, doubled each time */
  guint retry_max_ms;           /* back-off cap */
  guint timeout;                /* s: connect time-out; a stalled transfer
                                   (< 1 byte/s) is cut after as long */
} NcapS3Settings;

void ncap_s3_settings_init_default(NcapS3Settings *s);
void ncap_s3_settings_clear(NcapS3Settings *s);
/* Read the [upload] group of conf (may be NULL or lack the group: the
 * defaults stay). Sizes take an optional K/M/G suffix (powers of 1024).
 * A bad value is NCAP_ERROR_CONFIG naming file and key. */
gboolean ncap_s3_settings_load(NcapS3Settings *s, GKeyFile *conf,
                               const char *conf_path, GError **error);

/* ---- credentials -------------------------------------------------------- */

typedef struct {
  char *endpoint;     /* "http(s)://host[:port]", no path */
  char *region;       /* e.g. "us-east-1" */
  char *access_key;
  char *secret_key;
  bool path_style;    /* https://host/bucket/key instead of bucket.host */
} NcapS3Credentials;

/* Load the [s3] group of the credentials file at path (O_NOFOLLOW). The
 * file must be a regular file owned by root (or by trusted_uid, which an
 * unprivileged test run passes; (uid_t)-1 otherwise), not writable by
 * group or others, not readable by others, and readable by its group only
 * when that group is reader_gid (the service group the uploader runs as;
 * (gid_t)-1 = no group may read). Missing file: NCAP_ERROR_CONFIG
 * "<path>: no such file" . Transfer full. */
NcapS3Credentials *ncap_s3_credentials_load(const char *path, uid_t trusted_uid,
                                            gid_t reader_gid, GError **error);
/* Parse from text (no file checks), for tests. Transfer full. */
NcapS3Credentials *ncap_s3_credentials_from_data(const char *data,
                                                 const char *name,
                                                 GError **error);
void ncap_s3_credentials_free(NcapS3Credentials *cred);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapS3Credentials, ncap_s3_credentials_free)

/* ---- upload ------------------------------------------------------------- */

typedef struct NcapS3Client NcapS3Client;

/* Cheap; copies what it needs. Transfer full. */
NcapS3Client *ncap_s3_client_new(const NcapS3Credentials *cred,
                                 const NcapS3Settings *settings);
void ncap_s3_client_free(NcapS3Client *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapS3Client, ncap_s3_client_free)

/* Change the retry budget (seconds) for later uploads: after one file gave
 * up on an unreachable bucket the uploader gives the rest one attempt each,
 * so the whole job stays within a bounded time. */
void ncap_s3_client_set_retry_seconds(NcapS3Client *client, guint seconds);

/* The URL of an object (path or virtual-hosted style). Transfer full. */
char *ncap_s3_object_url(const NcapS3Client *client, const char *bucket,
                         const char *key);

typedef struct {
  char sha256[65];     /* of the local file, lowercase hex */
  char md5[33];
  char etag[80];       /* as the server confirmed it, quotes removed */
  guint64 size;
  guint parts;         /* 0 = single PUT */
  guint attempts;
  bool already_there;  /* a previous run had uploaded it (HEAD matched) */
} NcapS3Result;

/* Told before each wait between attempts: the reason of the failed
 * attempt and how long we wait. */
typedef void (*NcapS3RetryFunc)(const char *reason, guint wait_ms, void *user);

/* Upload dirfd/name (opened O_NOFOLLOW) to bucket/key and confirm it. If
 * expected_sha256 is not NULL the file must hash to it (a file that changed
 * since the job recorded it is not uploaded). Transient failures are
 * retried until settings.retry_seconds have passed. On failure the error's
 * message is the reason for the record ("HTTP 403 SignatureDoesNotMatch:
 * ...", "connect to 127.0.0.1:9 failed: Connection refused"), and
 * *transient (if not NULL) says whether the last failure was transient. */
gboolean ncap_s3_upload_file(NcapS3Client *client, const NcapS3Dest *dest,
                             const char *key, int dirfd, const char *name,
                             const char *expected_sha256,
                             NcapS3RetryFunc on_retry, void *user,
                             NcapS3Result *result, gboolean *transient,
                             GError **error);

/* The ETag S3 gives a multipart object: md5 of the parts' binary md5s,
 * "-<number of parts>". Exposed for tests. Transfer full. */
char *ncap_s3_multipart_etag(const GByteArray *part_md5s, guint parts);

#endif
