#!/usr/bin/env bash
# Installs everything sql-jobber needs to build and test on Debian 12, from Debian's archive only.
# Idempotent: packages already present are skipped quickly. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libpoco-dev libyaml-cpp-dev libboost-dev libboost-filesystem-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  sqlite3 curl ca-certificates
  clang clang-format libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
