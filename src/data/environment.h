// Environment lists as child processes get them: "K=V" strings
// (SpawnOptions::env, CurrentEnvironment()).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace pytest_shards {

// The value of `name`; "" when it is unset.
std::string GetVariable(const std::vector<std::string>& env, const std::string& name);
// Sets name=value, replacing an earlier value.
void SetVariable(std::vector<std::string>& env, const std::string& name, const std::string& value);
void UnsetVariable(std::vector<std::string>& env, const std::string& name);

// Puts `dir` first on PYTHONPATH, so that the plugin is importable whatever
// PYTHONPATH the user set.
void PrependPythonPath(std::vector<std::string>& env, const std::filesystem::path& dir);

}  // namespace pytest_shards
