#!/usr/bin/env bash
# fuzz.sh: the long fuzzing run (issue 15, item 5): test/t/072_fuzz.pl with
# our API fuzzer for OMS_FUZZ_SECONDS (default 600) and sqlsmith for
# OMS_SQLSMITH_QUERIES queries (default 100000), through the harness.
#
#   bash test/reliability/fuzz.sh
#   OMS_SQLSMITH_SEED=7 OMS_SQLSMITH_QUERIES=500000 bash test/reliability/fuzz.sh
set -euo pipefail
export OMS_FUZZ_SECONDS=${OMS_FUZZ_SECONDS:-600} OMS_SQLSMITH_QUERIES=${OMS_SQLSMITH_QUERIES:-100000}
export OMS_LAYERS=tap OMS_TAP=072_fuzz.pl
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/test.sh"
