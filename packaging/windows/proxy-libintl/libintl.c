/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See libintl.h: gettext without catalogues. */
#include "libintl.h"

#include <stddef.h>

char *gettext(const char *msgid) { return (char *)msgid; }
char *dgettext(const char *domain, const char *msgid) { (void)domain; return (char *)msgid; }
char *dcgettext(const char *domain, const char *msgid, int category)
{
  (void)domain; (void)category;
  return (char *)msgid;
}
char *ngettext(const char *msgid, const char *plural, unsigned long n)
{
  return (char *)(n == 1 ? msgid : plural);
}
char *dngettext(const char *domain, const char *msgid, const char *plural, unsigned long n)
{
  (void)domain;
  return ngettext(msgid, plural, n);
}
char *dcngettext(const char *domain, const char *msgid, const char *plural, unsigned long n,
                 int category)
{
  (void)domain; (void)category;
  return ngettext(msgid, plural, n);
}
char *textdomain(const char *domain) { return (char *)(domain ? domain : "messages"); }
char *bindtextdomain(const char *domain, const char *dir) { (void)domain; return (char *)dir; }
char *bind_textdomain_codeset(const char *domain, const char *codeset)
{
  (void)domain;
  return (char *)codeset;
}
