#!/usr/bin/env bash
# The full fault sweeps: every flash operation of every scenario in tests/core/power_cut_test.cpp
# (the test suite samples about 40 per scenario), and every operation of every resumed pull in
# tests/core/pull_resume_test.cpp (the suite samples 7 of them). Takes tens of minutes; prints
# one line per scenario. Arguments go to the power-cut test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh --target test_core_power_cut test_core_pull_resume >/dev/null
OTAKIT_SWEEP=full build/tests/core/test_core_power_cut "$@" | grep -E '^\[ sweep \]|FAILED|Failure'
OTAKIT_SWEEP=full build/tests/core/test_core_pull_resume --gtest_filter='PullResumePowerCut.*' |
  grep -E '^\[ sweep \]|FAILED|Failure'
