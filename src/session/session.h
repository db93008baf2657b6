// The session step (`pytest-shards session`): the suite's CTest entry that
// runs after all the others of a ctest run (emit.h's session entry) and
// writes what pytest writes once per session (the user's --junitxml,
// coverage data, reports and --cov-fail-under, --report-log, --durations)
// from every entry that ran, as plain pytest would. The entries kept their
// parts in the run's session directory (runs.h); this step tells pytest
// what ran (run.json) and runs it on those parts: python/pytest_shards_plugin/
// session.py replays them through pytest's own hooks.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "data/collection.h"
#include "data/journal.h"
#include "plan/plan_file.h"

namespace pytest_shards {

// run.json ("pytest-shards-session/1"): the run's start (its first entry's),
// the node IDs of the entries that ran in collection order (`collection`'s,
// then any it lacks), pytest's own node IDs where they differ, each entry
// that ran with its pytest processes' pids, and the runner's verdicts
// (crashed, timeout, missing) of tests that pytest could not report.
// `journals` are the entries that ran, each with its index.
nlohmann::json SessionInput(const PlanFile& plan, const Collection& collection,
                            const std::vector<ShardJournal>& journals);

// The session step's pytest command line: the suite's ARGS and RUN_ARGS,
// with the plugin in its session role on `session_dir`.
std::vector<std::string> SessionArgv(const PlanFile& plan,
                                     const std::filesystem::path& session_dir);

// Runs the session step of the plan's run: 0 when no entry of the run ran
// (nothing to write, and the last outputs stay), else pytest's verdict on
// the session outputs (non-zero: a coverage threshold not reached, an
// entry's part missing). Throws Error for an unreadable plan.
int RunSession(const std::filesystem::path& plan_file, std::ostream& out);

// The session step over a CI matrix's jobs (session_merge.h): merges their
// session directories into the plan's run (runs/<id>/merged-session) and
// runs pytest there, as RunSession does. Throws Error for an unreadable
// plan or job directory, or a test that ran in two jobs.
int MergeSession(const std::filesystem::path& plan_file,
                 const std::vector<std::filesystem::path>& part_dirs, std::ostream& out);

}  // namespace pytest_shards
