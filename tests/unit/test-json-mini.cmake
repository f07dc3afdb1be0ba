# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/windows/json-mini (the Windows build's json-glib) against the
# real json-glib: tests/unit/json-probe.c built once with each, run by
# test-json-mini on the same inputs.
add_executable(json-probe-glib ${CMAKE_CURRENT_SOURCE_DIR}/unit/json-probe.c)
target_link_libraries(json-probe-glib PRIVATE PkgConfig::JSONGLIB)
pkg_check_modules(NCAP_JSONMINI_GOBJECT REQUIRED IMPORTED_TARGET gobject-2.0)
add_executable(json-probe-mini ${CMAKE_CURRENT_SOURCE_DIR}/unit/json-probe.c
  ${CMAKE_SOURCE_DIR}/packaging/windows/json-mini/json-mini.c)
target_include_directories(json-probe-mini BEFORE PRIVATE ${CMAKE_SOURCE_DIR}/packaging/windows/json-mini)
target_link_libraries(json-probe-mini PRIVATE PkgConfig::NCAP_JSONMINI_GOBJECT)
target_compile_definitions(${name} PRIVATE
  JSON_PROBE_GLIB="$<TARGET_FILE:json-probe-glib>" JSON_PROBE_MINI="$<TARGET_FILE:json-probe-mini>")
add_dependencies(${name} json-probe-glib json-probe-mini)
