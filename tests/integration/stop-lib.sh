# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by test-stop-drain*.sh (issue 21, docs/reliability.md "Stop"):
# the sender, the ISB reader and the "everything is there and the closing
# ISB says so" check. Source after common.sh.
GEN="python3 $NCAP_SRC/tests/lib/udpgen.py"
COUNT="python3 $NCAP_SRC/tests/lib/isbcount.py"
REPS=${NCAP_STOP_REPS:-20}

# ncap_stop_all_there FILE N LABEL: 0 if FILE holds N packets and its
# closing ISB says ifrecv N, ifdrop 0, osdrop 0, usrdeliv N; otherwise logs
# what it found under LABEL and returns 1.
ncap_stop_all_there() {
  local f=$1 want=$2 what=$3 n ifrecv ifdrop osdrop usrdeliv
  read -r n ifrecv ifdrop osdrop usrdeliv _ < <($COUNT "$f")
  [[ "$n $ifrecv $ifdrop $osdrop $usrdeliv" == "$want $want 0 0 $want" ]] && return 0
  ncap_log "$what: $n of $want in the file (ISB ifrecv $ifrecv ifdrop $ifdrop osdrop $osdrop usrdeliv $usrdeliv)"
  return 1
}
