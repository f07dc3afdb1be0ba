# SPDX-License-Identifier: GPL-2.0-or-later
include(${CMAKE_CURRENT_LIST_DIR}/remote-security.cmake)
