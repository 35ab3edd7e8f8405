#!/usr/bin/env bash
# Installs the system packages Switchboard builds and tests against, when they are missing:
# ncursesw, SQLite and libcurl headers, and tmux (the console's end-to-end tests drive it).
set -euo pipefail

packages=(libncursesw5-dev libsqlite3-dev libcurl4-openssl-dev tmux)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
