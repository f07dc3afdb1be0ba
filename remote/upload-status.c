/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How `status`, `list` and `start` show a job with its uploads: see
 * upload-status.h. The uploader (uploader.c) writes the upload record; this
 * module only reads it. */
#include "upload-status.h"

#include <stdio.h>

#include "uploader.h"

JsonNode *
ncap_job_uploads_to_json(NcapHelper *h, const NcapJob *job)
{
  JsonNode *node = ncap_job_to_json(job);
  g_autoptr(NcapUploadRecord) rec = ncap_job_uploads_load(h, job);
  if (!rec || !JSON_NODE_HOLDS_OBJECT(node))
    return node;
  JsonObject *o = json_node_get_object(node);
  json_object_set_member(o, "upload", ncap_upload_record_to_json(rec));
  /* Each file of the job says its own state, as the issue asks. */
  JsonNode *files = json_object_get_member(o, "files");
  if (files && JSON_NODE_HOLDS_ARRAY(files)) {
    JsonArray *a = json_node_get_array(files);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonObject *fo = json_array_get_object_element(a, i);
      const char *name = fo ? json_object_get_string_member_with_default(fo, "name", NULL) : NULL;
      NcapUploadFile *f = name ? ncap_upload_record_find(rec, name) : NULL;
      g_autofree char *st = f ? ncap_upload_file_state_string(f) : g_strdup("pending");
      if (fo)
        json_object_set_string_member(fo, "upload", st);
    }
  }
  return node;
}

void
ncap_job_uploads_print(NcapHelper *h, const NcapJob *job, bool json)
{
  g_autoptr(NcapUploadRecord) rec = ncap_job_uploads_load(h, job);
  if (json) {
    g_autoptr(JsonNode) node = ncap_job_uploads_to_json(h, job);
    g_autofree char *text = json_to_string(node, TRUE);
    printf("%s\n", text);
  } else {
    g_autofree char *text = ncap_job_describe(job);
    fputs(text, stdout);
    if (rec) {
      printf("destination:  %s%s\n", rec->destination,
             rec->delete_after ? " (local files removed once uploaded)" : "");
      for (guint i = 0; i < job->files->len; i++) {
        NcapJobFile *jf = g_ptr_array_index(job->files, i);
        NcapUploadFile *f = ncap_upload_record_find(rec, jf->name);
        g_autofree char *st = f ? ncap_upload_file_state_string(f) : g_strdup("pending");
        printf("  upload %s: %s\n", jf->name, st);
        if (f && f->state == NCAP_UPLOAD_PENDING && f->reason)
          printf("    (%s)\n", f->reason);
      }
    }
  }
  fflush(stdout);
}

char *
ncap_job_uploads_summary(NcapHelper *h, const NcapJob *job)
{
  g_autoptr(NcapUploadRecord) rec = ncap_job_uploads_load(h, job);
  if (!rec)
    return g_strdup("");
  guint n[3] = { 0, 0, 0 };
  for (guint i = 0; i < job->files->len; i++) {
    NcapJobFile *jf = g_ptr_array_index(job->files, i);
    NcapUploadFile *f = ncap_upload_record_find(rec, jf->name);
    n[f ? f->state : NCAP_UPLOAD_PENDING]++;
  }
  return g_strdup_printf("  upload: %u uploaded, %u pending, %u failed",
                         n[NCAP_UPLOAD_UPLOADED], n[NCAP_UPLOAD_PENDING], n[NCAP_UPLOAD_FAILED]);
}
