#include "data/settings.h"

#include <cstdlib>

#include "data/runs.h"
#include "util/error.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

template <typename Enum, size_t N>
Enum ParseWord(const std::string& word, const char* option,
               const std::pair<const char*, Enum> (&words)[N]) {
  std::string accepted;
  for (const auto& [name, value] : words) {
    if (word == name) return value;
    accepted += accepted.empty() ? name : std::string(", ") + name;
  }
  throw Error("unknown " + std::string(option) + " '" + word + "'; use one of: " + accepted);
}

constexpr std::pair<const char*, Granularity> kGranularities[] = {
    {"shard", Granularity::kShard}, {"file", Granularity::kFile}, {"test", Granularity::kTest}};
constexpr std::pair<const char*, Distribution> kDistributions[] = {{"load", Distribution::kLoad},
                                                                   {"file", Distribution::kFile},
                                                                   {"scope", Distribution::kScope},
                                                                   {"group", Distribution::kGroup}};
constexpr std::pair<const char*, DiscoveryMode> kDiscoveryModes[] = {
    {"CONFIGURE", DiscoveryMode::kConfigure}, {"PRE_TEST", DiscoveryMode::kPreTest}};
constexpr std::pair<const char*, Imports> kImports[] = {{"suite", Imports::kSuite},
                                                        {"own", Imports::kOwn}};
constexpr std::pair<const char*, Warm> kWarm[] = {
    {"auto", Warm::kAuto}, {"on", Warm::kOn}, {"off", Warm::kOff}};
constexpr std::pair<const char*, bool> kOnOff[] = {{"on", true}, {"off", false}};

template <typename Enum, size_t N>
const char* WordOf(Enum value, const std::pair<const char*, Enum> (&words)[N]) {
  for (const auto& [name, v] : words)
    if (v == value) return name;
  return "?";
}

}  // namespace

Granularity ParseGranularity(const std::string& word) {
  return ParseWord(word, "GRANULARITY", kGranularities);
}
Distribution ParseDistribution(const std::string& word) {
  return ParseWord(word, "DISTRIBUTION", kDistributions);
}
DiscoveryMode ParseDiscoveryMode(const std::string& word) {
  return ParseWord(word, "DISCOVERY_MODE", kDiscoveryModes);
}
Imports ParseImports(const std::string& word) { return ParseWord(word, "IMPORTS", kImports); }
Warm ParseWarm(const std::string& word) { return ParseWord(word, "WARM", kWarm); }
bool ParseOnOff(const std::string& word, const char* option) {
  std::string lower;
  for (char c : word) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ParseWord(lower, option, kOnOff);
}
const char* Name(Granularity value) { return WordOf(value, kGranularities); }
const char* Name(Distribution value) { return WordOf(value, kDistributions); }
const char* Name(DiscoveryMode value) { return WordOf(value, kDiscoveryModes); }
const char* Name(Imports value) { return WordOf(value, kImports); }
const char* Name(Warm value) { return WordOf(value, kWarm); }

int ParseShards(const std::string& word) {
  if (word == "auto") return 0;
  char* end = nullptr;
  long count = std::strtol(word.c_str(), &end, 10);
  if (word.empty() || *end != '\0' || count < 1 || count > 100000)
    throw Error("SHARDS '" + word +
                "' is not a count; use a whole number from 1 to 100000 or auto");
  return static_cast<int>(count);
}

std::filesystem::path Settings::SettingsFile() const {
  return pytest_shards::SettingsFile(suite_dir);
}
std::filesystem::path Settings::CollectionFile() const {
  return pytest_shards::CollectionFile(suite_dir);
}
std::filesystem::path Settings::DurationsFile() const {
  return pytest_shards::DurationsFile(suite_dir);
}
std::filesystem::path Settings::TmpRoot() const { return pytest_shards::TmpRoot(suite_dir); }
std::filesystem::path Settings::PortLockFile() const {
  return pytest_shards::PortLockFile(suite_dir);
}

void ValidatePortRange(int first, int count) {
  constexpr int kLastPort = 65535;
  if (first < 1 || count < 1 || first > kLastPort - count + 1) {
    throw Error("PORT_BASE " + std::to_string(first) + " with PORTS_PER_SHARD " +
                std::to_string(count) + " does not fit below port 65536; choose smaller values" +
                " in pytest_shard_tests()");
  }
}

