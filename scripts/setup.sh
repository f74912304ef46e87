#!/usr/bin/env bash
# Installs everything Kinema needs on a fresh Debian machine: npm packages (without the
# install scripts that download from outside the npm registry) and, with --test, the
# Debian packages the test suite uses (Chromium for browser tests, Redis for the queue,
# opencv-doc for its real sample footage and photos).
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

apt_packages=(fonts-dejavu-core)
if [ "$with_test" = 1 ]; then apt_packages+=(chromium redis-server opencv-doc); fi
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install with apt: ${missing[*]}" >&2
  fi
fi

# onnxruntime-node would download CUDA parts; its CPU binding ships inside the package.
# c2pa-node would build Rust; its native module ships inside the package too.
export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip SKIP_RUST_BUILD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
# The few packages that do need their install step, run explicitly so the result is the
# same whether or not this npm runs install scripts.
node scripts/postinstall.mjs
