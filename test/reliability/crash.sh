#!/usr/bin/env bash
# crash.sh: the long crash-under-load run (issue 15, item 1): 100 cycles of
# concurrent clients, SIGKILL of the whole server, restart and verification,
# plus one cycle during a pg_cron job.  About 5 to 10 minutes on 2 cores.
#
#   bash test/reliability/crash.sh            # 100 cycles
#   OMS_CRASH_CYCLES=300 bash test/reliability/crash.sh
#   OMS_CRASH_SEED=1234 bash test/reliability/crash.sh   # repeat a run's choices
#
# It is test/t/070_crash_under_load.pl with more cycles, through the harness
# (build, install, results under the kept cluster directory with OMS_KEEP=1).
set -euo pipefail
export OMS_CRASH_CYCLES=${OMS_CRASH_CYCLES:-100}
export OMS_LAYERS=tap OMS_TAP=070_crash_under_load.pl
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/test.sh"
