/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Forced-command parsing and allow-list (see sshcmd.h). */
#include "sshcmd.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "ncap-error.h"

#define MAX_COMMAND 8192
#define MAX_TOKENS 64

/* What an option's value may contain. The helper re-validates every value
 * (common/options.c); this is the coarse gate that keeps shell syntax out of
 * what reaches it, so that a hostile line is refused here, clearly, rather
 * than failing later as "no such interface". */
typedef enum {
  V_NONE,   /* a flag */
  V_IFACE,  /* interface name: letters, digits, . _ - : @ */
  V_BPF,    /* filter text: the characters of pcap-filter(7) expressions */
  V_ADDR,   /* IPv4/IPv6 literal */
  V_NUM,    /* unsigned decimal */
  V_WORD,   /* a keyword: letters, digits, - _ */
  V_NODE,   /* a node name: letters, digits, . _ - */
  V_DEST,   /* an upload destination: s3://bucket/prefix */
} ValueKind;

typedef struct {
  const char *name; /* "-i" or "--src-host" */
  ValueKind value;
} OptSpec;

/* Global options, accepted before or after the verb. */
static const OptSpec global_opts[] = {
  {"--json", V_NONE}, {"--node", V_NODE}, {NULL, V_NONE},
};

/* The capture options of common/options.h (ncap_capture_option_entries). */
#define CAPTURE_OPTS                                                        \
  {"-i", V_IFACE}, {"--interface", V_IFACE}, {"-f", V_BPF},                \
  {"--filter", V_BPF}, {"--src-host", V_ADDR},                              \
  {"--dst-host", V_ADDR}, {"--src-port", V_NUM}, {"--dst-port", V_NUM},     \
  {"--proto", V_WORD}, {"--type", V_WORD}, {"--snaplen", V_NUM},            \
  {"--sample", V_NUM}, {"--sample-by", V_WORD}, {"--time-limit", V_NUM},    \
  {"--packet-limit", V_NUM}, {"--byte-limit", V_NUM}

/* Not --ignore-stdin: over SSH the end of input is how a stream ends. */
static const OptSpec stream_opts[] = {
  CAPTURE_OPTS, {"--stall-timeout", V_NUM}, {"--no-exclude-ssh", V_NONE},
  {"--client-acks", V_NONE}, {NULL, V_NONE},
};
static const OptSpec start_opts[] = {
  CAPTURE_OPTS, {"--max-size", V_NUM}, {"--file-size", V_NUM},
  {"--delete-on-start", V_NONE}, {"--destination", V_DEST},
  {"--upload-delete", V_NONE}, {NULL, V_NONE},
};
static const OptSpec delete_opts[] = {{"--all", V_NONE}, {NULL, V_NONE}};
static const OptSpec no_opts[] = {{NULL, V_NONE}};

static bool
value_ok(ValueKind kind, const char *v)
{
  const char *extra;
  gsize max = 64;
  switch (kind) {
  case V_NONE: return false;
  case V_IFACE: extra = "._-:@"; break;
  case V_BPF: extra = " ()[]&|!<>=+-*/%^.:_"; max = MAX_COMMAND; break;
  case V_ADDR: extra = ".:"; break; /* hex digits are alnum */
  case V_NUM: extra = NULL; break;
  case V_WORD: extra = "-_"; break;
  case V_NODE: extra = "._-"; break;
  case V_DEST: extra = ":/._-"; max = 1024; break;
  default: return false;
  }
  gsize len = strlen(v);
  if (len > max || (len == 0 && kind != V_BPF))
    return false;
  for (; *v; v++) {
    bool ok = kind == V_NUM ? g_ascii_isdigit(*v)
                            : g_ascii_isalnum(*v) || (extra && strchr(extra, *v));
    if (!ok)
      return false;
  }
  return true;
}

typedef enum { POS_NONE, POS_ID, POS_ID_FILE } PosKind;

typedef struct {
  const char *verb;
  const OptSpec *opts;
  int min_pos, max_pos;
  PosKind pos;
} VerbSpec;

