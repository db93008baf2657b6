// The layout of a suite directory (<build>/pytest-shards/<suite>/), spelled
// here only, and its run directories:
//
//   settings.json            the options of pytest_shard_tests() (settings.h)
//   collection.json          the collected node IDs (collection.h)
//   collection.stamps.json   what that collection read, to tell it is stale
//   collect.log              the latest collection's pytest output
//   durations.json           the measured durations (durations.h)
//   tmp/<index>[-<n>]        a running entry's private directory, and its .lock
//   ../ports/<port>.lock     port-range locks, shared by the build tree's suites
//   runs/<run id>/           plan.json, tests.cmake, lock, journal/<index>.jsonl,
//                            session/ (the entries' parts of the session outputs)
//
// Every ctest start plans a new run in runs/<run id>/, so that a ctest that
// only lists tests (an IDE, `ctest -N`) or a second ctest on the same build
// tree never changes what a running ctest executes.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pytest_shards {

std::filesystem::path SettingsFile(const std::filesystem::path& suite_dir);
std::filesystem::path CollectionFile(const std::filesystem::path& suite_dir);
std::filesystem::path CollectionStampsFile(const std::filesystem::path& suite_dir);
std::filesystem::path CollectLogFile(const std::filesystem::path& suite_dir);
std::filesystem::path DurationsFile(const std::filesystem::path& suite_dir);
// Holds the entries' tmp dirs (lease.h).
std::filesystem::path TmpRoot(const std::filesystem::path& suite_dir);
// pytest's rewritten test modules, shared by the collector and the shards
// when bytecode writing is off (the plugin's --shards-rewrite-cache).
std::filesystem::path RewriteCacheDir(const std::filesystem::path& suite_dir);
// The build tree's port-range locks (ports.h): one file for every suite of it.
std::filesystem::path PortLockFile(const std::filesystem::path& suite_dir);

// "<microseconds since the epoch>-<pid>": unique, ordered by time.
std::string NewRunId();

// Where runs/<run id>/ live.
std::filesystem::path RunsDir(const std::filesystem::path& suite_dir);
std::filesystem::path RunDir(const std::filesystem::path& suite_dir, const std::string& run_id);
std::filesystem::path RunPlanFile(const std::filesystem::path& suite_dir,
                                  const std::string& run_id);
std::filesystem::path RunJournalDir(const std::filesystem::path& suite_dir,
                                    const std::string& run_id);
// The entries' parts of the session outputs, and the session step's input
// (session.h): reports/<index>.jsonl, coverage/<index>.<pid>, run.json.
std::filesystem::path RunSessionDir(const std::filesystem::path& suite_dir,
                                    const std::string& run_id);
// Entry `index`'s journal (journal.h): <journal dir>/<index>.jsonl.
std::filesystem::path JournalFile(const std::filesystem::path& suite_dir, const std::string& run_id,
                                  std::size_t index);
// The entry index of a journal file's name; nullopt for other files.
std::optional<std::size_t> JournalIndex(const std::filesystem::path& file);
// The CTest include file of the run: its add_test() calls.
std::filesystem::path RunTestsFile(const std::filesystem::path& suite_dir,
                                   const std::string& run_id);
// The shared tail's claims (run/tail_claims.h): which entry took which group.
std::filesystem::path TailClaimsFile(const std::filesystem::path& suite_dir,
                                     const std::string& run_id);
// The runner holds this file's lock (shared) while it runs an entry.
std::filesystem::path RunLockFile(const std::filesystem::path& suite_dir,
                                  const std::string& run_id);
// <suite_dir>/warm/<run id>: the run's warm interpreter (warm.h), one per
// suite and ctest run, so that two ctests on one build tree never share one.
std::filesystem::path WarmDir(const std::filesystem::path& suite_dir, const std::string& run_id);
// Why the warm interpreter of `dir` (a WarmDir) could not start, as its
// first entry recorded it there for the others; nullopt when it did not fail.
std::optional<std::string> WarmUnavailable(const std::filesystem::path& dir);

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
