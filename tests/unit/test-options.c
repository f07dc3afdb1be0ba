/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests of common/options.c: every range boundary of every numeric option,
 * the simple/full interactions, admin maxima from a nodecap.conf, the
 * structured filter (each result compiled by the real libpcap), and the
 * argv round trip through the real GOptionContext parser. */
#include "ncap-error.h"
#include "options.h"

#include <pcap/pcap.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

/* Parse argv (without program name) the way the helper does: the real
 * GOptionEntry table, then validation. */
static gboolean
parse_argv(const char *const *argv, const NcapLimits *limits, bool saved,
           bool stream, NcapCaptureOpts *out, GError **error)
{
  g_auto(NcapCaptureArgs) args = { 0 };
  g_autofree GOptionEntry *entries = ncap_capture_option_entries(&args, saved, stream);
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_set_help_enabled(ctx, FALSE);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GPtrArray) v = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(v, g_strdup("prog"));
  for (gsize i = 0; argv[i]; i++)
    g_ptr_array_add(v, g_strdup(argv[i]));
  g_ptr_array_add(v, NULL);
  char **strv = (char **)g_ptr_array_free(g_steal_pointer(&v), FALSE);
  gboolean ok = g_option_context_parse_strv(ctx, &strv, error);
  if (ok && g_strv_length(strv) != 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "left over: %s", strv[1]);
    ok = FALSE;
  }
  g_strfreev(strv);
  if (!ok)
    return FALSE;
  return ncap_capture_opts_from_args(&args, limits, out, error);
}

static NcapLimits
default_limits(void)
{
  NcapLimits l;
  ncap_limits_init_default(&l);
  return l;
}

/* "-i lo" plus one option, parsed with defaults (saved + stream options on);
 * returns the error message or NULL, fills *opts on success. */
static char *
try_one(const NcapLimits *limits, const char *type, const char *opt,
        const char *value, NcapCaptureOpts *opts)
{
  const char *argv[8] = { "-i", "lo" };
  int n = 2;
  if (type) {
    argv[n++] = "--type";
    argv[n++] = type;
  }
  argv[n++] = opt;
  argv[n++] = value;
  argv[n] = NULL;
  g_autoptr(GError) error = NULL;
  if (parse_argv(argv, limits, true, true, opts, &error))
    return NULL;
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  return g_strdup(error->message);
}

static gboolean
str_eq0(const char *a, const char *b)
{
  return g_strcmp0(a, b) == 0;
}

static gboolean
opts_equal(const NcapCaptureOpts *a, const NcapCaptureOpts *b)
{
  return str_eq0(a->iface, b->iface) && str_eq0(a->bpf, b->bpf) &&
         str_eq0(a->src_host, b->src_host) && str_eq0(a->dst_host, b->dst_host) &&
         a->src_port == b->src_port && a->dst_port == b->dst_port &&
         a->proto == b->proto && a->type == b->type && a->snaplen == b->snaplen &&
         a->sample == b->sample && a->sample_by_hash == b->sample_by_hash &&
         a->time_limit == b->time_limit && a->packet_limit == b->packet_limit &&
         a->byte_limit == b->byte_limit && a->max_size_mb == b->max_size_mb &&
         a->file_size_mb == b->file_size_mb &&
         a->delete_on_start == b->delete_on_start &&
         a->stall_timeout == b->stall_timeout;
}

/* Proof that a filter is BPF libpcap accepts, not just text that looks so. */
static void
assert_compiles(const char *filter)
{
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
  g_assert_nonnull(p);
  struct bpf_program prog;
  int rc = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
  if (rc != 0)
    g_error("pcap_compile(\"%s\"): %s", filter, pcap_geterr(p));
  pcap_freecode(&prog);
  pcap_close(p);
}

/* ---- ncap_parse_u64 -------------------------------------------------------- */

