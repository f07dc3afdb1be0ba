# SPDX-License-Identifier: GPL-2.0-or-later
# Only the test links libpcap: it compiles every filter the builder makes to
# prove it is BPF libpcap accepts. common/ itself never links libpcap.
target_link_libraries(${name} PRIVATE PkgConfig::PCAP)
