/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The script face of nodecap: verbs on one node
 * (`nodecap capture HOST ... -w FILE|-`, `nodecap interfaces HOST`). */
#ifndef NCAP_CLI_H
#define NCAP_CLI_H

#include <glib.h>

/* argv[0] is the program, argv[1] the verb. */
gboolean ncap_cli_run(int argc, char **argv, GError **error);

#endif