static void
test_parse_u64(void)
{
  static const struct {
    const char *value;
    guint64 min, max;
    gboolean ok;
    guint64 expect;
    const char *msg;
  } cases[] = {
    { "0", 0, 10, TRUE, 0, NULL },
    { "10", 0, 10, TRUE, 10, NULL },
    { "007", 0, 10, TRUE, 7, NULL },
    { "18446744073709551615", 0, G_MAXUINT64, TRUE, G_MAXUINT64, NULL },
    { "18446744073709551616", 0, G_MAXUINT64, FALSE, 0,
      "--x 18446744073709551616: out of range (0-18446744073709551615)" },
    { "99999999999999999999999", 1, 5, FALSE, 0,
      "--x 99999999999999999999999: out of range (1-5)" },
    { "11", 0, 10, FALSE, 0, "--x 11: out of range (0-10)" },
    { "0", 1, 10, FALSE, 0, "--x 0: out of range (1-10)" },
    { "", 1, 10, FALSE, 0, "--x \"\": not a number (1-10)" },
    { " 5", 1, 10, FALSE, 0, "--x \" 5\": not a number (1-10)" },
    { "5 ", 1, 10, FALSE, 0, "--x \"5 \": not a number (1-10)" },
    { "5x", 1, 10, FALSE, 0, "--x 5x: not a number (1-10)" },
    { "x5", 1, 10, FALSE, 0, "--x x5: not a number (1-10)" },
    { "+5", 1, 10, FALSE, 0, "--x +5: not a number (1-10)" },
    { "-5", 1, 10, FALSE, 0, "--x -5: not a number (1-10)" },
    { "-0", 0, 10, FALSE, 0, "--x -0: not a number (0-10)" },
    { "0x5", 1, 10, FALSE, 0, "--x 0x5: not a number (1-10)" },
    { "5.0", 1, 10, FALSE, 0, "--x 5.0: not a number (1-10)" },
    { "1e3", 1, 10000, FALSE, 0, "--x 1e3: not a number (1-10000)" },
    { "5\n", 1, 10, FALSE, 0, "--x \"5\\n\": not a number (1-10)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    guint64 v = 12345;
    gboolean ok = ncap_parse_u64("--x", cases[i].value, cases[i].min,
                                 cases[i].max, &v, &error);
    g_test_message("%s -> %s", cases[i].value, ok ? "ok" : error->message);
    g_assert_cmpint(ok, ==, cases[i].ok);
    if (ok) {
      g_assert_no_error(error);
      g_assert_cmpuint(v, ==, cases[i].expect);
    } else {
      g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
      g_assert_cmpstr(error->message, ==, cases[i].msg);
      g_assert_cmpuint(v, ==, 12345); /* untouched on error */
    }
  }
  g_autoptr(GError) error = NULL;
  guint64 v = 0;
  g_assert_false(ncap_parse_u64("--x", NULL, 1, 10, &v, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
}

/* ---- every numeric option at every boundary ----------------------------- */

typedef struct {
  const char *opt;
  const char *type;   /* NULL = default (full) */
  guint64 min, max;
  const char *ctx;    /* range suffix in messages */
  gsize field;        /* offset into NcapCaptureOpts */
  int width;          /* 4 = guint32/int, 8 = guint64 */
} RangeCase;

#define F(member) G_STRUCT_OFFSET(NcapCaptureOpts, member)

static const RangeCase range_cases[] = {
  { "--time-limit", NULL, 1, 86400, NULL, F(time_limit), 8 },
  { "--time-limit", "simple", 1, 300, " for simple captures", F(time_limit), 8 },
  { "--packet-limit", NULL, 1, 1000000000, NULL, F(packet_limit), 8 },
  { "--packet-limit", "simple", 1, 10000, " for simple captures", F(packet_limit), 8 },
  { "--byte-limit", NULL, 1, 1000000000, NULL, F(byte_limit), 8 },
  { "--byte-limit", "simple", 1, 1000000000, NULL, F(byte_limit), 8 },
  { "--max-size", NULL, 1, 1000, NULL, F(max_size_mb), 8 },
  { "--snaplen", NULL, 1, 262144, NULL, F(snaplen), 4 },
  { "--snaplen", "simple", 1, 160, " for simple captures", F(snaplen), 4 },
  { "--sample", NULL, 1, 1000000, NULL, F(sample), 4 },
  { "--sample", "simple", 1, 1000000, NULL, F(sample), 4 },
  { "--stall-timeout", NULL, 1, 3600, NULL, F(stall_timeout), 8 },
  { "--src-port", NULL, 0, 65535, NULL, F(src_port), 4 },
  { "--dst-port", NULL, 0, 65535, NULL, F(dst_port), 4 },
  { "--proto", NULL, 0, 255, NULL, F(proto), 4 },
};

static guint64
field_value(const NcapCaptureOpts *o, const RangeCase *rc)
{
  const char *p = (const char *)o + rc->field;
  if (rc->width == 8)
    return *(const guint64 *)p;
  return *(const guint32 *)p; /* int fields hold non-negative values here */
}

static void
test_ranges(void)
{
  NcapLimits limits = default_limits();
  for (gsize i = 0; i < G_N_ELEMENTS(range_cases); i++) {
    const RangeCase *rc = &range_cases[i];
    g_autofree char *range = g_strdup_printf(
      "(%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "%s)", rc->min, rc->max,
      rc->ctx ? rc->ctx : "");
    g_autofree char *s_min = g_strdup_printf("%" G_GUINT64_FORMAT, rc->min);
    g_autofree char *s_max = g_strdup_printf("%" G_GUINT64_FORMAT, rc->max);
    g_autofree char *s_over = g_strdup_printf("%" G_GUINT64_FORMAT, rc->max + 1);
    g_autofree char *s_one = g_strdup("1");

    /* Accepted: min, 1, max. */
    const char *good[] = { s_min, s_one, s_max };
    for (gsize j = 0; j < G_N_ELEMENTS(good); j++) {
      g_auto(NcapCaptureOpts) o = { 0 };
      g_autofree char *msg = try_one(&limits, rc->type, rc->opt, good[j], &o);
      if (msg)
        g_error("%s %s (type %s): unexpected error: %s", rc->opt, good[j],
                rc->type ? rc->type : "full", msg);
      g_assert_cmpuint(field_value(&o, rc), ==, g_ascii_strtoull(good[j], NULL, 10));
    }

    /* Out of range: below min (0 when min is 1), max + 1, overflow. */
    struct { const char *v; const char *shown; const char *what; } bad[] = {
      { s_over, s_over, "out of range" },
      { "18446744073709551616", "18446744073709551616", "out of range" },
      { "99999999999999999999", "99999999999999999999", "out of range" },
      { "-1", "-1", "not a number" },
      { "-0", "-0", "not a number" },
      { "abc", "abc", "not a number" },
      { "", "\"\"", "not a number" },
      { " 5", "\" 5\"", "not a number" },
      { "5x", "5x", "not a number" },
      { "+5", "+5", "not a number" },
      { "0", "0", rc->min > 0 ? "out of range" : NULL },
    };
    for (gsize j = 0; j < G_N_ELEMENTS(bad); j++) {
      if (bad[j].what == NULL)
        continue; /* "0" is valid for ports and protocol numbers */
      if (strcmp(rc->opt, "--proto") == 0 && strcmp(bad[j].what, "not a number") == 0 &&
          !g_ascii_isdigit(bad[j].v[0]))
        continue; /* a non-number is tried as a protocol name: own message */
      g_auto(NcapCaptureOpts) o = { 0 };
      g_autofree char *msg = try_one(&limits, rc->type, rc->opt, bad[j].v, &o);
      g_autofree char *want =
        g_strdup_printf("%s %s: %s %s", rc->opt, bad[j].shown, bad[j].what, range);
      if (msg == NULL)
        g_error("%s \"%s\" (type %s) accepted", rc->opt, bad[j].v,
                rc->type ? rc->type : "full");
      g_assert_cmpstr(msg, ==, want);
    }
  }
}

static void
test_file_size(void)
{
  NcapLimits limits = default_limits();
  /* Its own case: the effective size is min(--file-size, --max-size). */
  const char *ok_cases[][3] = {
    /* file, max, effective */
    { "1", NULL, "1" },       { "10", NULL, "10" },   { "1000", "1000", "1000" },
    { "1000", NULL, "10" },   { "5", "3", "3" },      { NULL, "3", "3" },
    { NULL, NULL, "10" },     { "7", "1000", "7" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ok_cases); i++) {
    const char *argv[8] = { "-i", "lo" };
    int n = 2;
    if (ok_cases[i][0]) {
      argv[n++] = "--file-size";
      argv[n++] = ok_cases[i][0];
    }
    if (ok_cases[i][1]) {
      argv[n++] = "--max-size";
      argv[n++] = ok_cases[i][1];
    }
    argv[n] = NULL;
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, true, false, &o, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(o.file_size_mb, ==, g_ascii_strtoull(ok_cases[i][2], NULL, 10));
  }
  const char *bad[][2] = {
    { "0", "--file-size 0: out of range (1-1000)" },
    { "1001", "--file-size 1001: out of range (1-1000)" },
    { "-1", "--file-size -1: not a number (1-1000)" },
    { "abc", "--file-size abc: not a number (1-1000)" },
    { "18446744073709551616",
      "--file-size 18446744073709551616: out of range (1-1000)" },
    { "", "--file-size \"\": not a number (1-1000)" },
    { " 5", "--file-size \" 5\": not a number (1-1000)" },
    { "5x", "--file-size 5x: not a number (1-1000)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *msg = try_one(&limits, NULL, "--file-size", bad[i][0], &o);
    g_assert_cmpstr(msg, ==, bad[i][1]);
  }
}

/* ---- defaults and type interactions -------------------------------------- */

static void
test_defaults(void)
{
  NcapLimits limits = default_limits();
  const char *argv[] = { "-i", "eth0", NULL };
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true(parse_argv(argv, &limits, true, true, &o, &error));
  g_assert_cmpstr(o.iface, ==, "eth0");
  g_assert_null(o.bpf);
  g_assert_null(o.src_host);
  g_assert_null(o.dst_host);
  g_assert_cmpint(o.src_port, ==, -1);
  g_assert_cmpint(o.dst_port, ==, -1);
  g_assert_cmpint(o.proto, ==, -1);
  g_assert_cmpint(o.type, ==, NCAP_CAPTURE_FULL);
  g_assert_cmpuint(o.snaplen, ==, NCAP_DEFAULT_SNAPLEN);
  g_assert_cmpuint(o.sample, ==, 1);
  g_assert_false(o.sample_by_hash);
  g_assert_cmpuint(o.time_limit, ==, 0);
  g_assert_cmpuint(o.packet_limit, ==, 0);
  g_assert_cmpuint(o.byte_limit, ==, 0);
  g_assert_cmpuint(o.max_size_mb, ==, 10);
  g_assert_cmpuint(o.file_size_mb, ==, 10);
  g_assert_false(o.delete_on_start);
  g_assert_cmpuint(o.stall_timeout, ==, 30);
  g_autofree char *f = ncap_capture_opts_filter(&o);
  g_assert_cmpstr(f, ==, "");
}

static void
test_simple(void)
{
  NcapLimits limits = default_limits();
  {
    /* Simple: 160 bytes, bounded to the maximum time when no limit given. */
    const char *argv[] = { "-i", "lo", "--type", "simple", NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, false, true, &o, &error));
    g_assert_cmpint(o.type, ==, NCAP_CAPTURE_SIMPLE);
    g_assert_cmpuint(o.snaplen, ==, NCAP_SIMPLE_SNAPLEN);
    g_assert_cmpuint(o.time_limit, ==, 300);
    g_assert_cmpuint(o.packet_limit, ==, 0);
  }
  {
    /* A smaller snaplen and sampling are fine with simple. */
    const char *argv[] = { "-i", "lo", "--type", "simple", "--snaplen", "64",
                           "--sample", "10", "--sample-by", "hash",
                           "--packet-limit", "10000", "--time-limit", "5", NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, false, true, &o, &error));
    g_assert_cmpuint(o.snaplen, ==, 64);
    g_assert_cmpuint(o.sample, ==, 10);
    g_assert_true(o.sample_by_hash);
    g_assert_cmpuint(o.packet_limit, ==, 10000);
    g_assert_cmpuint(o.time_limit, ==, 5);
  }
  {
    /* Sampling a full capture is allowed too (docs/options.md). */
    const char *argv[] = { "-i", "lo", "--sample", "3", NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, false, true, &o, &error));
    g_assert_cmpuint(o.sample, ==, 3);
    g_assert_cmpint(o.type, ==, NCAP_CAPTURE_FULL);
  }
  /* What is fine for full is not for simple. */
  const char *cases[][4] = {
    { "--snaplen", "161", "full ok", "--snaplen 161: out of range (1-160 for simple captures)" },
    { "--snaplen", "262144", "", "--snaplen 262144: out of range (1-160 for simple captures)" },
    { "--time-limit", "301", "", "--time-limit 301: out of range (1-300 for simple captures)" },
    { "--time-limit", "86400", "", "--time-limit 86400: out of range (1-300 for simple captures)" },
    { "--packet-limit", "10001", "", "--packet-limit 10001: out of range (1-10000 for simple captures)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_auto(NcapCaptureOpts) full = { 0 };
    g_autofree char *m1 = try_one(&limits, "full", cases[i][0], cases[i][1], &full);
    g_assert_null(m1);
    g_auto(NcapCaptureOpts) simple = { 0 };
    g_autofree char *m2 = try_one(&limits, "simple", cases[i][0], cases[i][1], &simple);
    g_assert_cmpstr(m2, ==, cases[i][3]);
  }
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autofree char *m = try_one(&limits, NULL, "--type", "Simple", &o);
  g_assert_cmpstr(m, ==, "--type Simple: must be full or simple");
  g_autofree char *m2 = try_one(&limits, NULL, "--type", "", &o);
  g_assert_cmpstr(m2, ==, "--type \"\": must be full or simple");
  g_autofree char *m3 = try_one(&limits, NULL, "--sample-by", "random", &o);
  g_assert_cmpstr(m3, ==, "--sample-by random: must be count or hash");
}

/* ---- nodecap.conf --------------------------------------------------------- */

static gboolean
load_conf(const char *text, NcapLimits *limits, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL));
  return ncap_limits_load_keyfile(limits, kf, "/etc/nodecap/nodecap.conf", error);
}

