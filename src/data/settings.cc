#include "data/settings.h"

#include <cstdlib>
#include <map>

#include "data/options.h"
#include "data/runs.h"
#include "util/error.h"

namespace pytest_shards {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The value `words` binds to `choice`, a choice of `option` in the table.
template <typename Enum, size_t N>
Enum ValueOf(const std::string& choice, const char* option,
             const std::pair<const char*, Enum> (&words)[N]) {
  for (const auto& [name, value] : words)
    if (choice == name) return value;
  throw Error(std::string(option) + " '" + choice + "' of cmake/options.json is not implemented");
}

// `word` as one of the choices of `option` in the table of options.
template <typename Enum, size_t N>
Enum ParseWord(const std::string& word, const char* option,
               const std::pair<const char*, Enum> (&words)[N]) {
  std::string accepted;
  for (const std::string& choice : FindOption(option).choices) {
    if (word == choice) return ValueOf(choice, option, words);
    accepted += (accepted.empty() ? "" : ", ") + choice;
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

namespace {

using Words = std::vector<std::string>;
// What an option of the table sets: its implementation in Settings.
using Setter = void (*)(const Option&, const Words&, Settings*);

// `word` as `parse` reads a number (std::stoi, std::stod), all of it, as
// collect's flag `option` takes it.
template <typename Parse>
auto NumberOf(const Option& option, const std::string& word, Parse parse) {
  size_t end = 0;
  try {
    auto number = parse(word, &end);
    if (end == word.size()) return number;
  } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
  }
  throw InvalidOptionWord(option.flag, word);
}

int WholeNumber(const Option& option, const std::string& word) {
  return NumberOf(option, word,
                  [](const std::string& w, size_t* end) { return std::stoi(w, end); });
}

double Number(const Option& option, const std::string& word) {
  return NumberOf(option, word,
                  [](const std::string& w, size_t* end) { return std::stod(w, end); });
}

std::pair<std::string, std::string> SplitProperty(const std::string& property) {
  size_t eq = property.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("property '" + property + "' is not NAME=VALUE");
  return {property.substr(0, eq), property.substr(eq + 1)};
}

// One setter per option of the table that collect takes; a one-value option
// gets one word.
const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"PYTHON", [](const Option&, const Words& w, Settings* s) { s->python = w[0]; }},
      {"WORKING_DIRECTORY",
       [](const Option&, const Words& w, Settings* s) { s->workdir = fs::absolute(w[0]); }},
      {"ARGS", [](const Option&, const Words& w, Settings* s) { s->args = w; }},
      {"RUN_ARGS", [](const Option&, const Words& w, Settings* s) { s->run_args = w; }},
      {"SHARDS", [](const Option&, const Words& w, Settings* s) { s->shards = ParseShards(w[0]); }},
      {"GRANULARITY",
       [](const Option&, const Words& w, Settings* s) { s->granularity = ParseGranularity(w[0]); }},
      {"DISTRIBUTION", [](const Option&, const Words& w,
                          Settings* s) { s->distribution = ParseDistribution(w[0]); }},
      {"IMPORTS",
       [](const Option&, const Words& w, Settings* s) { s->imports = ParseImports(w[0]); }},
      {"WARM", [](const Option&, const Words& w, Settings* s) { s->warm = ParseWarm(w[0]); }},
      {"WARM_REUSE", [](const Option&, const Words& w,
                        Settings* s) { s->warm_reuse = ParseOnOff(w[0], "WARM_REUSE"); }},
      {"SHARED_TAIL", [](const Option&, const Words& w,
                         Settings* s) { s->shared_tail = ParseOnOff(w[0], "SHARED_TAIL"); }},
      {"SERIAL_MARKER",
       [](const Option&, const Words& w, Settings* s) { s->serial_marker = w[0]; }},
      {"DURATIONS_FILE",
       [](const Option&, const Words& w, Settings* s) { s->durations_file = w[0]; }},
      {"PORT_BASE",
       [](const Option& o, const Words& w, Settings* s) { s->port_base = WholeNumber(o, w[0]); }},
      {"PORTS_PER_SHARD", [](const Option& o, const Words& w,
                             Settings* s) { s->ports_per_shard = WholeNumber(o, w[0]); }},
      {"ENVIRONMENT", [](const Option&, const Words& w, Settings* s) { s->environment = w; }},
      {"TIMEOUT",
       [](const Option& o, const Words& w, Settings* s) { s->timeout = Number(o, w[0]); }},
      {"TEST_TIMEOUT",
       [](const Option& o, const Words& w, Settings* s) { s->test_timeout = Number(o, w[0]); }},
      {"LABELS", [](const Option&, const Words& w, Settings* s) { s->labels = w; }},
      {"PROPERTIES",
       [](const Option&, const Words& w, Settings* s) {
         for (const std::string& property : w) s->properties.push_back(SplitProperty(property));
       }},
      {"FIXTURES_REQUIRED",
       [](const Option&, const Words& w, Settings* s) { s->fixtures_required = w; }},
      {"DISCOVERY_MODE", [](const Option&, const Words& w,
                            Settings* s) { s->discovery_mode = ParseDiscoveryMode(w[0]); }},
      {"DISCOVERY_TIMEOUT", [](const Option& o, const Words& w,
                               Settings* s) { s->discovery_timeout = Number(o, w[0]); }},
  };
  return setters;
}

}  // namespace

void ApplyOptionWords(const OptionWords& given, Settings* settings) {
  for (const Option& option : Options()) {
    if (option.flag.empty()) continue;
    auto setter = Setters().find(option.name);
    if (setter == Setters().end())
      throw Error("option " + option.name + " of cmake/options.json is not implemented");
    auto words = given.find(option.name);
    if (words != given.end() && !words->second.empty())
      setter->second(option, words->second, settings);
    else if (!option.default_value.empty())
      setter->second(option, {option.default_value}, settings);
  }
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
          {"shared_tail", s.shared_tail},
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
    s.shared_tail = j.value("shared_tail", true);
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
