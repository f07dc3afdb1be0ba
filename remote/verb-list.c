/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper list`: every saved job of this node, oldest first, as a
 * table or (--json) an array of records. Salvages dead workers' jobs first. */
#include <stdio.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "ncap-error.h"
#include "goption.h"
#include "upload-status.h"
#include "security.h"

gboolean
ncap_verb_list(NcapHelper *h, int argc, char **argv, GError **error)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array of job records", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- list the saved jobs of this node");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!ncap_goption_parse(ctx, "list", &argc, &argv, error))
    return FALSE;
  h->json = h->json || json;
  if (argc > 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "list: unexpected argument");
    return FALSE;
  }
  if (!ncap_policy_require(h, "captures.read", error))
    return FALSE;
  g_autoptr(NcapJobStore) store = ncap_jobstore_open(h->statedir, h->capturesdir, error);
  if (store == NULL || !ncap_jobstore_refresh(store, error))
    return FALSE;
  g_autoptr(GPtrArray) jobs = ncap_jobstore_list(store, error);
  if (jobs == NULL)
    return FALSE;
  if (h->json) {
    g_autoptr(JsonArray) arr = json_array_new();
    for (guint i = 0; i < jobs->len; i++)
      json_array_add_element(arr, ncap_job_uploads_to_json(h, g_ptr_array_index(jobs, i)));
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
    json_node_set_array(root, arr);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
  } else {
    printf("%s\n", ncap_job_table_header());
    for (guint i = 0; i < jobs->len; i++) {
      g_autofree char *row = ncap_job_table_row(g_ptr_array_index(jobs, i));
      g_autofree char *up = ncap_job_uploads_summary(h, g_ptr_array_index(jobs, i));
      printf("%s%s\n", row, up);
    }
  }
  fflush(stdout);
  return TRUE;
}
