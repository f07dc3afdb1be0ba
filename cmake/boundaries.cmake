# SPDX-License-Identifier: GPL-2.0-or-later
# The boundaries of docs/design.md, checked at configure time so that a
# change that crosses one fails the build instead of waiting for a review:
#   common/  knows nothing of SSH, libpcap handles, JSON, HTTP or Wireshark;
#   remote/  knows nothing of SSH (it runs behind sshd, never talks SSH).
# Link side: common/ links GLib only; extcap/ links libpcap, libssh and
# json-glib PRIVATE, so nothing that links it inherits them as an API.
function(ncap_forbid_includes dir regex why)
  file(GLOB files CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/${dir}/*.c ${CMAKE_SOURCE_DIR}/${dir}/*.h)
  foreach(f ${files})
    file(STRINGS ${f} hits REGEX "^[ \t]*#[ \t]*include[ \t]*<(${regex})")
    if(hits)
      file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${f})
      list(GET hits 0 first)
      message(FATAL_ERROR "${rel}: ${first}: ${why} (docs/design.md, Boundaries)")
    endif()
  endforeach()
endfunction()

ncap_forbid_includes(common "libssh/|pcap|json-glib/|curl/|epan/|wiretap/"
  "common/ is shared by every program and depends on GLib only")
ncap_forbid_includes(remote "libssh/"
  "remote/ runs behind sshd and knows nothing of SSH")
