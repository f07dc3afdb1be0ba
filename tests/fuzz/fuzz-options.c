/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the capture options (common/options.c): the node
 * re-validates every option a client sends, so each string here may come
 * from the network, and nodecap.conf [limits] is parsed by the same code.
 *
 * Input layout: byte 0 picks the mode (bit 0: saved job options, else
 * stream options; bit 1: GOption ignores unknown options). The rest is
 * split at the first "\0\0": before it, argv strings separated by NUL;
 * after it, a nodecap.conf keyfile whose [limits] (if it loads) bound the
 * parse. The whole input is also loaded as a keyfile on its own.
 *
 * Checked: nothing crashes or leaks; errors are NCAP_ERROR with one line;
 * accepted options give a filter with balanced parentheses and no control
 * characters; to_argv() parses back (same GOption table, same limits) to
 * equal options, the same filter and the same argv. */
#include "fuzz-common.h"

#include <string.h>

#include "ncap-error.h"
#include "options.h"

static gboolean
str_eq0(const char *a, const char *b)
{
  return g_strcmp0(a, b) == 0;
}

/* The fields to_argv(saved) carries. */
static gboolean
opts_equal(const NcapCaptureOpts *a, const NcapCaptureOpts *b, bool saved)
{
  gboolean common =
      str_eq0(a->iface, b->iface) && str_eq0(a->bpf, b->bpf) &&
      str_eq0(a->src_host, b->src_host) && str_eq0(a->dst_host, b->dst_host) &&
      a->src_port == b->src_port && a->dst_port == b->dst_port &&
      a->proto == b->proto && a->type == b->type && a->snaplen == b->snaplen &&
      a->sample == b->sample && a->sample_by_hash == b->sample_by_hash &&
      a->time_limit == b->time_limit && a->packet_limit == b->packet_limit &&
      a->byte_limit == b->byte_limit;
  if (saved)
    return common && a->max_size_mb == b->max_size_mb &&
           a->file_size_mb == b->file_size_mb &&
           a->delete_on_start == b->delete_on_start;
  return common && a->stall_timeout == b->stall_timeout;
}

static void
check_error(const GError *error)
{
  FUZZ_CHECK(error != NULL);
  FUZZ_CHECK(error->message != NULL);
}

/* One user-readable line (ncap_error_print flattens, but our own messages
 * should not need it). */
static void
check_ncap_error(const GError *error, int code)
{
  check_error(error);
  FUZZ_CHECK(error->domain == NCAP_ERROR);
  FUZZ_CHECK(error->code == code);
  FUZZ_CHECK(strchr(error->message, '\n') == NULL);
}

/* GOption parse of argv (argv[0] is the program name). On success, *left
 * is what GOption did not consume (argv[0] included). */
static gboolean
goption_parse(char ***argv, NcapCaptureArgs *args, bool saved, bool ignore_unknown,
              GError **error)
{
  g_autofree GOptionEntry *entries =
      ncap_capture_option_entries(args, saved, !saved);
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_set_help_enabled(ctx, FALSE);
  g_option_context_set_ignore_unknown_options(ctx, ignore_unknown);
  g_option_context_add_main_entries(ctx, entries, NULL);
  return g_option_context_parse_strv(ctx, argv, error);
}

static void
check_filter(const char *filter)
{
  int depth = 0;
  for (const char *p = filter; *p; p++) {
    FUZZ_CHECK(!g_ascii_iscntrl(*p) || *p == '\t');
    if (*p == '(')
      depth++;
    else if (*p == ')')
      FUZZ_CHECK(--depth >= 0);
  }
  FUZZ_CHECK(depth == 0);
}

static void
round_trip(const NcapCaptureOpts *opts, const NcapLimits *limits, bool saved)
{
  g_autofree char *filter = ncap_capture_opts_filter(opts);
  check_filter(filter);
  g_auto(GStrv) argv = ncap_capture_opts_to_argv(opts, saved);
  FUZZ_CHECK(argv != NULL);

  /* Parse it back exactly as the helper would. */
  g_autoptr(GPtrArray) v = g_ptr_array_new();
  g_ptr_array_add(v, g_strdup("nodecap-helper"));
  for (gsize i = 0; argv[i]; i++)
    g_ptr_array_add(v, g_strdup(argv[i]));
  g_ptr_array_add(v, NULL);
  char **strv = (char **)g_ptr_array_free(g_steal_pointer(&v), FALSE);
  g_auto(NcapCaptureArgs) args = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok = goption_parse(&strv, &args, saved, false, &error);
  if (!ok)
    fprintf(stderr, "to_argv output refused by GOption: %s\n", error->message);
  FUZZ_CHECK(ok);
  if (g_strv_length(strv) != 1)
    fprintf(stderr, "to_argv output left over: %s\n", strv[1]);
  FUZZ_CHECK(g_strv_length(strv) == 1);
  g_strfreev(strv);

  g_auto(NcapCaptureOpts) back = { 0 };
  ok = ncap_capture_opts_from_args(&args, limits, &back, &error);
  if (!ok)
    fprintf(stderr, "to_argv output refused: %s\n", error->message);
  FUZZ_CHECK(ok);
  FUZZ_CHECK(opts_equal(opts, &back, saved));

  g_autofree char *filter2 = ncap_capture_opts_filter(&back);
  FUZZ_CHECK(strcmp(filter, filter2) == 0);
  g_auto(GStrv) argv2 = ncap_capture_opts_to_argv(&back, saved);
  FUZZ_CHECK(g_strv_equal((const char *const *)argv, (const char *const *)argv2));
}

