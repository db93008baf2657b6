// The options of pytest_shard_tests(), as cmake/options.json defines them
// once (docs/contributing.md). The executable embeds that file: collect's
// flags, their help and the words each option accepts come from it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pytest_shards {

struct Option {
  std::string name;                  // the CMake keyword: "GRANULARITY"
  bool many = false;                 // takes several values (LABELS)
  std::string type;                  // "choice", or one of the table's types
  std::vector<std::string> choices;  // of a choice, as collect takes them ("auto")
  std::string default_value;         // as collect takes it; empty: none
  std::string flag;                  // collect's flag, without "--"; empty: none
  std::string help;                  // collect --help
  std::string since;                 // the first version with the option
};

// The options of a table in the format of cmake/options.json, in its order.
// Throws Error naming the first malformed option.
std::vector<Option> ParseOptions(const nlohmann::json& table);

// The embedded cmake/options.json, parsed once.
const std::vector<Option>& Options();

// The embedded option called `name`; throws Error if there is none.
const Option& FindOption(const std::string& name);

}  // namespace pytest_shards
