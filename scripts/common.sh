# Shared by scripts/demo and scripts/test: install what is missing, configure,
# build. Sourced, not run. Idempotent: a second run installs nothing and only
# rebuilds what changed.
set -euo pipefail

VOICEKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VOICEKIT_BUILD=${VOICEKIT_BUILD:-$VOICEKIT_ROOT/build}

# Everything the build, the tests, the demo and the evaluation tool need (alsa-utils
# ships the recorded noise vad-eval mixes in), from Debian 12 only.
VOICEKIT_PACKAGES=(
  g++ meson ninja-build pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  gobject-introspection libgirepository1.0-dev python3 python3-gi gir1.2-gstreamer-1.0
  libgtest-dev
  pocketsphinx-testdata alsa-utils
)

voicekit_install_packages() {
  local missing=()
  local package
  for package in "${VOICEKIT_PACKAGES[@]}"; do
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