static void
test_keyfile(void)
{
  NcapLimits limits = default_limits();
  g_autoptr(GError) error = NULL;
  /* No [limits]: defaults stay. */
  g_assert_true(load_conf("[other]\nx=1\n", &limits, &error));
  g_assert_no_error(error);
  NcapLimits def = default_limits();
  g_assert_cmpmem(&limits, sizeof limits, &def, sizeof def);

  g_assert_true(load_conf("[limits]\n"
                          "simple_time_max = 600\n"
                          "simple_packet_max=20000\n"
                          "time_max=172800\n"
                          "packet_max=5\n"
                          "byte_max=2000000000\n"
                          "max_size_max=5000\n"
                          "file_size_max=100\n"
                          "snaplen_max=65535\n"
                          "sample_max=50\n"
                          "stall_timeout_max=60\n"
                          "[per-user]\nalice=whatever\n",
                          &limits, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(limits.simple_time_max, ==, 600);
  g_assert_cmpuint(limits.simple_packet_max, ==, 20000);
  g_assert_cmpuint(limits.time_max, ==, 172800);
  g_assert_cmpuint(limits.packet_max, ==, 5);
  g_assert_cmpuint(limits.byte_max, ==, 2000000000);
  g_assert_cmpuint(limits.max_size_max, ==, 5000);
  g_assert_cmpuint(limits.file_size_max, ==, 100);
  g_assert_cmpuint(limits.snaplen_max, ==, 65535);
  g_assert_cmpuint(limits.sample_max, ==, 50);
  g_assert_cmpuint(limits.stall_timeout_max, ==, 60);

  /* A partial file keeps the other defaults. */
  NcapLimits part = default_limits();
  g_assert_true(load_conf("[limits]\ntime_max=10\n", &part, &error));
  g_assert_cmpuint(part.time_max, ==, 10);
  g_assert_cmpuint(part.simple_time_max, ==, 300);

  const char *bad[][2] = {
    { "[limits]\ntime_max=abc\n",
      "/etc/nodecap/nodecap.conf: [limits] time_max abc: not a number (1-18446744073709551615)" },
    { "[limits]\ntime_max=0\n",
      "/etc/nodecap/nodecap.conf: [limits] time_max 0: out of range (1-18446744073709551615)" },
    { "[limits]\ntime_max=-1\n",
      "/etc/nodecap/nodecap.conf: [limits] time_max -1: not a number (1-18446744073709551615)" },
    { "[limits]\nbyte_max=18446744073709551616\n",
      "/etc/nodecap/nodecap.conf: [limits] byte_max 18446744073709551616: out of range (1-18446744073709551615)" },
    { "[limits]\nsimple_time_max=\n",
      "/etc/nodecap/nodecap.conf: [limits] simple_time_max \"\": not a number (1-18446744073709551615)" },
    { "[limits]\nsnaplen_max=262145\n",
      "/etc/nodecap/nodecap.conf: [limits] snaplen_max 262145: out of range (1-262144)" },
    { "[limits]\nsample_max=4294967296\n",
      "/etc/nodecap/nodecap.conf: [limits] sample_max 4294967296: out of range (1-4294967295)" },
    { "[limits]\nmax_size_max=18446744073710\n",
      "/etc/nodecap/nodecap.conf: [limits] max_size_max 18446744073710: out of range (1-18446744073709)" },
    { "[limits]\npacket_max=5x\n",
      "/etc/nodecap/nodecap.conf: [limits] packet_max 5x: not a number (1-18446744073709551615)" },
    { "[limits]\ntime_maxx=5\n",
      "/etc/nodecap/nodecap.conf: [limits] time_maxx: unknown key" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    NcapLimits l = default_limits();
    g_autoptr(GError) e = NULL;
    g_assert_false(load_conf(bad[i][0], &l, &e));
    g_assert_error(e, NCAP_ERROR, NCAP_ERROR_CONFIG);
    g_assert_cmpstr(e->message, ==, bad[i][1]);
    /* A bad file changes nothing. */
    g_assert_cmpmem(&l, sizeof l, &def, sizeof def);
  }
  /* Even when the bad key comes after good ones. */
  NcapLimits l = default_limits();
  g_autoptr(GError) e = NULL;
  g_assert_false(load_conf("[limits]\ntime_max=5\nsnaplen_max=0\n", &l, &e));
  g_assert_cmpmem(&l, sizeof l, &def, sizeof def);
}

static void
test_admin_limits(void)
{
  NcapLimits limits = default_limits();
  g_autoptr(GError) error = NULL;
  g_assert_true(load_conf("[limits]\nsimple_time_max=600\nsimple_packet_max=20000\n"
                          "time_max=172800\nmax_size_max=5000\nsnaplen_max=65535\n"
                          "stall_timeout_max=20\nfile_size_max=5\n",
                          &limits, &error));
  struct { const char *type, *opt, *value, *msg; } cases[] = {
    { "simple", "--time-limit", "600", NULL },
    { "simple", "--time-limit", "601", "--time-limit 601: out of range (1-600 for simple captures)" },
    { "simple", "--packet-limit", "20000", NULL },
    { "simple", "--packet-limit", "20001", "--packet-limit 20001: out of range (1-20000 for simple captures)" },
    { "full", "--time-limit", "172800", NULL },
    { "full", "--time-limit", "172801", "--time-limit 172801: out of range (1-172800)" },
    { "full", "--max-size", "5000", NULL },
    { "full", "--max-size", "5001", "--max-size 5001: out of range (1-5000)" },
    { "full", "--snaplen", "65535", NULL },
    { "full", "--snaplen", "65536", "--snaplen 65536: out of range (1-65535)" },
    { "full", "--stall-timeout", "20", NULL },
    { "full", "--stall-timeout", "21", "--stall-timeout 21: out of range (1-20)" },
    { "full", "--file-size", "6", "--file-size 6: out of range (1-5)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *m = try_one(&limits, cases[i].type, cases[i].opt, cases[i].value, &o);
    g_assert_cmpstr(m, ==, cases[i].msg);
  }
  /* Defaults follow lowered maxima instead of failing. */
  const char *argv[] = { "-i", "lo", NULL };
  g_auto(NcapCaptureOpts) o = { 0 };
  g_assert_true(parse_argv(argv, &limits, true, true, &o, &error));
  g_assert_cmpuint(o.snaplen, ==, 65535);
  g_assert_cmpuint(o.stall_timeout, ==, 20);
  g_assert_cmpuint(o.file_size_mb, ==, 5);
  g_assert_cmpuint(o.max_size_mb, ==, 10);
}

/* ---- strings: interface, filter, hosts, protocol ------------------------- */

static void
test_iface(void)
{
  NcapLimits limits = default_limits();
  const char *good[] = { "lo", "eth0", "any", "enp0s31f6", "br-0.100", "eth0:1",
                         "veth1234567890a" /* 15 */ };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    const char *argv[] = { "-i", good[i], NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, false, true, &o, &error));
    g_assert_cmpstr(o.iface, ==, good[i]);
  }
  const char *bad[][2] = {
    { "", "-i \"\": not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "veth1234567890ab", "-i veth1234567890ab: not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "../etc", "-i ../etc: not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "a/b", "-i a/b: not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "eth 0", "-i \"eth 0\": not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "eth0\n", "-i \"eth0\\n\": not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "-x", "-i -x: not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "..", "-i ..: not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
    { "eth\t0", "-i \"eth\\t0\": not a valid interface name (1-15 characters, no '/', spaces or leading '-')" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    /* "--interface=" so GOption takes a value starting with '-' as it is. */
    g_autofree char *arg = g_strconcat("--interface=", bad[i][0], NULL);
    const char *argv[] = { arg, NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_false(parse_argv(argv, &limits, false, true, &o, &error));
    g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, bad[i][1]);
  }
  /* Required. */
  const char *argv[] = { "--time-limit", "5", NULL };
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_false(parse_argv(argv, &limits, false, true, &o, &error));
  g_assert_cmpstr(error->message, ==, "-i: an interface is required");
}

static void
test_bpf(void)
{
  NcapLimits limits = default_limits();
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autofree char *m = try_one(&limits, NULL, "-f", "tcp port 80", &o);
  g_assert_null(m);
  g_assert_cmpstr(o.bpf, ==, "tcp port 80");
  ncap_capture_opts_clear(&o);

  /* Blank is no filter, not "()" (which libpcap refuses). */
  g_autofree char *m2 = try_one(&limits, NULL, "-f", "   ", &o);
  g_assert_null(m2);
  g_assert_null(o.bpf);
  g_autofree char *f = ncap_capture_opts_filter(&o);
  g_assert_cmpstr(f, ==, "");
  ncap_capture_opts_clear(&o);

  /* Exactly 4096 is fine, 4097 is not. */
  g_autofree char *pad = g_strnfill(4096 - 3, ' ');
  g_autofree char *at_max = g_strconcat("tcp", pad, NULL);
  g_autofree char *m3 = try_one(&limits, NULL, "-f", at_max, &o);
  g_assert_null(m3);
  ncap_capture_opts_clear(&o);
  g_autofree char *over = g_strconcat(at_max, "x", NULL);
  g_autofree char *m4 = try_one(&limits, NULL, "-f", over, &o);
  g_assert_nonnull(m4);
  g_assert_true(g_str_has_prefix(m4, "-f \"tcp "));
  g_assert_true(g_str_has_suffix(m4, "...\": too long (4097 characters, at most 4096)"));

  const char *bad[][2] = {
    { "tcp\nport 22", "-f \"tcp\\nport 22\": control characters (newline ...) are not allowed" },
    { "tcp\rport 22", "-f \"tcp\\rport 22\": control characters (newline ...) are not allowed" },
    { "tcp) or (udp", "-f \"tcp) or (udp\": unbalanced parentheses" },
    { "(tcp", "-f (tcp: unbalanced parentheses" },
    { "tcp)", "-f tcp): unbalanced parentheses" },
    { ")(", "-f )(: unbalanced parentheses" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *msg = try_one(&limits, NULL, "-f", bad[i][0], &o);
    g_assert_cmpstr(msg, ==, bad[i][1]);
  }
}

static void
test_hosts(void)
{
  NcapLimits limits = default_limits();
  const char *good[][2] = {
    { "192.0.2.1", "192.0.2.1" },
    { "2001:db8::1", "2001:db8::1" },
    { "2001:DB8:0:0::1", "2001:db8::1" },
    { "::1", "::1" },
    { "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *m = try_one(&limits, NULL, "--dst-host", good[i][0], &o);
    g_assert_null(m);
    g_assert_cmpstr(o.dst_host, ==, good[i][1]);
  }
  const char *bad[] = { "example.com", "localhost", "192.0.2.01", "192.0.2",
                        "192.0.2.1 ", "192.0.2.0/24", "fe80::1%lo", "", "0x7f.1",
                        "2001:db8::1 or host 10.0.0.1" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *m = try_one(&limits, NULL, "--src-host", bad[i], &o);
    g_assert_nonnull(m);
    g_assert_true(g_str_has_prefix(m, "--src-host "));
    g_assert_true(g_str_has_suffix(m, ": not an IPv4 or IPv6 address (host names are not resolved)"));
  }
  /* One family each way would match nothing (libpcap: "rejects all
   * packets"): an error instead of an empty capture. */
  const char *argv[] = { "-i", "lo", "--src-host", "2001:db8::1", "--dst-host",
                         "192.0.2.1", NULL };
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_false(parse_argv(argv, &limits, false, true, &o, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_assert_cmpstr(error->message, ==,
                  "--src-host 2001:db8::1 --dst-host 192.0.2.1: one is IPv4, "
                  "the other IPv6; no packet has both");
}

static void
test_proto(void)
{
  NcapLimits limits = default_limits();
  const struct { const char *v; int n; } good[] = {
    { "tcp", 6 }, { "TCP", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 },
    { "ipv6-icmp", 58 }, { "sctp", 132 }, { "gre", 47 }, { "esp", 50 },
    { "ah", 51 }, { "0", 0 }, { "255", 255 }, { "047", 47 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *m = try_one(&limits, NULL, "--proto", good[i].v, &o);
    g_assert_null(m);
    g_assert_cmpint(o.proto, ==, good[i].n);
  }
  const char *names = "(a number 0-255 or one of tcp, udp, icmp, icmp6, sctp, gre, "
                      "esp, ah, igmp, ipip, ipv6, rsvp, ospf, pim, vrrp, l2tp, udplite)";
  const char *bad[][2] = {
    { "256", "--proto 256: out of range (0-255)" },
    { "18446744073709551616", "--proto 18446744073709551616: out of range (0-255)" },
    { "6x", "--proto 6x: not a number (0-255)" },
    { "bogus", "--proto bogus: not a protocol " },
    { "-1", "--proto -1: not a protocol " },
    { "", "--proto \"\": not a protocol " },
    { " 6", "--proto \" 6\": not a protocol " },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *m = try_one(&limits, NULL, "--proto", bad[i][0], &o);
    g_assert_nonnull(m);
    if (g_str_has_suffix(bad[i][1], " ")) {
      g_autofree char *want = g_strconcat(bad[i][1], names, NULL);
      g_assert_cmpstr(m, ==, want);
    } else {
      g_assert_cmpstr(m, ==, bad[i][1]);
    }
  }
  /* Ports only mean something with tcp, udp or sctp. */
  const char *argv[] = { "-i", "lo", "--proto", "icmp", "--dst-port", "53", NULL };
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_false(parse_argv(argv, &limits, false, true, &o, &error));
  g_assert_cmpstr(error->message, ==,
                  "--proto icmp: ports need --proto tcp, udp or sctp (or no --proto)");
}

/* ---- filter builder ------------------------------------------------------- */

static void
test_filter(void)
{
  NcapLimits limits = default_limits();
  static const struct {
    const char *argv[16];
    const char *filter;
  } cases[] = {
    { { NULL }, "" },
    { { "--src-host", "192.0.2.1" }, "(src host 192.0.2.1)" },
    { { "--dst-host", "2001:db8::1" }, "(dst host 2001:db8::1)" },
    { { "--src-host", "2001:DB8::1", "--dst-host", "2001:db8::2" },
      "(src host 2001:db8::1) and (dst host 2001:db8::2)" },
    { { "--src-host", "198.51.100.1", "--dst-host", "198.51.100.7" },
      "(src host 198.51.100.1) and (dst host 198.51.100.7)" },
    { { "--src-port", "53" }, "(src port 53)" },
    { { "--dst-port", "0" }, "(dst port 0)" },
    { { "--src-port", "53", "--proto", "tcp" }, "(tcp src port 53)" },
    { { "--dst-port", "65535", "--proto", "17" }, "(udp dst port 65535)" },
    { { "--src-port", "1", "--dst-port", "2", "--proto", "sctp" },
      "(sctp src port 1) and (sctp dst port 2)" },
    { { "--proto", "tcp" }, "(tcp)" },
    { { "--proto", "udp" }, "(udp)" },
    { { "--proto", "icmp" }, "(icmp)" },
    { { "--proto", "ipv6-icmp" }, "(icmp6)" },
    { { "--proto", "sctp" }, "(sctp)" },
    { { "--proto", "gre" }, "(ip proto 47 or ip6 proto 47)" },
    { { "--proto", "0" }, "(ip proto 0 or ip6 proto 0)" },
    { { "--proto", "255" }, "(ip proto 255 or ip6 proto 255)" },
    { { "-f", "port 80 or port 443" }, "(port 80 or port 443)" },
    { { "-f", "  udp  " }, "(udp)" },
    { { "--src-host", "192.0.2.1", "--dst-port", "53", "--proto", "udp", "-f",
        "port 80 or port 443" },
      "(src host 192.0.2.1) and (udp dst port 53) and (port 80 or port 443)" },
    { { "--src-host", "2001:db8::5", "--dst-host", "2001:db8::2", "--src-port",
        "1024", "--dst-port", "443", "--proto", "tcp", "-f", "not arp" },
      "(src host 2001:db8::5) and (dst host 2001:db8::2) and (tcp src port 1024) "
      "and (tcp dst port 443) and (not arp)" },
    { { "--dst-host", "192.0.2.9", "--proto", "esp", "-f", "(not arp)" },
      "(dst host 192.0.2.9) and (ip proto 50 or ip6 proto 50) and ((not arp))" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const char *argv[16] = { "-i", "lo" };
    gsize n = 2;
    for (gsize j = 0; cases[i].argv[j]; j++)
      argv[n++] = cases[i].argv[j];
    argv[n] = NULL;
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    gboolean ok = parse_argv(argv, &limits, false, true, &o, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    g_autofree char *f = ncap_capture_opts_filter(&o);
    g_test_message("%s", f);
    g_assert_cmpstr(f, ==, cases[i].filter);
    assert_compiles(f);
  }
  /* Every protocol number libpcap can be asked for. */
  for (int p = 0; p <= 255; p++) {
    g_autofree char *v = g_strdup_printf("%d", p);
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autofree char *m = try_one(&limits, NULL, "--proto", v, &o);
    g_assert_null(m);
    g_autofree char *f = ncap_capture_opts_filter(&o);
    assert_compiles(f);
  }
}

/* ---- argv round trip ------------------------------------------------------ */

static void
assert_round_trip(const char *const *argv, const NcapLimits *limits, bool saved)
{
  g_auto(NcapCaptureOpts) a = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok = parse_argv(argv, limits, saved, !saved, &a, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_auto(GStrv) out = ncap_capture_opts_to_argv(&a, saved);
  g_autofree char *joined = g_strjoinv(" | ", out);
  g_test_message("to_argv: %s", joined);
  g_auto(NcapCaptureOpts) b = { 0 };
  g_assert_true(parse_argv((const char *const *)out, limits, saved, !saved, &b, &error));
  g_assert_no_error(error);
  g_assert_true(opts_equal(&a, &b));
  /* And again: to_argv is a fixed point. */
  g_auto(GStrv) out2 = ncap_capture_opts_to_argv(&b, saved);
  g_assert_true(g_strv_equal((const char *const *)out, (const char *const *)out2));
}

static void
test_to_argv(void)
{
  NcapLimits limits = default_limits();
  {
    /* Defaults: only the interface. */
    const char *argv[] = { "-i", "lo", NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, true, true, &o, &error));
    g_auto(GStrv) v = ncap_capture_opts_to_argv(&o, true);
    const char *want[] = { "-i", "lo", NULL };
    g_assert_true(g_strv_equal((const char *const *)v, want));
    g_auto(GStrv) v2 = ncap_capture_opts_to_argv(&o, false);
    g_assert_true(g_strv_equal((const char *const *)v2, want));
  }
  {
    /* Every value its own element, in a fixed order. */
    const char *argv[] = { "--proto", "udp", "-i", "eth0", "--dst-port", "53",
                           "-f", "not port 22", "--src-host", "2001:DB8::1",
                           "--sample", "10", "--packet-limit", "1000",
                           "--stall-timeout", "5", NULL };
    g_auto(NcapCaptureOpts) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse_argv(argv, &limits, false, true, &o, &error));
    g_auto(GStrv) v = ncap_capture_opts_to_argv(&o, false);
    const char *want[] = { "-i", "eth0", "-f", "not port 22", "--src-host",
                           "2001:db8::1", "--dst-port", "53", "--proto", "udp",
                           "--sample", "10", "--packet-limit", "1000",
                           "--stall-timeout", "5", NULL };
    g_assert_true(g_strv_equal((const char *const *)v, want));
  }
  const char *const cases[][32] = {
    { "-i", "lo", NULL },
    { "-i", "lo", "--type", "simple", NULL },
    { "-i", "lo", "--type", "simple", "--snaplen", "160", "--time-limit", "300", NULL },
    { "-i", "lo", "--type", "simple", "--snaplen", "1", "--sample", "1000000",
      "--sample-by", "hash", "--time-limit", "1", "--packet-limit", "1", NULL },
    { "-i", "eth0", "--type", "full", "--snaplen", "262144", "--sample", "1", NULL },
    { "-i", "eth0", "--snaplen", "96", "--byte-limit", "1000000000",
      "--time-limit", "86400", "--packet-limit", "1000000000", NULL },
    { "-i", "any", "-f", "tcp and (port 80 or port 443)", "--src-host",
      "192.0.2.1", "--dst-host", "198.51.100.2", "--src-port", "0", "--dst-port",
      "65535", "--proto", "tcp", NULL },
    { "-i", "lo", "--proto", "200", NULL },
    { "-i", "lo", "--proto", "ipv6-icmp", NULL },
    { "-i", "lo", "-f", "-x", NULL },
    { "-i", "lo", "--max-size", "1000", "--file-size", "1000",
      "--delete-on-start", NULL },
    { "-i", "lo", "--max-size", "5", NULL },
    { "-i", "lo", "--file-size", "1", NULL },
    { "-i", "lo", "--max-size", "10", "--file-size", "10", NULL },
    { "-i", "lo", "--stall-timeout", "1", NULL },
    { "-i", "lo", "--stall-timeout", "3600", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gboolean saved_only = FALSE, stream_only = FALSE;
    for (gsize j = 0; cases[i][j]; j++) {
      if (g_str_has_prefix(cases[i][j], "--max-size") ||
          g_str_has_prefix(cases[i][j], "--file-size") ||
          g_str_has_prefix(cases[i][j], "--delete"))
        saved_only = TRUE;
      if (g_str_has_prefix(cases[i][j], "--stall"))
        stream_only = TRUE;
    }
    if (!stream_only)
      assert_round_trip(cases[i], &limits, true);
    if (!saved_only)
      assert_round_trip(cases[i], &limits, false);
  }
  /* Under lowered maxima too (defaults then differ from the constants). */
  NcapLimits low = default_limits();
  low.snaplen_max = 100;
  low.stall_timeout_max = 10;
  low.max_size_max = 4;
  low.file_size_max = 2;
  const char *argv1[] = { "-i", "lo", NULL };
  assert_round_trip(argv1, &low, true);
  assert_round_trip(argv1, &low, false);
  const char *argv2[] = { "-i", "lo", "--type", "simple", NULL };
  assert_round_trip(argv2, &low, true);
}

/* --no-promiscuous and --file-duration: parsed, range-checked, and sent
 * on (saved jobs only for the duration). */
static void
test_promisc_and_duration(void)
{
  NcapLimits lim;
  ncap_limits_init_default(&lim);
  NcapCaptureArgs a = { .iface = (char *)"lo", .no_promiscuous = TRUE,
                        .file_duration = (char *)"60" };
  NcapCaptureOpts o = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true(ncap_capture_opts_from_args(&a, &lim, &o, &error));
  g_assert_true(o.no_promiscuous);
  g_assert_cmpuint(o.file_duration_s, ==, 60);
  g_auto(GStrv) saved = ncap_capture_opts_to_argv(&o, true);
  g_auto(GStrv) live = ncap_capture_opts_to_argv(&o, false);
  g_autofree char *s1 = g_strjoinv(" ", saved);
  g_autofree char *s2 = g_strjoinv(" ", live);
  g_assert_cmpstr(s1, ==, "-i lo --no-promiscuous --file-duration 60");
  g_assert_cmpstr(s2, ==, "-i lo --no-promiscuous");
  ncap_capture_opts_clear(&o);
  a.file_duration = (char *)"0";
  g_assert_false(ncap_capture_opts_from_args(&a, &lim, &o, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
}

/* ---- option entries ------------------------------------------------------- */

static void
test_entries(void)
{
  NcapCaptureArgs args = { 0 };
  const char *base[] = { "interface", "filter", "src-host", "dst-host",
                         "src-port", "dst-port", "proto", "type", "snaplen",
                         "sample", "sample-by", "time-limit", "packet-limit",
                         "byte-limit", "no-promiscuous" };
  for (int variant = 0; variant < 4; variant++) {
    bool saved = variant & 1, stream = variant & 2;
    g_autofree GOptionEntry *e = ncap_capture_option_entries(&args, saved, stream);
    gsize n = 0;
    while (e[n].long_name)
      n++;
    g_assert_cmpuint(n, ==, G_N_ELEMENTS(base) + (saved ? 4 : 0) + (stream ? 1 : 0));
    for (gsize i = 0; i < G_N_ELEMENTS(base); i++) {
      g_assert_cmpstr(e[i].long_name, ==, base[i]);
      g_assert_nonnull(e[i].description);
    }
    g_assert_cmpint(e[0].short_name, ==, 'i');
    g_assert_true(e[0].arg_data == &args.iface);
    g_assert_cmpint(e[1].short_name, ==, 'f');
    g_assert_true(e[1].arg_data == &args.bpf);
    gboolean has_max = FALSE, has_stall = FALSE;
    for (gsize i = 0; i < n; i++) {
      if (strcmp(e[i].long_name, "max-size") == 0) {
        has_max = TRUE;
        g_assert_nonnull(strstr(e[i].description, "1 MB = 1,000,000 bytes"));
        g_assert_nonnull(strstr(e[i].description, "1-1000"));
      }
      if (strcmp(e[i].long_name, "stall-timeout") == 0) {
        has_stall = TRUE;
        g_assert_nonnull(strstr(e[i].description, "1-3600 s"));
      }
      if (strcmp(e[i].long_name, "time-limit") == 0)
        g_assert_nonnull(strstr(e[i].description, "1-300 s"));
    }
    g_assert_cmpint(has_max, ==, saved);
    g_assert_cmpint(has_stall, ==, stream);
  }
  /* A saved-only option is refused by a stream parser. */
  NcapLimits limits = default_limits();
  const char *argv[] = { "-i", "lo", "--max-size", "5", NULL };
  g_auto(NcapCaptureOpts) o = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_false(parse_argv(argv, &limits, false, true, &o, &error));
  g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/options/parse-u64", test_parse_u64);
  g_test_add_func("/options/ranges", test_ranges);
  g_test_add_func("/options/file-size", test_file_size);
  g_test_add_func("/options/defaults", test_defaults);
  g_test_add_func("/options/simple", test_simple);
  g_test_add_func("/options/keyfile", test_keyfile);
  g_test_add_func("/options/admin-limits", test_admin_limits);
  g_test_add_func("/options/iface", test_iface);
  g_test_add_func("/options/bpf", test_bpf);
  g_test_add_func("/options/hosts", test_hosts);
  g_test_add_func("/options/proto", test_proto);
  g_test_add_func("/options/filter", test_filter);
  g_test_add_func("/options/to-argv", test_to_argv);
  g_test_add_func("/options/entries", test_entries);
  g_test_add_func("/options/promisc-and-duration", test_promisc_and_duration);
  return g_test_run();
}
