/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test driver of the uploader (remote/uploader.h) until saved jobs call it:
 * spawns the real uploader process (isolated, no capability) exactly as
 * the worker does, feeds it the lines read from stdin ("<seq> <name>
 * [sha256]"), waits for it and prints the upload record as JSON.
 *
 *   ncap-s3-upload --conf nodecap.conf --dest s3://b/p --job ID --node N
 *                  --dir DIR [--dir DIR2] --record-dir DIR [--delete] */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ncap-error.h"
#include "uploader.h"

int
main(int argc, char **argv)
{
  g_autofree char *conf = NULL, *dest = NULL, *job = NULL, *node = NULL, *recdir = NULL;
  g_auto(GStrv) dirs = NULL;
  gboolean del = FALSE, check = FALSE;
  GOptionEntry entries[] = {
    { "conf", 0, 0, G_OPTION_ARG_FILENAME, &conf, "nodecap.conf", "FILE" },
    { "dest", 0, 0, G_OPTION_ARG_STRING, &dest, "destination", "URI" },
    { "job", 0, 0, G_OPTION_ARG_STRING, &job, "job id", "ID" },
    { "node", 0, 0, G_OPTION_ARG_STRING, &node, "node name", "NAME" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, "file directory", "DIR" },
    { "record-dir", 0, 0, G_OPTION_ARG_FILENAME, &recdir, "record directory", "DIR" },
    { "delete", 0, 0, G_OPTION_ARG_NONE, &del, "delete after upload", NULL },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "only check destination and credentials", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  /* Declared before the first goto fail, whose cleanup would otherwise free
   * them uninitialized (GCC 14 warns). */
  g_autoptr(NcapUploadRecord) rec = NULL;
  g_autoptr(JsonNode) node_json = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error))
    goto fail;

  NcapUploaderConfig cfg = { 0 };
  ncap_s3_settings_init_default(&cfg.settings);
  if (conf) {
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, conf, G_KEY_FILE_NONE, &error) ||
        !ncap_s3_settings_load(&cfg.settings, kf, conf, &error))
      goto fail;
  }
  cfg.trusted_uid = getuid();
  cfg.reader_gid = getgid();
  if (check) {
    if (!ncap_uploader_check(&cfg.settings, dest ? dest : "", cfg.trusted_uid, cfg.reader_gid,
                             &error))
      goto fail;
    puts("ok");
    return 0;
  }
  if (!dest || !job || !node || !dirs || !recdir) {
    g_set_error(&error, NCAP_ERROR, NCAP_ERROR_INVALID, "missing option (see --help)");
    goto fail;
  }
  cfg.destination = dest;
  cfg.job_id = job;
  cfg.node = node;
  cfg.delete_after = del;
  for (int i = 0; dirs[i] && i < 2; i++)
    cfg.file_dirfds[cfg.n_file_dirfds++] = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cfg.record_dirfd = open(recdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int feed = -1;
  pid_t pid = ncap_uploader_spawn(&cfg, &feed, &error);
  if (pid < 0)
    goto fail;
  char line[1024];
  while (fgets(line, sizeof line, stdin)) {
    if (write(feed, line, strlen(line)) < 0)
      break;
  }
  close(feed);
  int st = 0;
  waitpid(pid, &st, 0);
  rec = ncap_upload_record_load(cfg.record_dirfd, job, &error);
  if (!rec)
    goto fail;
  node_json = ncap_upload_record_to_json(rec);
  {
    /* A block of its own: a goto fail above must not skip a cleanup. */
    g_autofree char *text = json_to_string(node_json, TRUE);
    puts(text);
  }
  ncap_s3_settings_clear(&cfg.settings);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
fail:
  ncap_error_print("ncap-s3-upload", error);
  return ncap_error_exit_status(error);
}
