#!/usr/bin/env bash
# Installs the Debian packages the end-to-end test hosts need (test/hosts/).
# Idempotent: when every package is already installed it returns without touching apt,
# so a warm CI machine pays nothing.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

packages=(
  openssh-server openssh-client runit iproute2 util-linux procps psmisc curl socat
  etcd-server etcd-client haproxy bind9 bind9-dnsutils
  debootstrap systemd-container git ansible openssl iputils-arping
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  # 'ii ' = installed and configured; anything else (absent, half-installed) needs apt.
  if [[ "$status" != ii* ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-system-packages: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-system-packages: installing ${missing[*]}"
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
