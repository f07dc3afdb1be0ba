/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rate and resource limits per user, from the seed: one `simple` capture
 * request a minute per user (nodecap.conf [rate] simple_interval, seconds,
 * 0 = no limit), and at most N concurrent streams per user ([streams]
 * max_per_user, or max_streams in a [user:NAME] section).
 *
 * State lives under <statedir>/rate/ (service-owned, 0700): one file per
 * user holding the time of the last simple request, updated under flock so
 * two requests in the same second cannot both pass; and lock files
 * <statedir>/rate/<key>.stream<N>, one per stream slot, held with flock for
 * the life of the stream: a crashed helper frees its slot by dying. */
#ifndef NCAP_RATELIMIT_H
#define NCAP_RATELIMIT_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* The file name used for a user: the uid ("1001") for a local caller, or
 * "as-<name>" for a person named by --as on the shared account (each
 * person has their own limit). Transfer full. */
char *ncap_ratelimit_key(uid_t uid, const char *as_name);

/* Take the user's simple-capture token at time now (seconds since the
 * epoch). If the previous one was taken less than interval seconds ago:
 * NCAP_ERROR_BUSY "rate limit: one simple capture per 60 s; try again in
 * N s". Creates <statedir>/rate if missing. */
gboolean ncap_ratelimit_take_simple(const char *statedir, const char *key,
                                    guint interval, gint64 now,
                                    GError **error);

/* Take one of max_streams stream slots for key. Returns an fd that holds
 * the slot until closed (transfer full: keep it open for the stream's
 * life), or -1 with NCAP_ERROR_BUSY "too many concurrent streams for USER
 * (limit N, nodecap.conf [streams] max_per_user; each interface of a capture
 * is one); stop one first". */
int ncap_ratelimit_stream_slot(const char *statedir, const char *key,
                               const char *user, guint max_streams,
                               GError **error);

#endif
