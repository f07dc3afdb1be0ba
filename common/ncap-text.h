/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Text that came from a node is data, not terminal input: the node's
 * stderr, job records, file names, interface names and descriptions, the
 * names in its pcapng blocks. Before any of it reaches a terminal, a log
 * line or an extcap message it goes through ncap_text_clean(), which
 * escapes every control character and cuts it to a bounded length
 * (docs/security.md "What a node can do to the analyst"). */
#ifndef NCAP_TEXT_H
#define NCAP_TEXT_H

#include <glib.h>

/* One line of a node's text (a stderr line, a file name, a field of a job
 * record): at most this many bytes of it are shown. */
#define NCAP_TEXT_LINE_MAX 1024u
/* A whole error message of ours, which may quote one such line. */
#define NCAP_TEXT_MESSAGE_MAX 4096u

/* Returns text[0..len) (len -1: up to the NUL) with
 *  - bytes 0x00-0x1f and 0x7f, C1 controls (U+0080-U+009F) and bytes that
 *    are not valid UTF-8 written as \xNN (each byte);
 *  - when more than max bytes of input remain (max 0 = no limit), the
 *    first max bytes (cut at a character boundary) followed by
 *    "... (N bytes more)".
 * text NULL gives "". Transfer full. */
char *ncap_text_clean(const char *text, gssize len, gsize max);

/* As ncap_text_clean() line by line: each '\n'-separated line of text is
 * cleaned and cut to max_per_line, the newlines stay (a final one is
 * kept as it was). Transfer full. */
char *ncap_text_clean_lines(const char *text, gsize max_per_line);

/* TRUE when text[0..len) would come out of ncap_text_clean unchanged
 * (within max): lets callers skip a copy on the common path. */
gboolean ncap_text_is_clean(const char *text, gssize len, gsize max);

#endif
