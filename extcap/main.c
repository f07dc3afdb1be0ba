/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nodecap: a Wireshark extcap when called with --extcap-* options, a
 * scripting CLI otherwise. Parses nothing itself: dispatches, then maps
 * the error to one line on stderr and an exit status. */
#include <locale.h>

#include "cli.h"
#include "log.h"
#include "crypto-log.h"
#include "extcap.h"
#include "ncap-error.h"
#include "port.h"
#include "ssh.h"

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ncap_port_init();
  ncap_crypto_log_quiet();
  setlocale(LC_ALL, "");
  if (ncap_extcap_is_call(argc, argv))
    ok = ncap_extcap_run(argc, argv, &error);
  else
    ok = ncap_cli_run(argc, argv, &error);
  if (!ok) {
    ncap_log("exit %d: %s", ncap_error_exit_status(error), error->message);
    ncap_error_print("nodecap", error);
    ncap_extcap_release_fifo();
    return ncap_error_exit_status(error);
  }
  ncap_log("exit 0");
  return 0;
}
