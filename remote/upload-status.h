/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A saved job as `status`, `list` and `start` show it: the job record with
 * the upload state of each file, read from the upload record the uploader
 * (uploader.h) keeps beside it. Text and JSON. */
#ifndef NCAP_UPLOAD_STATUS_H
#define NCAP_UPLOAD_STATUS_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "helper.h"
#include "job.h"

/* Print a job with its upload states (text: a section after the record;
 * JSON: the record with "upload" members). */
void ncap_job_uploads_print(NcapHelper *h, const NcapJob *job, bool json);
/* JSON of a job with its upload states. Transfer full. */
JsonNode *ncap_job_uploads_to_json(NcapHelper *h, const NcapJob *job);
/* " upload: N uploaded, N pending, N failed" or "" (list rows). Transfer full. */
char *ncap_job_uploads_summary(NcapHelper *h, const NcapJob *job);

#endif
