#!/usr/bin/env bash
# Proves the device core can build for the ESP8266: (1) only C headers and BearSSL are included
# under core/, (2) every core source compiles with Debian's xtensa-lx106 GCC, which has no C++
# standard library, with -fno-exceptions -fno-rtti.
set -euo pipefail
cd "$(dirname "$0")/.."

allowed='^(stdint\.h|stddef\.h|string\.h|bearssl(_[a-z0-9]+)?\.h)$'
bad=$(grep -rhoE '^\s*#\s*include\s*<[^>]+>' core | sed -E 's/.*<([^>]+)>.*/\1/' | sort -u | grep -vE "$allowed" || true)
if [ -n "$bad" ]; then
  echo "core/ includes headers a device build does not have:" >&2
  echo "$bad" | sed 's/^/  /' >&2
  exit 1
fi

CXX=xtensa-lx106-elf-g++
if ! command -v $CXX >/dev/null; then
  echo "$CXX not found: run scripts/install-deps.sh" >&2
  exit 1
fi
# BearSSL's headers only include <stddef.h>/<stdint.h>; expose them alone, not the host's /usr/include.
inc=$(mktemp -d)
trap 'rm -rf "$inc"' EXIT
cp /usr/include/bearssl/*.h "$inc/"
count=0
for src in $(find core -name '*.cpp' | sort); do
  $CXX -std=c++17 -Os -mlongcalls -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics \
       -Wall -Wextra -Werror -I. -isystem "$inc" -c "$src" -o "$inc/$(basename "$src").o"
  count=$((count + 1))
done
text=$(xtensa-lx106-elf-size -t "$inc"/*.o | tail -1 | awk '{print $1}')
echo "core portable: $count sources compiled for xtensa-lx106 ($text bytes of text), C headers only"
