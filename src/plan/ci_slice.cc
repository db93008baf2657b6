#include "plan/ci_slice.h"

#include <algorithm>

#include "util/error.h"

namespace pytest_shards {

namespace {

struct CiSystem {
  const char* name;
  const char* index;
  const char* total;
  int base;  // what the first job's index is
};

constexpr CiSystem kSystems[] = {
    {"GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1},
    {"CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0},
    {"Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0},
    {"Azure Pipelines", "SYSTEM_JOBPOSITIONINPHASE", "SYSTEM_TOTALJOBSINPHASE", 1},
};

std::string Get(const Environment& environment, const std::string& name) {
  auto found = environment.find(name);
  return found == environment.end() ? "" : found->second;
}

// A whole decimal number in [0, 1e6]; -1 when `text` is anything else.
int WholeNumber(const std::string& text) {
  if (text.empty() || text.size() > 7) return -1;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  int value = std::stoi(text);
  return value <= 1000000 ? value : -1;
}

Slice FromCi(const CiSystem& system, const std::string& index_text, const std::string& total_text) {
  int index = WholeNumber(index_text);
  int total = WholeNumber(total_text);
  Slice slice{index - system.base + 1, total};
  if (index < 0 || total < 1 || slice.index < 1 || slice.index > total) {
    std::string range = system.base == 0 ? "0 to total-1" : "1 to total";
    throw Error(std::string(system.index) + "='" + index_text + "' " + system.total + "='" +
                total_text + "' (" + system.name + ") is not a slice: the index must run from " +
                range + "; fix the job's parallel settings, or set PYTEST_SHARDS_SLICE=k/n");
  }
  return slice;
}

}  // namespace

Environment EnvironmentMap(const std::vector<std::string>& variables) {
  Environment environment;
  for (const std::string& variable : variables) {
    size_t eq = variable.find('=');
    if (eq != std::string::npos && eq > 0)
      environment.emplace(variable.substr(0, eq), variable.substr(eq + 1));
  }
  return environment;
}

SliceChoice ChooseSlice(const Environment& environment) {
  SliceChoice choice;
  std::string text = Get(environment, "PYTEST_SHARDS_SLICE");
  if (!text.empty()) {
    choice.slice = ParseSlice(text);
    choice.source = "PYTEST_SHARDS_SLICE";
    return choice;
  }
  for (const CiSystem& system : kSystems) {
    std::string index = Get(environment, system.index);
    std::string total = Get(environment, system.total);
    if (index.empty() || total.empty()) continue;
    choice.slice = FromCi(system, index, total);
    choice.source = std::string(system.index) + "/" + system.total + " (" + system.name + ")";
    return choice;
  }
  return choice;
}

std::string DescribeSlice(const SliceChoice& choice) {
  if (choice.source.empty()) return "";
  return "slice " + std::to_string(choice.slice.index) + "/" + std::to_string(choice.slice.count) +
         " from " + choice.source;
}

std::string SliceMessage(const std::string& suite, const SliceChoice& choice) {
  if (choice.source.empty()) return "";
  // Plain quoting is enough: suite names are [A-Za-z0-9_.+-] (checked at
  // configure) and the sources are the fixed names above.
  return "message(\"pytest-shards: " + suite + ": " + DescribeSlice(choice) + "\")\n";
}

}  // namespace pytest_shards
