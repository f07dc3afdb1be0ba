# SPDX-License-Identifier: GPL-2.0-or-later
# Job records live in the helper (remote/job.c, which writes through
# remote/fdio.c): compile them in, instrumented.
target_sources(${name} PRIVATE ${NCAP_SRC}/remote/job.c ${NCAP_SRC}/remote/fdio.c)
target_include_directories(${name} PRIVATE ${NCAP_SRC}/remote)
