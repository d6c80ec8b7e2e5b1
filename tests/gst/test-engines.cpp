/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of engine selection and the Silero model search path
 * (gst/vad/engines.hpp): the order of the four places, which of them stop
 * the search, and that the choice does not depend on the home directory.
 */
#include <gst/vad/engines.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace voicekit::vad;

namespace {

/* A temporary directory, removed with what the test put in it. */
class TempDir {
public:
  TempDir() {
    char pattern[] = "/tmp/test-engines-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    for (auto it = files_.rbegin(); it != files_.rend(); ++it)
      ::remove(it->c_str());
    ::rmdir(path_.c_str());
  }
  const std::string &path() const { return path_; }
  /* Creates `name` (a file, or a symlink to `target`) and returns its path. */
  std::string add(const std::string &name, const std::string &target = "") {
    const std::string file = path_ + "/" + name;
    if (target.empty())
      std::ofstream(file) << "not a model";
    else
      EXPECT_EQ(::symlink(target.c_str(), file.c_str()), 0);
    files_.push_back(file);
    return file;
  }
  std::string absent(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
  std::vector<std::string> files_;
};

/* Sets environment variables for a scope, and puts them back after it. */
class ScopedEnvironment {
public:
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
  }
  void set(const char *name, const std::string &value) {
    save(name);
    ::setenv(name, value.c_str(), 1);
  }
  void unset(const char *name) {
    save(name);
    ::unsetenv(name);
  }

private:
  void save(const char *name) {
    const char *value = std::getenv(name);
    saved_.emplace_back(name, value != nullptr ? std::optional<std::string>(value) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/* The Silero model the tests use (tests/meson.build sets the variable). */
std::string real_model() {
  const char *path = std::getenv("VOICEKIT_SILERO_MODEL_V5");
  return path != nullptr ? path : "";
}

/* The place `place` of `search` (model-path or the variable) is the model,
 * whether its file `name` in `dir` exists or not: the search stops there.
 * First the file is missing (the search names it, `label`, not found), then
 * it is created. The other places of `search` hold files that exist. */
void expect_stops_the_search(TempDir &dir, ModelSearchPath search,
                             std::string ModelSearchPath::*place, const std::string &name,
                             ModelOrigin origin, const std::string &label) {
  search.*place = dir.absent(name);
  ModelLocation found = locate_silero_model(search);
  EXPECT_EQ(found.origin, origin);
  EXPECT_EQ(found.path, dir.absent(name));
  EXPECT_FALSE(found.exists);
  EXPECT_EQ(found.searched, dir.absent(name) + " (" + label + ", not found)");
  search.*place = dir.add(name);
  found = locate_silero_model(search);
  EXPECT_EQ(found.origin, origin);
  EXPECT_EQ(found.path, dir.absent(name));
  EXPECT_TRUE(found.exists);
}

} /* namespace */

TEST(ModelSearch, ExplicitPathIsTheModelPresentOrNot) {
  TempDir dir;
  const std::string data = dir.add("data.onnx");
  expect_stops_the_search(dir, {"", dir.add("env.onnx"), data, data},
                          &ModelSearchPath::explicit_path, "explicit.onnx", ModelOrigin::kExplicit,
                          "model-path");
}

TEST(ModelSearch, EnvironmentStopsTheSearchEvenWhenItsFileIsMissing) {
  TempDir dir;
  expect_stops_the_search(dir, {"", "", dir.add("data.onnx"), dir.add("cache.onnx")},
                          &ModelSearchPath::environment, "env.onnx", ModelOrigin::kEnvironment,
                          "VOICEKIT_SILERO_MODEL");
}

TEST(ModelSearch, DataDirectoryComesBeforeTheUserCache) {
  TempDir dir;
  const std::string cache = dir.add("cache.onnx");
  ModelSearchPath search{"", "", dir.absent("data.onnx"), cache};
  ModelLocation found = locate_silero_model(search);
  EXPECT_EQ(found.origin, ModelOrigin::kUserCache);
  EXPECT_EQ(found.path, cache);
  EXPECT_TRUE(found.exists);
  EXPECT_EQ(found.searched,
            dir.absent("data.onnx") + " (data directory, not found), " + cache + " (user cache)");
  search.data_dir_file = dir.add("data.onnx");
  found = locate_silero_model(search);
  EXPECT_EQ(found.origin, ModelOrigin::kDataDir);
  EXPECT_EQ(found.path, search.data_dir_file);
}

TEST(ModelSearch, NothingFoundListsEveryPlace) {
  TempDir dir;
  ModelSearchPath search{"", "", dir.absent("data.onnx"), dir.absent("cache.onnx")};
  const ModelLocation found = locate_silero_model(search);
  EXPECT_FALSE(found.exists);
  EXPECT_NE(found.searched.find("data.onnx (data directory, not found)"), std::string::npos);
  EXPECT_NE(found.searched.find("cache.onnx (user cache, not found)"), std::string::npos);
  /* a directory is not a model */
  search.data_dir_file = dir.path();
  EXPECT_FALSE(locate_silero_model(search).exists);
}

TEST(ModelSearch, SearchPathOfThisProcess) {
  ScopedEnvironment environment;
  environment.set("VOICEKIT_SILERO_MODEL", "/somewhere/model.onnx");
  environment.set("XDG_CACHE_HOME", "/xdg-cache");
  environment.set("HOME", "/home/someone");
  ModelSearchPath search = model_search_path("");
  EXPECT_EQ(search.explicit_path, "");
  EXPECT_EQ(search.environment, "/somewhere/model.onnx");
  EXPECT_EQ(search.data_dir_file, installed_silero_model_path());
  EXPECT_EQ(search.cache_file, "/xdg-cache/gst-voicekit/models/silero_vad.onnx");
  environment.unset("XDG_CACHE_HOME");
  EXPECT_EQ(model_search_path("").cache_file,
            "/home/someone/.cache/gst-voicekit/models/silero_vad.onnx");
  environment.unset("HOME");
  EXPECT_EQ(model_search_path("").cache_file, "");
  environment.set("VOICEKIT_SILERO_MODEL", ""); /* empty: unset */
  EXPECT_EQ(model_search_path("chosen.onnx").environment, "");
  EXPECT_EQ(model_search_path("chosen.onnx").explicit_path, "chosen.onnx");
  /* the data directory meson configured: absolute, the file named as documented */
  const std::string installed = installed_silero_model_path();
  EXPECT_EQ(installed.front(), '/');
  const std::string tail = "/gst-voicekit/models/silero_vad.onnx";
  ASSERT_GT(installed.size(), tail.size());
  EXPECT_EQ(installed.substr(installed.size() - tail.size()), tail);
}

/* engine=auto picks Silero from the data directory with an empty home and
 * no variable: what a service account of an installation gets. */
TEST(EngineSelection, AutoFindsTheInstalledModelWithAnEmptyHome) {
  const std::string model = real_model();
  ASSERT_FALSE(model.empty()) << "VOICEKIT_SILERO_MODEL_V5 is not set (tests/meson.build)";
  TempDir home;
  TempDir data;
  ModelSearchPath search{"", "", data.add("silero_vad.onnx", model),
                         home.absent(".cache/gst-voicekit/models/silero_vad.onnx")};
  EngineSelection selection = select_engine(EngineChoice::kAuto, search);
  ASSERT_TRUE(selection.engine) << selection.error;
  EXPECT_STREQ(selection.engine->name(), "silero");
  EXPECT_EQ(selection.model.origin, ModelOrigin::kDataDir);

  /* the same search without the installed model: builtin for auto, an error
   * naming every place for silero */
  search.data_dir_file = data.absent("none.onnx");
  selection = select_engine(EngineChoice::kAuto, search);
  ASSERT_TRUE(selection.engine);
  EXPECT_STREQ(selection.engine->name(), "builtin");
  selection = select_engine(EngineChoice::kSilero, search);
  EXPECT_FALSE(selection.engine);
  EXPECT_NE(selection.error.find(search.data_dir_file), std::string::npos) << selection.error;
  EXPECT_NE(selection.error.find(search.cache_file), std::string::npos) << selection.error;
}

TEST(EngineSelection, BadModelIsAnErrorEvenForAuto) {
  TempDir dir;
  const ModelSearchPath search{dir.add("bad.onnx"), "", "", ""};
  const EngineSelection selection = select_engine(EngineChoice::kAuto, search);
  EXPECT_FALSE(selection.engine);
  EXPECT_NE(selection.error.find("bad.onnx"), std::string::npos) << selection.error;
  EXPECT_STREQ(select_engine(EngineChoice::kBuiltin, search).engine->name(), "builtin");
}
