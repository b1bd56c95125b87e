#!/usr/bin/env bash
# Runs an on-target program under QEMU with semihosting: run_qemu.sh TARGET ELF. The program's
# exit status is QEMU's; -icount shift=0 makes each instruction one virtual nanosecond, so the
# cycle counters it reads count instructions (platform/mcu/board.h).
set -euo pipefail
target=$1 elf=$2
case $target in
  xtensa-lx106) qemu=(qemu-system-xtensa -M sim -cpu lx106 -semihosting) ;;
  arm-cortex-m3) qemu=(qemu-system-arm -M mps2-an385 -semihosting-config enable=on,target=native) ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
timeout 300 "${qemu[@]}" -icount shift=0 -nographic -monitor none -kernel "$elf" 2>&1 | tee "$out" || status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ] && ! grep -qx 'failures=0' "$out"; then
  echo "exit status 0 but no 'failures=0' line: the program did not run to its end" >&2
  status=1
fi
exit "$status"
