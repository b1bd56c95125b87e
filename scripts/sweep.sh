#!/usr/bin/env bash
# The full fault sweep: every flash operation of every scenario in tests/core/power_cut_test.cpp
# (the test suite samples about 40 per scenario). Takes tens of minutes; prints one line per scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh --target test_core_power_cut >/dev/null
OTAKIT_SWEEP=full build/tests/core/test_core_power_cut "$@" | grep -E '^\[ sweep \]|FAILED|Failure'
