#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tshark loads nodecap.so from the personal plugin folder and lists the
# protocol's fields and preferences.
. "$(dirname "$0")/plugin-lib.sh"

plugins=$(ts -G plugins)
echo "$plugins" | grep -E '^nodecap\.so[[:space:]]+[0-9.]+[[:space:]]+dissector' ||
  fail "tshark -G plugins does not list nodecap.so: $plugins"

fields=$(ts -G fields | grep -P '^F\t' | cut -f3 | grep '^nodecap\.' | sort | tr '\n' ' ')
expect "fields" "nodecap.delay nodecap.duplicates.expert nodecap.first_node nodecap.gap nodecap.gap.expert nodecap.id nodecap.id.computed nodecap.iface nodecap.node nodecap.not_here nodecap.not_here.expert nodecap.path nodecap.seen_at nodecap.seen_count nodecap.seen_frame nodecap.seq nodecap.session nodecap.unmatched nodecap.unmatched.expert " "$fields"

prefs=$(ts -G defaultprefs | grep -E '^#?nodecap\.' | sed 's/^#//' | tr '\n' ' ')
expect "preferences" "nodecap.node_order:  nodecap.max_delay_ms: 1000 nodecap.clock_offset: TRUE " "$prefs"
