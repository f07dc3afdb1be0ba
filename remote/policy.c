/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The permission policy of the node: see policy.h for the file format. */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"
#include "security.h"

static const char *const permissions[] = {
  "capture.stream",   /* stream verb */
  "capture.save",     /* start/stop saved jobs */
  "captures.read",    /* status/list/fetch saved captures */
  "captures.delete",  /* delete, --delete-on-start */
  "captures.upload",  /* hand-over of files to another place */
  NULL,
};

struct NcapPolicy {
  /* permission -> GPtrArray of names ("alice", "@netops") */
  GHashTable *grant;
  GHashTable *deny;
};

const char *const *
ncap_policy_permissions(void)
{
  return permissions;
}

static bool
is_permission(const char *p)
{
  for (const char *const *q = permissions; *q; q++)
    if (strcmp(*q, p) == 0)
      return true;
  return false;
}

void
ncap_policy_free(NcapPolicy *policy)
{
  if (!policy)
    return;
  g_hash_table_unref(policy->grant);
  g_hash_table_unref(policy->deny);
  g_free(policy);
}

static NcapPolicy *
policy_new(void)
{
  NcapPolicy *p = g_new0(NcapPolicy, 1);
  p->grant = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)g_ptr_array_unref);
  p->deny = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify)g_ptr_array_unref);
  return p;
}

/* A user or group name as the policy may hold it: printable, no blanks, no
 * separators, so what the admin reads is what is matched. */
static bool
valid_name(const char *n)
{
  if (*n == '@')
    n++;
  if (*n == '\0' || strlen(n) > 256)
    return false;
  for (; *n; n++) {
    unsigned char c = (unsigned char)*n;
    if (!(g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.' || c == '$'))
      return false;
  }
  return true;
}

static gboolean
load_section(GKeyFile *kf, const char *name, const char *section,
             GHashTable *into, GError **error)
{
  if (!g_key_file_has_group(kf, section))
    return TRUE;
  gsize nkeys = 0;
  g_auto(GStrv) keys = g_key_file_get_keys(kf, section, &nkeys, NULL);
  for (gsize i = 0; i < nkeys; i++) {
    if (!is_permission(keys[i])) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                  "%s: [%s] %s: unknown permission", name, section, keys[i]);
      return FALSE;
    }
    g_auto(GStrv) list = g_key_file_get_string_list(kf, section, keys[i],
                                                    NULL, NULL);
    GPtrArray *names = g_hash_table_lookup(into, keys[i]);
    if (!names) {
      names = g_ptr_array_new_with_free_func(g_free);
      g_hash_table_insert(into, g_strdup(keys[i]), names);
    }
    for (char **n = list; n && *n; n++) {
      char *t = g_strstrip(*n);
      if (*t == '\0')
        continue;
      if (!valid_name(t)) {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                    "%s: [%s] %s: bad user or @group name \"%s\"", name,
                    section, keys[i], t);
        return FALSE;
      }
      g_ptr_array_add(names, g_strdup(t));
    }
  }
  return TRUE;
}

NcapPolicy *
ncap_policy_new_from_data(const char *data, const char *name, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE,
                                 &local)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", name,
                local->message);
    return NULL;
  }
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    if (strcmp(*g, "grant") != 0 && strcmp(*g, "deny") != 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                  "%s: unknown section [%s] (only [grant] and [deny])", name,
                  *g);
      return NULL;
    }
  }
  g_autoptr(NcapPolicy) p = policy_new();
  if (!load_section(kf, name, "grant", p->grant, error) ||
      !load_section(kf, name, "deny", p->deny, error))
    return NULL;
  return g_steal_pointer(&p);
}

gboolean
ncap_policy_check_file(int fd, const char *path, uid_t trusted_uid,
                       GError **error)
{
  struct stat st;
  if (fstat(fd, &st) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  if (!S_ISREG(st.st_mode)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "%s: not a regular file", path);
    return FALSE;
  }
  if (st.st_uid != 0 && st.st_uid != trusted_uid) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "%s: refused: owned by uid %u, must be owned by root", path,
                (unsigned)st.st_uid);
    return FALSE;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG,
                "%s: refused: writable by group or others (mode %04o)", path,
                (unsigned)(st.st_mode & 07777));
    return FALSE;
  }
  return TRUE;
}

