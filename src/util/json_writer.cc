#include "util/json_writer.h"

#include <charconv>
#include <cmath>

namespace pytest_shards {

// A value after a key follows it; any other starts a member or element of
// the open container (or is the document).
void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (nonempty_.empty()) return;
  if (nonempty_.back()) out_->push_back(',');
  nonempty_.back() = true;
  if (static_cast<int>(nonempty_.size()) <= line_depth_) out_->push_back('\n');
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_->push_back(bracket);
  nonempty_.push_back(false);
}

void JsonWriter::Close(char bracket) {
  nonempty_.pop_back();
  out_->push_back(bracket);
}

void JsonWriter::BeginObject() { Open('{'); }
void JsonWriter::EndObject() { Close('}'); }
void JsonWriter::BeginArray() { Open('['); }
void JsonWriter::EndArray() { Close(']'); }

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  Quoted(key);
  out_->push_back(':');
  after_key_ = true;
}

// Runs of characters that need no escape are appended at once.
void JsonWriter::Quoted(std::string_view text) {
  out_->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_->append(text.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out_->append("\\\"");
        break;
      case '\\':
        out_->append("\\\\");
        break;
      case '\b':
        out_->append("\\b");
        break;
      case '\f':
        out_->append("\\f");
        break;
      case '\n':
        out_->append("\\n");
        break;
      case '\r':
        out_->append("\\r");
        break;
      case '\t':
        out_->append("\\t");
        break;
      default: {
        const char* hex = "0123456789abcdef";
        out_->append("\\u00");
        out_->push_back(hex[c >> 4]);
        out_->push_back(hex[c & 0xF]);
      }
    }
  }
  out_->append(text.data() + start, text.size() - start);
  out_->push_back('"');
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  Quoted(value);
}

// The shortest text that reads back as the same double.
void JsonWriter::Number(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_->append("null");
    return;
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out_->append(buffer, result.ptr);
}

void JsonWriter::Integer(long long value) {
  BeforeValue();
  out_->append(std::to_string(value));
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
}

void JsonWriter::Value(const nlohmann::json& value) {
  BeforeValue();
  out_->append(value.dump());
}

void JsonWriter::Strings(const std::vector<std::string>& values) {
  BeginArray();
  for (const std::string& value : values) String(value);
  EndArray();
}

}  // namespace pytest_shards
