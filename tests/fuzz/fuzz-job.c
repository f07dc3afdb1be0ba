/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for job records (remote/job.c): the JSON files under
 * the node's jobs folder that `status`, `list`, `fetch` and salvage read
 * back. A record may be torn, hand-edited or planted, so parsing must
 * refuse what is not ours with one NCAP_ERROR_IO line and never crash.
 *
 * The input is a record's bytes. Checked: a refusal is NCAP_ERROR_IO; an
 * accepted record has a valid id and file names that are not paths; it
 * survives to_string() -> from_data() unchanged (the JSON is identical
 * after one round), and the human forms (describe, table row) work on it.
 * The input is also tried as a job id. */
#include "fuzz-common.h"

#include <string.h>

#include "job.h"
#include "ncap-error.h"

static void
check_accepted(const NcapJob *job)
{
  FUZZ_CHECK(ncap_job_id_valid(job->id, NULL));
  FUZZ_CHECK(ncap_job_status_name(job->status) != NULL);
  FUZZ_CHECK(job->files != NULL);
  for (guint i = 0; i < job->files->len; i++) {
    const NcapJobFile *f = job->files->pdata[i];
    FUZZ_CHECK(f->name && f->name[0] != '\0' && f->name[0] != '.');
    FUZZ_CHECK(strchr(f->name, '/') == NULL);
    /* The first file of that name (names may repeat in a planted record). */
    const NcapJobFile *found = ncap_job_find_file(job, f->name);
    FUZZ_CHECK(found != NULL && strcmp(found->name, f->name) == 0);
  }
  g_autofree char *desc = ncap_job_describe(job);
  FUZZ_CHECK(desc != NULL);
  g_autofree char *row = ncap_job_table_row(job);
  FUZZ_CHECK(row != NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_glib_fatal();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  /* As a job id (the ids users type reach this first). */
  g_autofree char *as_id = g_strndup((const char *)data, len);
  g_autoptr(GError) id_error = NULL;
  if (ncap_job_id_valid(as_id, &id_error)) {
    FUZZ_CHECK(strlen(as_id) == NCAP_JOB_ID_LEN);
  } else {
    FUZZ_CHECK(id_error && id_error->domain == NCAP_ERROR &&
               id_error->code == NCAP_ERROR_INVALID);
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(NcapJob) job = ncap_job_from_data((const char *)data, len, &error);
  if (job == NULL) {
    FUZZ_CHECK(error != NULL && error->domain == NCAP_ERROR &&
               error->code == NCAP_ERROR_IO);
    FUZZ_CHECK(g_str_has_prefix(error->message, "job record: "));
    return 0;
  }
  FUZZ_CHECK(error == NULL);
  check_accepted(job);

  /* What the helper writes back must read back the same. */
  g_autofree char *s1 = ncap_job_to_string(job, false);
  g_autoptr(NcapJob) again = ncap_job_from_data(s1, strlen(s1), &error);
  if (again == NULL)
    fprintf(stderr, "record written by to_string refused: %s\n%s\n",
            error->message, s1);
  FUZZ_CHECK(again != NULL);
  check_accepted(again);
  g_autofree char *s2 = ncap_job_to_string(again, false);
  if (strcmp(s1, s2) != 0)
    fprintf(stderr, "round trip changed the record:\n%s\n%s\n", s1, s2);
  FUZZ_CHECK(strcmp(s1, s2) == 0);
  g_autofree char *pretty = ncap_job_to_string(again, true);
  g_autoptr(NcapJob) third = ncap_job_from_data(pretty, strlen(pretty), NULL);
  FUZZ_CHECK(third != NULL);
  return 0;
}