NcapPolicy *
ncap_policy_load(const char *path, uid_t trusted_uid, GError **error)
{
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 && errno == ENOENT)
    return policy_new(); /* no file: nobody may do anything */
  if (fd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", path,
                errno == ELOOP ? "refused: is a symbolic link"
                               : g_strerror(errno));
    return NULL;
  }
  if (!ncap_policy_check_file(fd, path, trusted_uid, error)) {
    close(fd);
    return NULL;
  }
  GString *text = g_string_new(NULL);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0)
      g_string_append_len(text, buf, n);
    if (text->len > 1024 * 1024)
      break;
  }
  int e = errno;
  close(fd);
  if (n < 0 || text->len > 1024 * 1024) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CONFIG, "%s: %s", path,
                n < 0 ? g_strerror(e) : "too large");
    g_string_free(text, TRUE);
    return NULL;
  }
  NcapPolicy *p = ncap_policy_new_from_data(text->str, path, error);
  g_string_free(text, TRUE);
  return p;
}

static bool
list_matches(GHashTable *table, const char *perm, const char *user,
             const char *const *groups)
{
  GPtrArray *names = g_hash_table_lookup(table, perm);
  if (!names || !user)
    return false;
  for (guint i = 0; i < names->len; i++) {
    const char *n = names->pdata[i];
    if (n[0] == '@') {
      for (const char *const *g = groups; g && *g; g++)
        if (strcmp(n + 1, *g) == 0)
          return true;
    } else if (strcmp(n, user) == 0) {
      return true;
    }
  }
  return false;
}

bool
ncap_policy_allows(const NcapPolicy *policy, const char *user,
                   const char *const *groups, const char *perm,
                   const char **reason)
{
  const char *why = "not granted";
  bool ok = false;
  if (!policy || !user || !is_permission(perm))
    why = "unknown permission";
  else if (list_matches(policy->deny, perm, user, groups))
    why = "denied by [deny]";
  else if (list_matches(policy->grant, perm, user, groups))
    ok = true, why = "granted";
  if (reason)
    *reason = why;
  return ok;
}

char **
ncap_policy_groups_of(const char *user)
{
  GPtrArray *out = g_ptr_array_new();
  struct passwd pw, *res = NULL;
  char pwbuf[4096];
  if (user && getpwnam_r(user, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res) {
    int n = 64;
    g_autofree gid_t *gids = NULL;
    for (;;) {
      g_free(gids);
      gids = g_new(gid_t, n);
      int want = n;
      if (getgrouplist(user, pw.pw_gid, gids, &want) >= 0) {
        n = want;
        break;
      }
      if (want <= n || want > 65536) {
        n = 0;
        break;
      }
      n = want;
    }
    for (int i = 0; i < n; i++) {
      struct group gr, *gres = NULL;
      char grbuf[16384];
      if (getgrgid_r(gids[i], &gr, grbuf, sizeof grbuf, &gres) == 0 && gres)
        g_ptr_array_add(out, g_strdup(gr.gr_name));
    }
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}

gboolean
ncap_policy_check(const NcapPolicy *policy, const NcapHelper *h,
                  const char *perm, GError **error)
{
  g_auto(GStrv) groups = ncap_policy_groups_of(h->caller_name);
  if (ncap_policy_allows(policy, h->caller_name,
                         (const char *const *)groups, perm, NULL))
    return TRUE;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_PERMISSION,
              "permission denied: %s", perm);
  return FALSE;
}

gboolean
ncap_policy_require(NcapHelper *h, const char *perm, GError **error)
{
  const NcapPolicy *policy = ncap_security_policy(h, error);
  if (!policy)
    return FALSE;
  GError *denial = NULL;
  ncap_policy_check(policy, h, perm, &denial);
  return ncap_security_audit_decision(h, perm, denial, error);
}
