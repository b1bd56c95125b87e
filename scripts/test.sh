#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: dependencies, build, unit and end-to-end
# tests (CTest), the core portability check for the ESP8266 compiler, the include boundaries
# between the parts, and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
./scripts/check-core-portable.sh
./scripts/check-boundaries.sh
./scripts/fuzz.sh
cd build
ctest --output-on-failure -j2 --timeout 900
