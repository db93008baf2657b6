#include "data/environment.h"

#include <algorithm>

#include "platform/platform.h"

namespace pytest_shards {

namespace {

bool Names(const std::string& entry, const std::string& name) {
  return entry.size() > name.size() && entry[name.size()] == '=' &&
         entry.compare(0, name.size(), name) == 0;
}

}  // namespace

std::string GetVariable(const std::vector<std::string>& env, const std::string& name) {
  for (const std::string& entry : env)
    if (Names(entry, name)) return entry.substr(name.size() + 1);
  return "";
}

void SetVariable(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  for (std::string& entry : env) {
    if (Names(entry, name)) {
      entry = name + "=" + value;
      return;
    }
  }
  env.push_back(name + "=" + value);
}

void UnsetVariable(std::vector<std::string>& env, const std::string& name) {
  env.erase(std::remove_if(env.begin(), env.end(),
                           [&](const std::string& entry) { return Names(entry, name); }),
            env.end());
}

void PrependPythonPath(std::vector<std::string>& env, const std::filesystem::path& dir) {
  std::string old = GetVariable(env, "PYTHONPATH");
  SetVariable(env, "PYTHONPATH",
              old.empty() ? dir.string() : dir.string() + kPathListSeparator + old);
}

}  // namespace pytest_shards
