// `pytest-shards watch`: runs ctest and shows how its pytest entries are
// doing while they run. It follows the journals (see journal.h) of the runs
// that this ctest's start planned (see runs.h) and shows one progress line,
// each failing test the moment its result is journalled, and at the end the
// summary of `pytest-shards report` (see report.h). ctest's own output goes
// to a log file; only its closing lines are shown.
#pragma once

#include <cstddef>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "durations.h"
#include "journal.h"
#include "plan_file.h"

namespace pytest_shards {

// What the progress line shows.
struct Progress {
  std::size_t done = 0;     // tests with a result
  std::size_t total = 0;    // tests of the entries this ctest runs
  std::size_t passed = 0;   // passed, xpassed
  std::size_t failed = 0;   // every failing outcome (see IsFailure)
  std::size_t skipped = 0;  // skipped, xfailed
  int running = 0;          // entries running now
  double elapsed = 0;       // seconds since ctest started
  double eta = -1;          // seconds until the pytest entries are done; < 0: unknown
};

// "12/351 tests: 10 passed, 1 failed, 1 skipped; 2 running, 0:05 elapsed,
// ETA 0:31" (2 entries running; plain ASCII, no control characters).
std::string FormatProgress(const Progress& progress);

// "m:ss", from an hour on "h:mm:ss".
std::string FormatClock(double seconds);

// pytest's short-summary line of a failing result: "FAILED <node ID> - <the
// key line of its message>" (the outcome upper-cased: ERROR, CRASHED, ...).
std::string FailureLine(const TestResult& result);

// One line of text as a terminal or log may show it: control characters
// (C0, DEL, C1, and so a newline too) become "\xHH" or "\u00HH", a tab
// becomes spaces to the next multiple of 8. Node IDs may hold anything.
std::string Printable(std::string_view line);

// Seconds until entries with these seconds of work left are done, `parallel`
// of them at a time: the work shared out, but never less than the largest
// entry's own work, since an entry runs its tests one after another.
double EtaSeconds(const std::vector<double>& entry_seconds_left, int parallel);

// The ETA of `progress`: with learned durations, EtaSeconds of the entries'
// work left; without, the rate so far (elapsed * tests left / tests done);
// unknown before the first result.
double Eta(const Progress& progress, bool learned, const std::vector<double>& entry_seconds_left,
           int parallel);

// Follows one run of a suite: its plan and the journals as they grow.
class RunFollower {
 public:
  // Reads the run's plan and the suite's durations.json (learned durations).
  // `selected` names the entries this ctest runs; an entry whose journal
  // appears counts whether selected or not. Throws Error when the plan
  // cannot be read.
  RunFollower(const std::filesystem::path& suite_dir, const std::string& run_id,
              const std::set<std::string>& selected);
  ~RunFollower();
  RunFollower(RunFollower&&) noexcept;
  RunFollower& operator=(RunFollower&&) noexcept;

  // Counts every entry of the plan: for when what ctest runs is unknown.
  void FollowAll();

  // Reads what the journals gained. Returns the results that appeared since
  // the last Poll, in journal order. `now`: seconds since the epoch.
  std::vector<TestResult> Poll(double now);

  // Adds this run's counts (not elapsed, not eta) to `progress`, and the
  // seconds of work left of each of its unfinished entries at `now` to
  // `seconds_left`.
  void Count(Progress* progress, std::vector<double>* seconds_left, double now) const;

  // durations.json had measurements when the run started.
  bool learned() const { return learned_; }
  // Some entry of the run has started (its journal exists).
  bool ran() const;
  // Entries this ctest runs (selected or started).
  std::size_t entries() const;
  const std::filesystem::path& suite_dir() const { return suite_dir_; }
  const std::string& run_id() const { return run_id_; }

 private:
  struct Followed;

  void FindJournals(double now);

  std::filesystem::path suite_dir_;
  std::string run_id_;
  PlanFile plan_file_;
  Durations durations_;
  bool learned_ = false;
  std::vector<Followed> entries_;  // one per plan entry
  std::filesystem::file_time_type listed_mtime_{};
  double listed_at_ = -1;
};

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

struct WatchOptions {
  std::filesystem::path build_dir;
  std::string ctest = "ctest";
  std::vector<std::string> ctest_args;  // after --test-dir <build_dir>
  double interval = 5;                  // log: seconds between progress lines
  bool tty = false;
  int width = 0;  // tty: columns, 0 when unknown
};

// The log of ctest's own output: <build>/pytest-shards/watch-ctest.log.
std::filesystem::path WatchLogFile(const std::filesystem::path& build_dir);

// `pytest-shards watch`: lists what `ctest --test-dir <build> <args>` would
// run (--show-only=json-v1), starts it with its output in WatchLogFile,
// follows the pytest runs it plans, and at the end prints the report of each
// and ctest's closing lines (from "N% tests passed" on). Returns ctest's exit
// code (128 + signal when a signal ended it). Throws Error when the build
// tree does not exist or ctest cannot be started.
int WatchMain(const WatchOptions& options, std::ostream& out);

}  // namespace pytest_shards
