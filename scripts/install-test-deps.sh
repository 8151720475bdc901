#!/usr/bin/env bash
# Installs what the integration tests need: ZooKeeper 3.8 (Debian package `zookeeper`,
# which brings Java) and Python kazoo (`python3-kazoo`), and ICU (`libicuNN`), which the culture
# tests (tests/Culture, culture-aware globalization) need. As root on Debian it uses apt-get;
# otherwise it says what to install. Does nothing when all are already there.
set -euo pipefail
have_zk() { ls /usr/share/java/zookeeper-3*.jar >/dev/null 2>&1 || ls /usr/share/zookeeper/zookeeper-3*.jar >/dev/null 2>&1; }
have_kazoo() { /usr/bin/python3 -c 'import kazoo' >/dev/null 2>&1; }
have_icu() { ls /usr/lib/*/libicuuc.so.* >/dev/null 2>&1 || ls /usr/lib/libicuuc.so.* >/dev/null 2>&1; }
if [ -n "${ZOOKEEPER_CONNECT:-}" ] && have_kazoo && have_icu; then exit 0; fi
if have_zk && have_kazoo && have_icu && command -v java >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing zookeeper and python3-kazoo with apt-get..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # The ICU package carries its major version in its name (libicu72 on Debian 12): take the newest offered.
  icu=$(apt-cache search --names-only '^libicu[0-9]+$' | awk '{print $1}' | sort -V | tail -n 1)
  apt-get install -y -q --no-install-recommends zookeeper python3-kazoo default-jre-headless ${icu:+"$icu"} >/dev/null
else
  echo "The integration tests need ZooKeeper 3.8 and Python kazoo." >&2
  echo "On Debian: sudo apt-get install zookeeper python3-kazoo libicu72 (or the libicuNN your release has)" >&2
  echo "Or set ZOOKEEPER_CONNECT=host:port to use a running server." >&2
  exit 1
fi
