#!/usr/bin/env bash
# Installs what uniforget needs on a fresh Debian machine (run as root): Fashion-MNIST (lab data),
# Debian's PyTorch 1.13 (the numerics/speed reference, used by tests and `bench`) and OpenBLAS
# (without it that PyTorch falls back to the reference BLAS and runs ~10x slower).
# Java 17 and Maven are expected on the machine; Maven fetches the Java dependencies.
# Also the emoji-datasource npm packages of Twitter (graphics CC-BY 4.0) and Google (Apache 2.0),
# the data of the emoji art-style lab (`lab build --emoji`): their emoji.json and 64 px images are
# unpacked under /usr/local/share/uniforget/emoji-datasource/<vendor>/ (npm pack: nothing committed).
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
emoji_dir=/usr/local/share/uniforget/emoji-datasource
emoji_version=16.0.0
for vendor in twitter google; do
  if [ ! -f "$emoji_dir/$vendor/emoji.json" ]; then
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "emoji-datasource-$vendor@$emoji_version" >/dev/null)
    mkdir -p "$emoji_dir/$vendor.tmp"
    tar xzf "$tmp/emoji-datasource-$vendor-$emoji_version.tgz" -C "$emoji_dir/$vendor.tmp" --strip-components=1 \
      package/emoji.json package/LICENSE package/README.md "package/img/$vendor/64"
    rm -rf "$tmp" "$emoji_dir/$vendor"
    mv "$emoji_dir/$vendor.tmp" "$emoji_dir/$vendor"
  fi
done
echo "dependencies present: dataset-fashion-mnist python3-torch libopenblas0-pthread, emoji-datasource twitter and google $emoji_version" >&2
