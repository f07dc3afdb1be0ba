/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Key files and terminal prompts: see sshkey.h. */
#include "sshkey.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ncap-error.h"
#include "port.h"

#define SSHKEY_TRIES 3

static GMutex prompt_lock;
/* A passphrase typed for a key file, kept for the other nodes of this run
 * (every node's thread loads the same key). Guarded by prompt_lock. */
static char *typed_for, *typed_passphrase;

bool
ncap_sshkey_can_prompt(void)
{
  return ncap_port_stdin_is_tty();
}

char *
ncap_sshkey_ask(const char *prompt)
{
  bool interrupted = false;

  if (!ncap_sshkey_can_prompt())
    return NULL;
  /* One prompt at a time: every node's thread may want the passphrase. */
  g_mutex_lock(&prompt_lock);
  char *line = ncap_port_ask_secret(prompt, &interrupted);
  g_mutex_unlock(&prompt_lock);
  if (interrupted)
    raise(SIGINT);
  return line;
}

typedef struct {
  bool asked; /* libssh wanted a passphrase: the key is encrypted */
} Probe;

static int
probe_cb(const char *prompt, char *buf, size_t len, int echo, int verify,
         void *userdata)
{
  (void)prompt, (void)buf, (void)len, (void)echo, (void)verify;
  ((Probe *)userdata)->asked = true;
  return -1;
}

static bool
try_passphrase(const char *path, const char *pw, ssh_key *key)
{
  return ssh_pki_import_privkey_file(path, pw, NULL, NULL, key) == SSH_OK;
}

ssh_key
ncap_sshkey_load(const char *path, const char *passphrase, bool may_prompt,
                 GError **error)
{
  ssh_key key = NULL;
  struct stat st;
  Probe probe = {0};
  int fd;

  /* The file first: what ssh would say about it. */
  if (stat(path, &st) != 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH, "private key %s: %s",
                path, g_strerror(errno));
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
                "private key %s: is a directory", path);
    return NULL;
  }
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
                "private key %s: cannot read it: %s", path, g_strerror(errno));
    return NULL;
  }
  close(fd);

  if (passphrase != NULL && *passphrase != '\0') {
    if (try_passphrase(path, passphrase, &key))
      return key;
    /* Wrong, or not a key at all: tell them apart. */
    if (ssh_pki_import_privkey_file(path, NULL, probe_cb, &probe, &key) ==
        SSH_OK) {
      return key; /* not encrypted: the passphrase was not needed */
    }
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
                probe.asked ? "private key %s: wrong passphrase"
                            : "private key %s: not a private key libssh "
                              "can read",
                path);
    return NULL;
  }

  if (ssh_pki_import_privkey_file(path, NULL, probe_cb, &probe, &key) ==
      SSH_OK)
    return key;
  if (!probe.asked) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
                "private key %s: not a private key libssh can read", path);
    return NULL;
  }
  /* Encrypted, no passphrase given. */
  g_mutex_lock(&prompt_lock);
  if (typed_for != NULL && strcmp(typed_for, path) == 0 &&
      try_passphrase(path, typed_passphrase, &key)) {
    g_mutex_unlock(&prompt_lock);
    return key;
  }
  g_mutex_unlock(&prompt_lock);
  if (!may_prompt) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
                "private key %s is encrypted and no passphrase was given "
                "(--sshkey-passphrase, or load it into ssh-agent)",
                path);
    return NULL;
  }
  g_autofree char *prompt =
      g_strdup_printf("Enter passphrase for key '%s': ", path);
  for (int i = 0; i < SSHKEY_TRIES; i++) {
    char *pw = ncap_sshkey_ask(prompt);
    if (pw == NULL) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
                  "private key %s: no passphrase typed", path);
      return NULL;
    }
    bool ok = try_passphrase(path, pw, &key);
    if (ok) {
      g_mutex_lock(&prompt_lock);
      g_free(typed_for);
      if (typed_passphrase) {
        memset(typed_passphrase, 0, strlen(typed_passphrase));
        g_free(typed_passphrase);
      }
      typed_for = g_strdup(path);
      typed_passphrase = pw;
      g_mutex_unlock(&prompt_lock);
      return key;
    }
    memset(pw, 0, strlen(pw));
    g_free(pw);
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_AUTH,
              "private key %s: wrong passphrase (%d tries)", path,
              SSHKEY_TRIES);
  return NULL;
}