std::pair<std::string, std::string> SplitAssignment(const std::string& assignment) {
  size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw Error("ENVIRONMENT entry '" + assignment +
                "' is not VAR=value; fix it in pytest_shard_tests() and re-run cmake");
  }
  return {assignment.substr(0, equals), assignment.substr(equals + 1)};
}

void ValidateSettings(const Settings& s) {
  ValidatePortRange(s.port_base, s.ports_per_shard);
  for (const std::string& assignment : s.environment) SplitAssignment(assignment);
}

json SettingsToJson(const Settings& s) {
  json properties = json::array();
  for (const auto& [name, value] : s.properties) properties.push_back({name, value});
  json depends = json::array();
  for (const auto& [target, file] : s.depends) depends.push_back({target, file});
  std::vector<std::string> watch_roots;
  for (const auto& root : s.watch_roots) watch_roots.push_back(root.string());
  return {{"format", "pytest-shards-settings/1"},
          {"suite", s.suite},
          {"suite_dir", s.suite_dir.string()},
          {"python", s.python},
          {"workdir", s.workdir.string()},
          {"plugin_dir", s.plugin_dir.string()},
          {"args", s.args},
          {"run_args", s.run_args},
          {"shards", s.shards},
          {"granularity", Name(s.granularity)},
          {"distribution", Name(s.distribution)},
          {"imports", Name(s.imports)},
          {"warm", Name(s.warm)},
          {"warm_reuse", s.warm_reuse},
          {"serial_marker", s.serial_marker},
          {"durations_file", s.durations_file.string()},
          {"port_base", s.port_base},
          {"ports_per_shard", s.ports_per_shard},
          {"environment", s.environment},
          {"timeout", s.timeout},
          {"test_timeout", s.test_timeout},
          {"labels", s.labels},
          {"properties", properties},
          {"fixtures_required", s.fixtures_required},
          {"discovery_mode", Name(s.discovery_mode)},
          {"discovery_timeout", s.discovery_timeout},
          {"depends", depends},
          {"watch_roots", watch_roots}};
}

Settings SettingsFromJson(const json& j) {
  if (!j.is_object() || j.value("format", "") != "pytest-shards-settings/1")
    throw Error("settings are not in format pytest-shards-settings/1; re-run cmake");
  try {
    Settings s;
    s.suite = j.at("suite").get<std::string>();
    s.suite_dir = j.at("suite_dir").get<std::string>();
    s.python = j.at("python").get<std::string>();
    s.workdir = j.at("workdir").get<std::string>();
    s.plugin_dir = j.at("plugin_dir").get<std::string>();
    s.args = j.at("args").get<std::vector<std::string>>();
    s.run_args = j.at("run_args").get<std::vector<std::string>>();
    s.shards = j.at("shards").get<int>();
    s.granularity = ParseGranularity(j.at("granularity").get<std::string>());
    s.distribution = ParseDistribution(j.at("distribution").get<std::string>());
    s.imports = ParseImports(j.value("imports", "suite"));
    s.warm = ParseWarm(j.value("warm", "auto"));
    s.warm_reuse = j.value("warm_reuse", true);
    s.serial_marker = j.at("serial_marker").get<std::string>();
    s.durations_file = j.value("durations_file", "");
    s.port_base = j.at("port_base").get<int>();
    s.ports_per_shard = j.at("ports_per_shard").get<int>();
    s.environment = j.at("environment").get<std::vector<std::string>>();
    s.timeout = j.at("timeout").get<double>();
    s.test_timeout = j.at("test_timeout").get<double>();
    s.labels = j.at("labels").get<std::vector<std::string>>();
    for (const auto& pair : j.at("properties"))
      s.properties.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
    s.fixtures_required = j.at("fixtures_required").get<std::vector<std::string>>();
    s.discovery_mode = ParseDiscoveryMode(j.at("discovery_mode").get<std::string>());
    s.discovery_timeout = j.at("discovery_timeout").get<double>();
    for (const auto& pair : j.value("depends", json::array()))
      s.depends.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
    for (const auto& root : j.value("watch_roots", json::array()))
      s.watch_roots.emplace_back(root.get<std::string>());
    return s;
  } catch (const json::exception& e) {
    throw Error(std::string("settings are malformed (") + e.what() + "); re-run cmake");
  }
}

}  // namespace pytest_shards
