#include "watch/watch_display.h"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "report/report_summary.h"

namespace pytest_shards {

std::string FailureLine(const TestResult& result) {
  std::string word = result.outcome;
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string line = word + " " + result.node_id;
  std::string key = KeyLine(result.message, 160);
  if (!key.empty()) line += " - " + key;
  return line;
}

std::string Printable(std::string_view line) {
  std::string out;
  std::size_t column = 0;
  char escape[8];
  for (std::size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      std::size_t spaces = 8 - column % 8;
      out.append(spaces, ' ');
      column += spaces;
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(escape, sizeof escape, "\\x%02X", c);
      out += escape;
      column += 4;
    } else if (c == 0xC2 && i + 1 < line.size() &&
               static_cast<unsigned char>(line[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(line[i + 1]) <= 0x9F) {
      // U+0080..U+009F: C1 controls, which terminals may obey (CSI is U+009B).
      std::snprintf(escape, sizeof escape, "\\u00%02X", static_cast<unsigned char>(line[++i]));
      out += escape;
      column += 6;
    } else {
      out += static_cast<char>(c);
      if ((c & 0xC0) != 0x80) ++column;  // a UTF-8 character starts here
    }
  }
  return out;
}

namespace {
constexpr const char* kEraseLine = "\r\x1b[K";
}  // namespace

Display::Display(std::ostream& out, bool tty, int width, double interval)
    : out_(out), tty_(tty), width_(width), interval_(interval) {}

void Display::Write(const std::vector<std::string>& lines) {
  if (tty_ && !drawn_.empty()) out_ << kEraseLine;
  for (const std::string& line : lines) out_ << Printable(line) << "\n";
  if (tty_ && !drawn_.empty()) out_ << drawn_;
  out_ << std::flush;
}

void Display::Line(const std::string& line) { Write({line}); }

void Display::Lines(const std::string& text) { Write(SplitLines(text)); }

void Display::Update(const std::string& progress, double elapsed) {
  if (tty_) {
    std::string line = Printable(progress);
    if (width_ > 1 && line.size() >= static_cast<std::size_t>(width_))
      line.resize(static_cast<std::size_t>(width_ - 1));
    if (line == drawn_) return;
    drawn_ = line;
    out_ << kEraseLine << drawn_ << std::flush;
    return;
  }
  if (elapsed - printed_at_ < interval_) return;
  printed_at_ = elapsed;
  out_ << Printable(progress) << "\n" << std::flush;
}

void Display::Finish(const std::string& progress) {
  if (tty_) out_ << kEraseLine;
  out_ << Printable(progress) << "\n" << std::flush;
  drawn_.clear();
}

}  // namespace pytest_shards
