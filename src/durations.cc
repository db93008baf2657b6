#include "durations.h"

#include <system_error>

#include "error.h"
#include "file_util.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

constexpr const char* kFormat = "pytest-shards-durations/1";
constexpr const char* kFix = "delete it and the next ctest run measures again";

double Seconds(const json& value) {
  if (!value.is_number() || value.get<double>() < 0)
    throw Error("a duration is not a non-negative number: " + value.dump().substr(0, 40));
  return value.get<double>();
}

std::map<std::string, double> SecondsByName(const json& object) {
  if (!object.is_object()) throw Error("expected an object of seconds");
  std::map<std::string, double> result;
  for (const auto& [name, value] : object.items()) result[name] = Seconds(value);
  return result;
}

// `where` names the document for the user: "durations store" or the file.
Durations Parse(const json& json, const std::string& where) {
  if (!json.is_object() || json.value("format", "") != kFormat)
    throw Error(where + " is not in format " + kFormat + "; " + kFix);
  try {
    Durations durations;
    durations.tests = SecondsByName(json.at("tests"));
    if (json.contains("entries")) durations.entries = SecondsByName(json.at("entries"));
    if (json.contains("startup")) durations.startup = Seconds(json.at("startup"));
    if (json.contains("peak_rss_kb"))
      durations.peak_rss_kb = json.at("peak_rss_kb").get<std::map<std::string, long>>();
    if (json.contains("failed")) durations.failed = json.at("failed").get<std::set<std::string>>();
    return durations;
  } catch (const json::exception& e) {
    throw Error(where + " is malformed (" + e.what() + "); " + kFix);
  } catch (const Error& e) {
    throw Error(where + " is malformed (" + e.what() + "); " + kFix);
  }
}

}  // namespace

double Durations::Estimate(const Item& item) const {
  auto measured = tests.find(item.node_id);
  if (measured != tests.end()) return measured->second;

  // Node IDs of one module are adjacent in the sorted map: scan that range.
  // Measured and estimated node IDs are compared on their module part.
  std::string prefix(ModulePart(item.node_id));
  prefix += "::";
  double sum = 0;
  int count = 0;
  for (auto it = tests.lower_bound(prefix);
       it != tests.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    sum += it->second;
    ++count;
  }
  if (count > 0) return sum / count;

  if (tests.empty()) return kDefaultTestSeconds;
  sum = 0;
  for (const auto& [node_id, seconds] : tests) sum += seconds;
  return sum / static_cast<double>(tests.size());
}

json DurationsToJson(const Durations& durations) {
  return {{"format", kFormat},
          {"startup", durations.startup},
          {"tests", durations.tests},
          {"entries", durations.entries},
          {"peak_rss_kb", durations.peak_rss_kb},
          {"failed", durations.failed}};
}

Durations DurationsFromJson(const json& json) { return Parse(json, "durations store"); }

Durations ReadDurations(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  std::string where = "durations file " + file.string();
  return Parse(ReadJsonFile(file, "durations", kFix), where);
}

}  // namespace pytest_shards
