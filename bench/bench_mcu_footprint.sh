#!/usr/bin/env bash
# The device core's cost on the ESP8266's lx106 and on a Cortex-M3, from the cross builds that
# tests/mcu makes (build/mcu-<target>): .text/.data/.bss of the whole core archive, of the core
# and BearSSL as linked into the self-test (--gc-sections keeps only what it uses), the peak
# stack of the espota write path, the boot path, the browser upload and the pull (stack
# painting) and the instructions of a 1 MiB verify
# (QEMU -icount), both from a run of the self-test. Beside them the original's figures that
# shared/facts/esp8266-ota.md gives. Usage: bench/bench_mcu_footprint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

# Sums the sizes of one archive's input sections in a GNU ld map: text (code, literals,
# read-only data), data, bss.
linked_sizes() {  # MAP ARCHIVE_NAME
  awk -v lib="$2" '
    function hex(s,   i, n) {  # mawk has no strtonum
      n = 0
      for (i = 3; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
      return n
    }
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    /^ [.A-Za-z_][^ ]*$/ { pending = $1; next }   # a long section name: address and size follow
    {
      name = $1; addr = $2; size = $3; file = $4
      if (pending != "" && $1 ~ /^0x/) { name = pending; addr = $1; size = $2; file = $3 }
      pending = ""
      if (file !~ lib "\\(" || size !~ /^0x/) next
      n = hex(size)
      if (name ~ /^\.(text|literal|rodata)/) text += n
      else if (name ~ /^\.data/) data += n
      else if (name ~ /^\.bss/ || name == "COMMON") bss += n
    }
    END { printf "%d %d %d\n", text, data, bss }' "$1"
}

row() { printf '| %-44s | %9s | %7s | %7s |\n' "$@"; }

for target in xtensa-lx106 arm-cortex-m3; do
  dir=$build/mcu-$target
  if [ ! -f "$dir/otakit_mcu_selftest.elf" ]; then
    echo "$target: $dir/otakit_mcu_selftest.elf not built (see tests/mcu/CMakeLists.txt); skipped"
    continue
  fi
  [ "$target" = xtensa-lx106 ] && size_tool=xtensa-lx106-elf-size || size_tool=arm-none-eabi-size
  run=$(tests/mcu/run_qemu.sh "$target" "$dir/otakit_mcu_selftest.elf")
  figure() { echo "$run" | sed -n "s/^$1=//p"; }
  read -r at ad ab _ < <($size_tool -t "$dir/core/libotakit_core.a" | tail -1)
  read -r ct cd cb < <(linked_sizes "$dir/otakit_mcu_selftest.map" libotakit_core.a)
  read -r bt bd bb < <(linked_sizes "$dir/otakit_mcu_selftest.map" libbearssl.a)
  echo
  echo "## $target ($($size_tool --version | head -1))"
  echo
  row "" ".text" ".data" ".bss"
  row "---" "---:" "---:" "---:"
  row "core archive, every object (libotakit_core.a)" "$at" "$ad" "$ab"
  row "core as linked into the self-test" "$ct" "$cd" "$cb"
  row "BearSSL as linked into the self-test" "$bt" "$bd" "$bb"
  echo
  echo "| measured under QEMU | |"
  echo "|---|---:|"
  echo "| peak stack, write path (espota session -> Updater, end() with RSA verify) | $(figure stack_write_path_bytes) bytes |"
  echo "| peak stack, boot path (journal, sector table, swap, resume) | $(figure stack_boot_path_bytes) bytes |"
  echo "| peak stack, browser upload (web update server, multipart -> Updater, RSA verify) | $(figure stack_web_upload_bytes) bytes |"
  echo "| peak stack, pull (PullSession over http -> Updater, RSA verify) | $(figure stack_pull_bytes) bytes |"
  echo "| 1 MiB verify (SHA-256 + RSA-2048, check_signed_file) | $(figure verify_1mib_instructions) instructions |"
  echo "| flash operations of the boot that swaps a 90,001-byte image | $(figure boot_flash_operations) |"
done
echo
echo "The original (shared/facts/esp8266-ota.md): eboot must fit sector 0 (4,096 bytes, the app"
echo "starts at 0x1000); the Updater takes a 4,096-byte heap buffer (256 bytes when free heap is"
echo "8,192 or less); eboot's gzip copy uses a 32 KB dictionary; the ESP8266 Arduino core runs the"
echo "RSA verify on a separate stack (\"stack thunk\"). The facts sheet gives no .text or stack figures."
