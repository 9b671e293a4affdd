#!/usr/bin/env bash
# Debian packages telex's tests need: Java 17+ and Maven (to fetch and run the Kafka broker),
# Prometheus and promtool (alert-rule tests and the real-Prometheus test), tmux (the headless
# test of `telex run`'s live view). Installs only what is missing; needs root (or sudo) on a
# machine that lacks them.
set -euo pipefail
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v promtool >/dev/null || missing+=(prometheus)
command -v tmux >/dev/null || missing+=(tmux)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
