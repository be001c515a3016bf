#!/usr/bin/env bash
# End to end: e2e_cksum.sh with flowmgr's ports as af_xdp (net_af_xdp, one queue on each veth;
# the PMD's XDP program is on the veths only while flowmgr runs), netns stem fsv2: the cksum VNF
# behind the TCP context under reordering, loss and duplication; every transfer intact, every
# stream's CRC right, and the checksums of the segments flowmgr rewrote computed by its software
# path (af_xdp offers no checksum offload).
set -euo pipefail
E2E_PORTS=af_xdp E2E_NS=fsv2 exec bash "$(dirname "$0")/e2e_cksum.sh"
