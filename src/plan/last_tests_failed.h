// What `ctest --rerun-failed` reruns: the tests numbered in its
// <test dir>/Testing/Temporary/LastTestsFailed.log. CTest reads that file
// after it has read the test files (when `pytest-shards plan` runs) and
// writes it again only at the end of the run, and only when a test failed.
// So the file that the planner reads at ctest start is the one that ctest
// reads; the report, after the run, may find the run's own failures there.
// The planner records the entries it selects in plan.json (plan_file.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan_file.h"

namespace pytest_shards {

// One line of the log: "<number>:<name>", the test's number in the ctest
// run that wrote it (1-based, among all of that ctest's tests).
struct FailedTest {
  int number = 0;
  std::string name;
};

struct LastTestsFailedLog {
  std::vector<FailedTest> tests;  // empty: no log (CTest then runs every test)
  std::filesystem::file_time_type written{};
};

// The lines of `text`; lines without ':' are skipped, as CTest skips them.
std::vector<FailedTest> ParseLastTestsFailed(const std::string& text);

// The directory whose Testing/ a ctest with `argv` uses, seen from `cwd`,
// where it reads the test file that includes the suite's: an absolute
// --test-dir, else the nearest directory from `cwd` up that holds
// CMakeCache.txt (the top of the build tree; ctest changes into each
// subdirectory while it reads its tests). Empty when there is none.
std::filesystem::path CtestTestDir(const std::vector<std::string>& argv,
                                   const std::filesystem::path& cwd);

// For a ctest with --rerun-failed in `argv`, the newest LastTestsFailed*.log
// of its test dir (seen from `cwd`, see CtestTestDir), as CTest picks it;
// nullopt when `argv` has no --rerun-failed or the file cannot be read.
std::optional<LastTestsFailedLog> ReadLastTestsFailed(const std::vector<std::string>& argv,
                                                      const std::filesystem::path& cwd);

// The names of the entries of `plan` that CTest reruns from `log`. CTest
// picks tests by number: the entries named in the log and listed in
// `before` (the entries, in order, of the plan of the run that wrote the
// log) tell which number the suite's first entry had; the entries of `plan`
// at the log's numbers are rerun, assuming the tests before the suite kept
// their numbers. A shard plan moves a failed test into an entry of its own
// at the front (plan.h), so a name may now have another number. Without
// such an entry, the entries the log names. No log: every entry.
std::vector<std::string> RerunEntries(const LastTestsFailedLog& log,
                                      const std::vector<std::string>& before, const Plan& plan);

// The plan of the newest run of the suite other than `run_id` whose plan was
// written by the time the log was: the run that wrote the log. nullopt when
// there is none or it cannot be read.
std::optional<PlanFile> PlanBefore(const std::filesystem::path& suite_dir,
                                   const std::string& run_id,
                                   std::filesystem::file_time_type written);

// The entry names of `plan` in order; none without a plan.
std::vector<std::string> EntryNames(const std::optional<PlanFile>& plan);

// What a ctest under --rerun-failed runs: the entries of `before` (the run
// that wrote `log`) when it planned the same tests under the same settings
// and slice as `fresh`, else `fresh`'s. CTest reruns the entries at the
// log's numbers, and a fresh plan moves a failed test into an entry of its
// own at the front, so that each number would name another entry, holding
// other tests: the failed tests would not run again. Keeping the plan keeps
// them at their numbers, for the suites after this one too. No log (CTest
// then runs every test): `fresh`'s.
Plan PlanForRerun(const LastTestsFailedLog& log, const std::optional<PlanFile>& before,
                  const PlanFile& fresh);

}  // namespace pytest_shards
