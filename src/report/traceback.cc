#include "report/traceback.h"

#include <regex>
#include <vector>

#include "report/report_summary.h"

namespace pytest_shards {

namespace {

constexpr std::pair<TracebackStyle, const char*> kStyleNames[] = {
    {TracebackStyle::kLong, "long"},
    {TracebackStyle::kShort, "short"},
    {TracebackStyle::kLine, "line"},
    {TracebackStyle::kNo, "no"},
};

// "path:N: <what>": a frame's location. Long frames end with one, <what>
// being the exception's type (last frame) or nothing; short frames start
// with one, <what> being "in <function>". A path with a space is not
// taken for one: an argument's line ("url = 'h:80: x'") might be.
const std::regex& LocationPattern() {
  static const std::regex pattern(R"(^(\S+:\d+): ?(.*)$)");
  return pattern;
}

bool IsSeparator(const std::string& line) {  // "_ _ _ ..." between long frames
  return line.size() >= 3 && line.compare(0, 2, "_ ") == 0 &&
         line.find_first_not_of("_ ") == std::string::npos;
}

bool IsChainLine(const std::string& line) {
  return line == "The above exception was the direct cause of the following exception:" ||
         line == "During handling of the above exception, another exception occurred:";
}

bool IsErrorLine(const std::string& line) { return line == "E" || line.compare(0, 2, "E ") == 0; }

std::string Trimmed(const std::string& line) {
  std::size_t begin = line.find_first_not_of(' ');
  return begin == std::string::npos ? "" : line.substr(begin);
}

// The function of a long frame: the first "def name(" of its source.
std::string FunctionName(const std::vector<std::string>& frame) {
  static const std::regex def(R"(^\s*(?:async\s+)?def\s+(\w+)\s*\()");
  std::smatch match;
  for (const std::string& line : frame)
    if (std::regex_search(line, match, def)) return match[1];
  return "";
}

// A long frame (its lines before the location line) as pytest's short
// style: "path:N: in f", the failing line, the "E" lines.
void ShortFrame(const std::vector<std::string>& frame, const std::string& location,
                std::vector<std::string>* out) {
  std::string function = FunctionName(frame);
  out->push_back(location + (function.empty() ? "" : ": in " + function));
  std::size_t failing = frame.size();
  for (std::size_t i = 0; i < frame.size(); ++i)
    if (!frame[i].empty() && frame[i][0] == '>') failing = i;
  if (failing == frame.size()) return;
  // The "E" lines are aligned with the failing line's code.
  std::size_t indent = frame[failing].find_first_not_of(" >");
  out->push_back("    " + Trimmed(frame[failing].substr(1)));
  for (std::size_t i = failing + 1; i < frame.size() && IsErrorLine(frame[i]); ++i) {
    const std::string& line = frame[i];
    bool aligned = indent != std::string::npos && line.size() > indent &&
                   line.find_first_not_of(' ', 1) >= indent;
    out->push_back("E   " + (aligned ? line.substr(indent) : Trimmed(line.substr(1))));
  }
}

// The short style of pytest's longrepr text; nullopt when it holds no
// frame location at all (it is no traceback).
std::optional<std::vector<std::string>> ShortLines(const std::string& message) {
  std::vector<std::string> out, frame;
  bool located = false;
  bool in_short_frame = false;  // copying a frame that is short already
  for (const std::string& line : SplitLines(message)) {
    std::smatch match;
    if (IsSeparator(line)) {
      in_short_frame = false;
      frame.clear();
    } else if (IsChainLine(line)) {
      in_short_frame = false;
      frame.clear();
      out.push_back("");
      out.push_back(line);
    } else if (in_short_frame && !line.empty()) {
      out.push_back(line);
    } else if (std::regex_match(line, match, LocationPattern())) {
      located = true;
      std::string what = match[2];
      if (what.compare(0, 3, "in ") == 0) {
        // A short frame: what came before it is text of its own ("Traceback:").
        for (const std::string& text : frame)
          if (!text.empty()) out.push_back(text);
        out.push_back(line);
        in_short_frame = true;
      } else {
        ShortFrame(frame, match[1], &out);
      }
      frame.clear();
    } else {
      in_short_frame = false;
      frame.push_back(line);
    }
  }
  if (!located) return std::nullopt;
  for (const std::string& text : frame)
    if (!text.empty()) out.push_back(text);
  return out;
}

// pytest's line style: where the last frame failed, and the first "E" line
// after it.
std::string CrashLine(const std::vector<std::string>& lines) {
  std::string location, error;
  for (const std::string& line : lines) {
    std::smatch match;
    if (!IsErrorLine(line) && std::regex_match(line, match, LocationPattern())) {
      location = match[1];
      error.clear();
    } else if (IsErrorLine(line) && error.empty()) {
      error = Trimmed(line.substr(1));
    }
  }
  return location + (error.empty() ? "" : ": " + error);
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

}  // namespace

std::optional<TracebackStyle> ParseTracebackStyle(std::string_view word) {
  for (const auto& [style, name] : kStyleNames)
    if (word == name) return style;
  return std::nullopt;
}

std::string FormatTraceback(const std::string& message, TracebackStyle style) {
  if (style == TracebackStyle::kNo || message.empty()) return "";
  if (style == TracebackStyle::kLong) return message.back() == '\n' ? message : message + "\n";
  std::optional<std::vector<std::string>> lines = ShortLines(message);
  if (style == TracebackStyle::kLine)
    return (lines ? CrashLine(*lines) : KeyLine(message, 500)) + "\n";
  return lines ? Joined(*lines) : FormatTraceback(message, TracebackStyle::kLong);
}

}  // namespace pytest_shards
