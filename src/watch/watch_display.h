// What `pytest-shards watch` (watch.h) draws, on a terminal or in a log:
// the progress line redrawn in place or printed every few seconds, a line
// per failing test, and text of several lines (a summary), with nothing a
// terminal would obey in the node IDs it shows.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "data/journal.h"

namespace pytest_shards {

// pytest's short-summary line of a failing result: "FAILED <node ID> - <the
// key line of its message>" (the outcome upper-cased: ERROR, CRASHED, ...).
std::string FailureLine(const TestResult& result);

// One line of text as a terminal or log may show it: control characters
// (C0, DEL, C1, and so a newline too) become "\xHH" or "\u00HH", a tab
// becomes spaces to the next multiple of 8. Node IDs may hold anything.
std::string Printable(std::string_view line);

// Where the progress goes: a terminal, or a log.
class Display {
 public:
  // tty: the progress line is redrawn in place ("\r", erase line), cut to
  // `width` columns (0: unknown). Otherwise a plain progress line at most
  // every `interval` seconds, and no control character but the newline.
  Display(std::ostream& out, bool tty, int width, double interval);

  // A line of its own, at once (a failure), Printable: a newline in it
  // is shown escaped.
  void Line(const std::string& line);
  // Text of several lines (a summary), each line Printable.
  void Lines(const std::string& text);
  // The progress line; `elapsed` is its Progress::elapsed.
  void Update(const std::string& progress, double elapsed);
  // The last progress line, left standing on its own line.
  void Finish(const std::string& progress);

 private:
  void Write(const std::vector<std::string>& lines);

  std::ostream& out_;
  bool tty_;
  int width_;
  double interval_;
  std::string drawn_;      // tty: the progress line on the screen
  double printed_at_ = 0;  // log: elapsed of the last progress line
};

}  // namespace pytest_shards
