/* Which voice-activity engine runs: the built-in one, or Silero when its
 * model file is there. Plain C++, no GStreamer types. */
#ifndef VOICEKIT_VAD_ENGINES_HPP
#define VOICEKIT_VAD_ENGINES_HPP

#include "vad.hpp"

#include <memory>
#include <string>

namespace voicekit::vad {

enum class EngineChoice {
  kAuto,    /* silero when the model file exists, else builtin */
  kBuiltin, /* band energy over an adaptive noise floor, no model */
  kSilero,  /* the Silero v5/v6 network, native inference */
};

/* Where the Silero model is looked for when no path is given: the
 * environment variable VOICEKIT_SILERO_MODEL, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/gst-voicekit/models/silero_vad.onnx (where
 * the README's commands put it). */
std::string default_silero_model_path();

struct EngineSelection {
  std::unique_ptr<Engine> engine; /* null when `error` is set */
  std::string model_path;         /* the model used (silero), or looked for (auto) */
  std::string error;              /* why the choice cannot run: names the file and the problem */
};

/* Builds the engine for `choice`. `model_path` empty means the default.
 * kSilero with a missing or bad model file, and kAuto with a model file that
 * exists but is bad, give an error; kAuto without a model file gives the
 * built-in engine. Loaded models are shared between all engines using the
 * same file (read-only weights, loaded once). */
EngineSelection select_engine(EngineChoice choice, const std::string &model_path);

} // namespace voicekit::vad

#endif
