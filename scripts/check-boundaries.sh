#!/usr/bin/env bash
# The arrows between the parts (docs/architecture.md), checked on the includes: a part may name
# only the headers of the parts it stands on. A new arrow is a design change, made here on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

# part: the parts its files may include (besides system and library headers)
declare -A allowed=(
  [core]="core"
  [files]="files"
  [platform]="core platform files"
  [host]="core files host"
  [net]="core net"
  [device]="core platform net files device"
  [sim]="core platform net files device sim"
  [server]="core files host server"
  [cli]="core platform net files host device sim server cli"
)
status=0
for part in "${!allowed[@]}"; do
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ " ${allowed[$part]} " != *" $target "* ]]; then
      echo "boundary: $file includes $target/ (allowed for $part/: ${allowed[$part]})" >&2
      status=1
    fi
  done < <(grep -rnE '^\s*#\s*include "[a-z_]+/' "$part" --include='*.h' --include='*.cpp' || true)
done
[ $status -eq 0 ] && echo "boundaries: every include follows docs/architecture.md"
exit $status
