#include "collect/depends.h"

#include <filesystem>
#include <regex>
#include <system_error>

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBuildFirst = "build first (cmake --build <build dir>)";

bool Missing(const std::string& file) {
  std::error_code ec;
  return !file.empty() && !fs::exists(file, ec);
}

std::string Targets(const Settings& s) {
  std::string names;
  for (const auto& [target, file] : s.depends) names += (names.empty() ? "" : ", ") + target;
  return names;
}

// The name a built module file is imported as: "ext" of
// "ext.cpython-311-x86_64-linux-gnu.so" or "ext.pyd".
std::string ModuleName(const std::string& file) {
  std::string name = fs::path(file).filename().string();
  return name.substr(0, name.find('.'));
}

// The DEPENDS entry whose file is imported as `module` ("pkg._ext" matches
// a file "_ext.<suffix>"); nullptr when none is.
const std::pair<std::string, std::string>* Builder(const Settings& s, const std::string& module) {
  std::string last = module.substr(module.rfind('.') + 1);
  std::string first = module.substr(0, module.find('.'));
  for (const auto& entry : s.depends) {
    std::string name = ModuleName(entry.second);
    if (!entry.second.empty() && (name == last || name == first)) return &entry;
  }
  return nullptr;
}

}  // namespace

std::string NotBuiltYet(const Settings& s) {
  if (s.depends.empty()) return "";
  std::error_code ec;
  if (!fs::exists(s.CollectionFile(), ec))
    return s.suite + " is collected by the build once its DEPENDS (" + Targets(s) +
           ") are built, and it was not; " + kBuildFirst;
  for (const auto& [target, file] : s.depends)
    if (Missing(file))
      return "DEPENDS target " + target + " of " + s.suite + " is not built (" + file +
             " is missing); " + kBuildFirst;
  return "";
}

std::string ExplainMissingImport(const Settings& s, const std::string& output) {
  static const std::regex kNoModule("No module named '([^']+)'");
  std::smatch match;
  if (!std::regex_search(output, match, kNoModule)) return "";
  std::string module = match[1];
  std::string cannot = "pytest cannot import " + module + " while collecting " + s.suite;
  if (s.depends.empty())
    return cannot +
           "; if a target of this project builds it, pass DEPENDS <target> to "
           "pytest_shard_tests() (the build then collects once it is built), else install it "
           "for " +
           s.python;
  const auto* builder = Builder(s, module);
  if (builder == nullptr)
    return cannot + ", and none of its DEPENDS (" + Targets(s) +
           ") builds it; add the target that does to DEPENDS, or install it for " + s.python;
  const auto& [target, file] = *builder;
  if (Missing(file))
    return cannot + ": DEPENDS target " + target + " is not built yet (" + file + "); " +
           kBuildFirst;
  return cannot + ", although DEPENDS target " + target + " built it as " + file +
         "; put its directory on pytest's path (build it into WORKING_DIRECTORY " +
         s.workdir.string() + ", which python -m pytest puts on sys.path) and build it for " +
         s.python;
}

}  // namespace pytest_shards
