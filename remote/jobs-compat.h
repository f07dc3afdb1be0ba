/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Temporary bridge for the saved-job verbs while the security module
 * (policy, privileges, rate limits: remote/security.h, privs.h) is on
 * another branch. Once it is merged these wrappers call it; remove this
 * file then. Without it they allow everything, so a build without
 * security.h must never be installed. */
#ifndef NCAP_JOBS_COMPAT_H
#define NCAP_JOBS_COMPAT_H

#include <glib.h>

#include "helper.h"

#if __has_include("security.h")
#include "security.h"
#define NCAP_JOBS_HAVE_SECURITY 1
#endif

static inline gboolean
ncap_jobs_require(NcapHelper *h, const char *perm, GError **error)
{
#ifdef NCAP_JOBS_HAVE_SECURITY
  return ncap_policy_require(h, perm, error);
#else
  (void)h, (void)perm, (void)error;
  return TRUE;
#endif
}

static inline gboolean
ncap_jobs_rate_simple(NcapHelper *h, GError **error)
{
#ifdef NCAP_JOBS_HAVE_SECURITY
  return ncap_security_rate_simple(h, error);
#else
  (void)h, (void)error;
  return TRUE;
#endif
}

static inline gsize
ncap_jobs_buffer_size(NcapHelper *h)
{
#ifdef NCAP_JOBS_HAVE_SECURITY
  return ncap_security_buffer_size(h);
#else
  (void)h;
  return 0;
#endif
}

/* The worker: drop every privilege, becoming the service user. */
static inline gboolean
ncap_jobs_drop_privs(GError **error)
{
#ifdef NCAP_JOBS_HAVE_SECURITY
  return ncap_privs_drop_all(NCAP_PRIVS_TO_SERVICE, error);
#else
  (void)error;
  return TRUE;
#endif
}

#endif
