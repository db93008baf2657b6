#include "data/durations.h"

#include <system_error>

#include "util/error.h"
#include "util/json_reader.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

constexpr const char* kFormat = "pytest-shards-durations/1";
constexpr const char* kFix = "delete it and the next ctest run measures again";

double Seconds(JsonReader& reader) {
  double seconds = reader.Number();
  if (seconds < 0)
    throw JsonReader::ShapeError("a duration is negative: " + std::to_string(seconds));
  return seconds;
}

// Members come sorted (nlohmann_json writes them so): each goes in at the end.
std::map<std::string, double> SecondsByName(JsonReader& reader) {
  std::map<std::string, double> result;
  reader.BeginObject();
  for (std::string name; reader.NextKey(&name);)
    result.insert_or_assign(result.end(), name, Seconds(reader));
  return result;
}

Durations ReadDocument(JsonReader& reader, std::string* format) {
  Durations durations;
  bool has_tests = false;
  reader.BeginObject();
  for (std::string key; reader.NextKey(&key);) {
    if (key == "format") {
      *format = reader.String();
    } else if (key == "tests") {
      durations.tests = SecondsByName(reader);
      has_tests = true;
    } else if (key == "entries") {
      durations.entries = SecondsByName(reader);
    } else if (key == "startup") {
      durations.startup = Seconds(reader);
    } else if (key == "peak_rss_kb") {
      reader.BeginObject();
      for (std::string name; reader.NextKey(&name);)
        durations.peak_rss_kb.insert_or_assign(durations.peak_rss_kb.end(), name,
                                               static_cast<long>(reader.Integer()));
    } else if (key == "failed") {
      reader.BeginArray();
      while (reader.NextElement()) durations.failed.insert(durations.failed.end(), reader.String());
    } else if (key == "folded") {
      durations.folded = reader.String();
    } else {
      reader.Skip();
    }
  }
  if (!has_tests) throw JsonReader::ShapeError("no tests");
  return durations;
}

// `where` names the document for the user: "durations store" or the file.
// Throws JsonReader::SyntaxError for text that is not JSON.
Durations Parse(std::string_view text, const std::string& where) {
  return ReadVersioned(text, kFormat, where, "malformed", kFix, ReadDocument);
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
          {"failed", durations.failed},
          {"folded", durations.folded}};
}

Durations DurationsFromJson(const json& json) { return Parse(json.dump(), "durations store"); }

Durations ReadDurations(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  std::string where = "durations file " + file.string();
  return ParseJsonFile(file, "durations", kFix,
                       [&](std::string_view text) { return Parse(text, where); });
}

}  // namespace pytest_shards
