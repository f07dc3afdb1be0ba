/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node's saved-job state on disk:
 *
 *   <statedir>/jobs/<id>.json   one record per job (job.h)
 *   <statedir>/spool/<id>/      the files of a running job
 *   <statedir>/run.lock         flock()ed by the one running worker for its
 *                               whole life: the kernel drops the lock when
 *                               the holder dies, however it dies
 *   <capturesdir>/              finished files, moved here by rename()
 *
 * Every path below a directory is opened relative to a directory fd with
 * O_NOFOLLOW, and job ids are checked before they name anything. The store
 * also salvages the jobs of dead workers: a record still pending/running
 * while nobody holds the lock had its worker killed (SIGKILL, OOM, reboot);
 * its files are cut at their last whole block, moved, and the job marked
 * failure "worker died". */
#ifndef NCAP_JOBSTORE_H
#define NCAP_JOBSTORE_H

#include <glib.h>
#include <stdbool.h>

#include "job.h"

typedef struct NcapJobStore NcapJobStore;

/* Open (and create, mode 0700) statedir/jobs and statedir/spool; open the
 * captures directory, which must exist (its owner, group and mode are the
 * admin's: see docs/jobs.md) and be on the same filesystem as the spool
 * (NCAP_ERROR_CONFIG otherwise: files move by rename, never by copy).
 * Transfer full. */
NcapJobStore *ncap_jobstore_open(const char *statedir, const char *capturesdir,
                                 GError **error);
void ncap_jobstore_free(NcapJobStore *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NcapJobStore, ncap_jobstore_free)

int ncap_jobstore_jobs_fd(NcapJobStore *s);      /* transfer none */
int ncap_jobstore_captures_fd(NcapJobStore *s);  /* transfer none */
gid_t ncap_jobstore_captures_gid(NcapJobStore *s);
const char *ncap_jobstore_capturesdir(NcapJobStore *s); /* transfer none */

/* Try to take run.lock without waiting. Returns the fd holding the lock
 * (close it to release), or -1: *busy = TRUE when another process holds
 * it, else error. */
int ncap_jobstore_trylock(NcapJobStore *s, gboolean *busy, GError **error);
/* TRUE when some process holds run.lock now. */
gboolean ncap_jobstore_lock_held(NcapJobStore *s);

/* Save / load a record in jobs/. */
gboolean ncap_jobstore_save(NcapJobStore *s, const NcapJob *job, GError **error);
NcapJob *ncap_jobstore_load(NcapJobStore *s, const char *id, GError **error);

/* Every record, oldest submitted first (records that cannot be read are
 * skipped with a warning on stderr). Transfer full: NcapJob* array. */
GPtrArray *ncap_jobstore_list(NcapJobStore *s, GError **error);
/* The latest submitted job, or NULL with NCAP_ERROR_NOT_FOUND. */
NcapJob *ncap_jobstore_latest(NcapJobStore *s, GError **error);
/* The job a live worker runs (pending or running while the lock is held),
 * or NULL (no error) when none. Transfer full. */
NcapJob *ncap_jobstore_find_running(NcapJobStore *s, GError **error);

/* Open (creating if asked, 0700) spool/<id>. Returns a directory fd. */
int ncap_jobstore_spool_open(NcapJobStore *s, const char *id, gboolean create,
                             GError **error);
/* Remove spool/<id> and what is left in it. */
void ncap_jobstore_spool_remove(NcapJobStore *s, const char *id);

/* Move the named file from spool/<id>/ to the captures directory
 * (rename, never replacing). */
gboolean ncap_jobstore_move_file(NcapJobStore *s, int spoolfd, const char *name,
                                 GError **error);

/* Salvage every pending/running job; the caller holds the lock (so no
 * worker is alive). Returns how many jobs were salvaged, -1 on error. */
int ncap_jobstore_salvage_locked(NcapJobStore *s, GError **error);
/* Take the lock if free, salvage, release: what status/list/stop/delete
 * call first. A lock held by a live worker is not an error. */
gboolean ncap_jobstore_refresh(NcapJobStore *s, GError **error);

/* Remove a finished job: its files in the captures directory, its spool
 * leftovers and its record. A pending/running job is NCAP_ERROR_BUSY. */
gboolean ncap_jobstore_delete(NcapJobStore *s, const NcapJob *job, GError **error);

#endif