/* Loads data as nodecap.conf; TRUE and *limits filled when it loads. */
static gboolean
load_limits(const char *data, gsize len, NcapLimits *limits)
{
  ncap_limits_init_default(limits);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL))
    return FALSE;
  NcapLimits before = *limits;
  g_autoptr(GError) error = NULL;
  if (!ncap_limits_load_keyfile(limits, kf, "nodecap.conf", &error)) {
    check_ncap_error(error, NCAP_ERROR_CONFIG);
    FUZZ_CHECK(g_str_has_prefix(error->message, "nodecap.conf: [limits] "));
    /* A bad file leaves the limits as they were. */
    FUZZ_CHECK(memcmp(&before, limits, sizeof before) == 0);
    return FALSE;
  }
  FUZZ_CHECK(error == NULL);
  /* Every maximum loaded is at least 1. */
  FUZZ_CHECK(limits->simple_time_max >= 1 && limits->time_max >= 1 &&
             limits->snaplen_max >= 1 && limits->snaplen_max <= NCAP_DEFAULT_SNAPLEN &&
             limits->sample_max >= 1 && limits->stall_timeout_max >= 1);
  return TRUE;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_glib_fatal();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  if (len == 0)
    return 0;
  NcapLimits limits;
  /* The whole input as a nodecap.conf. */
  (void)load_limits((const char *)data, len, &limits);

  bool saved = data[0] & 1;
  bool ignore_unknown = data[0] & 2;
  const char *p = (const char *)data + 1;
  gsize n = len - 1;
  const char *sep = memmem(p, n, "\0\0", 2);
  gsize argv_len = sep ? (gsize)(sep - p) : n;
  if (sep)
    load_limits(sep + 2, n - argv_len - 2, &limits);
  else
    ncap_limits_init_default(&limits);

  /* argv: "prog", then each NUL-separated string (the last one need not
   * end with NUL). At most 64, as a forced command line would be short. */
  g_autoptr(GPtrArray) v = g_ptr_array_new();
  g_ptr_array_add(v, g_strdup("nodecap-helper"));
  gsize start = 0;
  for (gsize i = 0; i <= argv_len && v->len < 65; i++)
    if (i == argv_len || p[i] == '\0') {
      if (i > start || i < argv_len)
        g_ptr_array_add(v, g_strndup(p + start, i - start));
      start = i + 1;
    }
  g_ptr_array_add(v, NULL);
  char **strv = (char **)g_ptr_array_free(g_steal_pointer(&v), FALSE);

  g_auto(NcapCaptureArgs) args = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok = goption_parse(&strv, &args, saved, ignore_unknown, &error);
  g_strfreev(strv);
  if (!ok) {
    check_error(error);  /* GOption's own domain */
    return 0;
  }

  NcapCaptureOpts before;
  memset(&before, 0xA5, sizeof before);
  NcapCaptureOpts opts = before;
  ok = ncap_capture_opts_from_args(&args, &limits, &opts, &error);
  if (!ok) {
    check_ncap_error(error, NCAP_ERROR_INVALID);
    /* "on failure it is not touched" */
    FUZZ_CHECK(memcmp(&before, &opts, sizeof opts) == 0);
    return 0;
  }
  /* What was accepted is within the limits it was checked against. */
  FUZZ_CHECK(opts.iface != NULL && opts.iface[0] != '\0');
  FUZZ_CHECK(opts.snaplen >= 1 && opts.snaplen <= limits.snaplen_max);
  FUZZ_CHECK(opts.sample >= 1);
  FUZZ_CHECK(opts.file_size_mb <= opts.max_size_mb);
  if (opts.type == NCAP_CAPTURE_SIMPLE)
    FUZZ_CHECK(opts.time_limit >= 1 && opts.time_limit <= limits.simple_time_max &&
               opts.snaplen <= NCAP_SIMPLE_SNAPLEN);
  FUZZ_CHECK(opts.src_port >= -1 && opts.src_port <= 65535);
  FUZZ_CHECK(opts.dst_port >= -1 && opts.dst_port <= 65535);
  FUZZ_CHECK(opts.proto >= -1 && opts.proto <= 255);
  round_trip(&opts, &limits, saved);
  ncap_capture_opts_clear(&opts);
  return 0;
}
