# SPDX-License-Identifier: GPL-2.0-or-later
# The stream queue lives in the helper's static library.
target_link_libraries(${name} PRIVATE ncapremote)
