# SPDX-License-Identifier: GPL-2.0-or-later
# extcap/jobs.c lives in the extcap's static library; its header hands out
# json-glib types.
target_link_libraries(${name} PRIVATE ncapextcap PkgConfig::JSONGLIB)
