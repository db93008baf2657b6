#include "util/json_reader.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace pytest_shards {

using nlohmann::json;

namespace {

// Deeper documents are refused rather than recursed into: what pytest-shards
// writes nests a few levels (marker arguments at most the plugin's 20).
constexpr size_t kMaxDepth = 256;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A JSON number token as a double, as nlohmann_json reads it (strtod): a
// value too small for a double is 0 or subnormal, one too large is refused
// (false). from_chars calls both out of range, so strtod decides those.
bool ToDouble(std::string_view token, double* value) {
  auto result = std::from_chars(token.data(), token.data() + token.size(), *value);
  if (result.ec == std::errc()) return true;
  *value = std::strtod(std::string(token).c_str(), nullptr);
  return std::isfinite(*value);
}

const char* TypeName(JsonReader::Type type) {
  switch (type) {
    case JsonReader::Type::kNull:
      return "null";
    case JsonReader::Type::kBool:
      return "a boolean";
    case JsonReader::Type::kNumber:
      return "a number";
    case JsonReader::Type::kString:
      return "a string";
    case JsonReader::Type::kArray:
      return "an array";
    case JsonReader::Type::kObject:
      return "an object";
  }
  return "?";
}

void AppendUtf8(std::string* out, unsigned code) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

}  // namespace

std::string JsonReader::Where() const {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos_ && i < text_.size(); ++i)
    if (text_[i] == '\n') ++line, line_start = i + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(pos_ - line_start + 1);
}

void JsonReader::Syntax(const std::string& problem) const {
  throw SyntaxError(Where() + ": " + problem);
}

void JsonReader::Shape(Type expected) {
  Type found = Peek();
  throw ShapeError(Where() + ": expected " + TypeName(expected) + ", found " + TypeName(found));
}

char JsonReader::NextChar() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

void JsonReader::Expect(char c) {
  if (NextChar() != c) Syntax(std::string("expected '") + c + "'");
  ++pos_;
}

JsonReader::Type JsonReader::Peek() {
  char c = NextChar();
  switch (c) {
    case '{':
      return Type::kObject;
    case '[':
      return Type::kArray;
    case '"':
      return Type::kString;
    case 't':
    case 'f':
      return Type::kBool;
    case 'n':
      return Type::kNull;
    case '-':
      return Type::kNumber;
    default:
      break;
  }
  if (IsDigit(c)) return Type::kNumber;
  if (pos_ >= text_.size()) Syntax("unexpected end of input");
  char shown[16];
  std::snprintf(shown, sizeof shown, c > ' ' && c < 127 ? "'%c'" : "byte 0x%02x",
                static_cast<unsigned char>(c));
  Syntax(std::string("unexpected ") + shown);
}

void JsonReader::Enter(char open) {
  if (first_.size() >= kMaxDepth) Syntax("nested deeper than " + std::to_string(kMaxDepth));
  Expect(open);
  first_.push_back(true);
}

void JsonReader::BeginObject() {
  if (Peek() != Type::kObject) Shape(Type::kObject);
  Enter('{');
}

bool JsonReader::NextKey(std::string* key) {
  char c = NextChar();
  if (c == '}') {
    ++pos_;
    first_.pop_back();
    return false;
  }
  if (!first_.back()) {
    if (c != ',') Syntax("expected ',' or '}'");
    ++pos_;
    c = NextChar();
  }
  first_.back() = false;
  if (c != '"') Syntax("expected a string key");
  key->clear();
  ReadString(key);
  Expect(':');
  return true;
}

void JsonReader::BeginArray() {
  if (Peek() != Type::kArray) Shape(Type::kArray);
  Enter('[');
}

bool JsonReader::NextElement() {
  char c = NextChar();
  if (c == ']') {
    ++pos_;
    first_.pop_back();
    return false;
  }
  if (!first_.back()) {
    if (c != ',') Syntax("expected ',' or ']'");
    ++pos_;
  }
  first_.back() = false;
  return true;
}

// At the opening quote. Runs of plain characters are copied at once.
void JsonReader::ReadString(std::string* out) {
  ++pos_;
  for (;;) {
    size_t start = pos_;
    while (pos_ < text_.size()) {
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++pos_;
    }
    out->append(text_.data() + start, pos_ - start);
    if (pos_ >= text_.size()) Syntax("unterminated string");
    auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      return;
    }
    if (c == '\\')
      ReadEscape(out);
    else if (c < 0x20)
      Syntax("control character in a string; JSON writes it as \\u00XX");
    else
      ReadUtf8(out);
  }
}

unsigned JsonReader::ReadHex4() {
  unsigned code = 0;
  for (int i = 0; i < 4; ++i, ++pos_) {
    char c = pos_ < text_.size() ? text_[pos_] : '\0';
    unsigned digit;
    if (IsDigit(c))
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      Syntax("\\u must be followed by four hex digits");
    code = code * 16 + digit;
  }
  return code;
}

