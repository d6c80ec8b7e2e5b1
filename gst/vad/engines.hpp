/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Which voice-activity engine runs: the built-in one, or Silero when its
 * model file is found, and where that file is looked for. Plain C++, no
 * GStreamer types.
 */
#ifndef GST_VAD_ENGINES_HPP
#define GST_VAD_ENGINES_HPP

#include "vad.hpp"

#include <memory>
#include <string>

namespace voicekit::vad {

enum class EngineChoice {
  kAuto,    /* silero when the model file is found, else builtin */
  kBuiltin, /* band energy over an adaptive noise floor, no model */
  kSilero,  /* the Silero v5/v6 network, native inference */
};

/* The Silero model search path, in order (docs/pausedetect.md):
 *   1. `explicit_path`: pausedetect's model-path, when set;
 *   2. `environment`: $VOICEKIT_SILERO_MODEL, when set and not empty;
 *   3. `data_dir_file`: <datadir>/gst-voicekit/models/silero_vad.onnx of the
 *      installation (compiled in; `meson install` puts the model there);
 *   4. `cache_file`: ${XDG_CACHE_HOME:-$HOME/.cache}/gst-voicekit/models/
 *      silero_vad.onnx of the running user (where scripts/ fetch it).
 * Steps 1 and 2 are someone's decision: the file they name is the model,
 * there or not (a missing file means no Silero for kAuto and an error for
 * kSilero; the search does not go on to another file). Steps 3 and 4 are
 * places: the first that holds the file wins. So the choice is the same for
 * every user of an installation, whatever their home directory. */
struct ModelSearchPath {
  std::string explicit_path;
  std::string environment;
  std::string data_dir_file;
  std::string cache_file; /* empty without XDG_CACHE_HOME and HOME */
};

/* The search path of this process: `explicit_path`, then the environment,
 * the compiled-in data directory and the user's cache. */
ModelSearchPath model_search_path(const std::string &explicit_path);

/* <datadir>/gst-voicekit/models/silero_vad.onnx, compiled in. */
std::string installed_silero_model_path();

enum class ModelOrigin { kNone, kExplicit, kEnvironment, kDataDir, kUserCache };
/* "model-path", "VOICEKIT_SILERO_MODEL", "data directory", "user cache", "none" */
const char *model_origin_name(ModelOrigin origin);

struct ModelLocation {
  std::string path; /* empty when no step applies */
  ModelOrigin origin = ModelOrigin::kNone;
  bool exists = false;  /* `path` is a file that exists */
  std::string searched; /* every step looked at, for messages: "a, b (missing), ..." */
};

/* Walks `search` as described above. */
ModelLocation locate_silero_model(const ModelSearchPath &search);

struct EngineSelection {
  std::unique_ptr<Engine> engine; /* null when `error` is set */
  ModelLocation model;            /* the model used (silero), or looked for (auto) */
  std::string error;              /* why the choice cannot run: names the file and the problem */
};

/* Builds the engine for `choice`. kSilero without a model file, or with a
 * bad one, and kAuto with a model file that exists but is bad, give an
 * error; kAuto without a model file gives the built-in engine. Loaded models
 * are shared between all engines using the same file (read-only weights,
 * loaded once). */
EngineSelection select_engine(EngineChoice choice, const ModelSearchPath &search);
/* The same with model_search_path(model_path). */
EngineSelection select_engine(EngineChoice choice, const std::string &model_path);

} /* namespace voicekit::vad */

#endif /* GST_VAD_ENGINES_HPP */
