// `pytest-shards watch`: runs ctest and shows how its pytest entries are
// doing while they run. It finds the runs that this ctest's start planned
// (see runs.h), follows their journals (watch_progress.h) and shows
// (watch_display.h) one progress line, each failing test with its
// traceback (traceback.h) the moment its result is journalled, and at the
// end the summary of `pytest-shards report` (report_command.h). ctest's own output goes to a log
// file; only its closing lines are shown.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "report/traceback.h"

namespace pytest_shards {

struct WatchOptions {
  std::filesystem::path build_dir;
  std::string ctest = "ctest";
  std::vector<std::string> ctest_args;  // after --test-dir <build_dir>
  double interval = 5;                  // log: seconds between progress lines
  bool tty = false;
  int width = 0;  // columns (the terminal's, or COLUMNS), 0 when unknown
  // How each failure's traceback is shown under its line (--tb).
  TracebackStyle tb = TracebackStyle::kShort;
};

// The log of ctest's own output: <build>/pytest-shards/watch-ctest.log.
std::filesystem::path WatchLogFile(const std::filesystem::path& build_dir);

// `pytest-shards watch`: lists what `ctest --test-dir <build> <args>` would
// run (--show-only=json-v1), starts it with its output in WatchLogFile,
// follows the pytest runs it plans, and at the end prints the report of each
// and ctest's closing lines (from "N% tests passed" on). When a signal
// (Ctrl-C) interrupted it, one line instead of ctest's closing lines: what
// ran, what did not. Returns ctest's exit code (128 + signal when a signal
// ended it). Throws Error when the build tree does not exist or ctest cannot
// be started.
int WatchMain(const WatchOptions& options, std::ostream& out);

}  // namespace pytest_shards