// At the backslash.
void JsonReader::ReadEscape(std::string* out) {
  ++pos_;
  char c = pos_ < text_.size() ? text_[pos_] : '\0';
  const char* plain = "\"\\/bfnrt";
  const char* decoded = "\"\\/\b\f\n\r\t";
  for (int i = 0; plain[i] != '\0'; ++i) {
    if (c == plain[i]) {
      out->push_back(decoded[i]);
      ++pos_;
      return;
    }
  }
  if (c != 'u') Syntax("invalid escape in a string");
  ++pos_;
  unsigned code = ReadHex4();
  if (code >= 0xDC00 && code <= 0xDFFF) Syntax("a low surrogate without a high one before it");
  if (code >= 0xD800 && code <= 0xDBFF) {
    if (text_.substr(pos_, 2) != "\\u") Syntax("a high surrogate without a low one after it");
    pos_ += 2;
    unsigned low = ReadHex4();
    if (low < 0xDC00 || low > 0xDFFF) Syntax("a high surrogate without a low one after it");
    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(out, code);
}

// At a byte >= 0x80: one well-formed UTF-8 sequence (no overlong forms, no
// surrogates, nothing above U+10FFFF), as nlohmann_json requires too.
void JsonReader::ReadUtf8(std::string* out) {
  auto lead = static_cast<unsigned char>(text_[pos_]);
  size_t length = 0;
  unsigned code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    Syntax("invalid UTF-8 in a string");
  }
  if (pos_ + length > text_.size()) Syntax("invalid UTF-8 in a string");
  for (size_t i = 1; i < length; ++i) {
    auto next = static_cast<unsigned char>(text_[pos_ + i]);
    if ((next & 0xC0) != 0x80) Syntax("invalid UTF-8 in a string");
    code = (code << 6) | (next & 0x3F);
  }
  bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  if (overlong || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF)
    Syntax("invalid UTF-8 in a string");
  out->append(text_.data() + pos_, length);
  pos_ += length;
}

std::string JsonReader::String() {
  if (Peek() != Type::kString) Shape(Type::kString);
  std::string value;
  ReadString(&value);
  return value;
}

void JsonReader::ReadLiteral(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) Syntax("invalid literal");
  pos_ += word.size();
}

bool JsonReader::Bool() {
  if (Peek() != Type::kBool) Shape(Type::kBool);
  bool value = text_[pos_] == 't';
  ReadLiteral(value ? "true" : "false");
  return value;
}

bool JsonReader::Null() {
  if (Peek() != Type::kNull) return false;
  ReadLiteral("null");
  return true;
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
std::string_view JsonReader::ReadNumberToken(bool* integer) {
  size_t start = pos_;
  auto digits = [&] {
    size_t from = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ == from) Syntax("invalid number");
  };
  auto at = [&](char c) { return pos_ < text_.size() && text_[pos_] == c; };
  *integer = true;
  if (at('-')) ++pos_;
  if (at('0'))
    ++pos_;
  else
    digits();
  if (at('.')) {
    *integer = false;
    ++pos_;
    digits();
  }
  if (at('e') || at('E')) {
    *integer = false;
    ++pos_;
    if (at('+') || at('-')) ++pos_;
    digits();
  }
  return text_.substr(start, pos_ - start);
}

double JsonReader::Number() {
  if (Peek() != Type::kNumber) Shape(Type::kNumber);
  bool integer = false;
  std::string_view token = ReadNumberToken(&integer);
  double value = 0;
  if (!ToDouble(token, &value)) throw ShapeError(Where() + ": number out of range");
  return value;
}

long long JsonReader::Integer() {
  if (Peek() != Type::kNumber) Shape(Type::kNumber);
  size_t start = pos_;
  bool integer = false;
  std::string_view token = ReadNumberToken(&integer);
  long long value = 0;
  auto result = std::from_chars(token.data(), token.data() + token.size(), value);
  if (!integer || result.ec != std::errc()) {
    pos_ = start;
    throw ShapeError(Where() + ": expected an integer, found " + std::string(token));
  }
  return value;
}

// Integers become number_integer (negative) or number_unsigned, those too
// big for 64 bits and all others number_float: what nlohmann::json::parse
// makes of them, so that values compare and print the same.
json JsonReader::Value() {
  switch (Peek()) {
    case Type::kNull:
      ReadLiteral("null");
      return nullptr;
    case Type::kBool:
      return Bool();
    case Type::kString:
      return String();
    case Type::kNumber: {
      bool integer = false;
      std::string_view token = ReadNumberToken(&integer);
      const char* end = token.data() + token.size();
      if (integer && token[0] == '-') {
        long long value = 0;
        if (std::from_chars(token.data(), end, value).ec == std::errc()) return value;
      } else if (integer) {
        unsigned long long value = 0;
        if (std::from_chars(token.data(), end, value).ec == std::errc()) return value;
      }
      double value = 0;
      if (!ToDouble(token, &value)) throw ShapeError(Where() + ": number out of range");
      return value;
    }
    case Type::kArray: {
      json array = json::array();
      BeginArray();
      while (NextElement()) array.push_back(Value());
      return array;
    }
    case Type::kObject: {
      json object = json::object();
      BeginObject();
      for (std::string key; NextKey(&key);) object[key] = Value();  // the last duplicate wins
      return object;
    }
  }
  return nullptr;
}

void JsonReader::Skip() {
  switch (Peek()) {
    case Type::kNull:
      ReadLiteral("null");
      return;
    case Type::kBool:
      Bool();
      return;
    case Type::kString: {
      std::string ignored;
      ReadString(&ignored);
      return;
    }
    case Type::kNumber: {
      bool integer = false;
      ReadNumberToken(&integer);
      return;
    }
    case Type::kArray:
      BeginArray();
      while (NextElement()) Skip();
      return;
    case Type::kObject: {
      BeginObject();
      for (std::string key; NextKey(&key);) Skip();
      return;
    }
  }
}

void JsonReader::Finish() {
  NextChar();
  if (pos_ != text_.size()) Syntax("unexpected text after the document");
}

std::string TopLevelString(std::string_view text, std::string_view key) {
  JsonReader reader(text);
  std::string found;
  if (reader.Peek() != JsonReader::Type::kObject) {
    reader.Skip();
  } else {
    reader.BeginObject();
    for (std::string name; reader.NextKey(&name);) {
      if (name == key && reader.Peek() == JsonReader::Type::kString)
        found = reader.String();
      else
        reader.Skip();
    }
  }
  reader.Finish();
  return found;
}

}  // namespace pytest_shards
