/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The security glue main.c and the verbs call: who is calling (real uid at
 * exec, or the person named by --as on the shared SSH account), the forced-
 * command mode, the policy, audit, rate limits and per-user resource caps.
 *
 * In main():
 *   ncap_privs_init();                          // very first line
 *   NcapHelper h = {0};
 *   if (!ncap_security_init(&h, &argc, &argv, &error)) -> print, exit
 *   ... dispatch the verb ...
 *   ncap_security_finish(&h, error);            // audits the result
 * In a verb, before it opens anything (policy.h):
 *   if (!ncap_policy_require(h, "capture.stream", error)) return FALSE;
 * What this module learns about the request lives in h->security, freed by
 * ncap_security_finish.
 *
 * nodecap.conf keys read here (all optional):
 *   [ssh]     shared_account = capture   (the account whose keys carry --as)
 *   [rate]    simple_interval = 60       (s between simple requests; 0 = off)
 *   [streams] max_per_user = 2           (concurrent streams per user)
 *             buffer_mb = 64             (kernel buffer for a capture, MiB)
 *   [user:NAME] max_streams = N, buffer_mb = N   (per-user overrides)
 */
#ifndef NCAP_SECURITY_H
#define NCAP_SECURITY_H

#include <glib.h>

#include "helper.h"
#include "options.h"
#include "policy.h"
#include "privs.h"

/* Fill h's caller, secure, forced_command and path fields and h->config;
 * load the policy and open the audit log. Handles `--ssh [--as NAME]`
 * (replacing *argv by the checked SSH_ORIGINAL_COMMAND; the new vector and
 * its strings are owned by this module until ncap_security_finish) and refuses --ssh/--as
 * anywhere else. Path overrides NCAP_SYSCONFDIR, NCAP_STATEDIR,
 * NCAP_CAPTURESDIR, NCAP_AUDITLOG from the environment are honoured only
 * when not AT_SECURE; when AT_SECURE the environment is cleared. A refused
 * forced command is audited before this returns FALSE. */
gboolean ncap_security_init(NcapHelper *h, int *argc, char ***argv,
                            GError **error);

/* For ncap_policy_require (policy.c): the policy of this request, loaded
 * once. Marks that a permission check ran (so the outcome is audited). When
 * it cannot be loaded: NULL, the load error (NCAP_ERROR_CONFIG), audited as
 * "error". Transfer none. */
const NcapPolicy *ncap_security_policy(NcapHelper *h, GError **error);

/* For ncap_policy_require: audit the decision on perm. denial (transfer
 * full) is the refusal, or NULL when the policy grants perm; it is audited
 * "denied" and propagated. A grant of an audited verb is audited "allowed"
 * and fails closed when the audit log cannot be written. */
gboolean ncap_security_audit_decision(NcapHelper *h, const char *perm, GError *denial,
                                      GError **error);

/* One simple request per interval per user ([rate] simple_interval). Call
 * for --type simple after the policy check. NCAP_ERROR_BUSY with the wait. */
gboolean ncap_security_rate_simple(NcapHelper *h, GError **error);

/* Take a concurrent-stream slot for the caller; held until exit. */
gboolean ncap_security_stream_slot(NcapHelper *h, GError **error);

/* Kernel buffer size for the caller's capture, in bytes (per-user cap). */
gsize ncap_security_buffer_size(NcapHelper *h);

/* The user's simple-interval and stream limits as configured. */
guint ncap_security_simple_interval(NcapHelper *h);
guint ncap_security_max_streams(NcapHelper *h);

/* Audit the verb's outcome (error NULL = "ok") when the verb is audited or
 * a permission was checked, then free what init kept (the forced-command
 * argv included: call it once, last, when argv is no longer used). */
void ncap_security_finish(NcapHelper *h, const GError *error);

#endif
