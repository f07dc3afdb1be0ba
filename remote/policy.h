/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who may do what on the node: /etc/nodecap/policy.conf, a GKeyFile

 *   [grant]
 *   capture.stream = alice;@netops
 *   capture.save   = alice
 *   [deny]
 *   capture.stream = vendor;@contractors
 *
 * Keys are permissions (ncap_policy_permissions()), values lists of user
 * names and @group names. A name in [deny] overrides every grant, whether
 * the grant names the user or a group. Nobody, root included, holds a
 * permission the file does not name. A missing file grants nothing; a file
 * that is not a regular file, not root-owned or writable by group/others,
 * or that names an unknown section or permission, is refused
 * (NCAP_ERROR_CONFIG): a typo in [deny] must not silently let someone in. */
#ifndef NCAP_POLICY_H
#define NCAP_POLICY_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "helper.h"

typedef struct NcapPolicy NcapPolicy;

/* NULL-terminated list of the permissions the file may name. Transfer none. */
const char *const *ncap_policy_permissions(void);

/* Open and parse path (O_NOFOLLOW). trusted_uid is a second owner that is
 * accepted besides root: (uid_t)-1 in production; the caller's uid in an
 * unprivileged test run, where the file cannot be root-owned. Transfer full. */
NcapPolicy *ncap_policy_load(const char *path, uid_t trusted_uid,
                             GError **error);
/* Parse from text (no file checks), for tests. Transfer full. */
NcapPolicy *ncap_policy_new_from_data(const char *data, const char *name,
                                      GError **error);
void ncap_policy_free(NcapPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapPolicy, ncap_policy_free)

/* Pure decision: does `user`, member of `groups` (names, NULL-terminated,
 * may be NULL), hold `perm`? Denied when perm is unknown. If reason is not
 * NULL it gets a static explanation ("not granted", "denied by [deny]"). */
bool ncap_policy_allows(const NcapPolicy *policy, const char *user,
                        const char *const *groups, const char *perm,
                        const char **reason);

/* The group names of an account, from getgrouplist() of its passwd entry
 * (primary group included). Empty when the account does not exist (a name
 * given with --as need not be a local account). Transfer full. */
char **ncap_policy_groups_of(const char *user);

/* Check h->caller_name (and its groups) against perm. On refusal:
 * NCAP_ERROR_PERMISSION "permission denied: <perm>". */
gboolean ncap_policy_check(const NcapPolicy *policy, const NcapHelper *h,
                           const char *perm, GError **error);

/* Refuse a configuration file we would trust that is not a regular file
 * owned by root (or trusted_uid), or that group/others may write.
 * fd is an open descriptor of it; path only names it in the message. */
gboolean ncap_policy_check_file(int fd, const char *path, uid_t trusted_uid,
                                GError **error);

/* The check a verb makes before it opens anything: h->caller_name against
 * perm in the policy of this request (ncap_security_policy), with the
 * decision audited (ncap_security_audit_decision). Denials give
 * NCAP_ERROR_PERMISSION "permission denied: <perm>"; an allowed audited
 * verb (stream/start/stop/fetch/delete) is audited as "allowed". Fails
 * closed (NCAP_ERROR_CONFIG) when the policy or the audit log could not be
 * loaded. */
gboolean ncap_policy_require(NcapHelper *h, const char *perm, GError **error);

#endif
