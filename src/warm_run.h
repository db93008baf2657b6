// Which entries fork their pytest from the run's warm interpreter, and how
// the runner starts that interpreter: the same pytest command line a shard
// of every planned node ID would run, in a private directory of the suite.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "plan.h"
#include "warm.h"

namespace pytest_shards {

// GRANULARITY file and test (WARM auto), or WARM on; never with WARM off,
// for the collection-errors entry, or with PYTEST_SHARDS_WARM=0 in `env`
// (PYTEST_SHARDS_WARM=1 turns it on for every other entry).
bool UseWarm(const Settings& settings, const Entry& entry, const std::vector<std::string>& env);

// The warm server of the plan's run, watching `ctest` (the runner's parent):
// it exits when that process does.
WarmServerSpec WarmSpec(const PlanFile& plan, const Entry& entry, pid_t ctest);

// The server's environment: `parent` with what every entry shares (the
// plugin's PYTHONPATH, ENVIRONMENT entries without placeholders) and TMPDIR
// in its own directory, but none of the per-entry variables (PYTEST_SHARD_*,
// PYTEST_XDIST_*, ENVIRONMENT entries with placeholders): each child gets
// its entry's before its tests run.
std::vector<std::string> WarmServerEnvironment(const Settings& settings,
                                               const std::filesystem::path& tmpdir,
                                               const std::vector<std::string>& parent);

// The pytest command line of `argv` (python -m pytest ...) as the server
// takes it: after `-m pytest`.
std::vector<std::string> WarmArgv(const std::vector<std::string>& argv);

}  // namespace pytest_shards
