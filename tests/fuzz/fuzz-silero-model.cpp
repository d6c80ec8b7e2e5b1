/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * libFuzzer target: the Silero model loader (ONNX protobuf reader and weight
 * checks) on arbitrary bytes. It must never crash, hang or allocate without
 * bound; an error string is the only allowed outcome for anything but a
 * real model. Built and run by scripts/fuzz; tests/fuzz/silero-model-seeds/
 * holds the seeds (small synthetic protobufs, never real weights), which
 * the `fuzz-seeds` test replays on every `meson test`.
 */
#include <gst/vad/silero.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  auto model = voicekit::vad::SileroModel::load_from_memory(data, size, &error);
  if (!model && error.empty())
    __builtin_trap(); /* a refusal must say why */
  return 0;
}
