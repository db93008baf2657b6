// libFuzzer target, differential: JsonReader must accept exactly the texts
// that nlohmann_json accepts, and read the same value from them, both as a
// whole (Value) and through the pull calls the planner uses (Peek,
// BeginObject/NextKey, BeginArray/NextElement, String, Number, Bool, Null).
// Every ctest start reads the collection, the durations and the plan with it.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/json_reader.h"

namespace {

using pytest_shards::JsonReader;

// The value at the reader's position, read with the pull calls only.
nlohmann::json Pull(JsonReader& reader, int depth) {
  if (depth > 64) return reader.Value();
  switch (reader.Peek()) {
    case JsonReader::Type::kNull:
      if (!reader.Null()) std::abort();
      return nullptr;
    case JsonReader::Type::kBool:
      return reader.Bool();
    case JsonReader::Type::kNumber:
      return reader.Value();  // nlohmann's integer/unsigned/float choice
    case JsonReader::Type::kString:
      return reader.String();
    case JsonReader::Type::kArray: {
      nlohmann::json array = nlohmann::json::array();
      reader.BeginArray();
      while (reader.NextElement()) array.push_back(Pull(reader, depth + 1));
      return array;
    }
    case JsonReader::Type::kObject: {
      nlohmann::json object = nlohmann::json::object();
      reader.BeginObject();
      for (std::string key; reader.NextKey(&key);) object[key] = Pull(reader, depth + 1);
      return object;
    }
  }
  std::abort();
}

template <typename Read>
bool Accepts(std::string_view text, nlohmann::json* value, Read read) {
  try {
    JsonReader reader(text);
    *value = read(reader);
    reader.Finish();
    return true;
  } catch (const JsonReader::SyntaxError&) {
    return false;
  } catch (const JsonReader::ShapeError&) {
    return false;  // a number beyond double's range, which nlohmann rejects too
  }
}

// nlohmann compares NaN unequal to itself and 1 unequal to 1.0 only by
// type; JSON has no NaN, so plain equality is the right test.
void Check(bool ours, const nlohmann::json& value, bool theirs, const nlohmann::json& expected) {
  if (ours != theirs) std::abort();
  if (ours && value != expected) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json expected = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  // nlohmann's lexer takes a NUL byte for the end of the input ("1\0x" is
  // 1); RFC 8259 has no such rule, and JsonReader rejects every NUL byte.
  bool theirs = !expected.is_discarded() && text.find('\0') == std::string_view::npos;
  nlohmann::json value;
  Check(Accepts(text, &value, [](JsonReader& r) { return r.Value(); }), value, theirs, expected);
  Check(Accepts(text, &value, [](JsonReader& r) { return Pull(r, 0); }), value, theirs, expected);
  return 0;
}
