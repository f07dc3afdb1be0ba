# SPDX-License-Identifier: GPL-2.0-or-later
# CMake toolchain for the Windows build (libssh and nodecap.exe).
# NCAP_MINGW_PREFIX (cache or environment) is the dependency prefix made by
# packaging/windows/build-deps; pkg-config looks only there and in the
# Debian mingw-w64 packages, never at the Linux .pc files.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TOOLCHAIN_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${TOOLCHAIN_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${TOOLCHAIN_PREFIX}-g++)
set(CMAKE_RC_COMPILER ${TOOLCHAIN_PREFIX}-windres)

if(NOT NCAP_MINGW_PREFIX AND DEFINED ENV{NCAP_MINGW_PREFIX})
  set(NCAP_MINGW_PREFIX "$ENV{NCAP_MINGW_PREFIX}")
endif()
set(NCAP_MINGW_PREFIX "${NCAP_MINGW_PREFIX}" CACHE PATH "Windows dependency prefix")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES NCAP_MINGW_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/${TOOLCHAIN_PREFIX} ${NCAP_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(ENV{PKG_CONFIG_LIBDIR} "${NCAP_MINGW_PREFIX}/lib/pkgconfig:/usr/${TOOLCHAIN_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
