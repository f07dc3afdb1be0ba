/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nodecap post-dissector: registration entry points called by
 * plugin.c (docs/plugin.md describes the fields and the rules). */
#ifndef NCAP_PACKET_NODECAP_H
#define NCAP_PACKET_NODECAP_H

void ncap_proto_register_nodecap(void);
void ncap_proto_reg_handoff_nodecap(void);

#endif
