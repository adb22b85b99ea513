#!/usr/bin/env bash
# Installs the Debian 12 packages lmpipe builds with. Run as root (or with sudo).
# The python3-* and pybind11 packages are for the Python package (python/) and its tests; venv,
# pip, setuptools and wheel for `pip install --no-build-isolation ./python`.
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build pkg-config git ca-certificates \
  nlohmann-json3-dev libonig-dev libutf8proc-dev libsentencepiece-dev \
  libdnnl-dev ocl-icd-opencl-dev libopenblas-dev libcli11-dev libcurl4-openssl-dev libssl-dev libcpp-httplib-dev \
  libzip-dev libgtest-dev libgmock-dev libbenchmark-dev wrk \
  python3-dev pybind11-dev python3-numpy python3-pandas python3-dask python3-distributed python3-pytest \
  python3-venv python3-pip python3-setuptools python3-wheel
