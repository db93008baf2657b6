// The run directories of a suite. Every ctest start plans a new run in
// <suite_dir>/runs/<run id>/ (plan.json, tests.cmake, journal/<index>.jsonl), so
// that a ctest that only lists tests (an IDE, `ctest -N`) or a second ctest
// on the same build tree never changes what a running ctest executes.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace pytest_shards {

// "<microseconds since the epoch>-<pid>": unique, ordered by time.
std::string NewRunId();

std::filesystem::path RunDir(const std::filesystem::path& suite_dir, const std::string& run_id);
std::filesystem::path RunPlanFile(const std::filesystem::path& suite_dir,
                                  const std::string& run_id);
std::filesystem::path RunJournalDir(const std::filesystem::path& suite_dir,
                                    const std::string& run_id);
// The CTest include file of the run: its add_test() calls.
std::filesystem::path RunTestsFile(const std::filesystem::path& suite_dir,
                                   const std::string& run_id);
// The runner holds this file's lock (shared) while it runs an entry.
std::filesystem::path RunLockFile(const std::filesystem::path& suite_dir,
                                  const std::string& run_id);

// The runs of a suite, oldest first.
std::vector<std::string> RunIds(const std::filesystem::path& suite_dir);
// The newest run, or "" when there is none.
std::string NewestRun(const std::filesystem::path& suite_dir);
// The newest run with a plan and a journal: the last one that ran
// something. "" when none.
std::string LastRun(const std::filesystem::path& suite_dir);

// The suite directories under a build tree: each <...>/pytest-shards/<suite>
// with a runs/ directory (a ctest has planned it), sorted.
std::vector<std::filesystem::path> FindSuites(const std::filesystem::path& build_dir);

// Removes the runs that no ctest can still need: all but `keep`, the last
// run, runs with a file changed within `recent` (a ctest that has not yet
// started an entry), and runs whose lock a runner holds.
void PruneRuns(const std::filesystem::path& suite_dir, const std::string& keep,
               std::chrono::seconds recent);

}  // namespace pytest_shards
