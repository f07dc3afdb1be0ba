# SPDX-License-Identifier: GPL-2.0-or-later
# extcap/jump.c lives in the extcap's static library.
target_link_libraries(${name} PRIVATE ncapextcap)
