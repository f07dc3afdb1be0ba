/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of remote/s3.c and the upload record of remote/uploader.c:
 * bucket names, destinations, object keys, [upload] settings, the
 * credentials file and its ownership/permission checks, URLs, the
 * multipart ETag. Uploads themselves are tested against a real S3 server
 * in tests/integration/test-s3-*.sh. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"
#include "s3.h"
#include "uploader.h"

static void
test_bucket_names(void)
{
  const char *good[] = { "abc", "my-bucket", "my.bucket.name", "a1b2c3", "123",
                         "nodecap-captures-2024",
                         "a23456789012345678901234567890123456789012345678901234567890123" };
  const char *bad[] = { "", "ab", "ABC", "my_bucket", "-abc", "abc-", ".abc", "abc.",
                        "a..b", "192.168.1.1", "10.0.0.255", "xn--abc", "sthree-x",
                        "amzn-s3-demo-x", "abc-s3alias", "abc--ol-s3", "abc.mrap",
                        "abc--x-s3", "my bucket", "bücket",
                        "a234567890123456789012345678901234567890123456789012345678901234" };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) e = NULL;
    g_assert_true(ncap_s3_bucket_valid(good[i], &e));
    g_assert_no_error(e);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    if (ncap_s3_bucket_valid(bad[i], &e))
      g_error("bucket \"%s\" accepted", bad[i]);
    g_assert_error(e, NCAP_ERROR, NCAP_ERROR_INVALID);
    g_assert_nonnull(strstr(e->message, "bucket"));
    g_assert_null(strchr(e->message, '\n'));
  }
  /* Looks like an IP but is not one: allowed. */
  g_assert_true(ncap_s3_bucket_valid("1.2.3.4.5", NULL));
  g_assert_true(ncap_s3_bucket_valid("1234.1.1.1", NULL));
}

static void
test_dest_parse(void)
{
  struct { const char *in, *bucket, *prefix; } ok[] = {
    { "s3://bucket", "bucket", "" },
    { "s3://bucket/", "bucket", "" },
    { "s3://bucket/caps", "bucket", "caps" },
    { "s3://bucket/caps/", "bucket", "caps" },
    { "S3://bucket/a/b.c/d-e_f", "bucket", "a/b.c/d-e_f" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    NcapS3Dest d;
    g_autoptr(GError) e = NULL;
    g_assert_true(ncap_s3_dest_parse(ok[i].in, &d, &e));
    g_assert_no_error(e);
    g_assert_cmpstr(d.bucket, ==, ok[i].bucket);
    g_assert_cmpstr(d.prefix, ==, ok[i].prefix);
    ncap_s3_dest_clear(&d);
  }
  struct { const char *in, *msg; } bad[] = {
    { "ftp://bucket/x", "unknown scheme \"ftp\"" },
    { "https://bucket/x", "unknown scheme \"https\"" },
    { "s4://bucket", "unknown scheme" },
    { "bucket/x", "expected s3://BUCKET/PREFIX" },
    { "s3://Bucket/x", "bucket \"Bucket\"" },
    { "s3://a..b/x", "\"..\"" },
    { "s3:///x", "bucket \"\"" },
    { "s3://bucket//x", "segment" },
    { "s3://bucket/a/../b", "segment" },
    { "s3://bucket/a b", "only letters" },
    { "s3://bucket/a?x=1", "only letters" },
    { "s3://bucket/%2e%2e", "only letters" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    NcapS3Dest d;
    g_autoptr(GError) e = NULL;
    if (ncap_s3_dest_parse(bad[i].in, &d, &e))
      g_error("destination \"%s\" accepted", bad[i].in);
    g_assert_error(e, NCAP_ERROR, NCAP_ERROR_INVALID);
    if (!strstr(e->message, bad[i].msg))
      g_error("\"%s\": message \"%s\" lacks \"%s\"", bad[i].in, e->message, bad[i].msg);
  }
}

static void
test_object_key(void)
{
  NcapS3Dest d;
  g_assert_true(ncap_s3_dest_parse("s3://bucket/caps/east", &d, NULL));
  const char *job = "0123456789abcdef0123456789abcdef";
  g_autofree char *k1 = ncap_s3_object_key(&d, job, "node-1.example", 7);
  g_assert_cmpstr(k1, ==, "caps/east/pcap_0123456789abcdef0123456789abcdef_node-1.example_00007.pcapng");
  g_autofree char *k2 = ncap_s3_object_key(&d, job, "we ird/node", 12);
  g_assert_cmpstr(k2, ==, "caps/east/pcap_0123456789abcdef0123456789abcdef_we_ird_node_00012.pcapng");
  /* Keys sort by sequence within a node and job. */
  g_autofree char *k3 = ncap_s3_object_key(&d, job, "node-1.example", 10);
  g_assert_cmpint(strcmp(k1, k3), <, 0);
  ncap_s3_dest_clear(&d);
  g_assert_true(ncap_s3_dest_parse("s3://bucket", &d, NULL));
  g_autofree char *k4 = ncap_s3_object_key(&d, job, "n", 0);
  g_assert_cmpstr(k4, ==, "pcap_0123456789abcdef0123456789abcdef_n_00000.pcapng");
  ncap_s3_dest_clear(&d);
}

static void
test_settings(void)
{
  NcapS3Settings s;
  ncap_s3_settings_init_default(&s);
  g_assert_cmpuint(s.multipart_threshold, ==, 64u * 1024 * 1024);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf,
      "[upload]\ncredentials=/etc/nodecap/s3.conf\nmultipart_threshold=8M\n"
      "part_size=5M\nretry_seconds=30\nretry_initial_ms=200\n", -1, 0, NULL));
  g_autoptr(GError) e = NULL;
  g_assert_true(ncap_s3_settings_load(&s, kf, "nodecap.conf", &e));
  g_assert_no_error(e);
  g_assert_cmpstr(s.credentials, ==, "/etc/nodecap/s3.conf");
  g_assert_cmpuint(s.multipart_threshold, ==, 8u * 1024 * 1024);
  g_assert_cmpuint(s.part_size, ==, 5u * 1024 * 1024);
  g_assert_cmpuint(s.retry_seconds, ==, 30);
  g_assert_cmpuint(s.retry_initial_ms, ==, 200);
  ncap_s3_settings_clear(&s);
  g_autoptr(GKeyFile) kf0 = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf0, "[upload]\nretry_seconds=0\n", -1, 0, NULL));
  g_assert_true(ncap_s3_settings_load(&s, kf0, "nodecap.conf", NULL));
  g_assert_cmpuint(s.retry_seconds, ==, 0);
  ncap_s3_settings_clear(&s);

  const char *bad[] = { "[upload]\nmultipart_threshold=lots\n", "[upload]\npart_size=0\n",
                        "[upload]\ncredentials=relative/path\n", "[upload]\nretry_seconds=5M\n",
                        "[upload]\nendpoint=http://x\n", "[upload]\ntimeout=0\n",
                        "[upload]\nretry_seconds=-1\n" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GKeyFile) k = g_key_file_new();
    g_autoptr(GError) err = NULL;
    g_assert_true(g_key_file_load_from_data(k, bad[i], -1, 0, NULL));
    ncap_s3_settings_init_default(&s);
    g_assert_false(ncap_s3_settings_load(&s, k, "nodecap.conf", &err));
    g_assert_error(err, NCAP_ERROR, NCAP_ERROR_CONFIG);
    g_assert_nonnull(strstr(err->message, "nodecap.conf: [upload]"));
    ncap_s3_settings_clear(&s);
  }
}

