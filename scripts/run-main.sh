#!/usr/bin/env bash
# The main job, end to end on embedded defaults: install dependencies, build otakit, then run
# `otakit demo`: a fleet server and eight virtual ESP8266s in one process on loopback, one update
# by each path (espota push, browser upload, staged rollouts with a rollback that stops its
# rollout), checked by the demo itself. Arguments go to it (e.g. --no-wait, --port 0, --devices 20);
# its files land in out/demo. The steps one by one with separate processes are in tests/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --target otakit >/dev/null
exec build/cli/otakit demo "$@"
