#!/usr/bin/env bash
# Installs the Debian 12 packages lmpipe builds with. Run as root (or with sudo).
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build pkg-config git ca-certificates \
  nlohmann-json3-dev libonig-dev libutf8proc-dev libsentencepiece-dev \
  libdnnl-dev ocl-icd-opencl-dev libopenblas-dev libcli11-dev libcurl4-openssl-dev libssl-dev libcpp-httplib-dev \
  libzip-dev libgtest-dev libgmock-dev libbenchmark-dev wrk
