#!/usr/bin/env bash
# Installs OTAKit's build and test dependencies from Debian 12's archive. Idempotent: when every
# package is already present it prints nothing and does not touch apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-14 libclang-rt-14-dev
  libssl-dev openssl zlib1g-dev
  libboost1.81-dev libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3 libbearssl-dev
  googletest libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  gcc-xtensa-lx106 picolibc-xtensa-lx106-elf
  iproute2 python3 python3-zeroconf procps
  chromium chromium-driver python3-selenium curl
  libpqxx-dev libpq-dev postgresql nginx wrk
)
# The on-target self-test (tests/mcu): QEMU for lx106 and Cortex-M3 and the Arm compiler. About
# 159 MB to download and 1.1 GB on disk; OTAKIT_SKIP_MCU=1 leaves them out.
if [ "${OTAKIT_SKIP_MCU:-0}" != 1 ]; then
  packages+=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-misc qemu-system-arm dpkg-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node may come from another source (NodeSource ships npm inside its nodejs): check the commands.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# BearSSL's C sources for the targets (Debian's source package; .deps/bearssl).
[ "${OTAKIT_SKIP_MCU:-0}" = 1 ] || "$(dirname "$0")/fetch-bearssl-source.sh"