static const VerbSpec verbs[] = {
  {"interfaces", no_opts, 0, 0, POS_NONE},
  {"clock", no_opts, 0, 0, POS_NONE},
  {"stream", stream_opts, 0, 0, POS_NONE},
  {"start", start_opts, 0, 0, POS_NONE},
  {"stop", no_opts, 0, 1, POS_ID},
  {"status", no_opts, 0, 1, POS_ID},
  {"list", no_opts, 0, 0, POS_NONE},
  {"delete", delete_opts, 0, 1, POS_ID},
  {"fetch", no_opts, 1, 2, POS_ID_FILE},
  {NULL, NULL, 0, 0, POS_NONE},
};

static const char *verb_names[G_N_ELEMENTS(verbs)];

const char *const *
ncap_sshcmd_verbs(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
    verb_names[i] = verbs[i].verb;
  return verb_names;
}

static const VerbSpec *
find_verb(const char *name)
{
  for (const VerbSpec *v = verbs; v->verb; v++)
    if (strcmp(v->verb, name) == 0)
      return v;
  return NULL;
}

static const OptSpec *
find_opt(const OptSpec *table, const char *name, gsize len)
{
  for (const OptSpec *o = table; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
      return o;
  return NULL;
}

/* A token quoted for a message: printable, bounded. */
static char *
show(const char *tok)
{
  g_autofree char *cut = g_utf8_make_valid(tok, MIN(strlen(tok), 60));
  g_autofree char *esc = g_strescape(cut, NULL);
  return g_strdup_printf("\"%s\"%s", esc, strlen(tok) > 60 ? "..." : "");
}

static gboolean
refuse(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean
refuse(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "forced command: %s",
              msg);
  return FALSE;
}

/* Reject what must never reach the splitter: control characters (newline
 * included) and a '#' that the shell syntax would read as a comment. Tracks
 * quotes the way g_shell_parse_argv does: '...' is literal, "..." allows
 * backslash escapes, a backslash outside quotes escapes the next byte. */
static gboolean
check_raw(const char *cmd, GError **error)
{
  gsize len = strlen(cmd);
  if (len == 0)
    return refuse(error, "no command given (SSH_ORIGINAL_COMMAND is empty)");
  if (len > MAX_COMMAND)
    return refuse(error, "command too long (%zu bytes, at most %d)", len,
                  MAX_COMMAND);
  char quote = 0;
  for (const char *p = cmd; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c < 0x20 || c == 0x7f)
      return refuse(error, "control character 0x%02x not allowed", c);
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
    } else if (quote == '"') {
      if (c == '\\' && p[1])
        p++;
      else if (c == '"')
        quote = 0;
    } else if (c == '\\') {
      if (p[1] == '#')
        return refuse(error, "'#' outside quotes is not allowed");
      if (p[1])
        p++;
    } else if (c == '\'' || c == '"') {
      quote = (char)c;
    } else if (c == '#') {
      return refuse(error, "'#' outside quotes is not allowed");
    }
  }
  if (quote)
    return refuse(error, "unterminated quote");
  return TRUE;
}

static gboolean
valid_id(const char *s)
{
  if (strlen(s) != 32)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit(*s) || g_ascii_isupper(*s))
      return FALSE;
  return TRUE;
}

static gboolean
valid_file(const char *s)
{
  gsize n = strlen(s);
  if (n == 0 || n > 255 || s[0] == '.' || s[0] == '-')
    return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum(*s) || *s == '.' || *s == '_' || *s == '-'))
      return FALSE;
  return TRUE;
}

/* Is token an option from table? Sets *takes_value and *inline_value. */
static const OptSpec *
match_opt(const OptSpec *table, const char *tok, const char **inline_value)
{
  const char *eq = g_str_has_prefix(tok, "--") ? strchr(tok, '=') : NULL;
  gsize len = eq ? (gsize)(eq - tok) : strlen(tok);
  const OptSpec *o = find_opt(table, tok, len);
  if (o && eq && !o->value)
    return NULL; /* --json=1: not a form the helper takes */
  *inline_value = eq ? eq + 1 : NULL;
  return o;
}

