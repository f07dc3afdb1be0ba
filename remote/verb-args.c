/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `[--json] [ID]` command line shared by the job verbs that act on one
 * job or, without an ID, on a default one (status, stop). */
#include "helper.h"
#include "job.h"
#include "ncap-error.h"
#include "goption.h"

gboolean
ncap_verb_optional_id(NcapHelper *h, const char *verb, const char *summary,
                      int argc, char **argv, const char **id, GError **error)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the job record as JSON", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(summary);
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!ncap_goption_parse(ctx, verb, &argc, &argv, error))
    return FALSE;
  h->json = h->json || json;
  if (argc > 2) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "%s: too many arguments", verb);
    return FALSE;
  }
  *id = argc == 2 ? argv[1] : NULL;
  return *id == NULL || ncap_job_id_valid(*id, error);
}
