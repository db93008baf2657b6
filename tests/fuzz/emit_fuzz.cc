// libFuzzer target: BracketArgument(text) must read back as exactly text
// under CMake's argument grammar (cmake-language(7)), modelled here apart
// from emit.cc, including the file reader's folding of CR LF into LF.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "emit/emit.h"
#include "util/error.h"

namespace {

// What CMake's file reader hands its lexer.
std::string FoldCrLf(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out += text[i];
  return out;
}

// bracket_argument: "[" "="* "[" content "]" "="* "]"; the content ends at
// the first closing bracket of the same length, and a newline right after
// the opening bracket is not part of it. The argument must end there.
std::optional<std::string> ParseBracket(const std::string& arg) {
  size_t open = 1;
  while (open < arg.size() && arg[open] == '=') ++open;
  if (arg.empty() || arg[0] != '[' || open >= arg.size() || arg[open] != '[') return std::nullopt;
  const std::string close = "]" + std::string(open - 1, '=') + "]";
  size_t begin = open + 1;
  if (begin < arg.size() && arg[begin] == '\n') ++begin;
  size_t end = arg.find(close, begin);
  if (end == std::string::npos || end + close.size() != arg.size()) return std::nullopt;
  return arg.substr(begin, end - begin);
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// quoted_argument: '"' element* '"' with escape_identity, escape_encoded
// (\t \r \n), escape_semicolon (kept as "\;") and line continuations. An
// unescaped '$' could start a variable reference: the emitter must not
// leave one, so it is rejected here.
std::optional<std::string> ParseQuoted(const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < arg.size(); ++i) {
    char c = arg[i];
    if (c == '"') return i + 1 == arg.size() ? std::optional<std::string>(out) : std::nullopt;
    if (c == '$') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == arg.size()) return std::nullopt;
    char e = arg[i];
    if (e == 't')
      out += '\t';
    else if (e == 'r')
      out += '\r';
    else if (e == 'n')
      out += '\n';
    else if (e == ';')
      out += "\\;";
    else if (e == '\n')
      continue;
    else if (IsAlnum(e))
      return std::nullopt;
    else
      out += e;
  }
  return std::nullopt;  // no closing quote
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool has_nul = text.find('\0') != std::string::npos;
  std::string arg;
  try {
    arg = pytest_shards::BracketArgument(text);
  } catch (const pytest_shards::Error&) {
    if (!has_nul) std::abort();  // only NUL may be refused
    return 0;
  }
  if (has_nul) std::abort();
  const std::string read = FoldCrLf(arg);
  std::optional<std::string> parsed = read[0] == '"' ? ParseQuoted(read) : ParseBracket(read);
  if (!parsed || *parsed != text) std::abort();
  return 0;
}