char **
ncap_sshcmd_parse(const char *command, int *verb_index, GError **error)
{
  if (!command)
    return refuse(error, "no command given (SSH_ORIGINAL_COMMAND is not set)"),
           NULL;
  if (!check_raw(command, error))
    return NULL;
  int argc = 0;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_shell_parse_argv(command, &argc, &argv, &local))
    return refuse(error, "cannot split: %s", local->message), NULL;
  if (argc > MAX_TOKENS)
    return refuse(error, "too many words (%d, at most %d)", argc, MAX_TOKENS),
           NULL;
  g_autofree char *base = g_path_get_basename(argv[0]);
  if (strcmp(base, "nodecap-helper") != 0) {
    g_autofree char *s = show(argv[0]);
    return refuse(error, "only nodecap-helper may run here, not %s", s), NULL;
  }

  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    g_free(argv[0]);
    argv[0] = g_strdup("nodecap-helper");
    if (verb_index)
      *verb_index = -1;
    return g_steal_pointer(&argv);
  }
  const VerbSpec *verb = NULL;
  int vi = -1, npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *tok = argv[i];
    const char *inline_value = NULL;
    const OptSpec *o = NULL;
    if (tok[0] == '-') {
      if (strcmp(tok, "--") == 0)
        return refuse(error, "\"--\" is not allowed"), NULL;
      o = match_opt(global_opts, tok, &inline_value);
      if (!o && verb)
        o = match_opt(verb->opts, tok, &inline_value);
      if (!o) {
        g_autofree char *s = show(tok);
        if (verb)
          return refuse(error, "unknown option %s for %s", s, verb->verb),
                 NULL;
        return refuse(error, "unknown option %s", s), NULL;
      }
      if (o->value && !inline_value) {
        if (i + 1 >= argc)
          return refuse(error, "option %s needs a value", o->name), NULL;
        inline_value = argv[++i];
      }
      if (inline_value && inline_value[0] == '-') {
        g_autofree char *s = show(inline_value);
        return refuse(error, "value %s of %s may not start with '-'", s,
                      o->name),
               NULL;
      }
      if (inline_value && !value_ok(o->value, inline_value)) {
        g_autofree char *s = show(inline_value);
        return refuse(error, "value %s of %s has characters it may not hold",
                      s, o->name),
               NULL;
      }
      continue;
    }
    if (!verb) {
      verb = find_verb(tok);
      if (!verb) {
        g_autofree char *s = show(tok);
        return refuse(error, "unknown subcommand %s", s), NULL;
      }
      vi = i;
      continue;
    }
    /* A positional word of the verb. */
    npos++;
    gboolean ok = npos <= verb->max_pos &&
                  ((npos == 1 && valid_id(tok)) ||
                   (npos == 2 && verb->pos == POS_ID_FILE && valid_file(tok)));
    if (!ok) {
      g_autofree char *s = show(tok);
      return refuse(error, "unexpected word %s after %s", s, verb->verb), NULL;
    }
  }
  if (!verb)
    return refuse(error, "no subcommand given"), NULL;
  if (npos < verb->min_pos)
    return refuse(error, "%s needs a job id", verb->verb), NULL;

  g_free(argv[0]);
  argv[0] = g_strdup("nodecap-helper");
  if (verb_index)
    *verb_index = vi;
  return g_steal_pointer(&argv);
}

int
ncap_sshcmd_find_verb(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    const char *inline_value = NULL;
    const OptSpec *o = match_opt(global_opts, argv[i], &inline_value);
    if (o) {
      if (o->value && !inline_value)
        i++;
      continue;
    }
    if (argv[i][0] == '-')
      continue;
    return find_verb(argv[i]) ? i : -1;
  }
  return -1;
}

gboolean
ncap_sshcmd_allows_option(const char *verb, const char *name)
{
  const VerbSpec *v = verb ? find_verb(verb) : NULL;
  const OptSpec *table = verb ? (v ? v->opts : NULL) : global_opts;
  return table && find_opt(table, name, strlen(name)) != NULL;
}
