# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by test-policy/sshcmd/audit/ratelimit/privs: link the helper's
# security modules. Once remote/ builds the ncapremote library, use it (the
# same objects the helper runs); before that, compile the modules here.
if(TARGET ncapremote)
  target_link_libraries(${name} PRIVATE ncapremote)
else()
  target_sources(${name} PRIVATE
    ${CMAKE_SOURCE_DIR}/remote/policy.c ${CMAKE_SOURCE_DIR}/remote/privs.c
    ${CMAKE_SOURCE_DIR}/remote/audit.c ${CMAKE_SOURCE_DIR}/remote/ratelimit.c
    ${CMAKE_SOURCE_DIR}/remote/sshcmd.c)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/remote)
  target_link_libraries(${name} PRIVATE PkgConfig::LIBCAP PkgConfig::JSONGLIB)
endif()
