/* SPDX-License-Identifier: GPL-2.0-or-later */
/* remote/ratelimit.c: one simple request per interval, stream slots. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ncap-error.h"
#include "ratelimit.h"

static char *
make_state(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("ncap-rate-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

static void
rm_rf(const char *dir)
{
  const char *argv[] = {"rm", "-rf", dir, NULL};
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                             NULL, NULL, NULL, NULL, NULL, NULL));
}

static void
test_simple(void)
{
  g_autofree char *state = make_state();
  g_autofree char *key = ncap_ratelimit_key(1001, NULL);
  g_assert_cmpstr(key, ==, "1001");
  g_autoptr(GError) error = NULL;
  gint64 t = 1700000000;

  g_assert_true(ncap_ratelimit_take_simple(state, key, 60, t, &error));
  g_assert_no_error(error);
  g_assert_false(ncap_ratelimit_take_simple(state, key, 60, t + 10, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_BUSY);
  g_assert_cmpstr(error->message, ==,
                  "rate limit: one simple capture per 60 s; try again in 50 s");
  g_assert_cmpint(ncap_error_exit_status(error), ==, 4);
  g_clear_error(&error);
  /* A refused request does not restart the minute. */
  g_assert_false(ncap_ratelimit_take_simple(state, key, 60, t + 59, &error));
  g_assert_nonnull(strstr(error->message, "try again in 1 s"));
  g_clear_error(&error);
  g_assert_true(ncap_ratelimit_take_simple(state, key, 60, t + 60, &error));

  /* Other users have their own minute; --as names are separate keys. */
  g_autofree char *bob = ncap_ratelimit_key(1002, NULL);
  g_autofree char *as = ncap_ratelimit_key(1003, "alice");
  g_assert_cmpstr(as, ==, "as-alice");
  g_assert_true(ncap_ratelimit_take_simple(state, bob, 60, t + 61, &error));
  g_assert_true(ncap_ratelimit_take_simple(state, as, 60, t + 61, &error));
  g_assert_no_error(error);

  /* Interval 0: no limit. Configured interval shows in the message. */
  g_assert_true(ncap_ratelimit_take_simple(state, bob, 0, t + 62, &error));
  g_assert_false(ncap_ratelimit_take_simple(state, bob, 120, t + 62, &error));
  g_assert_nonnull(strstr(error->message, "per 120 s; try again in 119 s"));
  g_clear_error(&error);

  /* Clock set back: never a lockout longer than one interval. */
  g_assert_false(ncap_ratelimit_take_simple(state, key, 60, t - 1000, &error));
  g_assert_nonnull(strstr(error->message, "try again in 60 s"));
  g_clear_error(&error);

  /* State is private to the service user. */
  g_autofree char *rdir = g_build_filename(state, "rate", NULL);
  GStatBuf st;
  g_assert_cmpint(g_stat(rdir, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0700);

  /* Hostile keys never become paths. */
  g_assert_false(ncap_ratelimit_take_simple(state, "../x", 60, t, &error));
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_INVALID);
  rm_rf(state);
}

static void
test_simple_race(void)
{
  /* Eight processes ask in the same second: exactly one gets through. */
  g_autofree char *state = make_state();
  int ok = 0;
  pid_t pids[8];
  for (int i = 0; i < 8; i++) {
    pids[i] = fork();
    g_assert_cmpint(pids[i], >=, 0);
    if (pids[i] == 0)
      _exit(ncap_ratelimit_take_simple(state, "42", 60, 1700000000, NULL) ? 0 : 1);
  }
  for (int i = 0; i < 8; i++) {
    int status = 0;
    g_assert_cmpint(waitpid(pids[i], &status, 0), ==, pids[i]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      ok++;
  }
  g_assert_cmpint(ok, ==, 1);
  rm_rf(state);
}

static void
test_stream_slots(void)
{
  g_autofree char *state = make_state();
  g_autoptr(GError) error = NULL;
  int a = ncap_ratelimit_stream_slot(state, "1001", "alice", 2, &error);
  int b = ncap_ratelimit_stream_slot(state, "1001", "alice", 2, &error);
  g_assert_no_error(error);
  g_assert_cmpint(a, >=, 0);
  g_assert_cmpint(b, >=, 0);
  g_assert_cmpint(ncap_ratelimit_stream_slot(state, "1001", "alice", 2, &error), ==, -1);
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_BUSY);
  g_assert_cmpstr(error->message, ==,
                  "too many concurrent streams for alice (limit 2, nodecap.conf [streams] max_per_user; each interface of a capture is one); stop one first");
  g_clear_error(&error);
  /* Another user is not affected. */
  int c = ncap_ratelimit_stream_slot(state, "1002", "bob", 2, &error);
  g_assert_cmpint(c, >=, 0);
  /* Closing (or dying) frees the slot. */
  close(a);
  int d = ncap_ratelimit_stream_slot(state, "1001", "alice", 2, &error);
  g_assert_no_error(error);
  g_assert_cmpint(d, >=, 0);
  /* Limit 0: streams are off for that user. */
  g_assert_cmpint(ncap_ratelimit_stream_slot(state, "1003", "carol", 0, &error), ==, -1);
  g_assert_error(error, NCAP_ERROR, NCAP_ERROR_BUSY);
  close(b);
  close(c);
  close(d);
  rm_rf(state);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ratelimit/simple", test_simple);
  g_test_add_func("/ratelimit/simple-race", test_simple_race);
  g_test_add_func("/ratelimit/stream-slots", test_stream_slots);
  return g_test_run();
}