#define GOOD_CRED "[s3]\nendpoint=http://127.0.0.1:9000\nregion=us-east-1\n" \
                  "access_key=AKID\nsecret_key=SECRET\npath_style=true\n"

static void
test_credentials_parse(void)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(NcapS3Credentials) c = ncap_s3_credentials_from_data(GOOD_CRED, "c", &e);
  g_assert_no_error(e);
  g_assert_cmpstr(c->endpoint, ==, "http://127.0.0.1:9000");
  g_assert_cmpstr(c->region, ==, "us-east-1");
  g_assert_cmpstr(c->access_key, ==, "AKID");
  g_assert_cmpstr(c->secret_key, ==, "SECRET");
  g_assert_true(c->path_style);

  struct { const char *text, *msg; } bad[] = {
    { "[s3]\nregion=r\naccess_key=a\nsecret_key=s\n", "endpoint is missing" },
    { "[s3]\nendpoint=http://h\naccess_key=a\nsecret_key=s\n", "region is missing" },
    { "[s3]\nendpoint=http://h\nregion=r\nsecret_key=s\n", "access_key is missing" },
    { "[s3]\nendpoint=http://h\nregion=r\naccess_key=a\n", "secret_key is missing" },
    { "[s3]\nendpoint=ftp://h\nregion=r\naccess_key=a\nsecret_key=s\n", "expected http(s)://" },
    { "[s3]\nendpoint=http://h/path\nregion=r\naccess_key=a\nsecret_key=s\n", "expected http(s)://" },
    { "[s3]\nendpoint=http://u:p@h\nregion=r\naccess_key=a\nsecret_key=s\n", "expected http(s)://" },
    { "[s3]\nendpoint=http://h\nregion=r/x\naccess_key=a\nsecret_key=s\n", "region" },
    { "[s3]\nendpoint=http://h\nregion=r\naccess_key=a:b\nsecret_key=s\n", "access_key: bad" },
    { "[s3]\nendpoint=http://h\nregion=r\naccess_key=a\nsecret_key=s\npath_style=maybe\n", "path_style" },
    { "[s3]\nendpoint=http://h\nregion=r\naccess_key=a\nsecret_key=s\nsecret=x\n", "unknown key" },
    { "[aws]\nendpoint=http://h\n", "unknown group" },
    { "not a key file", "c:" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) err = NULL;
    g_autoptr(NcapS3Credentials) x = ncap_s3_credentials_from_data(bad[i].text, "c", &err);
    g_assert_null(x);
    g_assert_error(err, NCAP_ERROR, NCAP_ERROR_CONFIG);
    if (!strstr(err->message, bad[i].msg))
      g_error("case %zu: \"%s\" lacks \"%s\"", i, err->message, bad[i].msg);
  }
}

