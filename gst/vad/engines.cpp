// Engine selection and the shared model cache: see engines.hpp.
#include "engines.hpp"

#include "silero.hpp"

#include <cstdlib>
#include <map>
#include <mutex>
#include <sys/stat.h>

namespace voicekit::vad {

namespace {

bool file_exists(const std::string &path) {
  struct stat info {};
  return !path.empty() && ::stat(path.c_str(), &info) == 0;
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

} // namespace

std::string default_silero_model_path() {
  if (const char *env = std::getenv("VOICEKIT_SILERO_MODEL"); env != nullptr && *env != '\0')
    return env;
  std::string cache;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    cache = xdg;
  else if (const char *home = std::getenv("HOME"); home != nullptr && *home != '\0')
    cache = std::string(home) + "/.cache";
  else
    return "";
  return cache + "/gst-voicekit/models/silero_vad.onnx";
}

EngineSelection select_engine(EngineChoice choice, const std::string &model_path) {
  EngineSelection selection;
  if (choice == EngineChoice::kBuiltin) {
    selection.engine = make_builtin_engine();
    return selection;
  }
  selection.model_path = model_path.empty() ? default_silero_model_path() : model_path;
  if (choice == EngineChoice::kAuto && !file_exists(selection.model_path)) {
    selection.engine = make_builtin_engine();
    return selection;
  }
  if (selection.model_path.empty()) {
    selection.error = "no Silero model path (set model-path or VOICEKIT_SILERO_MODEL)";
    return selection;
  }
  std::string why;
  auto model = shared_model(selection.model_path, &why);
  if (!model) {
    selection.error = selection.model_path + ": " + why;
    return selection;
  }
  selection.engine = make_silero_engine(model);
  return selection;
}

} // namespace voicekit::vad
