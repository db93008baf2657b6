// The progress model of `pytest-shards watch` (watch.h): follows the
// journals of one run as they grow (RunFollower) and counts what the
// progress line shows: tests done, passed, failed, skipped, entries
// running, and the ETA from the learned durations.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "data/durations.h"
#include "data/journal.h"
#include "plan/plan_file.h"

namespace pytest_shards {

// What the progress line shows.
struct Progress {
  std::size_t done = 0;     // tests with a result, but not_run
  std::size_t total = 0;    // tests of the entries this ctest runs
  std::size_t passed = 0;   // passed, xpassed
  std::size_t failed = 0;   // every failing outcome (see IsFailure), but not_run
  std::size_t skipped = 0;  // skipped, xfailed
  std::size_t not_run = 0;  // results of tests an interrupt kept from running
  int running = 0;          // entries running now
  double elapsed = 0;       // seconds since ctest started
  double eta = -1;          // seconds until the pytest entries are done; < 0: unknown
};

// "3% 12/351 tests: 10 passed, 1 failed, 1 skipped; 2 running, 0:05
// elapsed, ETA 0:31" (2 entries running; plain ASCII, no control
// characters). With `width` > 0, the most of it that fits in width - 1
// columns (a terminal wraps a line that fills the last one): the words
// "tests" and "elapsed" go first, then the elapsed time, the entries
// running, the skipped and the passed tests; the percentage, the counts
// done, the failed tests and the ETA stay.
std::string FormatProgress(const Progress& progress, int width = 0);

// The one line of a run that `signal` interrupted: "interrupted by signal 2
// after 0:07: 117 of 175 tests ran (103 passed, 14 failed, 0 skipped), 58
// did not run".
std::string FormatInterrupted(const Progress& progress, int signal);

// "m:ss", from an hour on "h:mm:ss".
std::string FormatClock(double seconds);

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
  // the last Poll, in journal order, those an interrupt kept from running
  // (TestResult::NotRun) too. `now`: seconds since the epoch.
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
  struct TailLeft;

  void FindJournals(double now);
  // Whether some entry counted shares the tail (and so its tests count).
  bool TailCounted() const;

  std::filesystem::path suite_dir_;
  std::string run_id_;
  PlanFile plan_file_;
  Durations durations_;
  bool learned_ = false;
  std::vector<Followed> entries_;   // one per plan entry
  std::unique_ptr<TailLeft> tail_;  // the shared tail's tests without a result
  std::filesystem::file_time_type listed_mtime_{};
  double listed_at_ = -1;
};

}  // namespace pytest_shards
