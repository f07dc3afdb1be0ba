#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# values.sh FILE: the nodecap.* values of every packet of FILE as this
# machine's tshark shows them with the plugin from $NCAP_BUILD, one line
# per packet, for comparing Wireshark releases. Runs tshark as in the
# plugin tests (plugin-lib.sh: as nobody, private plugin folder).
. "$(dirname "$0")/../integration/plugin-lib.sh"
cp "$1" "$T/in.pcapng"
chmod a+r "$T/in.pcapng"
tsf -2 -r "$T/in.pcapng" -o nodecap.node_order:a,b,c \
  -T fields -E separator=' ' -E occurrence=a -E aggregator=';' \
  -e frame.number -e ip.id -e nodecap.node -e nodecap.seq -e nodecap.gap \
  -e nodecap.seen_count -e nodecap.delay -e nodecap.unmatched
