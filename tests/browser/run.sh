#!/bin/sh
# run.sh - the real-browser test of the chat page, as make test runs it.
#
# npm ci installs exactly the locked playwright-core (no browser: the test
# launches Debian's /usr/bin/chromium), then page_test.mjs runs against
# the binaries in ZCHAT_BIN_DIR and prints cmocka's summary lines.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
cd "$dir"
if ! npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1; then
    cat npm-ci.log
    echo "[  FAILED  ] 1 test(s), listed below:"
    echo "[  FAILED  ] npm_ci"
    exit 1
fi
rm -f npm-ci.log
exec node page_test.mjs