static char *
write_cred(const char *dir, const char *name, mode_t mode)
{
  char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, GOOD_CRED, -1, NULL));
  g_assert_cmpint(chmod(path, mode), ==, 0);
  return path;
}

static void
expect_refused(const char *path, uid_t trusted, gid_t reader, const char *msg)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(NcapS3Credentials) c = ncap_s3_credentials_load(path, trusted, reader, &e);
  g_assert_null(c);
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_CONFIG);
  if (!strstr(e->message, msg))
    g_error("\"%s\" lacks \"%s\"", e->message, msg);
  g_assert_nonnull(strstr(e->message, "credentials file"));
}

static void
test_credentials_file(void)
{
  g_autofree char *dir = g_dir_make_tmp("test-s3-XXXXXX", NULL);
  uid_t me = getuid();
  gid_t mygid = getgid();
  /* root (tests run as root in CI) or the caller as trusted owner. */
  uid_t trusted = me == 0 ? (uid_t)-1 : me;

  g_autofree char *ok = write_cred(dir, "ok.conf", 0600);
  g_autoptr(GError) e = NULL;
  g_autoptr(NcapS3Credentials) c = ncap_s3_credentials_load(ok, trusted, (gid_t)-1, &e);
  g_assert_no_error(e);
  g_assert_cmpstr(c->secret_key, ==, "SECRET");

  g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
  expect_refused(missing, trusted, (gid_t)-1, "no such file");

  g_autofree char *world = write_cred(dir, "world.conf", 0604);
  expect_refused(world, trusted, (gid_t)-1, "readable by others");
  g_autofree char *gw = write_cred(dir, "gw.conf", 0620);
  expect_refused(gw, trusted, (gid_t)-1, "writable by group");
  g_autofree char *gr = write_cred(dir, "gr.conf", 0640);
  expect_refused(gr, trusted, (gid_t)-1, "readable by a group");
  /* ... unless that group is the service group the uploader runs as. */
  g_autoptr(GError) e2 = NULL;
  g_autoptr(NcapS3Credentials) c2 = ncap_s3_credentials_load(gr, trusted, mygid, &e2);
  g_assert_no_error(e2);

  g_autofree char *link = g_build_filename(dir, "link.conf", NULL);
  g_assert_cmpint(symlink(ok, link), ==, 0);
  expect_refused(link, trusted, (gid_t)-1, "symbolic link");
  expect_refused(dir, trusted, (gid_t)-1, "not a regular file");

  /* Owned by someone else than root (and not the trusted test owner). */
  g_autofree char *other = write_cred(dir, "other.conf", 0600);
  if (me == 0) {
    g_assert_cmpint(chown(other, 65534, (gid_t)-1), ==, 0);
    expect_refused(other, (uid_t)-1, (gid_t)-1, "must be owned by root");
  } else {
    expect_refused(other, (uid_t)-1, (gid_t)-1, "must be owned by root");
  }

  const char *names[] = { "ok.conf", "world.conf", "gw.conf", "gr.conf", "link.conf", "other.conf" };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *p = g_build_filename(dir, names[i], NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

static void
test_urls(void)
{
  g_autoptr(NcapS3Credentials) c = ncap_s3_credentials_from_data(GOOD_CRED, "c", NULL);
  NcapS3Settings s;
  ncap_s3_settings_init_default(&s);
  g_autoptr(NcapS3Client) cl = ncap_s3_client_new(c, &s);
  g_autofree char *u1 = ncap_s3_object_url(cl, "bucket", "p/pcap_x_n_00001.pcapng");
  g_assert_cmpstr(u1, ==, "http://127.0.0.1:9000/bucket/p/pcap_x_n_00001.pcapng");
  c->path_style = false;
  g_free(c->endpoint);
  c->endpoint = g_strdup("https://s3.eu-west-1.amazonaws.com");
  g_autoptr(NcapS3Client) cl2 = ncap_s3_client_new(c, &s);
  g_autofree char *u2 = ncap_s3_object_url(cl2, "bucket", "k");
  g_assert_cmpstr(u2, ==, "https://bucket.s3.eu-west-1.amazonaws.com/k");
}

static void
test_multipart_etag(void)
{
  /* The AWS rule: md5 over the concatenated binary md5s of the parts. */
  g_autoptr(GByteArray) md5s = g_byte_array_new();
  const char *parts[] = { "hello ", "world" };
  for (gsize i = 0; i < 2; i++) {
    g_autoptr(GChecksum) m = g_checksum_new(G_CHECKSUM_MD5);
    guint8 d[16];
    gsize dl = sizeof d;
    g_checksum_update(m, (const guchar *)parts[i], strlen(parts[i]));
    g_checksum_get_digest(m, d, &dl);
    g_byte_array_append(md5s, d, 16);
  }
  g_autofree char *etag = ncap_s3_multipart_etag(md5s, 2);
  g_autofree char *expect_md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, md5s->data, 32);
  g_autofree char *expect = g_strdup_printf("%s-2", expect_md5);
  g_assert_cmpstr(etag, ==, expect);
}

static void
test_upload_record(void)
{
  g_autoptr(NcapUploadRecord) r =
      ncap_upload_record_new("0123456789abcdef0123456789abcdef", "s3://b/p", true);
  NcapUploadFile *f = g_new0(NcapUploadFile, 1);
  f->name = g_strdup("n_x_00001.pcapng");
  f->key = g_strdup("p/pcap_x_n_00001.pcapng");
  f->state = NCAP_UPLOAD_FAILED;
  f->reason = g_strdup("PUT http://h/b/k: HTTP 403 SignatureDoesNotMatch");
  g_ptr_array_add(r->files, f);
  g_autofree char *s = ncap_upload_file_state_string(f);
  g_assert_cmpstr(s, ==, "failed: PUT http://h/b/k: HTTP 403 SignatureDoesNotMatch");

  g_autofree char *dir = g_dir_make_tmp("test-s3-rec-XXXXXX", NULL);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  g_autoptr(GError) e = NULL;
  g_assert_true(ncap_upload_record_save(r, dfd, &e));
  g_assert_no_error(e);
  g_autoptr(NcapUploadRecord) back = ncap_upload_record_load(dfd, r->job_id, &e);
  g_assert_no_error(e);
  g_assert_cmpstr(back->destination, ==, "s3://b/p");
  g_assert_true(back->delete_after);
  g_assert_cmpuint(back->files->len, ==, 1);
  NcapUploadFile *b = ncap_upload_record_find(back, "n_x_00001.pcapng");
  g_assert_nonnull(b);
  g_assert_cmpint(b->state, ==, NCAP_UPLOAD_FAILED);
  g_assert_cmpstr(b->reason, ==, f->reason);
  g_autoptr(NcapUploadRecord) none = ncap_upload_record_load(dfd, "ffffffffffffffffffffffffffffffff", &e);
  g_assert_null(none);
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_NOT_FOUND);
  g_autofree char *name = g_strdup_printf("%s.upload.json", r->job_id);
  unlinkat(dfd, name, 0);
  close(dfd);
  g_rmdir(dir);
}

