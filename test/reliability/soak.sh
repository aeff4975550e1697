#!/usr/bin/env bash
# soak.sh: the long soak (issue 15, item 2): test/t/071_soak.pl for
# OMS_SOAK_SECONDS per isolation level (default 300) with OMS_SOAK_CLIENTS
# clients (default 16), through the harness.
#
#   bash test/reliability/soak.sh
#   OMS_SOAK_SECONDS=1800 OMS_SOAK_CLIENTS=32 bash test/reliability/soak.sh
set -euo pipefail
export OMS_SOAK_SECONDS=${OMS_SOAK_SECONDS:-300} OMS_SOAK_CLIENTS=${OMS_SOAK_CLIENTS:-16}
export OMS_LAYERS=tap OMS_TAP=071_soak.pl
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/test.sh"
