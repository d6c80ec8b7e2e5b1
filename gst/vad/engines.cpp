/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Engine selection, the Silero model search path and the shared model cache:
 * see engines.hpp.
 */
#include "engines.hpp"

#include "silero.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <sys/stat.h>

#ifndef VOICEKIT_MODEL_DIR
#error "VOICEKIT_MODEL_DIR (<datadir>/gst-voicekit/models) comes from gst/vad/meson.build"
#endif

namespace voicekit::vad {

namespace {

constexpr const char *kModelFile = "silero_vad.onnx";

bool file_exists(const std::string &path) {
  struct stat info {};
  return !path.empty() && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string getenv_string(const char *name) {
  const char *value = std::getenv(name);
  return value != nullptr ? value : "";
}

/* One SileroModel per file while anyone uses it: hundreds of sessions share
 * one copy of the weights. */
std::shared_ptr<const SileroModel> shared_model(const std::string &path, std::string *error) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const SileroModel>> models;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto model = models[path].lock())
    return model;
  auto model = SileroModel::load(path, error);
  if (model)
    models[path] = model;
  return model;
}

} /* namespace */

std::string installed_silero_model_path() {
  return std::string(VOICEKIT_MODEL_DIR) + "/" + kModelFile;
}

ModelSearchPath model_search_path(const std::string &explicit_path) {
  ModelSearchPath search;
  search.explicit_path = explicit_path;
  search.environment = getenv_string("VOICEKIT_SILERO_MODEL");
  search.data_dir_file = installed_silero_model_path();
  std::string cache = getenv_string("XDG_CACHE_HOME");
  if (cache.empty()) {
    const std::string home = getenv_string("HOME");
    if (!home.empty())
      cache = home + "/.cache";
  }
  if (!cache.empty())
    search.cache_file = cache + "/gst-voicekit/models/" + kModelFile;
  return search;
}

const char *model_origin_name(ModelOrigin origin) {
  switch (origin) {
  case ModelOrigin::kExplicit:
    return "model-path";
  case ModelOrigin::kEnvironment:
    return "VOICEKIT_SILERO_MODEL";
  case ModelOrigin::kDataDir:
    return "data directory";
  case ModelOrigin::kUserCache:
    return "user cache";
  case ModelOrigin::kNone:
    break;
  }
  return "none";
}

ModelLocation locate_silero_model(const ModelSearchPath &search) {
  ModelLocation location;
  auto look = [&](const std::string &path, ModelOrigin origin) {
    location.path = path;
    location.origin = origin;
    location.exists = file_exists(path);
    if (!location.searched.empty())
      location.searched += ", ";
    location.searched +=
        path + " (" + model_origin_name(origin) + (location.exists ? ")" : ", not found)");
    return location.exists;
  };
  /* Someone's decision: that file, there or not. */
  if (!search.explicit_path.empty()) {
    look(search.explicit_path, ModelOrigin::kExplicit);
    return location;
  }
  if (!search.environment.empty()) {
    look(search.environment, ModelOrigin::kEnvironment);
    return location;
  }
  /* Places: the first that holds the file. */
  if (!search.data_dir_file.empty() && look(search.data_dir_file, ModelOrigin::kDataDir))
    return location;
  if (!search.cache_file.empty() && look(search.cache_file, ModelOrigin::kUserCache))
    return location;
  return location;
}

EngineSelection select_engine(EngineChoice choice, const ModelSearchPath &search) {
  EngineSelection selection;
  if (choice == EngineChoice::kBuiltin) {
    selection.engine = make_builtin_engine();
    return selection;
  }
  selection.model = locate_silero_model(search);
  if (!selection.model.exists) {
    if (choice == EngineChoice::kAuto) {
      selection.engine = make_builtin_engine();
      return selection;
    }
    selection.error = selection.model.searched.empty()
                          ? std::string("no Silero model: set model-path or VOICEKIT_SILERO_MODEL")
                          : "no Silero model file; looked at " + selection.model.searched;
    return selection;
  }
  std::string why;
  auto model = shared_model(selection.model.path, &why);
  if (!model) {
    selection.error = selection.model.path + ": " + why;
    return selection;
  }
  selection.engine = make_silero_engine(model);
  return selection;
}

EngineSelection select_engine(EngineChoice choice, const std::string &model_path) {
  return select_engine(choice, model_search_path(model_path));
}

} /* namespace voicekit::vad */
