/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The packet identity hash (docs/design.md "The stream format"): 64 bits over the
 * bytes of a packet that do not change hop by hop, so the same packet seen at
 * several nodes gets the same epb_packetid. Compiled into the helper and the
 * Wireshark plugin; keep it free of GLib and of anything but <stdint.h>. */
#ifndef NCAP_PACKET_ID_H
#define NCAP_PACKET_ID_H

#include <stddef.h>
#include <stdint.h>

/* At most this many bytes of L3 (header + payload) are hashed, so a simple
 * capture (snaplen 160) hashes the same as a full one. */
#define NCAP_PACKET_ID_L3_BYTES 160

/* linktype is the pcapng/pcap LINKTYPE_* value of the interface:
 * 1 Ethernet (with 802.1Q/QinQ tags skipped), 101 raw IP, 113 Linux SLL,
 * 276 Linux SLL2, 0 / 108 BSD loopback, 12/14 raw IP; other link types and
 * non-IP frames hash the first NCAP_PACKET_ID_L3_BYTES bytes of the frame.
 * For IPv4: the header without TTL, header checksum and DSCP/ECN; for IPv6
 * the header without hop limit and traffic class; then the transport header
 * without its checksum (TCP, UDP, ICMP, ICMPv6) and the payload, up to the
 * limit above counted from the start of L3. Never returns 0 (0 means "no
 * id" to readers). */
uint64_t ncap_packet_id(unsigned linktype, const uint8_t *data, size_t caplen);

#endif
