/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Escaping and bounding of text from nodes (see ncap-text.h). */
#include "ncap-text.h"

#include <string.h>

/* Length of the valid, printable UTF-8 character at p (end - p > 0), or 0
 * when the byte at p must be escaped. */
static gsize
char_len(const guchar *p, const guchar *end)
{
  guchar b = p[0];
  if (b >= 0x20 && b < 0x7f)
    return 1;
  if (b < 0x80)
    return 0;
  gsize n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
  if (n == 0 || (gsize)(end - p) < n)
    return 0;
  if (!g_utf8_validate((const char *)p, (gssize)n, NULL))
    return 0;
  gunichar u = g_utf8_get_char((const char *)p);
  if (u >= 0x80 && u <= 0x9f)  /* C1: 0x9b is CSI on some terminals */
    return 0;
  return n;
}

char *
ncap_text_clean(const char *text, gssize len, gsize max)
{
  if (text == NULL)
    return g_strdup("");
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  const guchar *p = (const guchar *)text, *end = p + n;
  GString *out = g_string_sized_new(MIN(n, max ? max : n) + 16);

  while (p < end) {
    gsize used = (gsize)(p - (const guchar *)text);
    gsize cl = char_len(p, end);
    if (max && used + (cl ? cl : 1) > max) {
      g_string_append_printf(out, "... (%" G_GSIZE_FORMAT " bytes more)",
                             n - used);
      break;
    }
    if (cl) {
      g_string_append_len(out, (const char *)p, (gssize)cl);
      p += cl;
    } else {
      g_string_append_printf(out, "\\x%02x", *p);
      p++;
    }
  }
  return g_string_free(out, FALSE); /* transfer full */
}

char *
ncap_text_clean_lines(const char *text, gsize max_per_line)
{
  GString *out = g_string_new(NULL);
  const char *p = text ? text : "";
  for (;;) {
    const char *nl = strchr(p, '\n');
    gsize n = nl ? (gsize)(nl - p) : strlen(p);
    g_autofree char *line = ncap_text_clean(p, (gssize)n, max_per_line);
    g_string_append(out, line);
    if (!nl)
      break;
    g_string_append_c(out, '\n');
    p = nl + 1;
  }
  return g_string_free(out, FALSE); /* transfer full */
}

gboolean
ncap_text_is_clean(const char *text, gssize len, gsize max)
{
  if (text == NULL)
    return TRUE;
  gsize n = len < 0 ? strlen(text) : (gsize)len;
  if (max && n > max)
    return FALSE;
  const guchar *p = (const guchar *)text, *end = p + n;
  while (p < end) {
    gsize cl = char_len(p, end);
    if (cl == 0)
      return FALSE;
    p += cl;
  }
  return TRUE;
}
