#!/usr/bin/env bash
# Installs what uniforget needs on a fresh Debian machine (run as root): Fashion-MNIST (lab data),
# Debian's PyTorch 1.13 (the numerics/speed reference, used by tests and `bench`) and OpenBLAS
# (without it that PyTorch falls back to the reference BLAS and runs ~10x slower).
# Java 17 and Maven are expected on the machine; Maven fetches the Java dependencies.
set -euo pipefail
need=()
for p in dataset-fashion-mnist python3-torch libopenblas0-pthread; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "dependencies present: dataset-fashion-mnist python3-torch libopenblas0-pthread" >&2
