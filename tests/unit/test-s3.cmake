# SPDX-License-Identifier: GPL-2.0-or-later
# remote/s3.c and remote/uploader.c live in ncapremote, which links libcurl.
# The integration tests drive the real uploader process through the small
# tool ncap-s3-upload until saved jobs call it themselves.
target_link_libraries(${name} PRIVATE ncapremote PkgConfig::CURL)
add_executable(ncap-s3-upload ${PROJECT_SOURCE_DIR}/tests/tools/ncap-s3-upload.c)
target_link_libraries(ncap-s3-upload PRIVATE ncapremote)
set_target_properties(ncap-s3-upload PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/tools)
