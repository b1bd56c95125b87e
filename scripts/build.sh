#!/usr/bin/env bash
# Configures and builds OTAKit into build/ (Ninja, ccache). Extra arguments go to cmake --build.
set -euo pipefail
cd "$(dirname "$0")/.."
# OTAKIT_SKIP_MCU=1 leaves out the lx106 and Cortex-M3 builds and their QEMU tests (tests/mcu).
mcu=ON
[ "${OTAKIT_SKIP_MCU:-0}" = 1 ] && mcu=OFF
if [ ! -f build/build.ninja ] || ! grep -qx "OTAKIT_MCU:BOOL=$mcu" build/CMakeCache.txt; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOTAKIT_MCU:BOOL=$mcu >/dev/null
fi
cmake --build build "$@"
