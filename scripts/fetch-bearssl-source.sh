#!/usr/bin/env bash
# BearSSL's C sources, for the lx106 and Cortex-M3 builds of the on-target self-test (tests/mcu):
# Debian ships BearSSL only built for the host (libbearssl-dev), so this takes Debian's own source
# package of the same version (0.6+dfsg.1, about 500 KB) from the machine's Debian mirror, through
# a private deb-src list (the system's apt configuration is not touched), and unpacks it into
# .deps/bearssl. Idempotent; called by install-deps.sh unless OTAKIT_SKIP_MCU=1.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$PWD/.deps/bearssl
[ -f "$dest/src/rsa/rsa_i15_pkcs1_vrfy.c" ] && exit 0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/parts" "$scratch/lists/partial" "$scratch/download"
# Every "Types: deb" stanza of the system's Debian sources, as deb-src.
found=0
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed 's/^Types: deb$/Types: deb-src/' "$f" >"$scratch/parts/$(basename "$f")"
  found=1
done
if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
  sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$scratch/parts/system.list"
  found=1
fi
[ $found = 1 ] || { echo "fetch-bearssl-source: no Debian sources in /etc/apt: cannot fetch BearSSL's source" >&2; exit 1; }
apt_opts=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$scratch/parts"
          -o Dir::State::Lists="$scratch/lists" -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
apt-get "${apt_opts[@]}" update
(cd "$scratch/download" && apt-get "${apt_opts[@]}" source --download-only bearssl >/dev/null)
dsc=$(ls "$scratch"/download/bearssl_*.dsc)
rm -rf "$dest" && mkdir -p "$(dirname "$dest")"
dpkg-source --no-check -x "$dsc" "$dest" >/dev/null
echo "BearSSL source: $(basename "$dsc" .dsc) in $dest"
