// A strict pull parser for JSON text (RFC 8259), for the big documents read
// at every ctest start (collection, durations, plan). Reading them into
// nlohmann_json's DOM first cost more than everything else the planner does
// at 100,000 tests; this reads straight into the structs, in one pass, and
// builds a nlohmann::json only for the values asked for as a whole (marker
// arguments, settings).
//
//   JsonReader reader(text);
//   reader.BeginObject();
//   for (std::string key; reader.NextKey(&key);)
//     if (key == "name") name = reader.String(); else reader.Skip();
//   reader.Finish();
//
// Text that is not JSON throws SyntaxError; JSON of another shape than the
// caller asks for (a number where a string is read) throws ShapeError.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

class JsonReader {
 public:
  // The text is not JSON. what(): "line L, column C: <problem>".
  class SyntaxError : public std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  // The JSON is well-formed so far, but not what the caller reads.
  class ShapeError : public std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // `text` must outlive the reader.
  explicit JsonReader(std::string_view text) : text_(text) {}

  // The type of the next value, without consuming it.
  Type Peek();

  // An object: BeginObject(), then NextKey() before each member's value
  // until it returns false (it then has consumed the closing brace).
  void BeginObject();
  bool NextKey(std::string* key);
  // An array: BeginArray(), then NextElement() before each element.
  void BeginArray();
  bool NextElement();

  std::string String();
  bool Bool();
  double Number();
  // A number written without fraction or exponent that fits a long long.
  long long Integer();
  // Consumes a null and returns true; false (consuming nothing) otherwise.
  bool Null();
  // Any value, as nlohmann_json would parse it.
  nlohmann::json Value();
  void Skip();

  // Nothing but whitespace may follow the document.
  void Finish();

  // "line L, column C" of the next unread character.
  std::string Where() const;
  // The byte offset in `text` of the next unread character.
  size_t offset() const { return pos_; }

 private:
  [[noreturn]] void Syntax(const std::string& problem) const;
  [[noreturn]] void Shape(Type expected);
  char NextChar();  // after whitespace; '\0' at the end
  void Expect(char c);
  void ReadString(std::string* out);
  void ReadEscape(std::string* out);
  void ReadUtf8(std::string* out);
  unsigned ReadHex4();
  std::string_view ReadNumberToken(bool* integer);
  void ReadLiteral(std::string_view word);
  void Enter(char open);

  std::string_view text_;
  size_t pos_ = 0;
  // Open containers: whether the next member or element is the first.
  std::vector<bool> first_;
};

// The string at the top-level key `key` of a JSON object, or "" when the
// document is not an object or has no such string. Throws SyntaxError when
// the text is not JSON.
std::string TopLevelString(std::string_view text, std::string_view key);

// Reads a versioned document (its "format" member names the format) with
// `read(reader, &format_found)`, which reads its value and returns what it
// made. Errors come in the order a DOM would find them: text that is not
// JSON throws JsonReader::SyntaxError; a format other than `format` throws
// Error "<name> is not in format <format>; <fix>", also when the document
// has another shape too (another format may); any other shape throws Error
// "<name> is <broken> (<what>); <fix>".
template <typename Read>
auto ReadVersioned(std::string_view text, const std::string& format, const std::string& name,
                   const char* broken, const std::string& fix, Read read) {
  std::string found;
  try {
    JsonReader reader(text);
    auto document = read(reader, &found);
    reader.Finish();
    if (found == format) return document;
  } catch (const JsonReader::ShapeError& e) {
    if (TopLevelString(text, "format") == format)
      throw Error(name + " is " + broken + " (" + e.what() + "); " + fix);
  }
  throw Error(name + " is not in format " + format + "; " + fix);
}

// Reads `path` and returns `parse(text)`. A file that cannot be read, or
// text that is not JSON (parse throws JsonReader::SyntaxError), throws Error
// "<what> file <path> is missing or unreadable; <fix>" or "... is corrupt
// (<where and why>); <fix>", as ReadJsonFile says it.
template <typename Parse>
auto ParseJsonFile(const std::filesystem::path& path, const std::string& what,
                   const std::string& fix, Parse parse) {
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const Error&) {
    throw Error(what + " file " + path.string() + " is missing or unreadable; " + fix);
  }
  try {
    return parse(text);
  } catch (const JsonReader::SyntaxError& e) {
    throw Error(what + " file " + path.string() + " is corrupt (" + e.what() + "); " + fix);
  }
}

}  // namespace pytest_shards
