#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; install it when missing and we may.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
else
  echo "warning: chromium is not installed and cannot be installed here; browser tests will be skipped" >&2
fi
exit 0
