// Writes JSON text straight from the structs, for the big documents written
// at every ctest start (plan.json): building a nlohmann_json DOM of 100,000
// node IDs first, then printing it, cost more time and memory than planning.
//
//   std::string text;
//   JsonWriter writer(&text);
//   writer.BeginObject();
//   writer.Key("name");
//   writer.String("shard-00");
//   writer.EndObject();
//
// Strings must be UTF-8 (they come from parsed JSON); they are written as
// nlohmann_json writes them: '"', '\' and control characters escaped, all
// else as is.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pytest_shards {

class JsonWriter {
 public:
  // Members and elements of the outermost `line_depth` containers start on
  // lines of their own, so that a document of many entries reads (and greps)
  // as one line per entry. 0: all on one line.
  explicit JsonWriter(std::string* out, int line_depth = 0) : out_(out), line_depth_(line_depth) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);

  void String(std::string_view value);
  // Non-finite numbers, which JSON cannot hold, are written as null (as
  // nlohmann_json does).
  void Number(double value);
  void Integer(long long value);
  void Bool(bool value);
  void Value(const nlohmann::json& value);
  void Strings(const std::vector<std::string>& values);

 private:
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);
  void Quoted(std::string_view text);

  std::string* out_;
  int line_depth_;
  // Open containers: whether a member or element was written yet.
  std::vector<bool> nonempty_;
  bool after_key_ = false;
};

}  // namespace pytest_shards
