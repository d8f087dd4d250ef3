#!/usr/bin/env bash
# Make the real parts the tests use available: PostgreSQL and Redis (started if installed and
# down) and, under CI=true, Debian's Chromium for the browser tests. Elsewhere those tests skip
# with a reason.
set -uo pipefail

if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || echo "could not start PostgreSQL"
  fi
fi

if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    || echo "could not start Redis"
fi

if [ ! -x /usr/bin/chromium ] && [ "${CI:-}" = "true" ]; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || echo "could not install chromium"
fi
exit 0
