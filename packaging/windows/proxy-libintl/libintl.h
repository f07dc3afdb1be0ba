/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A pass-through libintl for the Windows build: nodecap ships English
 * only, so GLib and json-glib need the gettext entry points, not the
 * catalogues. Every call returns its msgid (or the plural form by n). */
#ifndef NCAP_PROXY_LIBINTL_H
#define NCAP_PROXY_LIBINTL_H

#include <locale.h>

/* As GNU libintl.h does where the C library has no LC_MESSAGES. */
#ifndef LC_MESSAGES
#define LC_MESSAGES 1729
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* format_arg, as GNU libintl.h: GLib builds with -Werror=format=2. */
#define NCAP_FA(n) __attribute__((format_arg(n)))
char *gettext(const char *msgid) NCAP_FA(1);
char *dgettext(const char *domain, const char *msgid) NCAP_FA(2);
char *dcgettext(const char *domain, const char *msgid, int category) NCAP_FA(2);
char *ngettext(const char *msgid, const char *plural, unsigned long n) NCAP_FA(1) NCAP_FA(2);
char *dngettext(const char *domain, const char *msgid, const char *plural, unsigned long n)
    NCAP_FA(2) NCAP_FA(3);
char *dcngettext(const char *domain, const char *msgid, const char *plural, unsigned long n,
                 int category) NCAP_FA(2) NCAP_FA(3);
char *textdomain(const char *domain);
char *bindtextdomain(const char *domain, const char *dir);
char *bind_textdomain_codeset(const char *domain, const char *codeset);

#ifdef __cplusplus
}
#endif
#endif
