#include "data/options.h"

#include "data/options_table.h"  // generated from cmake/options.json
#include "util/error.h"

namespace pytest_shards {

using nlohmann::json;

namespace {

// A choice "lower" is taken in lower case by collect (CMake's WARM ON is
// collect's --warm=on): the table writes each choice once, as CMake takes it.
std::string Lower(std::string word) {
  for (char& c : word) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return word;
}

Option ParseOption(const json& entry, const json& types) {
  Option option;
  option.name = entry.at("name").get<std::string>();
  option.many = entry.at("values").get<std::string>() == "many";
  option.type = entry.at("type").get<std::string>();
  if (option.type != "choice" && !types.contains(option.type))
    throw Error("option " + option.name + " has the unknown type " + option.type);
  bool lower = entry.value("lower", false);
  for (const json& choice : entry.value("choices", json::array())) {
    std::string word = choice.get<std::string>();
    option.choices.push_back(lower ? Lower(word) : word);
  }
  if (option.type == "choice" && option.choices.empty())
    throw Error("option " + option.name + " is a choice without choices");
  option.default_value = entry.value("default", "");
  if (lower) option.default_value = Lower(option.default_value);
  option.flag = entry.value("flag", "");
  option.help = entry.at("help").get<std::string>();
  option.since = entry.value("since", "");
  return option;
}

}  // namespace

std::vector<Option> ParseOptions(const json& table) {
  if (!table.is_object() || table.value("format", "") != "pytest-shards-options/1")
    throw Error("the table of options is not in format pytest-shards-options/1");
  std::vector<Option> options;
  for (const json& entry : table.at("options")) {
    try {
      options.push_back(ParseOption(entry, table.at("types")));
    } catch (const json::exception& e) {
      throw Error("option " + std::to_string(options.size() + 1) +
                  " of the table of options is malformed (" + e.what() + ")");
    }
  }
  return options;
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = ParseOptions(json::parse(kOptionsTable));
  return options;
}

const Option& FindOption(const std::string& name) {
  for (const Option& option : Options())
    if (option.name == name) return option;
  throw Error("pytest_shard_tests() has no option " + name);
}

}  // namespace pytest_shards
