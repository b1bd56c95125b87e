#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan+UBSan) and runs each one.
#   scripts/fuzz.sh            short smoke run (FUZZ_SECONDS per target, default 10), as in the test suite
#   FUZZ_SECONDS=3600 scripts/fuzz.sh   long run; corpora grow in build-fuzz/corpus/<target>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-10}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DOTAKIT_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build-fuzz >/dev/null
status=0
for target in $(find build-fuzz/tests/fuzz -maxdepth 1 -type f -executable -name 'fuzz_*' | sort); do
  name=$(basename "$target")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=tests/fuzz/seeds/${name#fuzz_}
  [ -d "$seeds" ] || seeds=""
  if "$target" -max_total_time="$seconds" -print_final_stats=1 "$corpus" $seeds \
       >"build-fuzz/$name.log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "build-fuzz/$name.log" | grep -oE '[0-9]+$' || echo '?')
    echo "fuzz $name: ok ($runs runs in ${seconds}s)"
  else
    echo "fuzz $name: FAILED, see build-fuzz/$name.log" >&2
    tail -30 "build-fuzz/$name.log" >&2
    status=1
  fi
done
exit $status
