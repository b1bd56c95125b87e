#!/usr/bin/env bash
# The upload page in headless Chromium (tests/e2e/web_browser.py) against `otakit device
# --http-port`. Debian's own python3: python3-selenium is an apt package, not a pip one.
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/web_browser.py" "$1"