static void
test_uploader_check(void)
{
  NcapS3Settings s;
  ncap_s3_settings_init_default(&s);
  g_autoptr(GError) e = NULL;
  g_assert_false(ncap_uploader_check(&s, "ftp://bucket/x", getuid(), (gid_t)-1, &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_clear_error(&e);
  g_assert_false(ncap_uploader_check(&s, "s3://bucket/x", getuid(), (gid_t)-1, &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_assert_nonnull(strstr(e->message, "not configured"));
  g_clear_error(&e);
  s.credentials = g_strdup("/nonexistent/nodecap-s3.conf");
  g_assert_false(ncap_uploader_check(&s, "s3://bucket/x", getuid(), (gid_t)-1, &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_CONFIG);
  g_assert_cmpstr(e->message, ==, "credentials file /nonexistent/nodecap-s3.conf: no such file");
  ncap_s3_settings_clear(&s);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/s3/bucket-names", test_bucket_names);
  g_test_add_func("/s3/destination", test_dest_parse);
  g_test_add_func("/s3/object-key", test_object_key);
  g_test_add_func("/s3/settings", test_settings);
  g_test_add_func("/s3/credentials-parse", test_credentials_parse);
  g_test_add_func("/s3/credentials-file", test_credentials_file);
  g_test_add_func("/s3/urls", test_urls);
  g_test_add_func("/s3/multipart-etag", test_multipart_etag);
  g_test_add_func("/s3/upload-record", test_upload_record);
  g_test_add_func("/s3/uploader-check", test_uploader_check);
  return g_test_run();
}
