/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The detached worker of a saved job. `start` forks it (fork, setsid,
 * fork again, stdio to /dev/null, every other fd closed) so that closing
 * the SSH session or Wireshark does not stop it. It inherits the run.lock
 * fd that `start` took, so the lock is never free between start and the
 * worker, and the kernel frees it whenever the worker dies. It opens the
 * capture, writes the ring in the job's spool, and on SIGTERM/SIGINT or a
 * limit finishes the files (ISB), moves them to the captures directory and
 * marks the job success; on disk full or an error, failure with the
 * reason. It tells `start` through a pipe whether it got to `running`, so
 * a bad filter or unknown interface is an error of `start` itself. */
#ifndef NCAP_WORKER_H
#define NCAP_WORKER_H

#include <glib.h>

#include "helper.h"
#include "job.h"
#include "jobstore.h"
#include "options.h"

/* Room kept free on the spool's filesystem besides a whole ring file, so
 * the last block, the record and the audit line still fit. */
#define NCAP_WORKER_RESERVE_BYTES (256u * 1024u)
/* Preallocated in the job's spool while it runs, released before the
 * final record is written (salvage releases it too). */
#define NCAP_WORKER_RECORD_RESERVE (64 * 1024)
#define NCAP_WORKER_RESERVE_NAME ".reserve"
/* How often a running worker writes its counts into the record. */
#define NCAP_WORKER_RECORD_INTERVAL_US (2 * G_USEC_PER_SEC)

/* Spawn the worker for job (saved, pending) while the caller holds
 * run.lock through lock_fd (the worker keeps it; the caller closes its
 * copy afterwards). Returns TRUE once the worker has marked the job
 * running; FALSE with the worker's error (same code and message) when it
 * could not start, the record then says failure with that reason. */
gboolean ncap_worker_spawn(NcapHelper *h, NcapJobStore *store, NcapJob *job,
                           const NcapCaptureOpts *opts, gsize buffer_size,
                           int lock_fd, GError **error);

/* The ring's geometry for options: bytes per file (min(file, max) MB, MB =
 * 1,000,000 bytes) and ceil(max / file) files. */
void ncap_worker_ring_geometry(const NcapCaptureOpts *opts, guint64 *file_bytes,
                               guint *max_files);

#endif
