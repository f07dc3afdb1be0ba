# SPDX-License-Identifier: GPL-2.0-or-later
# Job records live in the helper (remote/job.c): compile it in, instrumented.
target_sources(${name} PRIVATE ${NCAP_SRC}/remote/job.c)
target_include_directories(${name} PRIVATE ${NCAP_SRC}/remote)
